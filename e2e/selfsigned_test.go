package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestSelfSignedModeBootstrapsAndRotatesUnderLoad runs gateguard in
// self-signed mode, as its ServiceAccount with the RBAC of
// manifests/overlays/self-signed: from nothing it issues a CA and serving
// certificate into a Secret and patches the caBundle; the apiserver then
// calls it with that CA. A forced renewal of the serving certificate under
// a continuous load of dry-run creates fails no request.
func TestSelfSignedModeBootstrapsAndRotatesUnderLoad(t *testing.T) {
	requireLocalGateguard(t)
	fixtures(t)
	ctx := context.Background()
	if err := env.InstallRBAC(ctx, "manifests/overlays/self-signed"); err != nil {
		t.Fatal(err)
	}
	// Cleanups run last first: the directory is made before the cleanup
	// that stops this gateguard is registered, so it is removed only after
	// gateguard stopped writing renewals into it.
	certDir := t.TempDir()
	_, envtestCA := env.WebhookURL()
	t.Cleanup(func() { restoreFileMode(t, envtestCA) })
	env.Gateguard.Stop()
	// The apiserver reaches gateguard as localhost, a name the certificate
	// can carry; the caBundle is left for gateguard to replace.
	if err := env.PointWebhooks(ctx, "localhost", envtestCA); err != nil {
		t.Fatal(err)
	}
	if err := env.StartGateguard(ctx, "--self-signed-certs", "--cert-namespace", "gateguard-system",
		"--cert-dir", certDir, "--cert-extra-dns-name", "localhost", "--cert-check-interval", "1s"); err != nil {
		t.Fatal(err)
	}
	secret := &corev1.Secret{}
	if err := env.Client.Get(ctx, key("gateguard-system", "gateguard-serving-cert"), secret); err != nil {
		t.Fatalf("no serving Secret after bootstrap: %v", err)
	}
	ca := secret.Data["ca.crt"]
	eventually(t, func() error { return caBundlesAre(ctx, ca) })
	mustApply(t, vsYAML("team-a", "self-signed", "self-signed.example.com", "istio-system/public"))
	mustDeny(t, vsYAML("team-b", "self-signed", "self-signed.example.com", "istio-system/public"), "VirtualService team-a/self-signed")

	before := servedSerial(t, ca)
	failures, stop := dryRunLoad(t, 4)
	secret.Data["tls.crt"] = []byte("not a certificate") // forces a renewal at the next check
	if err := env.Client.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() error {
		if servedSerial(t, ca).Cmp(before) == 0 {
			return fmt.Errorf("still serving the old certificate")
		}
		return nil
	})
	time.Sleep(time.Second) // keep the load on past the switch
	if sent, failed := stop(); failed != 0 || sent == 0 {
		t.Errorf("%d of %d requests failed across the rotation: %v", failed, sent, failures())
	}
}

// caBundlesAre checks every webhook of both configurations trusts ca.
func caBundlesAre(ctx context.Context, ca []byte) error {
	v := &admissionv1.ValidatingWebhookConfiguration{}
	m := &admissionv1.MutatingWebhookConfiguration{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: "gateguard"}, v); err != nil {
		return err
	}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: "gateguard"}, m); err != nil {
		return err
	}
	for _, w := range v.Webhooks {
		if !bytes.Equal(w.ClientConfig.CABundle, ca) {
			return fmt.Errorf("validating webhook %s has another caBundle", w.Name)
		}
	}
	if !bytes.Equal(m.Webhooks[0].ClientConfig.CABundle, ca) {
		return fmt.Errorf("mutating webhook has another caBundle")
	}
	return nil
}

// servedSerial dials gateguard as localhost, verifying against ca, and
// returns the serving certificate's serial number.
func servedSerial(t *testing.T, ca []byte) *big.Int {
	t.Helper()
	return servedCert(t, ca).SerialNumber
}

// servedCert dials gateguard as localhost, verifying against ca, and
// returns the serving certificate.
func servedCert(t *testing.T, ca []byte) *x509.Certificate {
	t.Helper()
	url, _ := env.WebhookURL()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	addr := strings.Replace(strings.TrimPrefix(url, "https://"), "127.0.0.1", "localhost", 1)
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatalf("dialing gateguard: %v", err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0]
}

// dryRunLoad runs workers that dry-run create allowed VirtualServices
// through the apiserver until stop is called; stop returns the counts.
func dryRunLoad(t *testing.T, workers int) (errs func() []error, stop func() (sent, failed int64)) {
	c := unthrottledClient(t)
	var sentN, failedN atomic.Int64
	var mu sync.Mutex
	var failures []error
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				sentN.Add(1)
				if err := c.Create(context.Background(), loadVS(w, i), client.DryRunAll); err != nil {
					failedN.Add(1)
					mu.Lock()
					failures = append(failures, err)
					mu.Unlock()
				}
			}
		})
	}
	return func() []error { mu.Lock(); defer mu.Unlock(); return failures },
		func() (int64, int64) { close(done); wg.Wait(); return sentN.Load(), failedN.Load() }
}

func loadVS(worker, i int) *networkingv1.VirtualService {
	host := fmt.Sprintf("rot-%d-%d.example.com", worker, i)
	return &networkingv1.VirtualService{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("rot-%d-%d", worker, i), Namespace: "team-a"},
		Spec: networking.VirtualService{Hosts: []string{host}, Gateways: []string{"istio-system/public"},
			Http: []*networking.HTTPRoute{{Route: []*networking.HTTPRouteDestination{{Destination: &networking.Destination{Host: "rot"}}}}}},
	}
}

// restoreFileMode puts back the suite's gateguard: file mode, envtest's
// certificate, the webhooks at 127.0.0.1 trusting envtest's CA.
func restoreFileMode(t *testing.T, envtestCA []byte) {
	ctx := context.Background()
	env.Gateguard.Stop()
	if err := env.PointWebhooks(ctx, "127.0.0.1", envtestCA); err != nil {
		t.Errorf("restoring the webhook configurations: %v", err)
	}
	if err := env.StartGateguard(ctx); err != nil {
		t.Errorf("restarting gateguard in file mode: %v", err)
	}
}
