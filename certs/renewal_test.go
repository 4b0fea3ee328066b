package certs

import (
	"strings"
	"testing"
	"time"
)

func TestNeedsRenewal(t *testing.T) {
	now := testNow()
	renewBefore := 30 * day
	ca := mustCA(t, 10*365*day, now)
	fresh := mustServing(t, ca, testNames(), 365*day, now)
	otherCA := mustCA(t, 10*365*day, now)
	shortCA := mustCA(t, 40*day, now)

	tests := []struct {
		name       string
		cert, ca   []byte
		names      []string
		now        time.Time
		want       bool
		wantReason string
	}{
		{"fresh", fresh.CertPEM, ca.CertPEM, testNames(), now, false, ""},
		{"names in another order", fresh.CertPEM, ca.CertPEM, reversed(testNames()), now, false, ""},
		{"just outside the window", fresh.CertPEM, ca.CertPEM, testNames(), now.Add(365*day - renewBefore - time.Hour), false, ""},
		{"expiring", fresh.CertPEM, ca.CertPEM, testNames(), now.Add(365*day - renewBefore + time.Hour), true, "serving certificate expires"},
		{"expired", fresh.CertPEM, ca.CertPEM, testNames(), now.Add(400 * day), true, "serving certificate expires"},
		{"not yet valid", fresh.CertPEM, ca.CertPEM, testNames(), now.Add(-time.Hour), true, "does not verify"},
		{"wrong SANs", fresh.CertPEM, ca.CertPEM, DNSNames(testService, "elsewhere"), now, true, "want"},
		{"missing SAN", mustServing(t, ca, testNames()[:3], 365*day, now).CertPEM, ca.CertPEM, testNames(), now, true, "want"},
		{"other CA", mustServing(t, otherCA, testNames(), 365*day, now).CertPEM, ca.CertPEM, testNames(), now, true, "does not verify"},
		{"garbage cert", []byte("not a certificate"), ca.CertPEM, testNames(), now, true, "serving certificate missing or unparseable"},
		{"missing cert", nil, ca.CertPEM, testNames(), now, true, "serving certificate missing or unparseable"},
		{"garbage CA", fresh.CertPEM, []byte("junk"), testNames(), now, true, "CA certificate missing or unparseable"},
		{"CA expiring", mustServing(t, shortCA, testNames(), 365*day, now).CertPEM, shortCA.CertPEM, testNames(), now.Add(11 * day), true, "CA certificate expires"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := NeedsRenewal(tt.cert, tt.ca, tt.names, tt.now, renewBefore)
			if got != tt.want {
				t.Fatalf("NeedsRenewal = %v (%q), want %v", got, reason, tt.want)
			}
			if !strings.Contains(reason, tt.wantReason) || (!tt.want && reason != "") {
				t.Errorf("reason = %q, want one containing %q", reason, tt.wantReason)
			}
		})
	}
}

func TestCANeedsRenewal(t *testing.T) {
	now := testNow()
	renewBefore := 30 * day
	ca := mustCA(t, 365*day, now)
	other := mustCA(t, 365*day, now)
	leaf := mustServing(t, ca, testNames(), 100*day, now)

	tests := []struct {
		name       string
		cert, key  []byte
		now        time.Time
		want       bool
		wantReason string
	}{
		{"fresh", ca.CertPEM, ca.KeyPEM, now, false, ""},
		{"bundle with an older CA", append(append([]byte{}, ca.CertPEM...), other.CertPEM...), ca.KeyPEM, now, false, ""},
		{"expiring", ca.CertPEM, ca.KeyPEM, now.Add(365*day - renewBefore + time.Hour), true, "expires"},
		{"missing key", ca.CertPEM, nil, now, true, "missing"},
		{"mismatched key", ca.CertPEM, other.KeyPEM, now, true, "mismatched"},
		{"garbage", []byte("junk"), []byte("junk"), now, true, "unparseable"},
		{"not a CA", leaf.CertPEM, leaf.KeyPEM, now, true, "cannot sign"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := CANeedsRenewal(tt.cert, tt.key, tt.now, renewBefore)
			if got != tt.want {
				t.Fatalf("CANeedsRenewal = %v (%q), want %v", got, reason, tt.want)
			}
			if !strings.Contains(reason, tt.wantReason) {
				t.Errorf("reason = %q, want one containing %q", reason, tt.wantReason)
			}
		})
	}
}

// reversed returns s in reverse order.
func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}
