package rules

import (
	"slices"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

// exempt reports whether some exemption of the policy turns rule off for
// this change.
func (p *Policy) exempt(rule RuleID, snap Snapshot, c Change, obj client.Object) bool {
	for i := range p.Exemptions {
		if p.exemptionMatches(&p.Exemptions[i], rule, snap, c, obj) {
			return true
		}
	}
	return false
}

// exemptionMatches applies every criterion the exemption gives.
func (p *Policy) exemptionMatches(e *Exemption, rule RuleID, snap Snapshot, c Change, obj client.Object) bool {
	if len(e.Rules) > 0 && !slices.Contains(e.Rules, rule) {
		return false
	}
	if len(e.Namespaces) > 0 && !slices.Contains(e.Namespaces, c.Namespace) {
		return false
	}
	if e.NamespaceSelector != nil {
		nsLabels, _ := snap.NamespaceLabels(c.Namespace)
		if !p.selectorMatches(e.NamespaceSelector, nsLabels) {
			return false
		}
	}
	if len(e.Users) > 0 && !slices.Contains(e.Users, c.User.Username) {
		return false
	}
	if len(e.Groups) > 0 && !slices.ContainsFunc(c.User.Groups, func(g string) bool { return slices.Contains(e.Groups, g) }) {
		return false
	}
	return !e.ObjectAnnotation || annotationExempts(obj.GetAnnotations()[ExemptAnnotation], rule)
}

// annotationExempts reports whether a gateguard.dev/exempt value lists rule.
func annotationExempts(value string, rule RuleID) bool {
	for _, id := range strings.Split(value, ",") {
		if RuleID(strings.TrimSpace(id)) == rule {
			return true
		}
	}
	return false
}
