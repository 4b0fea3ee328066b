package rules

import (
	"reflect"
	"testing"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// edgeLabels are the labels of the edge gateway's pods, which two
// Gateways with different selectors pick.
var edgeLabels = map[string]string{"istio": "ingressgateway", "app": "edge"}

// TestRouteTablesKeyedByPods: Gateways share route tables when they apply
// to the same pods, whatever their selectors say (docs/istio-behaviour.md#route-tables).
func TestRouteTablesKeyedByPods(t *testing.T) {
	edgePods := []runtime.Object{
		pod("istio-system", "edge-1", map[string]string{"istio": "ingressgateway", "app": "edge", "pod-template-hash": "a1"}),
		pod("istio-system", "edge-2", map[string]string{"istio": "ingressgateway", "app": "edge", "pod-template-hash": "b2"}),
	}
	byIstio := gateway("istio-system", "by-istio", ingressSelector, httpServer(80, "*"), tcpServer(31400, "*"))
	byApp := gateway("istio-system", "by-app", map[string]string{"app": "edge"}, httpServer(80, "*"), tcpServer(31400, "*"))
	all := gateway("istio-system", "all", nil, httpServer(80, "*"))
	shop := httpVS("team-a", "shop", []string{"shop.example.com"}, "istio-system/by-istio")
	echo := tcpVS("team-a", "echo", []string{"*"}, "istio-system/by-istio")
	const noPolicyPods = "defaults:\n  gatewaySelector: {}\n"
	const standIn = "gatewayNamespaces:\n- selector: {istio: ingressgateway, app: edge}\n  namespace: istio-system\n"
	runStateCases(t, []stateCase{
		{
			name:  "different selectors on the same pods share the plain-HTTP table",
			state: append([]runtime.Object{byIstio, byApp, shop}, edgePods...),
			obj:   httpVS("team-b", "shop", []string{"shop.example.com"}, "istio-system/by-app"),
			want: []want{{DuplicateHost, Deny, "spec.hosts[0]", `spec.hosts[0]: Duplicate value: "shop.example.com": ` +
				`[duplicate-host] host "shop.example.com" is already claimed by VirtualService team-a/shop on HTTP port 80 ` +
				`of gateway pods {app=edge} (Gateway istio-system/by-app); use a different host, bind to another gateway, ` +
				`or ask the owner of team-a/shop`}},
		},
		{
			name:  "a Gateway without a selector is on every gateway pod",
			state: append([]runtime.Object{byIstio, all, shop}, edgePods...),
			obj:   httpVS("team-b", "shop", []string{"shop.example.com"}, "istio-system/all"),
			want: []want{{DuplicateHost, Deny, "spec.hosts[0]", `spec.hosts[0]: Duplicate value: "shop.example.com": ` +
				`[duplicate-host] host "shop.example.com" is already claimed by VirtualService team-a/shop on HTTP port 80 ` +
				`of every gateway pod (Gateway istio-system/all); use a different host, bind to another gateway, or ask ` +
				`the owner of team-a/shop`}},
		},
		{
			name:   "without a selector, gateway pods are those the policy names",
			policy: noPolicyPods,
			state:  append([]runtime.Object{byIstio, all, shop}, edgePods...),
			obj:    httpVS("team-b", "shop", []string{"shop.example.com"}, "istio-system/all"),
		},
		{
			name:  "TCP on the same pods through different selectors",
			state: append([]runtime.Object{byIstio, byApp, echo}, edgePods...),
			obj:   tcpVS("team-b", "echo", []string{"*"}, "istio-system/by-app"),
			want: []want{{DuplicateHost, Deny, "spec.tcp", `spec.tcp: Forbidden: [duplicate-host] TCP port 31400 of ` +
				`gateway pods {app=edge} already routes TCP to VirtualService team-a/echo (Gateway istio-system/by-app); ` +
				`Istio uses only the first: use another port or gateway, or ask the owner of team-a/echo`}},
		},
		{
			name:   "pods unseen: the policy's gatewayNamespaces stand in for them",
			policy: standIn,
			state:  []runtime.Object{byIstio, byApp, shop},
			obj:    httpVS("team-b", "shop", []string{"shop.example.com"}, "istio-system/by-app"),
			want:   []want{{rule: DuplicateHost, action: Deny, field: "spec.hosts[0]"}},
		},
		{
			name:   "pods unseen, TCP: the stand-in pods are found through their labels",
			policy: standIn,
			state:  []runtime.Object{byIstio, byApp, echo},
			obj:    tcpVS("team-b", "echo", []string{"*"}, "istio-system/by-app"),
			want:   []want{{rule: DuplicateHost, action: Deny, field: "spec.tcp"}},
		},
		{
			name:  "pods unseen and no stand-in: each selector is assumed to pick pods of its own",
			state: []runtime.Object{byIstio, byApp, shop},
			obj:   httpVS("team-b", "shop", []string{"shop.example.com"}, "istio-system/by-app"),
		},
	})
}

// TestConflictingGatewayByPods: conflicting-gateway compares the pods
// Gateways apply to, never their selectors' text.
func TestConflictingGatewayByPods(t *testing.T) {
	passthrough := func(ns, name string, selector map[string]string) *networkingv1.Gateway {
		return gateway(ns, name, selector, passthroughServer(9443, "db.example.com"))
	}
	edge := pod("istio-system", "edge-1", edgeLabels)
	const standIn = "gatewayNamespaces:\n- selector: {istio: ingressgateway, app: edge}\n  namespace: istio-system\n"
	runStateCases(t, []stateCase{
		{
			name:  "a selector naming another label of the same pods",
			state: []runtime.Object{edge, passthrough("team-a", "db", ingressSelector)},
			obj:   passthrough("team-b", "db", map[string]string{"app": "edge"}),
			want: []want{{ConflictingGateway, Deny, "spec.servers[0].hosts[0]", `spec.servers[0].hosts[0]: Duplicate ` +
				`value: "db.example.com": [conflicting-gateway] Gateway team-a/db already serves host "db.example.com" ` +
				`with a tls block on port 9443 of the same gateway pods {app=edge}; Istio keeps the older server and ` +
				`silently skips the other: serve the host from one Gateway only (remove it here, or agree with the owner ` +
				`of team-a/db), or use another port`}},
		},
		{
			name:  "no selector against a selector",
			state: []runtime.Object{edge, passthrough("team-a", "db", ingressSelector)},
			obj:   passthrough("team-b", "db", nil),
			want: []want{{ConflictingGateway, Deny, "spec.servers[0].hosts[0]", `spec.servers[0].hosts[0]: Duplicate ` +
				`value: "db.example.com": [conflicting-gateway] Gateway team-a/db already serves host "db.example.com" ` +
				`with a tls block on port 9443 of the same gateway pods (all gateway pods); Istio keeps the older server ` +
				`and silently skips the other: serve the host from one Gateway only (remove it here, or agree with the ` +
				`owner of team-a/db), or use another port`}},
		},
		{
			name:  "a selector against no selector",
			state: []runtime.Object{edge, passthrough("team-a", "db", nil)},
			obj:   passthrough("team-b", "db", map[string]string{"app": "edge"}),
			want:  []want{{rule: ConflictingGateway, action: Deny, field: "spec.servers[0].hosts[0]"}},
		},
		{
			name:  "a selector picking more pods, these among them",
			state: []runtime.Object{edge, pod("istio-system", "other-1", ingressSelector), passthrough("team-a", "db", ingressSelector)},
			obj:   passthrough("team-b", "db", map[string]string{"app": "edge", "istio": "ingressgateway"}),
			want:  []want{{rule: ConflictingGateway, action: Deny, field: "spec.servers[0].hosts[0]"}},
		},
		{
			name: "the other Gateway's pods are not these",
			state: []runtime.Object{edge, pod("istio-system", "other-1", map[string]string{"istio": "other"}),
				passthrough("team-a", "db", map[string]string{"istio": "other"})},
			obj: passthrough("team-b", "db", map[string]string{"app": "edge"}),
		},
		{
			name:   "pods unseen: a gatewayNamespaces entry both selectors pick",
			policy: standIn,
			state:  []runtime.Object{passthrough("team-a", "db", ingressSelector)},
			obj:    passthrough("team-b", "db", map[string]string{"app": "edge"}),
			want:   []want{{rule: ConflictingGateway, action: Deny, field: "spec.servers[0].hosts[0]"}},
		},
		{
			name:  "pods unseen, no entry: other selectors, other assumed pods",
			state: []runtime.Object{passthrough("team-a", "db", ingressSelector)},
			obj:   passthrough("team-b", "db", map[string]string{"app": "edge"}),
		},
	})
}

// stateCase is a table row judged as a CREATE of obj against its own
// state, under policy (the default when empty).
type stateCase struct {
	name   string
	policy string
	state  []runtime.Object
	obj    client.Object
	want   []want
}

func runStateCases(t *testing.T, cases []stateCase) {
	t.Helper()
	var every []RuleID
	for _, r := range Catalog() {
		every = append(every, r.ID)
	}
	for _, tc := range cases {
		runObjCases(t, tc.state, []objCase{{name: tc.name, policy: tc.policy, obj: func() client.Object { return tc.obj },
			want: tc.want}}, every...)
	}
}

// TestGatewayWorkloads: the keys a Gateway's route tables are owned by.
func TestGatewayWorkloads(t *testing.T) {
	snap := snapshotOf(t,
		pod("istio-system", "edge-1", map[string]string{"istio": "ingressgateway", "app": "edge", "pod-template-hash": "a1"}),
		pod("istio-system", "edge-2", map[string]string{"istio": "ingressgateway", "app": "edge", "pod-template-hash": "b2"}),
		pod("istio-system", "internal-1", map[string]string{"istio": "internal", "controller-revision-hash": "c3"}),
		pod("shop", "web-1", map[string]string{"app": "web"}))
	standIn := mustPolicy(t, "gatewayNamespaces:\n- selector: {istio: ingressgateway, app: edge}\n  namespace: istio-system\n"+
		"- selector: {istio: internal}\n  namespace: internal\n")
	tests := []struct {
		name     string
		policy   *Policy
		snap     Snapshot
		selector map[string]string
		want     []string
	}{
		{"the pods a selector picks, less the rollout labels", DefaultPolicy(), snap, ingressSelector,
			[]string{"pods:app=edge,istio=ingressgateway"}},
		{"no selector: the pods of the policy's gateway selectors", standIn, snap, nil,
			[]string{"pods:app=edge,istio=ingressgateway", "pods:istio=internal"}},
		{"an empty selector is no selector", standIn, snap, map[string]string{},
			[]string{"pods:app=edge,istio=ingressgateway", "pods:istio=internal"}},
		{"pods unseen: the entries whose selector includes the Gateway's", standIn, NewMemorySnapshot(), ingressSelector,
			[]string{"policy:app=edge,istio=ingressgateway"}},
		{"pods unseen, no selector: every entry", standIn, NewMemorySnapshot(), nil,
			[]string{"policy:app=edge,istio=ingressgateway", "policy:istio=internal"}},
		{"nothing known: the selector's own assumed pods", DefaultPolicy(), NewMemorySnapshot(), ingressSelector,
			[]string{"assumed:istio=ingressgateway"}},
		{"a selector no pod matches, with no entry", DefaultPolicy(), snap, map[string]string{"istio": "egress"},
			[]string{"assumed:istio=egress"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, w := range gatewayWorkloads(tc.policy, tc.snap, tc.selector) {
				got = append(got, w.key)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("gatewayWorkloads = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestPlacementWithoutSelector: a Gateway without a selector reads its
// Secrets where every gateway pod runs.
func TestPlacementWithoutSelector(t *testing.T) {
	snap := snapshotOf(t, pod("istio-system", "ingress-1", ingressSelector), pod("edge", "edge-1", edgeLabels),
		pod("shop", "web-1", map[string]string{"app": "web"}))
	gw := gateway("team-a", "all", nil, httpsServer(443, "https", simpleTLS("c"), "a.example.com"))
	got := podNamespaces(DefaultPolicy(), snap, gw)
	if want := (placement{namespaces: []string{"edge", "istio-system"}, source: placementPods}); !reflect.DeepEqual(got, want) {
		t.Errorf("podNamespaces = %+v, want %+v", got, want)
	}
}

// TestClassicGatewaysOn: the classic Gateways on the pods a manual Gateway
// API Gateway's Service selects, found by the pods' labels.
func TestClassicGatewaysOn(t *testing.T) {
	https := func(name string, selector map[string]string) *networkingv1.Gateway {
		return gateway("edge", name, selector, httpsServer(443, "https", simpleTLS("c"), "x.example.com"))
	}
	snap := snapshotOf(t, pod("edge", "edge-1", map[string]string{"istio": "edge", "app": "edge-gw"}),
		https("by-app", map[string]string{"app": "edge-gw"}), https("all", nil), https("other", map[string]string{"istio": "other"}),
		https("unseen", map[string]string{"istio": "unseen"}), https("unseen-more", map[string]string{"istio": "unseen", "app": "z"}),
		gateway("edge", "plain", map[string]string{"app": "edge-gw"}, httpServer(443, "x.example.com")))
	names := func(gws []*networkingv1.Gateway) []string {
		var out []string
		for _, gw := range gws {
			out = append(out, gw.Name)
		}
		return out
	}
	key := PortKey{Port: 443, TLSHost: "x.example.com"}
	if got, want := names(classicGatewaysOn(snap, map[string]string{"istio": "edge"}, key)), []string{"all", "by-app"}; !reflect.DeepEqual(got, want) {
		t.Errorf("on seen pods: %q, want %q", got, want)
	}
	if got, want := names(classicGatewaysOn(snap, map[string]string{"istio": "unseen"}, key)), []string{"all", "unseen"}; !reflect.DeepEqual(got, want) {
		t.Errorf("on unseen pods: %q, want %q", got, want)
	}
}
