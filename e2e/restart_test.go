package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// TestApiserverRestart restarts kube-apiserver itself while gateguard runs:
// the process stopped and started again (same port, certificates and etcd),
// so unlike TestApiserverOutage's proxy cut, every watch ends on the
// apiserver's side and gateguard's informers must resume against a new
// process. gateguard must stay up, and ready throughout: readiness means
// caches synced once, certificate served, not draining. A stale cache
// still decides safely (claims are held until the cache shows them), while
// failing readiness would drop every replica at once and, the validating
// webhook failing closed, refuse every VirtualService write once the
// apiserver is back.
//
// After recovery a host claimed before the restart is caught, and so is
// one claimed right after it. restart-c is created with the webhooks
// unregistered, so gateguard holds no reservation for it and only a
// resumed watch can teach it the host: were the informers stuck, the
// duplicate of restart-c would be admitted and the test would fail.
func TestApiserverRestart(t *testing.T) {
	requireLocalGateguard(t)
	fixtures(t)
	// Only the VirtualService watch is proven resumed below; the other
	// kinds' reflectors may still be backing off (up to a minute), so later
	// tests get a gateguard whose informers all synced afresh.
	t.Cleanup(func() {
		env.Gateguard.Stop()
		if err := env.StartGateguard(context.Background()); err != nil {
			t.Errorf("restarting gateguard after the apiserver restart: %v", err)
		}
	})
	const gw = "istio-system/public"
	mustApply(t, vsYAML("team-a", "restart-a", "restart-a.example.com", gw))
	ready := restartAPIServer(t)
	createUnseen(t)
	deniedWithin(t, 15*time.Second, vsYAML("team-b", "restart-a", "restart-a.example.com", gw), "VirtualService team-a/restart-a")
	mustApply(t, vsYAML("team-a", "restart-b", "restart-b.example.com", gw))
	mustDeny(t, vsYAML("team-b", "restart-b", "restart-b.example.com", gw), "VirtualService team-a/restart-b")
	// client-go's reflectors back off up to 30s, jittered up to twice
	// that, between failed attempts while the apiserver is away.
	deniedWithin(t, 75*time.Second, vsYAML("team-b", "restart-c", "restart-c.example.com", gw), "VirtualService team-a/restart-c")
	t.Logf("gateguard's cache knew restart-c %s after the apiserver was ready", time.Since(ready).Round(10*time.Millisecond))
	if !env.Gateguard.Ready() {
		t.Error("gateguard is not ready after the apiserver came back")
	}
	select {
	case err := <-env.Gateguard.Exited():
		t.Fatalf("gateguard exited during the apiserver restart: %v", err)
	default:
	}
}

// restartAPIServer stops kube-apiserver, keeps it down past the
// reservation ttl so gateguard's watches fail and back off, starts it
// again and returns when it is ready. gateguard's probes must answer 200
// throughout.
func restartAPIServer(t *testing.T) (ready time.Time) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stop := make(chan struct{})
	probes := pollProbes(stop)
	begin := time.Now()
	if err := env.StopAPIServer(); err != nil {
		t.Fatalf("stopping the apiserver: %v", err)
	}
	stopped := time.Now()
	running := false
	defer func() {
		if !running { // later tests need it
			_ = env.StartAPIServer(ctx)
		}
	}()
	time.Sleep(3 * time.Second)
	if res := kubectl(t, "", "get", "--raw", "/readyz", "--request-timeout=2s"); res.exitCode == 0 {
		t.Fatal("the apiserver still answers after being stopped")
	}
	restarted := time.Now()
	if err := env.StartAPIServer(ctx); err != nil {
		t.Fatalf("starting the apiserver again: %v", err)
	}
	running, ready = true, time.Now()
	close(stop)
	failed := <-probes
	t.Logf("apiserver restart: stop %s, down %s, start to ready %s; gateguard probes failed: %v",
		stopped.Sub(begin).Round(10*time.Millisecond), ready.Sub(stopped).Round(10*time.Millisecond),
		ready.Sub(restarted).Round(10*time.Millisecond), failed)
	for path, n := range failed {
		t.Errorf("gateguard's %s failed %d times while the apiserver was away", path, n)
	}
	return ready
}

// pollProbes polls gateguard's /healthz and /readyz every 100ms until stop
// is closed, then sends how many times each did not answer 200.
func pollProbes(stop <-chan struct{}) <-chan map[string]int {
	out := make(chan map[string]int, 1)
	go func() {
		failed := map[string]int{}
		c := http.Client{Timeout: time.Second}
		wait.Until(func() {
			for _, path := range []string{"/healthz", "/readyz"} {
				resp, err := c.Get("http://" + env.Gateguard.ProbeAddr + path)
				if err == nil {
					resp.Body.Close()
				}
				if err != nil || resp.StatusCode != http.StatusOK {
					failed[path]++
				}
			}
		}, 100*time.Millisecond, stop)
		out <- failed
	}()
	return out
}

// createUnseen creates team-a/restart-c with the webhooks unregistered,
// re-registering them afterwards. It also claims probe.example.com, which
// team-a/probe holds, so gateguard would deny it: its creation succeeding
// proves the apiserver no longer asked gateguard, which therefore holds no
// reservation for it.
func createUnseen(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if err := env.UnregisterWebhooks(ctx); err != nil {
		t.Fatalf("unregistering the webhooks: %v", err)
	}
	defer func() {
		if err := env.RegisterWebhooks(ctx); err != nil {
			t.Fatalf("registering the webhooks again: %v", err)
		}
	}()
	t.Cleanup(func() { // the duplicate of probe.example.com is for this test alone
		vs := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "restart-c"}}
		_ = env.Client.Delete(context.Background(), vs)
	})
	yaml := strings.Replace(vsYAML("team-a", "restart-c", "restart-c.example.com", "istio-system/public"),
		`hosts: ["restart-c.example.com"]`, `hosts: ["restart-c.example.com", "probe.example.com"]`, 1)
	eventually(t, func() error {
		if res := apply(t, yaml); res.exitCode != 0 {
			return fmt.Errorf("still judged by gateguard: %s", res.stderr)
		}
		return nil
	})
}

// deniedWithin retries a server-side dry run of yaml until gateguard
// denies it naming want, or limit passes.
func deniedWithin(t *testing.T, limit time.Duration, yaml, want string) {
	t.Helper()
	var res kubectlResult
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, limit, true, func(context.Context) (bool, error) {
		res = apply(t, yaml, "--dry-run=server")
		return res.exitCode != 0 && strings.Contains(res.stderr, want), nil
	})
	if err == nil {
		return
	}
	t.Fatalf("not denied naming %q within %s:\n%s%s", want, limit, res.stdout, res.stderr)
}
