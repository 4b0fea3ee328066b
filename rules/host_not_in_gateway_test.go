package rules

import (
	"testing"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func hostNotInGatewayState() []runtime.Object {
	return []runtime.Object{
		pod("istio-system", "ingress-1", ingressSelector),
		gateway("istio-system", "shared-gw", ingressSelector,
			httpServer(80, "team-a/a.example.com", "./ops.example.com", "*/shared.example.com"),
			httpsServer(443, "https", simpleTLS("shared-cert"), "*.apps.example.com", "*/web.team-a.svc.cluster.local")),
		gateway("team-b", "b-gw", ingressSelector, httpServer(8080, "./b.example.com")),
		secret("istio-system", "shared-cert", "tls.crt", "tls.key"),
	}
}

func TestHostNotInGateway(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		vs     *networkingv1.VirtualService
		want   []want
	}{
		{name: "ns/host admits its namespace", vs: httpVS("team-a", "a", []string{"a.example.com"}, "istio-system/shared-gw")},
		{
			name: "ns/host admits no other namespace",
			vs:   httpVS("team-b", "a", []string{"a.example.com"}, "istio-system/shared-gw"),
			want: []want{{HostNotInGateway, Warn, "spec.gateways[0]", `spec.gateways[0]: Invalid value: ` +
				`"istio-system/shared-gw": [host-not-in-gateway] Gateway istio-system/shared-gw exposes none of the ` +
				`hosts ["a.example.com"] to namespace team-b (its server hosts: ["team-a/a.example.com", ` +
				`"./ops.example.com", "*/shared.example.com", "*.apps.example.com", "*/web.team-a.svc.cluster.local"]), ` +
				`so Istio binds no route through it: use a host the Gateway serves, or have its owner add one for team-b`}},
		},
		{name: "./host admits the Gateway's namespace", vs: httpVS("istio-system", "ops", []string{"ops.example.com"}, "shared-gw")},
		{
			name: "./host admits no other namespace",
			vs:   httpVS("team-a", "ops", []string{"ops.example.com"}, "istio-system/shared-gw"),
			want: []want{{rule: HostNotInGateway, action: Warn, field: "spec.gateways[0]"}},
		},
		{name: "*/host admits everyone", vs: httpVS("team-c", "s", []string{"shared.example.com"}, "istio-system/shared-gw")},
		{
			name: "one exposed host is enough",
			vs:   httpVS("team-c", "s", []string{"nowhere.example.org", "shared.example.com"}, "istio-system/shared-gw"),
		},
		{name: "a host under a server wildcard", vs: httpVS("team-c", "x", []string{"x.apps.example.com"}, "istio-system/shared-gw")},
		{name: "a wildcard over a server host", vs: httpVS("team-c", "x", []string{"*.example.com"}, "istio-system/shared-gw")},
		{
			name: "*.x.com does not cover x.com, and matching is case-sensitive",
			vs:   httpVS("team-c", "x", []string{"apps.example.com", "X.Apps.Example.COM"}, "istio-system/shared-gw"),
			want: []want{{rule: HostNotInGateway, action: Warn, field: "spec.gateways[0]"}},
		},
		{
			name: "a short host is expanded in the VirtualService's namespace",
			vs:   httpVS("team-a", "web", []string{"web"}, "istio-system/shared-gw"),
		},
		{
			name: "the same short host in another namespace is another host",
			vs:   httpVS("team-c", "web", []string{"web"}, "istio-system/shared-gw"),
			want: []want{{rule: HostNotInGateway, action: Warn, field: "spec.gateways[0]"}},
		},
		{
			name: "each referenced Gateway is checked, mesh is not",
			vs:   httpVS("team-b", "b", []string{"b.example.com"}, "b-gw", "mesh", "istio-system/shared-gw"),
			want: []want{{rule: HostNotInGateway, action: Warn, field: "spec.gateways[2]"}},
		},
		{
			name: "an unknown Gateway is unknown-gateway's",
			vs:   httpVS("team-c", "c", []string{"c.example.com"}, "istio-system/private-gw"),
			want: []want{{rule: UnknownGateway, action: Warn, field: "spec.gateways[0]"}},
		},
		{name: "mesh only", vs: httpVS("team-c", "c", []string{"c.example.com"})},
		{
			name:   "action deny",
			policy: "rules:\n  host-not-in-gateway: {action: deny}\n",
			vs:     httpVS("team-b", "a", []string{"a.example.com"}, "istio-system/shared-gw"),
			want:   []want{{rule: HostNotInGateway, action: Deny, field: "spec.gateways[0]"}},
		},
		{
			name:   "action off",
			policy: "rules:\n  host-not-in-gateway: {action: off}\n",
			vs:     httpVS("team-b", "a", []string{"a.example.com"}, "istio-system/shared-gw"),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultPolicy()
			if tc.policy != "" {
				p = mustPolicy(t, tc.policy)
			}
			expectFindings(t, validate(t, p, snapshotOf(t, hostNotInGatewayState()...), create(tc.vs)), tc.want)
		})
	}
}
