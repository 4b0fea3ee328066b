package rules

import (
	"testing"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestRatchetByIdentity: an UPDATE keeps a violation it already had when
// the rule, the host, the route table and the other object are the same,
// however differently the message words it.
func TestRatchetByIdentity(t *testing.T) {
	state := []runtime.Object{
		pod("istio-system", "ingress-1", map[string]string{"istio": "ingressgateway", "app": "istio-ingressgateway"}),
		gateway("istio-system", "gw-1", ingressSelector, httpServer(80, "*.example.com")),
		gateway("istio-system", "gw-2", ingressSelector, httpServer(80, "*.example.com")),
		gateway("istio-system", "gw-8080", ingressSelector, httpServer(8080, "*.example.com")),
		httpVS("team-a", "shop", []string{"shop.example.com"}, "istio-system/gw-1"),
		httpVS("team-a", "shop-8080", []string{"shop.example.com"}, "istio-system/gw-8080"),
		httpVS("team-c", "cart", []string{"cart.example.com"}, "istio-system/gw-1"),
	}
	legacy := httpVS("team-b", "legacy", []string{"shop.example.com"}, "istio-system/gw-1")
	tests := []struct {
		name   string
		mutate func(*networkingv1.VirtualService)
		want   []want
	}{
		{
			name:   "moved to another Gateway of the same route table",
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Gateways = []string{"istio-system/gw-2"} },
			want: []want{{DuplicateHost, Warn, "spec.hosts[0]", `spec.hosts[0]: Duplicate value: "shop.example.com": ` +
				`[duplicate-host] host "shop.example.com" is already claimed by VirtualService team-a/shop on HTTP port 80 ` +
				`of gateway pods {istio=ingressgateway} (Gateway istio-system/gw-2); use a different host, bind to ` +
				`another gateway, or ask the owner of team-a/shop` + ratchetNote}},
		},
		{
			name: "moved to another field path",
			mutate: func(vs *networkingv1.VirtualService) {
				vs.Spec.Hosts = []string{"legacy.example.com", "shop.example.com"}
			},
			want: []want{{rule: DuplicateHost, action: Warn, field: "spec.hosts[1]"}},
		},
		{
			name:   "moved to another route table: a new duplicate",
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Gateways = []string{"istio-system/gw-8080"} },
			want: []want{{DuplicateHost, Deny, "spec.hosts[0]", `spec.hosts[0]: Duplicate value: "shop.example.com": ` +
				`[duplicate-host] host "shop.example.com" is already claimed by VirtualService team-a/shop-8080 on HTTP ` +
				`port 8080 of gateway pods {istio=ingressgateway} (Gateway istio-system/gw-8080); use a different host, ` +
				`bind to another gateway, or ask the owner of team-a/shop-8080`}},
		},
		{
			name: "the same route table, another owner: a new duplicate",
			mutate: func(vs *networkingv1.VirtualService) {
				vs.Spec.Hosts = []string{"cart.example.com"}
			},
			want: []want{{rule: DuplicateHost, action: Deny, field: "spec.hosts[0]"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			edited := legacy.DeepCopy()
			tc.mutate(edited)
			snap := snapshotOf(t, append(state, legacy)...)
			expectFindings(t, validate(t, DefaultPolicy(), snap, update(legacy, edited)), tc.want)
		})
	}
}

// TestRatchetByIdentityGateway: a conflicting Gateway reselecting the same
// pods by another label keeps its conflict; a rule without an identity
// still ratchets by its message.
func TestRatchetByIdentityGateway(t *testing.T) {
	legacy := gateway("team-c", "legacy-gw", ingressSelector, httpsServer(443, "https", simpleTLS("b-cert"), "shop.example.com"))
	snap := snapshotOf(t, append(conflictState(), legacy)...)
	edited := legacy.DeepCopy()
	edited.Spec.Selector = map[string]string{"app": "istio-ingressgateway"}
	expectFindings(t, validate(t, DefaultPolicy(), snap, update(legacy, edited)), []want{{ConflictingGateway, Warn,
		"spec.servers[0].hosts[0]", `spec.servers[0].hosts[0]: Duplicate value: "shop.example.com": ` +
			`[conflicting-gateway] Gateway team-a/shop-gw already serves host "shop.example.com" with a tls block on ` +
			`port 443 of the same gateway pods {app=istio-ingressgateway}; Istio keeps the older server and silently ` +
			`skips the other: serve the host from one Gateway only (remove it here, or agree with the owner of ` +
			`team-a/shop-gw), or use another port` + ratchetNote}})

	catchAll := httpVS("team-b", "catch-all", []string{"*"}, "team-a/shop-gw")
	relabelled := catchAll.DeepCopy()
	relabelled.Labels = map[string]string{"team": "b"}
	expectFindings(t, validate(t, DefaultPolicy(), snap, update(catchAll, relabelled)), []want{
		{rule: WildcardHost, action: Warn, field: "spec.hosts[0]"},
	})
}
