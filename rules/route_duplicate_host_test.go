package rules

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// routeClaimState is the cluster the route duplicate-host cases start
// from: a shared managed Gateway with one claim on each kind of route
// table, a second managed Gateway, and a manual Gateway on the pods a
// classic Gateway selects (docs/gateway-api.md#route-tables).
func routeClaimState() []runtime.Object {
	public := kubeGateway("istio-system", "public",
		httpListener("http", 80, "*.example.com"), httpListener("shop", 80, "shop.example.com"),
		tlsPassthroughListener("tls", 8443, "*.db.example.com"), tcpListener("tcp", 9000))
	return []runtime.Object{
		istioClass(),
		public,
		kubeGateway("istio-system", "other", httpListener("http", 80, "*.example.com")),
		manualGateway("istio-system", "manual", "istio-ingressgateway", httpListener("http", 80, "")),
		service("istio-system", "istio-ingressgateway", ingressSelector),
		pod("istio-system", "ingress-1", map[string]string{"istio": "ingressgateway", "app": "istio-ingressgateway"}),
		gateway("istio-system", "public-gw", ingressSelector, httpServer(80, "*.example.com")),
		httpVS("team-c", "legacy", []string{"legacy.example.com"}, "istio-system/public-gw"),
		httpRoute("team-a", "shop", []string{"shop.example.com"}, parentRef("istio-system", "public")),
		httpRoute("team-e", "cart", []string{"cart.example.com"}, parentRef("istio-system", "manual")),
		tlsRoute("team-a", "orders-db", []string{"orders.db.example.com"}, section(parentRef("istio-system", "public"), "tls")),
		tcpRoute("team-a", "echo", section(parentRef("istio-system", "public"), "tcp")),
	}
}

func TestRouteDuplicateHost(t *testing.T) {
	public := parentRef("istio-system", "public")
	tests := []objCase{
		{
			name: "another namespace's route on the same listener and hostname",
			obj:  func() client.Object { return httpRoute("team-b", "shop", []string{"shop.example.com"}, public) },
			want: []want{{DuplicateHost, Deny, "spec.hostnames[0]", `spec.hostnames[0]: Duplicate value: "shop.example.com": ` +
				`[duplicate-host] hostname "shop.example.com" is already claimed by HTTPRoute team-a/shop on HTTP port 80 ` +
				`of listener istio-system/public/http; Istio merges both into one virtual host, oldest first, and the ` +
				`more specific match wins, so either can take the other's paths: use a different hostname or a listener ` +
				`of your own, or ask the owner of team-a/shop`}},
		},
		{
			name: "the same namespace splits a hostname by path: the spec's design",
			obj:  func() client.Object { return httpRoute("team-a", "shop-admin", []string{"shop.example.com"}, public) },
		},
		{
			name: "a GRPCRoute shares the HTTPRoutes' virtual host",
			obj: func() client.Object {
				r := &gatewayv1.GRPCRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "team-b", Name: "grpc"}}
				r.Spec.ParentRefs, r.Spec.Hostnames = []gatewayv1.ParentReference{public}, []gatewayv1.Hostname{"shop.example.com"}
				return r
			},
			want: []want{{rule: DuplicateHost, action: Deny, field: "spec.hostnames[0]"}},
		},
		{
			name: "a route without hostnames takes its listener's, and the parentRef is what claims it",
			obj:  func() client.Object { return httpRoute("team-b", "all-shop", nil, section(public, "shop")) },
			want: []want{{DuplicateHost, Deny, "spec.parentRefs[0]", `spec.parentRefs[0]: Duplicate value: "shop.example.com": ` +
				`[duplicate-host] hostname "shop.example.com" is already claimed by HTTPRoute team-a/shop on HTTP port 80 ` +
				`of listener istio-system/public/shop; Istio merges both into one virtual host, oldest first, and the ` +
				`more specific match wins, so either can take the other's paths: use a different hostname or a listener ` +
				`of your own, or ask the owner of team-a/shop`}},
		},
		{
			name:   "a hostname the policy shares between the two namespaces",
			policy: "rules:\n  duplicate-host:\n    sharedHostnames:\n    - hostnames: [shop.example.com]\n      namespaces: [team-a, team-b]\n",
			obj:    func() client.Object { return httpRoute("team-b", "shop", []string{"shop.example.com"}, public) },
		},
		{
			name:   "a shared hostname is shared by the namespaces listed only",
			policy: "rules:\n  duplicate-host:\n    sharedHostnames:\n    - hostnames: [shop.example.com]\n      namespaces: [team-a, team-c]\n",
			obj:    func() client.Object { return httpRoute("team-b", "shop", []string{"shop.example.com"}, public) },
			want:   []want{{rule: DuplicateHost, action: Deny, field: "spec.hostnames[0]"}},
		},
		{
			name:   "sharing covers routes, not a VirtualService on the same pods",
			policy: "rules:\n  duplicate-host:\n    sharedHostnames:\n    - hostnames: [legacy.example.com]\n      namespaces: [team-b, team-c]\n",
			obj: func() client.Object {
				return httpRoute("team-b", "legacy", []string{"legacy.example.com"}, parentRef("istio-system", "manual"))
			},
			want: []want{{rule: DuplicateHost, action: Deny, field: "spec.hostnames[0]"}},
		},
		{
			name: "two managed Gateways never share pods",
			obj: func() client.Object {
				return httpRoute("team-b", "shop", []string{"shop.example.com"}, parentRef("istio-system", "other"))
			},
		},
		{
			name: "a hostname no listener serves claims nothing",
			obj:  func() client.Object { return httpRoute("team-b", "shop", []string{"shop.example.org"}, public) },
		},
		{
			name: "a second TLSRoute for one SNI is skipped by Istio",
			obj: func() client.Object {
				return tlsRoute("team-b", "orders-db", []string{"orders.db.example.com"}, section(public, "tls"))
			},
			want: []want{{DuplicateHost, Deny, "spec.hostnames[0]", `spec.hostnames[0]: Duplicate value: "orders.db.example.com": ` +
				`[duplicate-host] SNI host "orders.db.example.com" is already routed by TLSRoute team-a/orders-db on TLS port ` +
				`8443 of listener istio-system/public/tls; Istio silently skips the later one, while both report Accepted: ` +
				`use a different hostname, or ask the owner of team-a/orders-db`}},
		},
		{
			name: "a second TLSRoute from the same namespace is no split",
			obj: func() client.Object {
				return tlsRoute("team-a", "orders-db-2", []string{"orders.db.example.com"}, section(public, "tls"))
			},
			want: []want{{rule: DuplicateHost, action: Deny, field: "spec.hostnames[0]"}},
		},
		{
			name: "a second TCPRoute on one TCP listener",
			obj:  func() client.Object { return tcpRoute("team-b", "echo", section(public, "tcp")) },
			want: []want{{DuplicateHost, Deny, "spec.parentRefs[0]", `spec.parentRefs[0]: Forbidden: [duplicate-host] TCP ` +
				`listener istio-system/public/tcp already routes TCP to TCPRoute team-a/echo; Istio sends the listener's ` +
				`traffic to one route only, while both report Accepted: use a listener of your own, or ask the owner of ` +
				`team-a/echo`}},
		},
		{
			name: "a manual Gateway shares its pods' route table with a classic Gateway's VirtualService",
			obj: func() client.Object {
				return httpRoute("team-b", "legacy", []string{"legacy.example.com"}, parentRef("istio-system", "manual"))
			},
			want: []want{{DuplicateHost, Deny, "spec.hostnames[0]", `spec.hostnames[0]: Duplicate value: "legacy.example.com": ` +
				`[duplicate-host] hostname "legacy.example.com" is already claimed by VirtualService team-c/legacy on HTTP ` +
				`port 80 of listener istio-system/manual/http; Istio merges both into one virtual host, oldest first, and ` +
				`the more specific match wins, so either can take the other's paths: use a different hostname or a ` +
				`listener of your own, or ask the owner of team-c/legacy`}},
		},
		{
			name: "across the APIs even the same namespace is a duplicate",
			obj: func() client.Object {
				return httpRoute("team-c", "legacy", []string{"legacy.example.com"}, parentRef("istio-system", "manual"))
			},
			want: []want{{rule: DuplicateHost, action: Deny, field: "spec.hostnames[0]"}},
		},
		{
			name: "a VirtualService meets a route on a manual Gateway of its pods",
			obj: func() client.Object {
				return httpVS("team-d", "cart", []string{"cart.example.com"}, "istio-system/public-gw")
			},
			want: []want{{DuplicateHost, Deny, "spec.hosts[0]", `spec.hosts[0]: Duplicate value: "cart.example.com": ` +
				`[duplicate-host] host "cart.example.com" is already claimed by HTTPRoute team-e/cart on HTTP port 80 of ` +
				`gateway pods {istio=ingressgateway} (Gateway istio-system/public-gw); use a different host, bind to ` +
				`another gateway, or ask the owner of team-e/cart`}},
		},
		{
			name: "a wildcard route overlaps a specific hostname",
			obj: func() client.Object {
				return httpRoute("team-b", "wild", []string{"*.example.com"}, section(public, "http"))
			},
			want: []want{{OverlappingHost, Warn, "spec.hostnames[0]", `spec.hostnames[0]: Invalid value: "*.example.com": ` +
				`[overlapping-host] host "*.example.com" overlaps host "shop.example.com" of HTTPRoute team-a/shop on HTTP ` +
				`port 80 of listener istio-system/public/http; the more specific host takes the requests it matches: make ` +
				`the hosts disjoint, or agree the split with the owner of team-a/shop`}},
		},
	}
	runObjCases(t, routeClaimState(), tests, DuplicateHost, OverlappingHost)
}
