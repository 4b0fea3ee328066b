package rules

import "sigs.k8s.io/controller-runtime/pkg/client"

// Exempt reports whether the policy exempts obj, in change c, from rule:
// the webhook's HostClaims claim nothing for a rule an object is exempt
// from, as the rule itself judges nothing (docs/claims.md#claiming-at-admission).
func (p *Policy) Exempt(rule RuleID, snap Snapshot, c Change, obj client.Object) bool {
	return p.exempt(rule, snap, c, obj)
}

// Denies reports whether the policy denies rule's violations, as Validate
// applies them: the webhook's HostClaims claim only for a rule that denies,
// since a rule that warns or is off lets two owners have one host.
func (p *Policy) Denies(rule RuleID) bool {
	for _, r := range p.rules() {
		if r.ID == rule {
			return p.actionFor(r) == Deny
		}
	}
	return false
}
