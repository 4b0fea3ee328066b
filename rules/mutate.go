package rules

import (
	"slices"

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

// mutatingRule adds defaults to an object it is given a copy of.
type mutatingRule struct {
	ID    RuleID
	Kinds []Kind
	Apply func(p *Policy, nsLabels map[string]string, obj client.Object) []Mutation
}

// mutatingCatalog is the table of mutating rules, in the order they apply.
func mutatingCatalog() []mutatingRule {
	return []mutatingRule{
		{ID: DefaultSelectorID, Kinds: []Kind{KindGateway}, Apply: defaultSelector},
		{ID: DefaultLabelsID, Kinds: []Kind{KindGateway, KindVirtualService}, Apply: defaultLabels},
	}
}

// Mutate returns a copy of the change's object with the policy's defaults
// added, and what was added. It only ever adds, so applying it again
// changes nothing.
func Mutate(p *Policy, snap Snapshot, c Change) (client.Object, []Mutation) {
	kind := kindOf(c.Object)
	if kind == "" {
		return c.Object, nil
	}
	obj := c.Object.DeepCopyObject().(client.Object)
	nsLabels, _ := snap.NamespaceLabels(c.Namespace)
	var out []Mutation
	for _, rule := range mutatingCatalog() {
		if !slices.Contains(rule.Kinds, kind) || p.Rules[rule.ID].Action == Off || p.exempt(rule.ID, snap, c, obj) {
			continue
		}
		out = append(out, rule.Apply(p, nsLabels, obj)...)
	}
	return obj, out
}

// kindOf names the kind of a rules object, or "".
func kindOf(obj client.Object) Kind {
	switch obj.(type) {
	case *networkingv1.Gateway:
		return KindGateway
	case *networkingv1.VirtualService:
		return KindVirtualService
	}
	return ""
}
