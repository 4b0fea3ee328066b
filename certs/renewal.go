package certs

import (
	"crypto/x509"
	"fmt"
	"slices"
	"time"
)

// NeedsRenewal reports whether the serving certificate certPEM must be
// re-issued, and why. caPEM is ca.crt: its first certificate is the
// current CA, any others are older CAs kept in the bundle for rollover and
// are ignored here. It is true when either certificate is missing or
// unparseable or expires within renewBefore, when the DNS names differ
// from dnsNames (the Service or namespace changed), or when certPEM is not
// a server certificate issued by the current CA at now. It does not look
// at the private key; see the Secret planning for that.
func NeedsRenewal(certPEM, caPEM []byte, dnsNames []string, now time.Time, renewBefore time.Duration) (bool, string) {
	ca, err := parseCert(caPEM)
	if err != nil {
		return true, fmt.Sprintf("CA certificate missing or unparseable: %v", err)
	}
	if expiring(ca, now, renewBefore) {
		return true, fmt.Sprintf("CA certificate expires at %s, within %s", stamp(ca.NotAfter), renewBefore)
	}
	cert, err := parseCert(certPEM)
	if err != nil {
		return true, fmt.Sprintf("serving certificate missing or unparseable: %v", err)
	}
	if expiring(cert, now, renewBefore) {
		return true, fmt.Sprintf("serving certificate expires at %s, within %s", stamp(cert.NotAfter), renewBefore)
	}
	if !sameNames(cert.DNSNames, dnsNames) {
		return true, fmt.Sprintf("serving certificate is for %v, want %v", cert.DNSNames, dnsNames)
	}
	if err := verify(cert, ca, now); err != nil {
		return true, fmt.Sprintf("serving certificate does not verify against the current CA: %v", err)
	}
	return false, ""
}

// CANeedsRenewal reports whether the CA (the first certificate of caPEM,
// with its key caKeyPEM) must be replaced, and why: missing or unparseable,
// key not matching, not a CA able to sign certificates, or expiring within
// renewBefore. A new CA means a new serving certificate too.
func CANeedsRenewal(caPEM, caKeyPEM []byte, now time.Time, renewBefore time.Duration) (bool, string) {
	ca, _, err := parseKeyPair(KeyPair{CertPEM: caPEM, KeyPEM: caKeyPEM})
	if err != nil {
		return true, fmt.Sprintf("CA certificate or key missing, unparseable or mismatched: %v", err)
	}
	if !ca.IsCA || ca.KeyUsage&x509.KeyUsageCertSign == 0 {
		return true, "CA certificate cannot sign certificates"
	}
	if expiring(ca, now, renewBefore) {
		return true, fmt.Sprintf("CA certificate expires at %s, within %s", stamp(ca.NotAfter), renewBefore)
	}
	return false, ""
}

// expiring is true when fewer than renewBefore remain of cert's validity.
func expiring(cert *x509.Certificate, now time.Time, renewBefore time.Duration) bool {
	return cert.NotAfter.Sub(now) < renewBefore
}

// verify checks the chain cert ← ca the way the API server will: as a
// server certificate, at now. The DNS names are compared separately, so
// the reason names the actual problem.
func verify(cert, ca *x509.Certificate, now time.Time) error {
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	_, err := cert.Verify(x509.VerifyOptions{
		Roots:       roots,
		CurrentTime: now,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return err
}

// sameNames compares DNS names as sets: order carries no meaning in SANs.
func sameNames(got, want []string) bool {
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(slices.Compact(g), slices.Compact(w))
}

// stamp formats a time for log messages and reasons.
func stamp(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}
