package rules

import (
	"maps"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// defaultSelector: a Gateway with no selector gets the policy's default
// (per namespace), instead of applying to every gateway proxy in the mesh.
func defaultSelector(p *Policy, _ map[string]string, gw *networkingv1.Gateway) ([]Mutation, []*field.Error) {
	sel := p.gatewaySelectorFor(gw.Namespace)
	if len(gw.Spec.Selector) > 0 || len(sel) == 0 {
		return nil, nil
	}
	gw.Spec.Selector = maps.Clone(sel)
	value := make(map[string]any, len(sel))
	for k, v := range sel {
		value[k] = v
	}
	return []Mutation{{Rule: DefaultSelectorID, Path: []string{"spec", "selector"}, Value: value}}, nil
}
