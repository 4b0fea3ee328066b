package rules

import (
	"fmt"
	"testing"

	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// benchMixedCluster is benchCluster with half its objects Gateway API
// routes: n/2 VirtualServices on the classic Gateways, and n/2 HTTPRoutes
// on benchGateways managed Gateways of Istio's class, each with an HTTPS
// listener and a shared plain-HTTP listener for *.rN.example.com.
func benchMixedCluster(b *testing.B, n int) *MemorySnapshot {
	b.Helper()
	snap := benchCluster(b, n/2)
	mustAdd(b, snap, istioClass())
	for g := range benchGateways {
		name, domain := fmt.Sprintf("kgw-%d", g), fmt.Sprintf("*.r%d.example.com", g)
		mustAdd(b, snap, secret("istio-system", name+"-cert", "tls.crt", "tls.key"))
		mustAdd(b, snap, kubeGateway("istio-system", name,
			httpsListener("https", 443, domain, name+"-cert"), httpListener("http", 80, domain)))
	}
	for j := range n / 2 {
		g := j % benchGateways
		mustAdd(b, snap, benchRoute(fmt.Sprintf("team-%d", j%500), fmt.Sprintf("route-%d", j), j, g))
	}
	return snap
}

// benchRoute is route j's HTTPRoute for host route-j.rG.example.com on kgw-G.
func benchRoute(ns, name string, j, g int) *gatewayv1.HTTPRoute {
	return httpRoute(ns, name, []string{fmt.Sprintf("route-%d.r%d.example.com", j, g)},
		parentRef("istio-system", fmt.Sprintf("kgw-%d", g)))
}

// BenchmarkValidateHTTPRoute measures one admission of an HTTPRoute in
// clusters of growing size, half VirtualServices and half routes: as for
// VirtualServices, the cost must not grow with the cluster.
func BenchmarkValidateHTTPRoute(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("objects=%d", n), func(b *testing.B) {
			snap := benchMixedCluster(b, n)
			p := DefaultPolicy()
			// the common case: a new hostname on a shared Gateway
			unique := httpRoute("newcomer", "new", []string{"new.r0.example.com"}, parentRef("istio-system", "kgw-0"))
			// another team claiming route-0's hostname: denied on both listeners
			duplicate := benchRoute("intruder", "route-0", 0, 0)
			b.Run("unique", func(b *testing.B) { benchValidate(b, p, snap, unique, 0) })
			b.Run("duplicate", func(b *testing.B) { benchValidate(b, p, snap, duplicate, 2) })
		})
	}
}
