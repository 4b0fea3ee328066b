package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNewCA(t *testing.T) {
	now := testNow()
	ca := mustCA(t, 10*365*day, now)
	cert := mustParse(t, ca.CertPEM)

	if !cert.IsCA || !cert.BasicConstraintsValid {
		t.Errorf("IsCA=%v BasicConstraintsValid=%v, want both", cert.IsCA, cert.BasicConstraintsValid)
	}
	if cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("KeyUsage %b lacks CertSign", cert.KeyUsage)
	}
	if cert.MaxPathLen != 0 || !cert.MaxPathLenZero {
		t.Errorf("MaxPathLen=%d MaxPathLenZero=%v, want a CA for leaves only", cert.MaxPathLen, cert.MaxPathLenZero)
	}
	if err := cert.CheckSignatureFrom(cert); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
	assertP256(t, cert)
	assertValidity(t, cert, now, now.Add(10*365*day))
	if _, err := tls.X509KeyPair(ca.CertPEM, ca.KeyPEM); err != nil {
		t.Errorf("CA key does not match: %v", err)
	}
}

func TestNewServingCert(t *testing.T) {
	now := testNow()
	ca := mustCA(t, 10*365*day, now)
	names := testNames()
	kp := mustServing(t, ca, names, 365*day, now)
	cert := mustParse(t, kp.CertPEM)

	want := []string{"gateguard", "gateguard.gateguard-system", "gateguard.gateguard-system.svc",
		"gateguard.gateguard-system.svc.cluster.local"}
	if !slices.Equal(cert.DNSNames, want) {
		t.Errorf("DNSNames = %v, want %v", cert.DNSNames, want)
	}
	if cert.IsCA {
		t.Error("serving certificate is a CA")
	}
	if cert.KeyUsage != x509.KeyUsageDigitalSignature {
		t.Errorf("KeyUsage = %b, want DigitalSignature only", cert.KeyUsage)
	}
	if !slices.Equal(cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
		t.Errorf("ExtKeyUsage = %v, want ServerAuth", cert.ExtKeyUsage)
	}
	assertP256(t, cert)
	assertValidity(t, cert, now, now.Add(365*day))
	if _, err := tls.X509KeyPair(kp.CertPEM, kp.KeyPEM); err != nil {
		t.Errorf("serving key does not match: %v", err)
	}

	for _, name := range names {
		if err := verifyFor(kp.CertPEM, ca.CertPEM, name, now); err != nil {
			t.Errorf("verify %s: %v", name, err)
		}
		// Tolerates an API server clock a little behind ours.
		if err := verifyFor(kp.CertPEM, ca.CertPEM, name, now.Add(-time.Minute)); err != nil {
			t.Errorf("verify %s a minute early: %v", name, err)
		}
	}
	if err := verifyFor(kp.CertPEM, ca.CertPEM, "other.example", now); err == nil {
		t.Error("verified for a name it was not issued for")
	}
	if err := verifyFor(kp.CertPEM, ca.CertPEM, names[2], now.Add(366*day)); err == nil {
		t.Error("verified after expiry")
	}
	other := mustCA(t, 10*365*day, now)
	if err := verifyFor(kp.CertPEM, other.CertPEM, names[2], now); err == nil {
		t.Error("verified against an unrelated CA")
	}
}

func TestNewServingCertNeverOutlivesCA(t *testing.T) {
	now := testNow()
	ca := mustCA(t, 10*day, now)
	cert := mustParse(t, mustServing(t, ca, testNames(), 365*day, now).CertPEM)
	if caCert := mustParse(t, ca.CertPEM); !cert.NotAfter.Equal(caCert.NotAfter) {
		t.Errorf("NotAfter = %s, want the CA's %s", cert.NotAfter, caCert.NotAfter)
	}
}

func TestNewServingCertFromBundle(t *testing.T) {
	now := testNow()
	ca := mustCA(t, 365*day, now)
	older := mustCA(t, 365*day, now)
	bundle := KeyPair{CertPEM: append(append([]byte{}, ca.CertPEM...), older.CertPEM...), KeyPEM: ca.KeyPEM}
	kp := mustServing(t, bundle, testNames(), 30*day, now)
	if err := verifyFor(kp.CertPEM, ca.CertPEM, testNames()[2], now); err != nil {
		t.Errorf("not signed by the bundle's first CA: %v", err)
	}
}

func TestNewServingCertErrors(t *testing.T) {
	now := testNow()
	ca := mustCA(t, 10*day, now)
	other := mustCA(t, 10*day, now)
	leaf := mustServing(t, ca, testNames(), day, now)
	tests := []struct {
		name     string
		ca       KeyPair
		names    []string
		validity time.Duration
		now      time.Time
		want     string
	}{
		{"no names", ca, nil, day, now, "at least one DNS name"},
		{"zero validity", ca, testNames(), 0, now, "must be positive"},
		{"expired CA", ca, testNames(), day, now.Add(11 * day), "CA expired"},
		{"mismatched CA key", KeyPair{CertPEM: ca.CertPEM, KeyPEM: other.KeyPEM}, testNames(), day, now, "CA:"},
		{"garbage CA", KeyPair{CertPEM: []byte("junk"), KeyPEM: []byte("junk")}, testNames(), day, now, "CA:"},
		{"leaf as CA", leaf, testNames(), day, now, "not a CA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewServingCert(tt.ca, tt.names, tt.validity, tt.now)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestDNSNames(t *testing.T) {
	got := DNSNames("svc", "ns")
	want := []string{"svc", "svc.ns", "svc.ns.svc", "svc.ns.svc.cluster.local"}
	if !slices.Equal(got, want) {
		t.Errorf("DNSNames = %v, want %v", got, want)
	}
}

// assertP256 checks the certificate's key is ECDSA on P-256.
func assertP256(t *testing.T, cert *x509.Certificate) {
	t.Helper()
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Errorf("public key %T, want ECDSA P-256", cert.PublicKey)
	}
}

// assertValidity checks NotBefore is backdated a little (not much) and
// NotAfter is exactly notAfter.
func assertValidity(t *testing.T, cert *x509.Certificate, now, notAfter time.Time) {
	t.Helper()
	if !cert.NotBefore.Before(now) || cert.NotBefore.Before(now.Add(-time.Hour)) {
		t.Errorf("NotBefore = %s, want shortly before %s", cert.NotBefore, now)
	}
	if !cert.NotAfter.Equal(notAfter) {
		t.Errorf("NotAfter = %s, want %s", cert.NotAfter, notAfter)
	}
}
