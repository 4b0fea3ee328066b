package rules

import (
	"maps"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// defaultSelector: a Gateway with no selector gets the policy's default
// (per namespace), instead of applying to every gateway proxy in the mesh.
func defaultSelector(p *Policy, _ map[string]string, obj client.Object) []Mutation {
	gw := obj.(*networkingv1.Gateway)
	sel := p.gatewaySelectorFor(gw.Namespace)
	if len(gw.Spec.Selector) > 0 || len(sel) == 0 {
		return nil
	}
	gw.Spec.Selector = maps.Clone(sel)
	value := make(map[string]any, len(sel))
	for k, v := range sel {
		value[k] = v
	}
	return []Mutation{{Rule: DefaultSelectorID, Path: []string{"spec", "selector"}, Value: value}}
}
