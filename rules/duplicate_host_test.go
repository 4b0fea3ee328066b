package rules

import (
	"testing"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// duplicateHostState is the cluster every duplicate-host case starts from:
// two sets of gateway pods in istio-system and one claim on each kind of
// route table (docs/istio-behaviour.md#route-tables).
func duplicateHostState() []runtime.Object {
	return []runtime.Object{
		pod("istio-system", "ingress-1", map[string]string{"istio": "ingressgateway", "app": "istio-ingressgateway"}),
		pod("istio-system", "internal-1", map[string]string{"istio": "internalgateway"}),
		gateway("istio-system", "public-gw", ingressSelector, httpServer(80, "*.example.com")),
		gateway("istio-system", "internal-gw", map[string]string{"istio": "internalgateway"}, httpServer(80, "*.example.com")),
		gateway("istio-system", "catchall-gw", ingressSelector, httpServer(80, "*")),
		gateway("istio-system", "passthrough-gw", ingressSelector, passthroughServer(8443, "*.db.example.com")),
		gateway("istio-system", "tcp-gw", ingressSelector, tcpServer(31400, "*")),
		httpVS("team-a", "shop", []string{"shop.example.com"}, "istio-system/public-gw"),
		httpVS("team-a", "frontend", []string{"frontend"}, "istio-system/catchall-gw"),
		tlsVS("db-a", "orders-db", []string{"orders.db.example.com"}, []string{"orders.db.example.com"}, "istio-system/passthrough-gw"),
		tcpVS("tcp-a", "echo", []string{"*"}, "istio-system/tcp-gw"),
		httpVS("default", "reviews", []string{"reviews"}),
	}
}

func TestDuplicateHost(t *testing.T) {
	const merge = "rules:\n  duplicate-host: {allowSameNamespaceMerge: true}\n"
	tests := []vsCase{
		{
			name: "unique host",
		},
		{
			name:   "same host from another namespace on the same gateway",
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = []string{"shop.example.com"} },
			want: []want{{DuplicateHost, Deny, "spec.hosts[0]", `spec.hosts[0]: Duplicate value: "shop.example.com": ` +
				`[duplicate-host] host "shop.example.com" is already claimed by VirtualService team-a/shop on HTTP port 80 ` +
				`of gateway pods {istio=ingressgateway} (Gateway istio-system/public-gw); use a different host, bind to ` +
				`another gateway, or ask the owner of team-a/shop`}},
		},
		{
			name:   "the path names the colliding host",
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = append(vs.Spec.Hosts, "shop.example.com") },
			want:   []want{{rule: DuplicateHost, action: Deny, field: "spec.hosts[1]"}},
		},
		{
			name: "short gateway name in the gateway's namespace",
			mutate: func(vs *networkingv1.VirtualService) {
				vs.Namespace, vs.Spec.Hosts, vs.Spec.Gateways = "istio-system", []string{"shop.example.com"}, []string{"public-gw"}
			},
			want: []want{{rule: DuplicateHost, action: Deny, field: "spec.hosts[0]"}},
		},
		{
			name: "legacy FQDN gateway reference",
			mutate: func(vs *networkingv1.VirtualService) {
				vs.Spec.Hosts, vs.Spec.Gateways = []string{"shop.example.com"}, []string{"public-gw.istio-system.svc.cluster.local"}
			},
			want: []want{{rule: DuplicateHost, action: Deny, field: "spec.hosts[0]"}},
		},
		{
			name: "legacy gw.ns gateway reference",
			mutate: func(vs *networkingv1.VirtualService) {
				vs.Spec.Hosts, vs.Spec.Gateways = []string{"shop.example.com"}, []string{"public-gw.istio-system"}
			},
			want: []want{{rule: DuplicateHost, action: Deny, field: "spec.hosts[0]"}},
		},
		{
			name: "another Gateway object on the same pods and plain-HTTP port shares the route table",
			mutate: func(vs *networkingv1.VirtualService) {
				vs.Spec.Hosts, vs.Spec.Gateways = []string{"shop.example.com"}, []string{"istio-system/catchall-gw"}
			},
			want: []want{{rule: DuplicateHost, action: Deny, field: "spec.hosts[0]"}},
		},
		{
			name: "same host on a gateway with other pods",
			mutate: func(vs *networkingv1.VirtualService) {
				vs.Spec.Hosts, vs.Spec.Gateways = []string{"shop.example.com"}, []string{"istio-system/internal-gw"}
			},
		},
		{
			name: "gateway references are case-sensitive",
			mutate: func(vs *networkingv1.VirtualService) {
				vs.Spec.Hosts, vs.Spec.Gateways = []string{"shop.example.com"}, []string{"istio-system/Public-GW"}
			},
			// binds to nothing: no duplicate, only an unknown gateway
			want: []want{{rule: UnknownGateway, action: Warn, field: "spec.gateways[0]"}},
		},
		{
			name: "upper case through a * server is lower-cased after binding",
			mutate: func(vs *networkingv1.VirtualService) {
				vs.Spec.Hosts, vs.Spec.Gateways = []string{"Shop.Example.COM"}, []string{"istio-system/catchall-gw"}
			},
			want: []want{{rule: DuplicateHost, action: Deny, field: "spec.hosts[0]", msg: `spec.hosts[0]: Duplicate value: ` +
				`"shop.example.com": [duplicate-host] host "shop.example.com" is already claimed by VirtualService ` +
				`team-a/shop on HTTP port 80 of gateway pods {istio=ingressgateway} (Gateway istio-system/catchall-gw); ` +
				`use a different host, bind to another gateway, or ask the owner of team-a/shop`}},
		},
		{
			name:   "upper case does not bind to a *.example.com server",
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = []string{"Shop.Example.COM"} },
			// claims nothing, which host-not-in-gateway reports
			want: []want{{rule: HostNotInGateway, action: Warn, field: "spec.gateways[0]"}},
		},
		{
			name: "a trailing dot is another virtual host",
			mutate: func(vs *networkingv1.VirtualService) {
				vs.Spec.Hosts, vs.Spec.Gateways = []string{"shop.example.com."}, []string{"istio-system/catchall-gw"}
			},
		},
		{
			name: "exportTo . keeps the new claim away from the istio-system pods",
			mutate: func(vs *networkingv1.VirtualService) {
				vs.Spec.Hosts, vs.Spec.ExportTo = []string{"shop.example.com"}, []string{"."}
			},
		},
		{
			name: "exportTo the pods' namespace is visible",
			mutate: func(vs *networkingv1.VirtualService) {
				vs.Spec.Hosts, vs.Spec.ExportTo = []string{"shop.example.com"}, []string{".", "istio-system"}
			},
			want: []want{{rule: DuplicateHost, action: Deny, field: "spec.hosts[0]"}},
		},
		{
			name: "gateway-bound short names expand in their own namespace",
			mutate: func(vs *networkingv1.VirtualService) {
				vs.Spec.Hosts, vs.Spec.Gateways = []string{"frontend"}, []string{"istio-system/catchall-gw"}
			},
		},
		{
			name: "gateway-bound FQDN of another namespace's short name",
			mutate: func(vs *networkingv1.VirtualService) {
				vs.Spec.Hosts = []string{"frontend.team-a.svc.cluster.local"}
				vs.Spec.Gateways = []string{"istio-system/catchall-gw"}
			},
			want: []want{{rule: DuplicateHost, action: Deny, field: "spec.hosts[0]"}},
		},
		{
			name: "mesh: FQDN of a short name claimed in default",
			mutate: func(vs *networkingv1.VirtualService) {
				vs.Namespace, vs.Spec.Hosts, vs.Spec.Gateways = "canary", []string{"reviews.default.svc.cluster.local"}, nil
			},
			want: []want{{DuplicateHost, Deny, "spec.hosts[0]", `spec.hosts[0]: Duplicate value: ` +
				`"reviews.default.svc.cluster.local": [duplicate-host] host "reviews.default.svc.cluster.local" is ` +
				`already claimed on the mesh by VirtualService default/reviews; Istio keeps only the first and silently ` +
				`drops the other: merge your routes into default/reviews, use a different host, or ask its owner`}},
		},
		{
			name: "mesh: the same short name in another namespace",
			mutate: func(vs *networkingv1.VirtualService) {
				vs.Namespace, vs.Spec.Hosts, vs.Spec.Gateways = "canary", []string{"reviews"}, nil
			},
		},
		{
			name: "mesh: explicit mesh gateway",
			mutate: func(vs *networkingv1.VirtualService) {
				vs.Namespace, vs.Spec.Hosts, vs.Spec.Gateways = "default", []string{"reviews"}, []string{"mesh"}
			},
			want: []want{{rule: DuplicateHost, action: Deny, field: "spec.hosts[0]"}},
		},
		{
			name: "mesh: exported nowhere",
			mutate: func(vs *networkingv1.VirtualService) {
				vs.Namespace, vs.Spec.Hosts, vs.Spec.Gateways = "default", []string{"reviews"}, nil
				vs.Spec.ExportTo = []string{"~"}
			},
		},
		{
			name: "TLS passthrough: same SNI host on the same pods and port",
			vs: func() *networkingv1.VirtualService {
				return tlsVS("db-b", "orders-copy", []string{"orders.db.example.com"}, []string{"orders.db.example.com"},
					"istio-system/passthrough-gw")
			},
			want: []want{{DuplicateHost, Deny, "spec.tls[0].match[0].sniHosts[0]", `spec.tls[0].match[0].sniHosts[0]: ` +
				`Duplicate value: "orders.db.example.com": [duplicate-host] SNI host "orders.db.example.com" is already ` +
				`routed by VirtualService db-a/orders-db on TLS passthrough port 8443 of gateway pods ` +
				`{istio=ingressgateway} (Gateway istio-system/passthrough-gw); Istio silently skips the later one: use a ` +
				`different SNI host, or ask the owner of db-a/orders-db`}},
		},
		{
			name: "TLS passthrough: a match without sniHosts uses spec.hosts",
			vs: func() *networkingv1.VirtualService {
				return tlsVS("db-b", "orders-copy", []string{"orders.db.example.com"}, nil, "istio-system/passthrough-gw")
			},
			want: []want{{rule: DuplicateHost, action: Deny, field: "spec.hosts[0]"}},
		},
		{
			name: "TLS passthrough: another SNI host",
			vs: func() *networkingv1.VirtualService {
				return tlsVS("db-b", "users-db", []string{"users.db.example.com"}, []string{"users.db.example.com"},
					"istio-system/passthrough-gw")
			},
		},
		{
			name: "TCP: same pods and port",
			vs: func() *networkingv1.VirtualService {
				return tcpVS("tcp-b", "echo", []string{"*"}, "istio-system/tcp-gw")
			},
			want: []want{{DuplicateHost, Deny, "spec.tcp", `spec.tcp: Forbidden: [duplicate-host] TCP port 31400 of ` +
				`gateway pods {istio=ingressgateway} already routes TCP to VirtualService tcp-a/echo (Gateway ` +
				`istio-system/tcp-gw); Istio uses only the first: use another port or gateway, or ask the owner of tcp-a/echo`}},
		},
		{
			name: "TCP: a route for another port does not apply",
			vs: func() *networkingv1.VirtualService {
				vs := tcpVS("tcp-b", "echo", []string{"*"}, "istio-system/tcp-gw")
				vs.Spec.Tcp[0].Match = []*networking.L4MatchAttributes{{Port: 31401}}
				return vs
			},
		},
		{
			name:   "allowSameNamespaceMerge: the split pattern in one namespace warns",
			policy: merge,
			mutate: func(vs *networkingv1.VirtualService) {
				vs.Namespace, vs.Spec.Hosts = "team-a", []string{"shop.example.com"}
			},
			want: []want{{DuplicateHost, Warn, "spec.hosts[0]", `spec.hosts[0]: Duplicate value: "shop.example.com": ` +
				`[duplicate-host] host "shop.example.com" is also claimed by VirtualService team-a/shop on HTTP port 80 ` +
				`of gateway pods {istio=ingressgateway} (Gateway istio-system/public-gw); Istio merges the two in no ` +
				`defined order (allowed by allowSameNamespaceMerge)`}},
		},
		{
			name:   "allowSameNamespaceMerge: across namespaces still denies",
			policy: merge,
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = []string{"shop.example.com"} },
			want:   []want{{rule: DuplicateHost, action: Deny, field: "spec.hosts[0]"}},
		},
		{
			name:   "allowSameNamespaceMerge: TCP in one namespace still denies",
			policy: merge,
			vs: func() *networkingv1.VirtualService {
				return tcpVS("tcp-a", "echo-2", []string{"*"}, "istio-system/tcp-gw")
			},
			want: []want{{rule: DuplicateHost, action: Deny, field: "spec.tcp"}},
		},
		{
			name:   "allowSameNamespaceMerge: the mesh in one namespace still denies",
			policy: merge,
			mutate: func(vs *networkingv1.VirtualService) {
				vs.Namespace, vs.Spec.Hosts, vs.Spec.Gateways = "default", []string{"reviews"}, nil
			},
			want: []want{{rule: DuplicateHost, action: Deny, field: "spec.hosts[0]"}},
		},
		{
			name:   "action warn",
			policy: "rules:\n  duplicate-host: {action: warn}\n",
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = []string{"shop.example.com"} },
			want:   []want{{rule: DuplicateHost, action: Warn, field: "spec.hosts[0]"}},
		},
		{
			name:   "action off",
			policy: "rules:\n  duplicate-host: {action: off}\n",
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = []string{"shop.example.com"} },
		},
	}
	// The base, unique in the state: team-b/web for web.example.com on public-gw.
	runVSCases(t, func() *networkingv1.VirtualService {
		return httpVS("team-b", "web", []string{"web.example.com"}, "istio-system/public-gw")
	}, duplicateHostState(), tests)
}

// TestDuplicateHostUpdate covers UPDATE: the stored version of the object
// is in the snapshot and must never count as its own duplicate, and
// ratcheting lets an object that predates gateguard be edited.
func TestDuplicateHostUpdate(t *testing.T) {
	// team-b/shop-copy predates gateguard: it already duplicates team-a/shop.
	shopCopy := httpVS("team-b", "shop-copy", []string{"shop.example.com"}, "istio-system/public-gw")
	state := append(duplicateHostState(),
		shopCopy,
		httpVS("team-a", "api", []string{"api.example.com"}, "istio-system/public-gw"),
	)
	teamAShop := func() *networkingv1.VirtualService {
		return httpVS("team-a", "shop", []string{"shop.example.com"}, "istio-system/public-gw")
	}
	tests := []struct {
		name string
		// clean runs against duplicateHostState alone, without shop-copy.
		clean  bool
		old    func() *networkingv1.VirtualService
		mutate func(*networkingv1.VirtualService)
		want   []want
	}{
		{
			name:   "an UPDATE is never a duplicate of the stored object itself",
			clean:  true,
			old:    teamAShop,
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Http[0].Route[0].Destination.Subset = "v2" },
		},
		{
			name:  "adding a host to the own object is no duplicate either",
			clean: true,
			old:   teamAShop,
			mutate: func(vs *networkingv1.VirtualService) {
				vs.Spec.Hosts = []string{"shop.example.com", "www.shop.example.com"}
			},
		},
		{
			name:   "keeping a pre-existing duplicate warns with the ratchet note",
			old:    func() *networkingv1.VirtualService { return shopCopy.DeepCopy() },
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Http[0].Route[0].Destination.Subset = "v2" },
			want: []want{{DuplicateHost, Warn, "spec.hosts[0]", `spec.hosts[0]: Duplicate value: "shop.example.com": ` +
				`[duplicate-host] host "shop.example.com" is already claimed by VirtualService team-a/shop on HTTP port 80 ` +
				`of gateway pods {istio=ingressgateway} (Gateway istio-system/public-gw); use a different host, bind to ` +
				`another gateway, or ask the owner of team-a/shop` + ratchetNote}},
		},
		{
			name: "moving the pre-existing duplicate to another index is still the same violation",
			old:  func() *networkingv1.VirtualService { return shopCopy.DeepCopy() },
			mutate: func(vs *networkingv1.VirtualService) {
				vs.Spec.Hosts = []string{"copy.example.com", "shop.example.com"}
			},
			want: []want{{rule: DuplicateHost, action: Warn, field: "spec.hosts[1]"}},
		},
		{
			name:   "adding a new duplicate denies it, the old one still warns",
			old:    func() *networkingv1.VirtualService { return shopCopy.DeepCopy() },
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = append(vs.Spec.Hosts, "api.example.com") },
			want: []want{
				{DuplicateHost, Deny, "spec.hosts[1]", `spec.hosts[1]: Duplicate value: "api.example.com": ` +
					`[duplicate-host] host "api.example.com" is already claimed by VirtualService team-a/api on HTTP ` +
					`port 80 of gateway pods {istio=ingressgateway} (Gateway istio-system/public-gw); use a different ` +
					`host, bind to another gateway, or ask the owner of team-a/api`},
				{rule: DuplicateHost, action: Warn, field: "spec.hosts[0]"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap := snapshotOf(t, state...)
			if tc.clean {
				snap = snapshotOf(t, duplicateHostState()...)
			}
			old := tc.old()
			vs := old.DeepCopy()
			tc.mutate(vs)
			expectFindings(t, validate(t, DefaultPolicy(), snap, update(old, vs)), tc.want)
		})
	}
}

// TestValidateDelete: deleting a VirtualService frees its hosts and is
// never judged.
func TestValidateDelete(t *testing.T) {
	old := httpVS("team-b", "shop-copy", []string{"shop.example.com"}, "istio-system/public-gw")
	snap := snapshotOf(t, append(duplicateHostState(), old)...)
	c := Change{Operation: Delete, OldObject: old, Namespace: old.Namespace}
	expectFindings(t, validate(t, DefaultPolicy(), snap, c), nil)
}
