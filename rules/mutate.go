package rules

import (
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Mutation is one field a mutating rule adds.
type Mutation struct {
	Rule RuleID
	// Path is the JSON path of the added field, e.g. spec, selector or
	// metadata, labels, team.
	Path  []string
	Value any
}

// Field renders the path for people: spec.selector, metadata.labels[team].
func (m Mutation) Field() string {
	if len(m.Path) == 3 && m.Path[1] == "labels" {
		return field.NewPath(m.Path[0], m.Path[1]).Key(m.Path[2]).String()
	}
	return field.NewPath(m.Path[0], m.Path[1:]...).String()
}

// mutatingRule adds defaults to an object it is given a copy of. Like a
// validating Rule, it has one typed function per kind it mutates.
type mutatingRule struct {
	ID             RuleID
	Gateway        mutation[*networkingv1.Gateway]
	VirtualService mutation[*networkingv1.VirtualService]
	KubeGateway    mutation[*gatewayv1.Gateway]
	HTTPRoute      mutation[*gatewayv1.HTTPRoute]
	GRPCRoute      mutation[*gatewayv1.GRPCRoute]
	TLSRoute       mutation[*gatewayv1.TLSRoute]
	TCPRoute       mutation[*gatewayv1.TCPRoute]
}

// mutation adds defaults to one object of the kind it is declared for,
// and says which it chose not to add, and why, as warnings.
type mutation[T client.Object] func(p *Policy, nsLabels map[string]string, obj T) ([]Mutation, []*field.Error)

// mutatingCatalog is the table of mutating rules, in the order they apply.
func mutatingCatalog() []mutatingRule {
	return []mutatingRule{
		{ID: DefaultSelectorID, Gateway: defaultSelector},
		{ID: DefaultLabelsID, Gateway: defaultLabels[*networkingv1.Gateway], VirtualService: defaultLabels[*networkingv1.VirtualService],
			KubeGateway: kubeGatewayLabels, HTTPRoute: defaultLabels[*gatewayv1.HTTPRoute], GRPCRoute: defaultLabels[*gatewayv1.GRPCRoute],
			TLSRoute: defaultLabels[*gatewayv1.TLSRoute], TCPRoute: defaultLabels[*gatewayv1.TCPRoute]},
	}
}

// mutationOf binds the rule's mutation for obj's kind to obj, or is nil
// when the rule does not mutate that kind.
func (rule mutatingRule) mutationOf(obj client.Object) func(*Policy, map[string]string) ([]Mutation, []*field.Error) {
	switch o := obj.(type) {
	case *networkingv1.Gateway:
		return bindMutation(rule.Gateway, o)
	case *networkingv1.VirtualService:
		return bindMutation(rule.VirtualService, o)
	case *gatewayv1.Gateway:
		return bindMutation(rule.KubeGateway, o)
	case *gatewayv1.HTTPRoute:
		return bindMutation(rule.HTTPRoute, o)
	case *gatewayv1.GRPCRoute:
		return bindMutation(rule.GRPCRoute, o)
	case *gatewayv1.TLSRoute:
		return bindMutation(rule.TLSRoute, o)
	case *gatewayv1.TCPRoute:
		return bindMutation(rule.TCPRoute, o)
	}
	return nil
}

func bindMutation[T client.Object](m mutation[T], obj T) func(*Policy, map[string]string) ([]Mutation, []*field.Error) {
	if m == nil {
		return nil
	}
	return func(p *Policy, nsLabels map[string]string) ([]Mutation, []*field.Error) { return m(p, nsLabels, obj) }
}

// Mutate returns a copy of the change's object with the policy's defaults
// added, and what was added. It only ever adds, so applying it again
// changes nothing. MutateWarned also says what it chose not to add.
func Mutate(p *Policy, snap Snapshot, c Change) (client.Object, []Mutation) {
	obj, muts, _ := MutateWarned(p, snap, c)
	return obj, muts
}

// MutateWarned is Mutate, with a warning finding for each default a rule
// chose not to add: the admission response and gateguard check carry them.
func MutateWarned(p *Policy, snap Snapshot, c Change) (client.Object, []Mutation, []Finding) {
	switch c.Object.(type) {
	case *networkingv1.Gateway, *networkingv1.VirtualService, *gatewayv1.Gateway,
		*gatewayv1.HTTPRoute, *gatewayv1.GRPCRoute, *gatewayv1.TLSRoute, *gatewayv1.TCPRoute:
	default:
		return c.Object, nil, nil
	}
	obj := c.Object.DeepCopyObject().(client.Object)
	nsLabels, _ := snap.NamespaceLabels(c.Namespace)
	var out []Mutation
	var warnings []Finding
	for _, rule := range mutatingCatalog() {
		apply := rule.mutationOf(obj)
		if apply == nil || p.Rules[rule.ID].Action == Off || p.exempt(rule.ID, snap, c, obj) {
			continue
		}
		muts, skipped := apply(p, nsLabels)
		out = append(out, muts...)
		for _, e := range skipped {
			warnings = append(warnings, judged{rule: rule.ID, configured: Warn, violation: violation{err: e}}.finding(false))
		}
	}
	return obj, out, warnings
}
