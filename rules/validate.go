package rules

import (
	"context"
	"fmt"
	"slices"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
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
// is judged, by the rules for KindSecret.
func Validate(ctx context.Context, p *Policy, snap Snapshot, c Change) (Decision, error) {
	obj := c.Object
	if c.Operation == Delete {
		obj = c.OldObject
	}
	// A Secret is judged as it goes away (secret-in-use); a Gateway or
	// VirtualService as it comes or changes, its deletion freeing what it held.
	if _, secret := obj.(*corev1.Secret); obj == nil || secret != (c.Operation == Delete) {
		return Decision{}, nil
	}
	findings, err := evaluate(ctx, p, snap, c, obj)
	if err != nil || c.Operation != Update || c.OldObject == nil {
		return Decision{Findings: findings}, err
	}
	before, err := evaluate(ctx, p, snap, c, c.OldObject)
	if err != nil {
		return Decision{}, err
	}
	for i, f := range findings {
		if f.Action == Deny && slices.ContainsFunc(before, func(b Finding) bool { return sameViolation(b, f) }) {
			e := *f.Error
			e.Detail += ratchetNote
			findings[i] = Finding{Rule: f.Rule, Action: Warn, Error: &e}
		}
	}
	return Decision{Findings: findings}, nil
}

// sameViolation compares findings by rule and message, not by path, so
// that reordering hosts does not count as a new violation.
func sameViolation(a, b Finding) bool {
	return a.Rule == b.Rule && a.Error.Type == b.Error.Type && a.Error.Detail == b.Error.Detail
}

// evaluate runs every applicable rule on obj.
func evaluate(ctx context.Context, p *Policy, snap Snapshot, c Change, obj client.Object) ([]Finding, error) {
	req := &request{ctx: ctx, policy: p, snapshot: snap, namespace: c.Namespace}
	var kind Kind
	switch o := obj.(type) {
	case *networkingv1.Gateway:
		req.gateway, kind = o, KindGateway
	case *networkingv1.VirtualService:
		req.vs, kind = o, KindVirtualService
	case *corev1.Secret:
		req.secret, kind = o, KindSecret
	default:
		return nil, nil
	}
	var out []Finding
	for _, rule := range Catalog() {
		action := p.actionFor(rule)
		if action == Off || !slices.Contains(rule.Kinds, kind) || p.exempt(rule.ID, snap, c, obj) {
			continue
		}
		violations, err := rule.Check(req)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", rule.ID, err)
		}
		for _, v := range violations {
			out = append(out, finding(rule.ID, action, v))
		}
	}
	return out, nil
}

// finding tags a violation with its rule and the action in force.
func finding(id RuleID, action Action, v violation) Finding {
	if v.warnOnly {
		action = Warn
	}
	e := *v.err
	e.Detail = "[" + string(id) + "] " + e.Detail
	return Finding{Rule: id, Action: action, Error: &e}
}
