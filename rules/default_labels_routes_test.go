package rules

import (
	"reflect"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// gatewayAPILabelsPolicy adds labels of every kind: plain ones, one whose
// key the default selector uses (tier, by namespace), one gatewayNamespaces
// selects on (gateway-pool), Istio's own istio, and one from the namespace.
const gatewayAPILabelsPolicy = `defaults:
  gatewaySelector: {istio: ingressgateway}
  gatewaySelectorByNamespace:
    partners: {tier: external}
  labels: {app.kubernetes.io/managed-by: gateguard, gateway-pool: blue, istio: edge, tier: external}
  labelsFromNamespace: {team: team}
gatewayNamespaces:
- selector: {gateway-pool: public}
  namespace: istio-system
`

func TestDefaultLabelsGatewayAPI(t *testing.T) {
	allLabels := map[string]string{"app.kubernetes.io/managed-by": "gateguard", "gateway-pool": "blue", "istio": "edge",
		"team": "shop", "tier": "external"}
	allMutations := []string{
		`default-labels metadata.labels[app.kubernetes.io/managed-by]="gateguard"`,
		`default-labels metadata.labels[gateway-pool]="blue"`,
		`default-labels metadata.labels[istio]="edge"`,
		`default-labels metadata.labels[team]="shop"`,
		`default-labels metadata.labels[tier]="external"`,
	}
	skipped := func(key, value string) string {
		return `metadata.labels[` + key + `]: Forbidden: [default-labels] not adding the policy's label ` + key + `=` +
			value + `: a Gateway's labels are copied onto its pods, and networking.istio.io Gateways select gateway ` +
			`pods on the key "` + key + `", so they could pick this Gateway's pods and serve their hosts there: set it ` +
			`on the Gateway yourself if that is what you mean`
	}
	gw := func() *gatewayv1.Gateway {
		return kubeGateway("shop", "gw", httpListener("http", 80, "shop.example.com"))
	}
	public := parentRef("istio-system", "gw")
	tests := []struct {
		name          string
		policy        string // default: gatewayAPILabelsPolicy
		obj           func() client.Object
		wantMutations []string
		wantWarnings  []string
		wantLabels    map[string]string
	}{
		{
			name: "a Gateway gets no label classic Gateways select on, and no selector",
			obj:  func() client.Object { return gw() },
			wantMutations: []string{
				`default-labels metadata.labels[app.kubernetes.io/managed-by]="gateguard"`,
				`default-labels metadata.labels[team]="shop"`,
			},
			wantWarnings: []string{skipped("gateway-pool", "blue"), skipped("istio", "edge"), skipped("tier", "external")},
			wantLabels:   map[string]string{"app.kubernetes.io/managed-by": "gateguard", "team": "shop"},
		},
		{
			name: "a label the Gateway has is neither added nor warned about",
			obj: func() client.Object {
				g := gw()
				g.Labels = map[string]string{"istio": "mine", "tier": "internal"}
				return g
			},
			wantMutations: []string{
				`default-labels metadata.labels[app.kubernetes.io/managed-by]="gateguard"`,
				`default-labels metadata.labels[team]="shop"`,
			},
			wantWarnings: []string{skipped("gateway-pool", "blue")},
			wantLabels: map[string]string{"app.kubernetes.io/managed-by": "gateguard", "istio": "mine", "team": "shop",
				"tier": "internal"},
		},
		{
			name: "with spec.infrastructure.labels the Gateway's own labels stay off its pods",
			obj: func() client.Object {
				g := gw()
				g.Spec.Infrastructure = &gatewayv1.GatewayInfrastructure{Labels: map[gatewayv1.LabelKey]gatewayv1.LabelValue{}}
				return g
			},
			wantMutations: allMutations,
			wantLabels:    allLabels,
		},
		{
			name:          "an HTTPRoute's labels go nowhere else: all are added",
			obj:           func() client.Object { return httpRoute("shop", "r", []string{"shop.example.com"}, public) },
			wantMutations: allMutations,
			wantLabels:    allLabels,
		},
		{
			name: "a GRPCRoute",
			obj: func() client.Object {
				r := &gatewayv1.GRPCRoute{}
				r.Namespace, r.Name = "shop", "r"
				return r
			},
			wantMutations: allMutations,
			wantLabels:    allLabels,
		},
		{
			name:          "a TLSRoute",
			obj:           func() client.Object { return tlsRoute("shop", "r", []string{"shop.example.com"}, public) },
			wantMutations: allMutations,
			wantLabels:    allLabels,
		},
		{
			name:          "a TCPRoute",
			obj:           func() client.Object { return tcpRoute("shop", "r", public) },
			wantMutations: allMutations,
			wantLabels:    allLabels,
		},
		{
			name: "a ListenerSet is not mutated",
			obj: func() client.Object {
				return listenerSet("shop", "ls", "istio-system", "gw", httpListener("a", 8080, "a.shop.example.com"))
			},
		},
		{
			name:   "default-labels off: no labels, no warnings",
			policy: gatewayAPILabelsPolicy + "rules:\n  default-labels: {action: off}\n",
			obj:    func() client.Object { return gw() },
		},
		{
			name:   "an exempt namespace: no labels, no warnings",
			policy: gatewayAPILabelsPolicy + "exemptions:\n- namespaces: [shop]\n  rules: [default-labels]\n",
			obj:    func() client.Object { return httpRoute("shop", "r", nil, public) },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			policy := gatewayAPILabelsPolicy
			if tc.policy != "" {
				policy = tc.policy
			}
			p := mustPolicy(t, policy)
			snap := snapshotOf(t, mutateState()...)
			in := tc.obj()
			out, muts, warnings := MutateWarned(p, snap, create(in))

			if got := renderMutations(t, muts); !reflect.DeepEqual(got, tc.wantMutations) {
				t.Errorf("mutations:\n got: %q\nwant: %q", got, tc.wantMutations)
			}
			var gotWarnings []string
			for _, w := range warnings {
				if w.Rule != DefaultLabelsID || w.Action != Warn {
					t.Errorf("warning %s %s, want warn default-labels", w.Action, w.Rule)
				}
				gotWarnings = append(gotWarnings, w.Error.Error())
			}
			if !reflect.DeepEqual(gotWarnings, tc.wantWarnings) {
				t.Errorf("warnings:\n got: %q\nwant: %q", gotWarnings, tc.wantWarnings)
			}
			if got := out.GetLabels(); len(got)+len(tc.wantLabels) > 0 && !reflect.DeepEqual(got, tc.wantLabels) {
				t.Errorf("labels = %v, want %v", got, tc.wantLabels)
			}
			if !reflect.DeepEqual(toJSONMap(t, in), toJSONMap(t, tc.obj())) {
				t.Error("MutateWarned changed its input")
			}
			expectIdempotentAndPatchable(t, p, snap, in, out, muts)
		})
	}
}
