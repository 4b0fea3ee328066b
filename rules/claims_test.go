package rules

import (
	"fmt"
	"strings"
	"testing"

	networking "istio.io/api/networking/v1alpha3"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// claimsState: the ingress pods (two rollouts' label sets), the edge pods,
// Gateways on them, and a managed Gateway API Gateway.
func claimsState() []runtime.Object {
	bound := tcpServer(31400, "*")
	bound.Bind = "10.0.0.1"
	return []runtime.Object{
		pod("istio-system", "ingress-1", map[string]string{"istio": "ingressgateway", "pod-template-hash": "a1"}),
		pod("istio-system", "ingress-2", map[string]string{"istio": "ingressgateway", "pod-template-hash": "b2"}),
		pod("istio-system", "edge-1", map[string]string{"istio": "ingressgateway", "app": "edge"}),
		gateway("istio-system", "public", map[string]string{"app": "edge"},
			httpServer(80, "*.example.com"), httpsServer(443, "https", simpleTLS("c"), "team-a/shop.example.com"), bound),
		istioClass(),
		kubeGateway("istio-system", "kube", httpListener("http", 80, "*.example.com"), tcpListener("tcp", 9000)),
	}
}

// TestClaims: the claims the webhook turns into HostClaims, with their
// exact keys (docs/claims.md#route-table-keys).
func TestClaims(t *testing.T) {
	redirect := httpServer(8080, "Shop.example.com")
	redirect.Tls = &networking.ServerTLSSettings{HttpsRedirect: true}
	tests := []struct {
		name string
		obj  client.Object
		want []string // RouteTable host path where [protocol]
	}{
		{
			name: "a VirtualService: each host in each route table, the mesh too",
			obj: func() client.Object {
				vs := httpVS("team-a", "shop", []string{"shop.example.com", "cart"}, "istio-system/public", "mesh")
				vs.Spec.Tcp = tcpVS("team-a", "x", nil).Spec.Tcp
				return vs
			}(),
			want: []string{
				`mesh "shop.example.com" spec.hosts[0] the mesh`,
				`mesh "cart.team-a.svc.cluster.local" spec.hosts[1] the mesh`,
				`http|pods:app=edge,istio=ingressgateway|80| "shop.example.com" spec.hosts[0] HTTP port 80 of gateway pods {app=edge}`,
				`https|istio-system/public|443|https "shop.example.com" spec.hosts[0] HTTPS server 443/https`,
				`tcp|pods:app=edge,istio=ingressgateway|31400|10.0.0.1 "" spec.tcp TCP port 31400 of gateway pods {app=edge}`,
			},
		},
		{
			name: "an HTTPRoute on a managed Gateway",
			obj:  httpRoute("team-b", "blog", []string{"blog.example.com"}, parentRef("istio-system", "kube")),
			want: []string{
				`http|managed:istio-system/kube|80| "blog.example.com" spec.hostnames[0] HTTP port 80 of listener istio-system/kube/http`,
			},
		},
		{
			name: "a Gateway: TLS hosts and plain-text ports, on each set of its pods",
			obj: gateway("team-b", "gw", ingressSelector, httpsServer(443, "https", simpleTLS("c"), "./Shop.example.com", "api.example.com"),
				redirect, tcpServer(31400, "*")),
			want: []string{
				`gateway-tls|pods:app=edge,istio=ingressgateway|443| "Shop.example.com" spec.servers[0].hosts[0] TLS port 443 of gateway pods {istio=ingressgateway}`,
				`gateway-tls|pods:app=edge,istio=ingressgateway|443| "api.example.com" spec.servers[0].hosts[1] TLS port 443 of gateway pods {istio=ingressgateway}`,
				`gateway-tls|pods:app=edge,istio=ingressgateway|8080| "Shop.example.com" spec.servers[1].hosts[0] TLS port 8080 of gateway pods {istio=ingressgateway}`,
				`gateway-plaintext|pods:app=edge,istio=ingressgateway|8080| "" spec.servers[1].port plain-text port 8080 of gateway pods {istio=ingressgateway} HTTP`,
				`gateway-plaintext|pods:app=edge,istio=ingressgateway|31400| "" spec.servers[2].port plain-text port 31400 of gateway pods {istio=ingressgateway} TCP`,
				`gateway-tls|pods:istio=ingressgateway|443| "Shop.example.com" spec.servers[0].hosts[0] TLS port 443 of gateway pods {istio=ingressgateway}`,
				`gateway-tls|pods:istio=ingressgateway|443| "api.example.com" spec.servers[0].hosts[1] TLS port 443 of gateway pods {istio=ingressgateway}`,
				`gateway-tls|pods:istio=ingressgateway|8080| "Shop.example.com" spec.servers[1].hosts[0] TLS port 8080 of gateway pods {istio=ingressgateway}`,
				`gateway-plaintext|pods:istio=ingressgateway|8080| "" spec.servers[1].port plain-text port 8080 of gateway pods {istio=ingressgateway} HTTP`,
				`gateway-plaintext|pods:istio=ingressgateway|31400| "" spec.servers[2].port plain-text port 31400 of gateway pods {istio=ingressgateway} TCP`,
			},
		},
		{
			name: "a Gateway's two servers on one port claim it once",
			obj:  gateway("team-b", "gw", map[string]string{"app": "edge"}, httpServer(80, "a.example.com"), httpServer(80, "b.example.com")),
			want: []string{
				`gateway-plaintext|pods:app=edge,istio=ingressgateway|80| "" spec.servers[0].port plain-text port 80 of gateway pods {app=edge} HTTP`,
			},
		},
		{
			name: "a Gateway without a selector, pods unseen by the policy's selectors",
			obj:  gateway("team-b", "all", nil, tcpServer(9000, "*")),
			want: []string{
				`gateway-plaintext|pods:app=edge,istio=ingressgateway|9000| "" spec.servers[0].port plain-text port 9000 of gateway pods (all gateway pods) TCP`,
				`gateway-plaintext|pods:istio=ingressgateway|9000| "" spec.servers[0].port plain-text port 9000 of gateway pods (all gateway pods) TCP`,
			},
		},
		{name: "a Secret claims nothing", obj: secret("istio-system", "c", "tls.crt")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, c := range Claims(DefaultPolicy(), snapshotOf(t, claimsState()...), tc.obj) {
				line := fmt.Sprintf("%s %q %s %s", c.RouteTable, c.Host, c.Path, c.Where)
				if c.Protocol != "" {
					line += " " + c.Protocol
				}
				got = append(got, line)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("claims:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestClaimsKeyAGatewayByItsPods: Gateways with different selectors on
// the same pods claim the same keys; unseen pods take the policy's stand-in.
func TestClaimsKeyAGatewayByItsPods(t *testing.T) {
	snap := snapshotOf(t, claimsState()...)
	byApp := Claims(DefaultPolicy(), snap, gateway("a", "gw", map[string]string{"app": "edge"}, tcpServer(9000, "*")))
	byBoth := Claims(DefaultPolicy(), snap, gateway("b", "gw", map[string]string{"app": "edge", "istio": "ingressgateway"},
		tcpServer(9000, "*")))
	if len(byApp) != 1 || len(byBoth) != 1 || byApp[0].RouteTable != byBoth[0].RouteTable || !byApp[0].Collides(byBoth[0]) {
		t.Errorf("claims %+v and %+v, want one colliding claim each under one key", byApp, byBoth)
	}
	standIn := mustPolicy(t, "gatewayNamespaces:\n- selector: {istio: ingressgateway, app: edge}\n  namespace: istio-system\n")
	got := Claims(standIn, NewMemorySnapshot(), gateway("a", "gw", map[string]string{"app": "edge"}, tcpServer(9000, "*")))
	if len(got) != 1 || got[0].RouteTable != "gateway-plaintext|policy:app=edge,istio=ingressgateway|9000|" {
		t.Errorf("claims without pods = %+v, want the gatewayNamespaces entry's key", got)
	}
}

func TestClaimCollides(t *testing.T) {
	key := "gateway-plaintext|pods:istio=ingressgateway|80|"
	tests := []struct {
		name string
		a, b Claim
		want bool
	}{
		{"the same host in one route table", Claim{RouteTable: "http|pods:x=1|80|", Host: "a.example.com"},
			Claim{RouteTable: "http|pods:x=1|80|", Host: "a.example.com"}, true},
		{"another host", Claim{RouteTable: "http|pods:x=1|80|", Host: "a.example.com"},
			Claim{RouteTable: "http|pods:x=1|80|", Host: "b.example.com"}, false},
		{"another route table", Claim{RouteTable: "http|pods:x=1|80|", Host: "a.example.com"},
			Claim{RouteTable: "http|pods:x=1|8080|", Host: "a.example.com"}, false},
		{"plain-text HTTP and HTTP2 merge", Claim{RouteTable: key, Protocol: "HTTP"}, Claim{RouteTable: key, Protocol: "HTTP2"}, false},
		{"plain-text TCP and HTTP clash", Claim{RouteTable: key, Protocol: "TCP"}, Claim{RouteTable: key, Protocol: "HTTP"}, true},
		{"plain-text TCP and TCP clash", Claim{RouteTable: key, Protocol: "TCP"}, Claim{RouteTable: key, Protocol: "TCP"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.Collides(tc.b); got != tc.want {
				t.Errorf("Collides = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestHeldElsewhere: a claim is held elsewhere when another cached
// VirtualService or route claims the same route table and host (the very
// host, across both APIs and within one namespace alike), never by the
// object itself nor by a host that merely overlaps; a classic Gateway's
// claims always count as held.
func TestHeldElsewhere(t *testing.T) {
	state := append(claimsState(),
		httpVS("team-a", "shop", []string{"shop.example.com"}, "istio-system/public"),
		httpVS("team-a", "wild", []string{"*.wild.example.com"}, "istio-system/public"),
		httpRoute("team-b", "blog", []string{"blog.example.com"}, parentRef("istio-system", "kube")))
	tests := []struct {
		name string
		obj  client.Object
		want []string // host: held
	}{
		{"a VirtualService with a host another holds and one nobody does",
			httpVS("team-c", "new", []string{"shop.example.com", "free.example.com"}, "istio-system/public"),
			[]string{"shop.example.com: true", "free.example.com: false"}},
		{"the holder itself, updated (on the HTTP and the HTTPS table)",
			httpVS("team-a", "shop", []string{"shop.example.com"}, "istio-system/public"),
			[]string{"shop.example.com: false", "shop.example.com: false"}},
		{"a host under another's wildcard",
			httpVS("team-c", "under", []string{"a.wild.example.com"}, "istio-system/public"),
			[]string{"a.wild.example.com: false"}},
		{"an HTTPRoute splitting a hostname in its namespace",
			httpRoute("team-b", "blog-admin", []string{"blog.example.com"}, parentRef("istio-system", "kube")),
			[]string{"blog.example.com: true"}},
		{"a Gateway's claims",
			gateway("team-b", "gw", map[string]string{"app": "edge"}, httpsServer(443, "https", simpleTLS("c"), "new.example.com")),
			[]string{"new.example.com: true"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap := snapshotOf(t, state...)
			held := HeldElsewhere(DefaultPolicy(), snap, tc.obj)
			var got []string
			for _, c := range Claims(DefaultPolicy(), snap, tc.obj) {
				got = append(got, fmt.Sprintf("%s: %t", c.Host, held(c)))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("held elsewhere:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
