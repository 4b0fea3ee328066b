package webhook

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gateguard/gateguard/certs"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestCertExpiryGaugeFollowsTheServedFile exports the NotAfter of the
// tls.crt in the cert dir, follows a rotation at the next scrape, and
// exports nothing while the file is missing or not a certificate.
func TestCertExpiryGaugeFollowsTheServedFile(t *testing.T) {
	dir := t.TempDir()
	c := newCertExpiry(dir)
	if n := testutil.CollectAndCount(c); n != 0 {
		t.Fatalf("%d samples without a tls.crt, want none", n)
	}
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	ca, err := certs.NewCA("expiry-test", 10*24*time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, validity := range []time.Duration{48 * time.Hour, 72 * time.Hour} {
		pair, err := certs.NewServingCert(ca, []string{"gateguard.gateguard-system.svc"}, validity, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "tls.crt"), append(pair.CertPEM, ca.CertPEM...), 0o600); err != nil {
			t.Fatal(err)
		}
		want := `# HELP gateguard_serving_certificate_expiry_timestamp_seconds When the webhook's serving certificate (the first in tls.crt) expires, in Unix seconds.
# TYPE gateguard_serving_certificate_expiry_timestamp_seconds gauge
gateguard_serving_certificate_expiry_timestamp_seconds ` + strconv.FormatInt(now.Add(validity).Unix(), 10) + "\n"
		if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
			t.Errorf("validity %s: %v", validity, err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "tls.crt"), []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(c); n != 0 {
		t.Errorf("%d samples for a tls.crt that is no certificate, want none", n)
	}
}
