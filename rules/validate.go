package rules

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"
)

// Operation is the admission operation of a change.
type Operation string

// Operations the rules distinguish.
const (
	Create Operation = "CREATE"
	Update Operation = "UPDATE"
	Delete Operation = "DELETE"
)

// UserInfo is who makes a change, for exemptions.
type UserInfo struct {
	Username string
	Groups   []string
}

// Change is one admission request, reduced to what the rules read.
type Change struct {
	Operation Operation
	// Object is the new object (a *networkingv1.Gateway or
	// *networkingv1.VirtualService); OldObject the stored one on UPDATE and
	// DELETE (a *corev1.Secret for a Secret's deletion, with Object nil).
	Object, OldObject client.Object
	Namespace         string
	User              UserInfo
	// DryRun is decided exactly like a real request; it is carried so that
	// callers skip side effects such as claim reservations.
	DryRun bool
}

// Finding is one rule result after the policy's action is applied.
type Finding struct {
	Rule   RuleID
	Action Action // Deny or Warn
	// Error carries the field path, the value and a detail that starts with
	// the rule ID in brackets.
	Error *field.Error
}

// Decision is the outcome of Validate.
type Decision struct {
	Findings []Finding
}

// Denied lists the findings that deny the request.
func (d Decision) Denied() field.ErrorList {
	var out field.ErrorList
	for _, f := range d.Findings {
		if f.Action == Deny {
			out = append(out, f.Error)
		}
	}
	return out
}

// Warnings renders the findings that only warn, for the admission response.
func (d Decision) Warnings() []string {
	var out []string
	for _, f := range d.Findings {
		if f.Action == Warn {
			out = append(out, f.Error.Error())
		}
	}
	return out
}

// ratchetNote is appended to a violation an UPDATE did not introduce.
const ratchetNote = " (present before this update, so allowed: fix it when you can)"

// Validate judges one change against the policy and the snapshot. An UPDATE
// that adds no violation its old object did not have is allowed: the
// violations it keeps come back as warnings. Of deletions only a Secret's
// and a ReferenceGrant's are judged, by the rules with a check for them.
func Validate(ctx context.Context, p *Policy, snap Snapshot, c Change) (Decision, error) {
	obj := c.Object
	if c.Operation == Delete {
		obj = c.OldObject
	}
	// A Secret or ReferenceGrant is judged as it goes away (secret-in-use);
	// anything else as it comes or changes, its deletion freeing what it held.
	if obj == nil || judgedOnDelete(obj) != (c.Operation == Delete) {
		return Decision{}, nil
	}
	found, err := evaluate(ctx, p, snap, c, obj)
	if err != nil {
		return Decision{}, err
	}
	var before []judged
	if c.Operation == Update && c.OldObject != nil {
		if before, err = evaluate(ctx, p, snap, c, c.OldObject); err != nil {
			return Decision{}, err
		}
	}
	findings := make([]Finding, 0, len(found))
	for _, j := range found {
		findings = append(findings, j.finding(slices.ContainsFunc(before, j.same)))
	}
	return Decision{Findings: findings}, nil
}

// judgedOnDelete: the kinds whose deletion, not creation, can break others.
func judgedOnDelete(obj client.Object) bool {
	switch obj.(type) {
	case *corev1.Secret, *gatewayv1beta1.ReferenceGrant:
		return true
	}
	return false
}

// judged is one violation with its rule and the action the policy sets.
type judged struct {
	rule       RuleID
	configured Action
	violation
}

// same compares violations by rule and identity (host, route table, other
// object) where they have one, else by message; never by path, so that
// reordering hosts, or moving a claim to another Gateway of the same route
// table, does not count as a new violation.
func (j judged) same(other judged) bool {
	if j.rule != other.rule || j.err.Type != other.err.Type {
		return false
	}
	if j.id != nil || other.id != nil {
		return j.id != nil && other.id != nil && *j.id == *other.id
	}
	return j.err.Detail == other.err.Detail
}

// finding decides a violation's action, the one place severity is
// decided: the policy's action, but a warning where the rule itself only
// warns, and a warning for a denial an UPDATE kept from its old object.
func (j judged) finding(preexisting bool) Finding {
	action := j.configured
	e := *j.err
	e.Detail = "[" + string(j.rule) + "] " + e.Detail
	switch {
	case j.warnOnly:
		action = Warn
	case action == Deny && preexisting:
		action = Warn
		e.Detail += ratchetNote
	}
	return Finding{Rule: j.rule, Action: action, Error: &e}
}

// evaluate runs every rule that judges obj's kind, unless off or exempt.
func evaluate(ctx context.Context, p *Policy, snap Snapshot, c Change, obj client.Object) ([]judged, error) {
	req := &request{ctx: ctx, policy: p, snapshot: snap, namespace: c.Namespace}
	var out []judged
	for _, rule := range p.rules() {
		check, action := rule.checkOf(obj), p.actionFor(rule)
		if check == nil || action == Off || p.exempt(rule.ID, snap, c, obj) {
			continue
		}
		violations, err := check(req)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", rule.ID, err)
		}
		for _, v := range violations {
			out = append(out, judged{rule: rule.ID, configured: action, violation: v})
		}
	}
	return out, nil
}
