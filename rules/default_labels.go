package rules

import (
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// istioGatewayLabel is the pod label of Istio's gateway charts
// (istio: ingressgateway), the one classic Gateways select on by custom.
const istioGatewayLabel = "istio"

// defaultLabels: add the policy's labels, static or copied from the
// namespace, where the object does not set them; never overwrite.
func defaultLabels[T client.Object](p *Policy, nsLabels map[string]string, obj T) ([]Mutation, []*field.Error) {
	return addLabels(obj, p.wantedLabels(nsLabels)), nil
}

// kubeGatewayLabels: as defaultLabels, but a label whose key classic
// Gateways may select pods on is skipped with a warning: Istio copies a
// Gateway's labels onto the pods it deploys for it, unless
// spec.infrastructure.labels is set, and a classic Gateway selecting on
// that key could then pick them (docs/gateway-api.md#mixing-the-two-apis).
func kubeGatewayLabels(p *Policy, nsLabels map[string]string, gw *gatewayv1.Gateway) ([]Mutation, []*field.Error) {
	want := p.wantedLabels(nsLabels)
	var skipped []*field.Error
	if gw.Spec.Infrastructure == nil || gw.Spec.Infrastructure.Labels == nil {
		selectorKeys := p.classicSelectorKeys()
		for _, key := range slices.Sorted(maps.Keys(want)) {
			if _, set := gw.Labels[key]; !set && selectorKeys[key] {
				skipped = append(skipped, field.Forbidden(field.NewPath("metadata", "labels").Key(key),
					msgClassicSelectorLabel(key, want[key])))
				delete(want, key)
			}
		}
	}
	return addLabels(gw, want), skipped
}

// wantedLabels are the labels the policy adds to an object of a namespace
// with nsLabels.
func (p *Policy) wantedLabels(nsLabels map[string]string) map[string]string {
	want := maps.Clone(p.Defaults.Labels)
	if want == nil {
		want = map[string]string{}
	}
	for key, nsKey := range p.Defaults.LabelsFromNamespace {
		if v, ok := nsLabels[nsKey]; ok {
			want[key] = v
		}
	}
	return want
}

// classicSelectorKeys are the label keys classic Gateways select gateway
// pods on, as far as the policy knows them: its default selectors, those
// of gatewayNamespaces, and Istio's own istio label.
func (p *Policy) classicSelectorKeys() map[string]bool {
	keys := map[string]bool{istioGatewayLabel: true}
	for _, s := range podSelectors(p, nil) { // the selectors that name gateway pods
		for k := range s {
			keys[k] = true
		}
	}
	return keys
}

// addLabels adds the wanted labels obj does not have, in key order.
func addLabels(obj client.Object, want map[string]string) []Mutation {
	labels := obj.GetLabels()
	var out []Mutation
	for _, key := range slices.Sorted(maps.Keys(want)) {
		if _, ok := labels[key]; ok {
			continue
		}
		if labels == nil {
			labels = map[string]string{}
		}
		labels[key] = want[key]
		out = append(out, Mutation{Rule: DefaultLabelsID, Path: []string{"metadata", "labels", key}, Value: want[key]})
	}
	obj.SetLabels(labels)
	return out
}
