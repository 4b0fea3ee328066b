package certs

import (
	"crypto/x509"
	"sync"
	"testing"
	"time"
)

const (
	testNamespace = "gateguard-system"
	testService   = "gateguard"
	day           = 24 * time.Hour
)

// testNow is the tests' fixed starting time, whole seconds because X.509
// times are encoded to the second.
func testNow() time.Time { return time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC) }

// testNames are the DNS names of the test Service.
func testNames() []string { return DNSNames(testService, testNamespace) }

// mustCA issues a CA or fails the test.
func mustCA(t *testing.T, validity time.Duration, now time.Time) KeyPair {
	t.Helper()
	ca, err := NewCA("test-ca", validity, now)
	if err != nil {
		t.Fatalf("NewCA: %v", err)
	}
	return ca
}

// mustServing issues a serving certificate or fails the test.
func mustServing(t *testing.T, ca KeyPair, names []string, validity time.Duration, now time.Time) KeyPair {
	t.Helper()
	kp, err := NewServingCert(ca, names, validity, now)
	if err != nil {
		t.Fatalf("NewServingCert: %v", err)
	}
	return kp
}

// mustParse decodes the first certificate of a PEM bundle or fails the test.
func mustParse(t *testing.T, pemBytes []byte) *x509.Certificate {
	t.Helper()
	c, err := parseCert(pemBytes)
	if err != nil {
		t.Fatalf("parsing certificate: %v", err)
	}
	return c
}

// verifyFor checks certPEM as a server certificate for dnsName against
// every CA in bundle, at now.
func verifyFor(certPEM, bundle []byte, dnsName string, now time.Time) error {
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(bundle)
	cert, err := parseCert(certPEM)
	if err != nil {
		return err
	}
	_, err = cert.Verify(x509.VerifyOptions{
		Roots: roots, DNSName: dnsName, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return err
}

// clock is a settable Options.Now, safe for Start's goroutine.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: testNow()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}
