package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/gateguard/gateguard/webhook/claims"
)

// claimRequests are the apiserver's requests for single HostClaims so
// far (reads and writes), by verb as the apiserver labels them (GET for a
// read, the HTTP method for a write), whatever their answer, from its own
// apiserver_request_total. The sweeper's lists are LISTs: not counted.
func claimRequests(t *testing.T) map[string]float64 {
	t.Helper()
	m, err := env.APIServerMetrics(context.Background())
	if err != nil {
		t.Fatalf("apiserver metrics: %v", err)
	}
	out := map[string]float64{}
	for _, verb := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		out[verb] = m.Sum("apiserver_request_total", map[string]string{"group": "gateguard.dev", "resource": "hostclaims", "verb": verb})
	}
	return out
}

// wantClaimRequests checks the HostClaim requests since before: creates
// of new claims and reads, nothing else.
func wantClaimRequests(t *testing.T, step string, before map[string]float64, creates, reads float64) {
	t.Helper()
	for verb, n := range claimRequests(t) {
		want := map[string]float64{"POST": creates, "GET": reads}[verb]
		if d := n - before[verb]; d != want {
			t.Errorf("%s: %s of hostclaims rose by %.0f, want %.0f", step, verb, d, want)
		}
	}
}

// hostClaimCount is how many HostClaims `kubectl get hostclaims` lists.
func hostClaimCount(t *testing.T) int {
	t.Helper()
	out := kubectl(t, "", "get", "hostclaims", "--no-headers")
	if out.exitCode != 0 {
		t.Fatalf("kubectl get hostclaims: %s", out.stderr)
	}
	return len(strings.FieldsFunc(out.stdout, func(r rune) bool { return r == '\n' }))
}

// TestClaimsCostAndDryRuns: a server-side dry run decides like a real
// apply, reading the claim, and writes no HostClaim; a real apply of hosts
// no cached object claims writes one per host and reads none
// (docs/claims.md#writes); an update that claims nothing new, and a
// refused duplicate, neither read nor write one. The requests are the
// apiserver's own count.
func TestClaimsCostAndDryRuns(t *testing.T) {
	startReplicas(t, "--claims-sweep-interval", "1h")
	owner, rival := claimNamespace(5), claimNamespace(6)
	shop := vsYAML(owner, "shop", "shop.claims.example.com", "istio-system/public")
	three := strings.Replace(vsYAML(owner, "many", "a.many.example.com", "istio-system/public"),
		`hosts: ["a.many.example.com"]`, `hosts: ["a.many.example.com", "b.many.example.com", "c.many.example.com"]`, 1)
	t.Cleanup(func() {
		kubectl(t, "", "delete", "virtualservice", "-n", owner, "shop", "many", "--ignore-not-found")
	})
	count, before := hostClaimCount(t), claimRequests(t)

	res := apply(t, shop, "--dry-run=server")
	if res.exitCode != 0 || strings.TrimSpace(res.stdout) != "virtualservice.networking.istio.io/shop created (server dry run)" {
		t.Fatalf("dry run of a free host: exit %d\n%s%s", res.exitCode, res.stdout, res.stderr)
	}
	wantClaimRequests(t, "dry run of a free host", before, 0, 1)
	before = claimRequests(t)
	if n := hostClaimCount(t); n != count {
		t.Errorf("a dry run changed the HostClaim count from %d to %d", count, n)
	}

	mustApply(t, shop)
	wantClaimRequests(t, "apply of one new host", before, 1, 0)
	before = claimRequests(t)
	mustApply(t, three)
	wantClaimRequests(t, "apply of three new hosts", before, 3, 0)
	if n := hostClaimCount(t); n != count+4 {
		t.Errorf("HostClaims: %d, want %d + 4", n, count)
	}

	before = claimRequests(t)
	relabelled := strings.Replace(shop, "metadata: {name: shop, namespace: "+owner+"}",
		"metadata: {name: shop, namespace: "+owner+", labels: {tier: web}}", 1)
	if res := mustApply(t, relabelled); !strings.Contains(res.stdout, "configured") {
		t.Errorf("the relabelling changed nothing: %s", res.stdout)
	}
	wantClaimRequests(t, "update that claims nothing new", before, 0, 0)

	deniedAlike(t, vsYAML(rival, "shop", "shop.claims.example.com", "istio-system/public"), "VirtualService "+owner+"/shop")
	wantClaimRequests(t, "dry run and real apply of a duplicate", before, 0, 0)
	if n := hostClaimCount(t); n != count+4 {
		t.Errorf("HostClaims after the refused duplicate: %d, want %d + 4", n, count)
	}
}

// TestClaimsKubectlGet: `kubectl get hostclaims` answers who owns a host
// on which route table, and since when.
func TestClaimsKubectlGet(t *testing.T) {
	startReplicas(t)
	ns := claimNamespace(7)
	mustApply(t, vsYAML(ns, "storefront", "store.claims.example.com", "istio-system/public"))
	t.Cleanup(func() { kubectl(t, "", "delete", "virtualservice", "-n", ns, "storefront") })
	hc := claimsOf(t, claimsClient(t), "store.claims.example.com")
	if len(hc) != 1 {
		t.Fatalf("HostClaims of store.claims.example.com: %d, want 1", len(hc))
	}
	if hc[0].Name != claims.Name(hc[0].Spec.RouteTable, hc[0].Spec.Host) {
		t.Errorf("HostClaim name %s is not claims.Name of its route table and host", hc[0].Name)
	}
	out := kubectl(t, "", "get", "hostclaims", hc[0].Name)
	want := regexp.MustCompile(`^NAME +HOST +ROUTE TABLE +OWNER NAMESPACE +OWNER +AGE\n` +
		regexp.QuoteMeta(hc[0].Name) + ` +store\.claims\.example\.com +` +
		regexp.QuoteMeta("HTTP port 80 of gateway pods {istio=ingressgateway}") + ` +` + ns + ` +storefront +\d+s\n$`)
	if !want.MatchString(out.stdout) {
		t.Errorf("kubectl get hostclaims:\n%s\nwant it to match %s", out.stdout, want)
	}
	t.Logf("kubectl get hostclaims %s:\n%s", hc[0].Name, out.stdout)
}

// deniedAlike applies yaml as a server-side dry run and for real: both
// must be refused with the same words, a duplicate-host naming owner.
func deniedAlike(t *testing.T, yaml, owner string) {
	t.Helper()
	dry := apply(t, yaml, "--dry-run=server")
	real := apply(t, yaml)
	if dry.exitCode == 0 || real.exitCode == 0 || dry.stderr != real.stderr {
		t.Errorf("a duplicate's dry run and real apply decided apart:\ndry run: exit %d %s\nreal:    exit %d %s",
			dry.exitCode, dry.stderr, real.exitCode, real.stderr)
	}
	if !strings.Contains(real.stderr, "[duplicate-host]") || !strings.Contains(real.stderr, owner) {
		t.Errorf("the duplicate's denial does not name %s:\n%s", owner, real.stderr)
	}
}
