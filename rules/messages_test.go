package rules

import (
	"testing"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestMessagesOnTheMeshAndOnGateways: every rule that judges a
// VirtualService (duplicate-host, overlapping-host, wildcard-host,
// host-ownership, unknown-gateway, host-not-in-gateway), with its whole message, once for a VirtualService bound
// to the mesh and once for one bound to a gateway. A rule that has nothing
// to say on the mesh is shown saying nothing.
func TestMessagesOnTheMeshAndOnGateways(t *testing.T) {
	state := []runtime.Object{
		pod("istio-system", "ingress-1", ingressSelector),
		gateway("istio-system", "public", ingressSelector, httpServer(80, "*")),
		gateway("istio-system", "blog", ingressSelector, httpServer(8080, "*.blog.example.com")),
		httpVS("team-a", "shop", []string{"shop.example.com"}, "istio-system/public"),
		httpVS("team-a", "cart", []string{"cart.team-a.svc.cluster.local"}),
		httpVS("team-a", "api", []string{"api.example.com"}),
	}
	const public = "on HTTP port 80 of gateway pods {istio=ingressgateway} (Gateway istio-system/public)"
	onMesh := func(hosts ...string) func() *networkingv1.VirtualService {
		return func() *networkingv1.VirtualService { return httpVS("team-b", "new", hosts) }
	}
	onGateway := func(gateway string, hosts ...string) func() *networkingv1.VirtualService {
		return func() *networkingv1.VirtualService { return httpVS("team-b", "new", hosts, gateway) }
	}
	const owners = "hostOwnership:\n- namespaces: [team-a]\n  domains: [example.com, \"*.example.com\"]\n"
	runVSCases(t, onMesh("new.team-b.svc.cluster.local"), state, []vsCase{
		{name: "duplicate-host on the mesh", vs: onMesh("cart.team-a.svc.cluster.local"), want: []want{{
			rule: DuplicateHost, action: Deny, field: "spec.hosts[0]",
			msg: `spec.hosts[0]: Duplicate value: "cart.team-a.svc.cluster.local": [duplicate-host] host ` +
				`"cart.team-a.svc.cluster.local" is already claimed on the mesh by VirtualService team-a/cart; Istio keeps ` +
				`only the first and silently drops the other: merge your routes into team-a/cart, use a different host, or ask its owner`}}},
		{name: "duplicate-host on a gateway", vs: onGateway("istio-system/public", "shop.example.com"), want: []want{{
			rule: DuplicateHost, action: Deny, field: "spec.hosts[0]",
			msg: `spec.hosts[0]: Duplicate value: "shop.example.com": [duplicate-host] host "shop.example.com" is already ` +
				`claimed by VirtualService team-a/shop ` + public + `; use a different host, bind to another gateway, or ask ` +
				`the owner of team-a/shop`}}},
		{name: "overlapping-host on the mesh", vs: onMesh("*.example.com"), want: []want{{
			rule: OverlappingHost, action: Warn, field: "spec.hosts[0]",
			msg: `spec.hosts[0]: Invalid value: "*.example.com": [overlapping-host] host "*.example.com" overlaps host ` +
				`"api.example.com" of VirtualService team-a/api on the mesh; the more specific host takes the requests it ` +
				`matches: make the hosts disjoint, or agree the split with the owner of team-a/api`}}},
		{name: "overlapping-host on a gateway", vs: onGateway("istio-system/public", "*.example.com"), want: []want{{
			rule: OverlappingHost, action: Warn, field: "spec.hosts[0]",
			msg: `spec.hosts[0]: Invalid value: "*.example.com": [overlapping-host] host "*.example.com" overlaps host ` +
				`"shop.example.com" of VirtualService team-a/shop ` + public + `; the more specific host takes the requests ` +
				`it matches: make the hosts disjoint, or agree the split with the owner of team-a/shop`}}},
		{name: "wildcard-host on the mesh", vs: onMesh("*.co.uk"), want: []want{{
			rule: WildcardHost, action: Deny, field: "spec.hosts[0]",
			msg: `spec.hosts[0]: Invalid value: "*.co.uk": [wildcard-host] "*.co.uk" covers every name under the public ` +
				`suffix "co.uk"; use a wildcard under a domain you own`}}},
		{name: "wildcard-host on a gateway", vs: onGateway("istio-system/public", "*"), want: []want{{
			rule: WildcardHost, action: Deny, field: "spec.hosts[0]",
			msg: `spec.hosts[0]: Invalid value: "*": [wildcard-host] ` + msgCatchAllHTTP}}},
		{name: "host-ownership on the mesh: internal names are owned by nobody", policy: owners,
			vs: onMesh("orders.example.com")},
		{name: "host-ownership on a gateway", policy: owners, vs: onGateway("istio-system/public", "orders.example.com"),
			want: []want{{rule: HostOwnership, action: Deny, field: "spec.hosts[0]",
				msg: `spec.hosts[0]: Forbidden: [host-ownership] host "orders.example.com" is under "*.example.com", which ` +
					`the policy gives to namespaces team-a; use a host of your own, or ask that team`}}},
		{name: "unknown-gateway on the mesh: no gateway to miss"},
		{name: "host-not-in-gateway on the mesh: no Gateway to expose it", vs: onMesh("orders.example.org")},
		{name: "host-not-in-gateway on a gateway", vs: onGateway("istio-system/blog", "orders.example.org"), want: []want{{
			rule: HostNotInGateway, action: Warn, field: "spec.gateways[0]",
			msg: `spec.gateways[0]: Invalid value: "istio-system/blog": [host-not-in-gateway] Gateway istio-system/blog ` +
				`exposes none of the hosts ["orders.example.org"] to namespace team-b (its server hosts: ["*.blog.example.com"]), ` +
				`so Istio binds no route through it: use a host the Gateway serves, or have its owner add one for team-b`}}},
		{name: "unknown-gateway on a gateway", vs: onGateway("istio-system/nope", "new.example.com"), want: []want{{
			rule: UnknownGateway, action: Warn, field: "spec.gateways[0]",
			msg: `spec.gateways[0]: Not found: "istio-system/nope": [unknown-gateway] Gateway istio-system/nope does not ` +
				`exist, so Istio binds this VirtualService to nothing there: create the Gateway or fix the reference`}}},
	})
}
