package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gateguard/gateguard/rules"
	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestDuplicateHostAcrossNamespaces(t *testing.T) {
	fixtures(t)
	mustApply(t, vsYAML("team-a", "shop", "shop.example.com", "istio-system/public"))
	mustDeny(t, vsYAML("team-b", "shop", "shop.example.com", "istio-system/public"),
		`The VirtualService "shop" is invalid: spec.hosts[0]: Duplicate value: "shop.example.com": [duplicate-host] `+
			`host "shop.example.com" is already claimed by VirtualService team-a/shop on HTTP port 80 of gateway pods `+
			`{istio=ingressgateway} (Gateway istio-system/public); use a different host, bind to another gateway, `+
			`or ask the owner of team-a/shop`)
	// The same host on a gateway with other pods is another route table.
	mustApply(t, vsYAML("team-b", "shop-internal", "shop.example.com", "istio-system/internal"))
	// The legacy FQDN reference names the same Gateway.
	mustDeny(t, vsYAML("team-b", "shop-legacy", "shop.example.com", "public.istio-system.svc.cluster.local"),
		"VirtualService team-a/shop", "[duplicate-host]")
}

func TestMeshDuplicateAfterShortNameExpansion(t *testing.T) {
	fixtures(t)
	mustApply(t, `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: team-a}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
`)
	mustDeny(t, `apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: reviews-override, namespace: team-b}
spec:
  hosts: [reviews.team-a.svc.cluster.local]
  http:
  - route:
    - destination: {host: reviews.team-a.svc.cluster.local}
`, `spec.hosts[0]: Duplicate value: "reviews.team-a.svc.cluster.local": [duplicate-host] host `+
		`"reviews.team-a.svc.cluster.local" is already claimed on the mesh by VirtualService team-a/reviews`)
}

func TestWildcardHosts(t *testing.T) {
	fixtures(t)
	mustDeny(t, vsYAML("team-a", "catch-all", "*", "istio-system/public"),
		`spec.hosts[0]: Invalid value: "*": [wildcard-host] a bare "*" on a gateway-bound VirtualService with HTTP routes`)
	mustDeny(t, vsYAML("team-a", "all-of-com", "*.com", "istio-system/public"),
		`spec.hosts[0]: Invalid value: "*.com": [wildcard-host] "*.com" covers every name under the public suffix "com"`)
	mustApply(t, `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: tcp-echo, namespace: team-a}
spec:
  hosts: ["*"]
  gateways: [istio-system/public]
  tcp:
  - match:
    - port: 31400
    route:
    - destination: {host: tcp-echo, port: {number: 9000}}
`)
}

func TestMissingCredentialWhereThePodsRun(t *testing.T) {
	fixtures(t)
	gateway := httpsGateway("team-a", "shop-tls", "shop-tls.example.com", "shop-cert")
	mustApply(t, tlsSecret("team-a", "shop-cert"))
	mustDeny(t, gateway, `spec.servers[0].tls.credentialName: Not found: "shop-cert": [missing-credential] `+
		`Secret "shop-cert" does not exist in namespace istio-system, where Istio reads it (the gateway pods `+
		`selected by {istio=ingressgateway} run there), not the Gateway's namespace`)
	mustApply(t, tlsSecret("istio-system", "shop-cert"))
	eventuallyApply(t, gateway)
}

func TestDefaultSelectorAndLabelsAreIdempotent(t *testing.T) {
	fixtures(t)
	gateway := selectorlessGateway("team-a", "no-selector", "defaults.example.com")
	mustApply(t, gateway)
	got := &networkingv1.Gateway{}
	if err := env.Client.Get(context.Background(), key("team-a", "no-selector"), got); err != nil {
		t.Fatal(err)
	}
	if sel := got.Spec.Selector; len(sel) != 1 || sel["istio"] != "ingressgateway" {
		t.Errorf("selector = %v, want {istio: ingressgateway}", sel)
	}
	if v := got.Labels["gateguard.dev/defaulted"]; v != "true" {
		t.Errorf("labels = %v, want gateguard.dev/defaulted=true", got.Labels)
	}
	// Qualified: beside the Gateway API's CRDs, "gateway" may name theirs.
	yaml := kubectl(t, "", "get", "gateways.networking.istio.io", "-n", "team-a", "no-selector", "-o", "yaml").stdout
	for _, want := range []string{"istio: ingressgateway", `gateguard.dev/defaulted: "true"`} {
		if !strings.Contains(yaml, want) {
			t.Errorf("kubectl get -o yaml lacks %q:\n%s", want, yaml)
		}
	}
	if res := mustApply(t, gateway); !strings.Contains(res.stdout, "gateway.networking.istio.io/no-selector unchanged") {
		t.Errorf("second apply changed the object: %s", res.stdout)
	}
	again := &networkingv1.Gateway{}
	if err := env.Client.Get(context.Background(), key("team-a", "no-selector"), again); err != nil {
		t.Fatal(err)
	}
	if again.ResourceVersion != got.ResourceVersion {
		t.Errorf("resourceVersion moved from %s to %s", got.ResourceVersion, again.ResourceVersion)
	}
}

func TestServerDryRunDecidesLikeARealApply(t *testing.T) {
	fixtures(t)
	mustApply(t, vsYAML("team-a", "dry", "dry.example.com", "istio-system/public"))
	dup := vsYAML("team-b", "dry", "dry.example.com", "istio-system/public")
	dry := apply(t, dup, "--dry-run=server")
	real := mustDeny(t, dup, "VirtualService team-a/dry")
	if dry.exitCode == 0 || dry.stderr != real.stderr {
		t.Errorf("dry run decided differently:\n dry: %s\nreal: %s", dry.stderr, real.stderr)
	}
	fresh := vsYAML("team-b", "dry-fresh", "dry-fresh.example.com", "istio-system/public")
	if res := apply(t, fresh, "--dry-run=server"); res.exitCode != 0 ||
		!strings.Contains(res.stdout, "virtualservice.networking.istio.io/dry-fresh created (server dry run)") {
		t.Errorf("dry run of a valid object: %d %s %s", res.exitCode, res.stdout, res.stderr)
	}
	if virtualServiceExists(t, "team-b", "dry-fresh") || virtualServiceExists(t, "team-b", "dry") {
		t.Error("a dry run persisted an object")
	}
	// A real apply right after the dry run is not blocked by it: dry runs
	// reserve nothing.
	mustApply(t, fresh)
}

func TestWarningsArePrintedByKubectl(t *testing.T) {
	fixtures(t)
	res := mustApply(t, `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: catch-all, namespace: team-b}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8080, name: http, protocol: HTTP}
    hosts: ["*"]
`)
	want := `Warning: spec.servers[0].hosts[0]: Invalid value: "*": [wildcard-host] server host "*" accepts every host name`
	if !strings.Contains(res.stderr, want) {
		t.Errorf("kubectl did not print the warning %q:\n%s", want, res.stderr)
	}
}

// raceRuns numbers the runs of TestConcurrentCreatesHaveOneWinner.
var raceRuns atomic.Int64

// TestConcurrentCreatesHaveOneWinner sends 20 creates of one host at once:
// the informer cache cannot have seen any of them, so only the in-flight
// reservations stop the other 19.
func TestConcurrentCreatesHaveOneWinner(t *testing.T) {
	fixtures(t)
	const n = 20
	// A fresh host each run, so `-count 20` repeats the race itself.
	host := fmt.Sprintf("race-%d.example.com", raceRuns.Add(1))
	// client-go's default rate limit (5/s, burst 10) would space the
	// creates out enough for the cache to catch up; lift it.
	c := unthrottledClient(t)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vs := &networkingv1.VirtualService{
				ObjectMeta: metav1.ObjectMeta{GenerateName: "race-", Namespace: "team-a"},
				Spec: networking.VirtualService{Hosts: []string{host}, Gateways: []string{"istio-system/public"},
					Http: []*networking.HTTPRoute{{Route: []*networking.HTTPRouteDestination{{Destination: &networking.Destination{Host: "race"}}}}}},
			}
			errs[i] = c.Create(context.Background(), vs)
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "["+string(rules.DuplicateHost)+"]"):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d creates succeeded, want exactly 1", won)
	}
}
