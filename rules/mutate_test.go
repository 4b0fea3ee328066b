package rules

import (
	"encoding/json"
	"reflect"
	"testing"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const mutatePolicy = `defaults:
  gatewaySelector: {istio: ingressgateway}
  gatewaySelectorByNamespace:
    partners: {istio: partner-gateway, tier: external}
  labels: {app.kubernetes.io/managed-by: gateguard, policy: v1}
  labelsFromNamespace: {team: team, cost-center: billing/cost-center}
`

func mutateState() []runtime.Object {
	return []runtime.Object{
		namespace("shop", map[string]string{"team": "shop", "billing/cost-center": "cc-42"}),
		namespace("partners", nil),
	}
}

func TestMutate(t *testing.T) {
	labels := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	// What a selectorless Gateway in shop gets, however its selector is empty.
	shopGatewayDefaults := []string{
		`default-selector spec.selector={"istio":"ingressgateway"}`,
		`default-labels metadata.labels[app.kubernetes.io/managed-by]="gateguard"`,
		`default-labels metadata.labels[cost-center]="cc-42"`,
		`default-labels metadata.labels[policy]="v1"`,
		`default-labels metadata.labels[team]="shop"`,
	}
	shopLabels := labels("app.kubernetes.io/managed-by", "gateguard", "cost-center", "cc-42", "policy", "v1", "team", "shop")
	tests := []struct {
		name   string
		policy string // default: mutatePolicy
		obj    func() client.Object
		// wantMutations are "Rule field=value" in order.
		wantMutations []string
		wantSelector  map[string]string // for Gateways
		wantLabels    map[string]string
	}{
		{
			name:          "Gateway without selector gets the default, and the labels",
			obj:           func() client.Object { return gateway("shop", "gw", nil, httpServer(80, "shop.example.com")) },
			wantMutations: shopGatewayDefaults,
			wantSelector:  labels("istio", "ingressgateway"),
			wantLabels:    shopLabels,
		},
		{
			name: "an empty selector is no selector",
			obj: func() client.Object {
				return gateway("shop", "gw", map[string]string{}, httpServer(80, "shop.example.com"))
			},
			wantMutations: shopGatewayDefaults,
			wantSelector:  labels("istio", "ingressgateway"),
			wantLabels:    shopLabels,
		},
		{
			name: "per-namespace selector; a namespace without the labels copies none",
			obj:  func() client.Object { return gateway("partners", "gw", nil, httpServer(80, "partners.example.com")) },
			wantMutations: []string{
				`default-selector spec.selector={"istio":"partner-gateway","tier":"external"}`,
				`default-labels metadata.labels[app.kubernetes.io/managed-by]="gateguard"`,
				`default-labels metadata.labels[policy]="v1"`,
			},
			wantSelector: labels("istio", "partner-gateway", "tier", "external"),
			wantLabels:   labels("app.kubernetes.io/managed-by", "gateguard", "policy", "v1"),
		},
		{
			name: "never overwrite a selector or a label",
			obj: func() client.Object {
				gw := gateway("shop", "gw", map[string]string{"app": "my-gateway"}, httpServer(80, "shop.example.com"))
				gw.Labels = labels("team", "not-shop", "policy", "")
				return gw
			},
			wantMutations: []string{
				`default-labels metadata.labels[app.kubernetes.io/managed-by]="gateguard"`,
				`default-labels metadata.labels[cost-center]="cc-42"`,
			},
			wantSelector: labels("app", "my-gateway"),
			wantLabels: labels("app.kubernetes.io/managed-by", "gateguard", "cost-center", "cc-42", "policy", "",
				"team", "not-shop"),
		},
		{
			name: "VirtualService gets labels, never a selector",
			obj:  func() client.Object { return httpVS("shop", "shop", []string{"shop.example.com"}, "shop/gw") },
			wantMutations: []string{
				`default-labels metadata.labels[app.kubernetes.io/managed-by]="gateguard"`,
				`default-labels metadata.labels[cost-center]="cc-42"`,
				`default-labels metadata.labels[policy]="v1"`,
				`default-labels metadata.labels[team]="shop"`,
			},
			wantLabels: labels("app.kubernetes.io/managed-by", "gateguard", "cost-center", "cc-42", "policy", "v1",
				"team", "shop"),
		},
		{
			name:   "both rules off",
			policy: mutatePolicy + "rules:\n  default-selector: {action: off}\n  default-labels: {action: off}\n",
			obj:    func() client.Object { return gateway("shop", "gw", nil, httpServer(80, "shop.example.com")) },
		},
		{
			name:   "default-selector off, default-labels on",
			policy: mutatePolicy + "rules:\n  default-selector: {action: off}\n  default-labels: {action: on}\n",
			obj:    func() client.Object { return gateway("partners", "gw", nil, httpServer(80, "partners.example.com")) },
			wantMutations: []string{
				`default-labels metadata.labels[app.kubernetes.io/managed-by]="gateguard"`,
				`default-labels metadata.labels[policy]="v1"`,
			},
			wantLabels: labels("app.kubernetes.io/managed-by", "gateguard", "policy", "v1"),
		},
		{
			name:   "no defaults in the policy",
			policy: "rules: {}\n",
			obj:    func() client.Object { return gateway("shop", "gw", nil, httpServer(80, "shop.example.com")) },
		},
		{
			name:   "exempt namespace",
			policy: mutatePolicy + "exemptions:\n- namespaces: [shop]\n  rules: [default-labels]\n",
			obj:    func() client.Object { return gateway("shop", "gw", nil, httpServer(80, "shop.example.com")) },
			wantMutations: []string{
				`default-selector spec.selector={"istio":"ingressgateway"}`,
			},
			wantSelector: labels("istio", "ingressgateway"),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			policy := mutatePolicy
			if tc.policy != "" {
				policy = tc.policy
			}
			p := mustPolicy(t, policy)
			snap := snapshotOf(t, mutateState()...)
			in := tc.obj()
			out, muts := Mutate(p, snap, create(in))

			if got := renderMutations(t, muts); !reflect.DeepEqual(got, tc.wantMutations) {
				t.Errorf("mutations:\n got: %q\nwant: %q", got, tc.wantMutations)
			}
			if !reflect.DeepEqual(toJSONMap(t, in), toJSONMap(t, tc.obj())) {
				t.Error("Mutate changed its input")
			}
			if gw, ok := out.(*networkingv1.Gateway); ok && !reflect.DeepEqual(gw.Spec.Selector, nilIfEmpty(tc.wantSelector)) &&
				!(len(gw.Spec.Selector) == 0 && len(tc.wantSelector) == 0) {
				t.Errorf("selector = %v, want %v", gw.Spec.Selector, tc.wantSelector)
			}
			if got := out.GetLabels(); len(got)+len(tc.wantLabels) > 0 && !reflect.DeepEqual(got, tc.wantLabels) {
				t.Errorf("labels = %v, want %v", got, tc.wantLabels)
			}

			expectIdempotentAndPatchable(t, p, snap, in, out, muts)
		})
	}
}

// expectIdempotentAndPatchable: mutating out again adds and changes
// nothing, and the JSON patch of muts, applied to in as the request
// carries it, gives out.
func expectIdempotentAndPatchable(t *testing.T, p *Policy, snap Snapshot, in, out client.Object, muts []Mutation) {
	t.Helper()
	again, more := Mutate(p, snap, create(out))
	if len(more) != 0 {
		t.Errorf("second Mutate added %q", renderMutations(t, more))
	}
	if !reflect.DeepEqual(toJSONMap(t, again), toJSONMap(t, out)) {
		t.Error("second Mutate changed the object")
	}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var patched map[string]any
	if err := json.Unmarshal(applyPatch(t, raw, muts), &patched); err != nil {
		t.Fatal(err)
	}
	if want := toJSONMap(t, out); !reflect.DeepEqual(patched, want) {
		t.Errorf("the patched object differs from Mutate's object:\n got: %v\nwant: %v", patched, want)
	}
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

func renderMutations(t *testing.T, muts []Mutation) []string {
	t.Helper()
	var out []string
	for _, m := range muts {
		v, err := json.Marshal(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(m.Rule)+" "+m.Field()+"="+string(v))
	}
	return out
}

// toJSONMap renders an object the way the webhook sees the request body.
func toJSONMap(t *testing.T, obj client.Object) map[string]any {
	t.Helper()
	data, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMutationField(t *testing.T) {
	for path, want := range map[string]string{
		"spec/selector": "spec.selector",
		"metadata/labels/app.kubernetes.io/part-of": "metadata.labels[app.kubernetes.io/part-of]",
	} {
		m := Mutation{Path: splitPath(path)}
		if got := m.Field(); got != want {
			t.Errorf("Field(%q) = %q, want %q", path, got, want)
		}
	}
}

// splitPath splits on the first two slashes only: a label key keeps its own.
func splitPath(p string) []string {
	var out []string
	for range 2 {
		i := 0
		for i < len(p) && p[i] != '/' {
			i++
		}
		out = append(out, p[:i])
		if i == len(p) {
			return out
		}
		p = p[i+1:]
	}
	return append(out, p)
}
