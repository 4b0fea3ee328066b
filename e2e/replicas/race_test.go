package replicas

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	gateguardv1alpha1 "github.com/gateguard/gateguard/api/v1alpha1"
	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// seed creates the namespaces, the gateway pods and the Gateway the
// VirtualServices bind to.
func seed(ctx context.Context) error {
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "istio-system"}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "ingress-1", Namespace: "istio-system", Labels: map[string]string{"istio": "ingressgateway"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "istio-proxy", Image: "istio/proxyv2"}}}},
		&networkingv1.Gateway{ObjectMeta: metav1.ObjectMeta{Name: "public", Namespace: "istio-system"},
			Spec: networking.Gateway{Selector: map[string]string{"istio": "ingressgateway"}, Servers: []*networking.Server{{
				Port: &networking.Port{Number: 80, Name: "http", Protocol: "HTTP"}, Hosts: []string{"*.example.com"}}}}},
	}
	for _, o := range objs {
		if err := env.Client.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating %T %s: %w", o, o.GetName(), err)
		}
	}
	return nil
}

// TestTwoReplicasOneOwnerPerHost: twenty rounds of twenty simultaneous
// creates of one host, spread over both replicas by the balancer: each
// round exactly one is admitted, and its HostClaim names it. Both
// replicas decided some of them.
func TestTwoReplicasOneOwnerPerHost(t *testing.T) {
	cfg := rest.CopyConfig(env.AdminConfig)
	cfg.QPS, cfg.Burst = -1, 0 // client-go's rate limit would space the creates out
	c, err := client.New(cfg, client.Options{Scheme: env.Client.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	for round := range 20 {
		host := fmt.Sprintf("race-%d.example.com", round)
		winners := race(t, c, host, 20)
		if len(winners) != 1 {
			t.Errorf("round %d: %d creates of %s admitted, want exactly 1: %v", round, len(winners), host, winners)
			continue
		}
		claim := claimOf(t, host)
		if claim == nil || claim.Spec.Owner.Name != winners[0] {
			t.Errorf("round %d: HostClaim %+v, want one owned by %s", round, claim, winners[0])
		}
	}
	for i, r := range replicas {
		if n := decisions(t, r.MetricsAddr); n == 0 {
			t.Errorf("replica %d decided no VirtualService: the balancer did not spread the creates", i)
		}
	}
}

// race creates host n times at once and returns the names admitted.
func race(t *testing.T, c client.Client, host string, n int) []string {
	t.Helper()
	var mu sync.Mutex
	var won []string
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			vs := &networkingv1.VirtualService{
				ObjectMeta: metav1.ObjectMeta{GenerateName: "race-", Namespace: "team-a"},
				Spec: networking.VirtualService{Hosts: []string{host}, Gateways: []string{"istio-system/public"},
					Http: []*networking.HTTPRoute{{Route: []*networking.HTTPRouteDestination{{Destination: &networking.Destination{Host: "race"}}}}}},
			}
			err := c.Create(context.Background(), vs)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won = append(won, vs.Name)
			case !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "[duplicate-host]"):
				t.Errorf("unexpected error: %v", err)
			}
		})
	}
	wg.Wait()
	return won
}

// claimOf finds the HostClaim of host.
func claimOf(t *testing.T, host string) *gateguardv1alpha1.HostClaim {
	t.Helper()
	list := &gateguardv1alpha1.HostClaimList{}
	if err := env.Client.List(context.Background(), list); err != nil {
		t.Fatal(err)
	}
	var found *gateguardv1alpha1.HostClaim
	for i := range list.Items {
		if list.Items[i].Spec.Host == host {
			if found != nil {
				t.Errorf("two HostClaims of %s: %s and %s", host, found.Name, list.Items[i].Name)
			}
			found = &list.Items[i]
		}
	}
	return found
}

// decisions sums a replica's gateguard_decisions_total for VirtualServices.
func decisions(t *testing.T, metricsAddr string) int {
	t.Helper()
	n := 0
	for _, line := range strings.Split(scrape(t, metricsAddr), "\n") {
		if strings.HasPrefix(line, "gateguard_decisions_total{") && strings.Contains(line, `kind="VirtualService"`) {
			var v float64
			fields := strings.Fields(line)
			fmt.Sscan(fields[len(fields)-1], &v)
			n += int(v)
		}
	}
	return n
}

// scrape reads a replica's /metrics.
func scrape(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// TestOneReplicaSweeps: the Lease names one replica, and only that one
// has swept.
func TestOneReplicaSweeps(t *testing.T) {
	lease := &coordinationv1.Lease{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: "gateguard-system", Name: "gateguard-claims-sweeper"}, lease); err != nil {
		t.Fatalf("the sweeper's Lease: %v", err)
	}
	if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
		t.Fatalf("the Lease has no holder: %+v", lease.Spec)
	}
	swept := 0
	for _, r := range replicas {
		if strings.Contains(scrape(t, r.MetricsAddr), `gateguard_claims_sweeps_total{result="success"}`) {
			swept++
		}
	}
	if swept != 1 {
		t.Errorf("%d replicas have swept, want exactly the Lease holder (%s)", swept, *lease.Spec.HolderIdentity)
	}
}
