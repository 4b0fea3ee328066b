package rules

import (
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
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
}

// mutation adds defaults to one object of the kind it is declared for.
type mutation[T client.Object] func(p *Policy, nsLabels map[string]string, obj T) []Mutation

// mutatingCatalog is the table of mutating rules, in the order they apply.
func mutatingCatalog() []mutatingRule {
	return []mutatingRule{
		{ID: DefaultSelectorID, Gateway: defaultSelector},
		{ID: DefaultLabelsID, Gateway: defaultLabels[*networkingv1.Gateway], VirtualService: defaultLabels[*networkingv1.VirtualService]},
	}
}

// mutationOf binds the rule's mutation for obj's kind to obj, or is nil
// when the rule does not mutate that kind.
func (rule mutatingRule) mutationOf(obj client.Object) func(*Policy, map[string]string) []Mutation {
	switch o := obj.(type) {
	case *networkingv1.Gateway:
		return bindMutation(rule.Gateway, o)
	case *networkingv1.VirtualService:
		return bindMutation(rule.VirtualService, o)
	}
	return nil
}

func bindMutation[T client.Object](m mutation[T], obj T) func(*Policy, map[string]string) []Mutation {
	if m == nil {
		return nil
	}
	return func(p *Policy, nsLabels map[string]string) []Mutation { return m(p, nsLabels, obj) }
}

// Mutate returns a copy of the change's object with the policy's defaults
// added, and what was added. It only ever adds, so applying it again
// changes nothing.
func Mutate(p *Policy, snap Snapshot, c Change) (client.Object, []Mutation) {
	switch c.Object.(type) {
	case *networkingv1.Gateway, *networkingv1.VirtualService:
	default:
		return c.Object, nil
	}
	obj := c.Object.DeepCopyObject().(client.Object)
	nsLabels, _ := snap.NamespaceLabels(c.Namespace)
	var out []Mutation
	for _, rule := range mutatingCatalog() {
		apply := rule.mutationOf(obj)
		if apply == nil || p.Rules[rule.ID].Action == Off || p.exempt(rule.ID, snap, c, obj) {
			continue
		}
		out = append(out, apply(p, nsLabels)...)
	}
	return obj, out
}
