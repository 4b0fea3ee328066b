package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gateguard/gateguard/certs"
)

// TestFileModeRotationBySecretVolumeSwap serves from a directory laid out
// as kubelet lays out a Secret volume (tls.crt -> ..data/tls.crt, ..data ->
// a timestamped directory) and rotates the certificate as kubelet does: a
// new directory and an atomic rename of the ..data symlink. gateguard's
// certwatcher must pick it up without a restart, and a continuous load of
// dry-run creates through the apiserver must not fail once.
func TestFileModeRotationBySecretVolumeSwap(t *testing.T) {
	requireLocalGateguard(t)
	fixtures(t)
	ctx := context.Background()
	now := time.Now()
	ca, err := certs.NewCA("e2e-volume-ca", 24*time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeVolumeVersion(t, dir, "..2026_11_23_v1", ca, now)
	for _, f := range []string{"tls.crt", "tls.key"} {
		if err := os.Symlink(filepath.Join("..data", f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	_, envtestCA := env.WebhookURL()
	t.Cleanup(func() { restoreFileMode(t, envtestCA) })
	env.Gateguard.Stop()
	if err := env.PointWebhooks(ctx, "localhost", ca.CertPEM); err != nil {
		t.Fatal(err)
	}
	if err := env.StartGateguard(ctx, "--cert-dir", dir); err != nil {
		t.Fatal(err)
	}
	before := servedSerial(t, ca.CertPEM)
	failures, stop := dryRunLoad(t, 4)
	writeVolumeVersion(t, dir, "..2026_11_23_v2", ca, now)
	eventually(t, func() error {
		if servedSerial(t, ca.CertPEM).Cmp(before) == 0 {
			return fmt.Errorf("still serving the first certificate")
		}
		return nil
	})
	time.Sleep(time.Second)
	if sent, failed := stop(); failed != 0 || sent == 0 {
		t.Errorf("%d of %d requests failed across the rotation: %v", failed, sent, failures())
	}
}

// writeVolumeVersion writes a fresh serving certificate into a new
// timestamped directory and points ..data at it with an atomic rename, as
// kubelet's atomic writer does.
func writeVolumeVersion(t *testing.T, dir, version string, ca certs.KeyPair, now time.Time) {
	t.Helper()
	pair, err := certs.NewServingCert(ca, []string{"localhost"}, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, version), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"tls.crt": pair.CertPEM, "tls.key": pair.KeyPEM} {
		if err := os.WriteFile(filepath.Join(dir, version, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tmp := filepath.Join(dir, "..data_tmp")
	if err := os.Symlink(version, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
}
