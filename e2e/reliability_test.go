package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// TestGracefulShutdownLosesNoRequest sends SIGTERM to gateguard under
// load. Like the endpoints controller, the load stops routing new requests
// once /readyz fails. Readiness must fail while the listener still serves
// (the shutdown delay), every request sent must succeed, and gateguard
// must exit cleanly. gateguard is restarted afterwards for later tests.
func TestGracefulShutdownLosesNoRequest(t *testing.T) {
	requireLocalGateguard(t)
	fixtures(t)
	client := webhookClient()
	var routable atomic.Bool
	routable.Store(true)
	var sent, failed atomic.Int64
	var lastErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if !routable.Load() {
					time.Sleep(5 * time.Millisecond)
					continue
				}
				sent.Add(1)
				if err := postReview(client, fmt.Sprintf("w%d-%d.example.com", w, i)); err != nil {
					failed.Add(1)
					lastErr.Store(err)
				}
			}
		})
	}
	time.Sleep(time.Second)
	p := env.Gateguard
	if err := p.Terminate(); err != nil {
		t.Fatal(err)
	}
	unready := waitUntil(func() bool { return !p.Ready() }, 5*time.Second)
	routable.Store(false) // the endpoints drop the pod
	servedAfterUnready := failed.Load() == 0 && sent.Load() > 0
	var exitErr error
	select {
	case exitErr = <-p.Exited():
	case <-time.After(30 * time.Second):
		t.Fatal("gateguard did not exit within 30s of SIGTERM")
	}
	close(stop)
	wg.Wait()
	if !unready {
		t.Error("readiness never failed before the process exited")
	}
	if n := failed.Load(); n != 0 || !servedAfterUnready {
		t.Errorf("%d of %d requests failed during shutdown; last: %v", n, sent.Load(), lastErr.Load())
	}
	if exitErr != nil {
		t.Errorf("gateguard exited with %v", exitErr)
	}
	restartGateguard(t)
}

// restartGateguard starts a fresh gateguard on the same port and certificate.
func restartGateguard(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := env.StartGateguard(ctx); err != nil {
		t.Fatalf("restarting gateguard: %v", err)
	}
}

// webhookClient is a keep-alive HTTPS client trusting gateguard's CA.
func webhookClient() *http.Client {
	_, caPEM := env.WebhookURL()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, MaxIdleConnsPerHost: 16,
	}}
}

// postReview asks /validate about a dry-run VirtualService for host and
// expects it to be allowed.
func postReview(c *http.Client, host string) error {
	url, _ := env.WebhookURL()
	vs := fmt.Sprintf(`{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"load","namespace":"team-a"},`+
		`"spec":{"hosts":[%q],"gateways":["istio-system/public"],"http":[{"route":[{"destination":{"host":"load"}}]}]}}`, host)
	body := fmt.Sprintf(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-%s",`+
		`"kind":{"group":"networking.istio.io","version":"v1","kind":"VirtualService"},`+
		`"resource":{"group":"networking.istio.io","version":"v1","resource":"virtualservices"},`+
		`"operation":"CREATE","namespace":"team-a","name":"load","dryRun":true,"userInfo":{"username":"load"},"object":%s}}`, host, vs)
	resp, err := c.Post(url+"/validate", "application/json", bytes.NewReader([]byte(body)))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var review struct {
		Response struct {
			UID     string `json:"uid"`
			Allowed bool   `json:"allowed"`
		} `json:"response"`
	}
	if err := json.Unmarshal(data, &review); err != nil || resp.StatusCode != 200 || !review.Response.Allowed ||
		review.Response.UID != "u-"+host {
		return fmt.Errorf("status %d, body %s (%v)", resp.StatusCode, data, err)
	}
	return nil
}

// waitUntil polls cond every 10ms until it holds or limit passes.
func waitUntil(cond func() bool, limit time.Duration) bool {
	return wait.PollUntilContextTimeout(context.Background(), 10*time.Millisecond, limit, true,
		func(context.Context) (bool, error) { return cond(), nil }) == nil
}

// TestApiserverOutage takes the apiserver away from gateguard (every
// connection dropped, new ones refused, as in an apiserver restart) while
// the apiserver still calls the webhook. gateguard stays up and ready on
// its last view, but a new host is denied, saying why: its HostClaim
// cannot be written, and without it another replica could admit the same
// host (docs/claims.md#refused-writes). After recovery the host is
// admitted and its duplicate denied.
func TestApiserverOutage(t *testing.T) {
	requireLocalGateguard(t)
	fixtures(t)
	env.APIProxy.Cut()
	restored := false
	defer func() {
		if !restored {
			_ = env.APIProxy.Restore()
		}
	}()
	mustDeny(t, vsYAML("team-a", "outage", "outage.example.com", "istio-system/public"),
		"[duplicate-host] the host claims could not be recorded, so another replica could admit the same host")
	if !env.Gateguard.Ready() {
		t.Error("gateguard went unready while its cache was merely behind")
	}
	if err := env.APIProxy.Restore(); err != nil {
		t.Fatal(err)
	}
	restored = true
	eventuallyApply(t, vsYAML("team-a", "outage", "outage.example.com", "istio-system/public"))
	mustDeny(t, vsYAML("team-b", "outage", "outage.example.com", "istio-system/public"), "VirtualService team-a/outage")
	select {
	case err := <-env.Gateguard.Exited():
		t.Fatalf("gateguard exited during the outage: %v", err)
	default:
	}
}
