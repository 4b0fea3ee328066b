// Package check runs the webhook's rules on files, with no cluster: the
// objects of -f are applied in order against the --existing state, exactly
// as the admission chain would (mutate, then validate, then store what was
// admitted).
package check

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/gateguard/gateguard/report"
	"github.com/gateguard/gateguard/rules"
	"github.com/gateguard/gateguard/rules/manifest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Input is what to check.
type Input struct {
	Applied   []manifest.Document // in apply order
	Existing  []manifest.Document // cluster state
	Namespace string              // for objects without one
	Ignored   int
}

// Run applies in.Applied in order against in.Existing under policy.
func Run(ctx context.Context, policy *rules.Policy, in Input) (*report.Report, error) {
	snap := rules.NewMemorySnapshot()
	for _, d := range manifest.Defaulted(in.Existing, in.Namespace) {
		if err := snap.Add(d.Object); err != nil {
			return nil, err
		}
	}
	rep := report.NewReport()
	rep.Ignored = in.Ignored
	for _, d := range manifest.Defaulted(in.Applied, in.Namespace) {
		obj := d.Object
		if !judgedKind(obj) {
			if err := snap.Add(obj); err != nil {
				return nil, err
			}
			continue
		}
		admitted, err := judge(ctx, rep, policy, snap, d, obj)
		if err != nil {
			return nil, err
		}
		if admitted != nil {
			if err := snap.Add(admitted); err != nil {
				return nil, err
			}
		}
	}
	slices.SortStableFunc(rep.Findings, func(a, b report.Finding) int {
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	return rep, nil
}

// judgedKind reports whether the webhook judges obj's kind as it is
// applied: Istio's Gateway and VirtualService, and the Gateway API's
// Gateway, ListenerSet and routes. Any other kind is state, stored as it
// comes: a GatewayClass or Service, and a Secret or ReferenceGrant, which
// are judged only as they are deleted.
func judgedKind(obj client.Object) bool {
	switch rules.Kind(obj.GetObjectKind().GroupVersionKind().Kind) {
	case rules.KindGateway, rules.KindVirtualService, rules.KindListenerSet, rules.KindHTTPRoute, rules.KindGRPCRoute,
		rules.KindTLSRoute, rules.KindTCPRoute:
		return true
	}
	return false
}

// judge mutates and validates one object, recording what happened; it
// returns the object to store when admitted.
func judge(ctx context.Context, rep *report.Report, p *rules.Policy, snap *rules.MemorySnapshot, d manifest.Document,
	obj client.Object) (client.Object, error) {
	change := rules.Change{Operation: rules.Create, Object: obj, Namespace: obj.GetNamespace()}
	mutated, muts, skipped := rules.MutateWarned(p, snap, change)
	ref := report.RefOf(obj)
	for _, m := range muts {
		rep.Mutations = append(rep.Mutations, report.Mutation{Object: ref, Rule: m.Rule, Field: m.Field(), Value: m.Value,
			File: d.File, Line: d.Line})
	}
	change.Object = mutated
	dec, err := rules.Validate(ctx, p, snap, change)
	if err != nil {
		return nil, err
	}
	dec.Findings = append(skipped, dec.Findings...)
	if rep.Record(obj, dec, d.File, d.Line) {
		return nil, nil
	}
	return mutated, nil
}
