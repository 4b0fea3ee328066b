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

	"github.com/gateguard/gateguard/rules"
	"github.com/gateguard/gateguard/rules/manifest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ObjectRef names an object in a report.
type ObjectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

// Finding is one violation, located in its file.
type Finding struct {
	Rule    rules.RuleID `json:"rule"`
	Action  rules.Action `json:"action"`
	Object  ObjectRef    `json:"object"`
	Field   string       `json:"field"`
	Message string       `json:"message"`
	File    string       `json:"file"`
	Line    int          `json:"line"`
}

// Mutation is a field the mutating webhook would add.
type Mutation struct {
	Object ObjectRef    `json:"object"`
	Rule   rules.RuleID `json:"rule"`
	Field  string       `json:"field"`
	Value  any          `json:"value"`
	File   string       `json:"-"`
	Line   int          `json:"-"`
}

// Summary counts judged objects by outcome.
type Summary struct {
	Objects int `json:"objects"`
	Denied  int `json:"denied"`
	Warned  int `json:"warned"`
}

// Report is the outcome of a check.
type Report struct {
	Findings  []Finding  `json:"findings"`
	Mutations []Mutation `json:"mutations"`
	Summary   Summary    `json:"summary"`
	// Ignored counts documents of kinds the rules do not read.
	Ignored int `json:"-"`
}

// Denied reports whether any object would be refused.
func (r *Report) Denied() bool { return r.Summary.Denied > 0 }

// Input is what to check.
type Input struct {
	Applied   []manifest.Document // in apply order
	Existing  []manifest.Document // cluster state
	Namespace string              // for objects without one
	Ignored   int
}

// Run applies in.Applied in order against in.Existing under policy.
func Run(ctx context.Context, policy *rules.Policy, in Input) (*Report, error) {
	snap := rules.NewMemorySnapshot()
	for _, d := range in.Existing {
		if err := snap.Add(defaulted(d.Object, in.Namespace)); err != nil {
			return nil, err
		}
	}
	rep := NewReport()
	rep.Ignored = in.Ignored
	for _, d := range in.Applied {
		obj := defaulted(d.Object, in.Namespace)
		if kind := obj.GetObjectKind().GroupVersionKind().Kind; kind != string(rules.KindGateway) &&
			kind != string(rules.KindVirtualService) {
			if err := snap.Add(obj); err != nil {
				return nil, err
			}
			continue
		}
		admitted, err := rep.judge(ctx, policy, snap, d, obj)
		if err != nil {
			return nil, err
		}
		if admitted != nil {
			if err := snap.Add(admitted); err != nil {
				return nil, err
			}
		}
	}
	slices.SortStableFunc(rep.Findings, func(a, b Finding) int {
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	return rep, nil
}

// judge mutates and validates one object, recording what happened; it
// returns the object to store when admitted.
func (rep *Report) judge(ctx context.Context, p *rules.Policy, snap *rules.MemorySnapshot, d manifest.Document,
	obj client.Object) (client.Object, error) {
	change := rules.Change{Operation: rules.Create, Object: obj, Namespace: obj.GetNamespace()}
	mutated, muts := rules.Mutate(p, snap, change)
	ref := refOf(obj)
	for _, m := range muts {
		rep.Mutations = append(rep.Mutations, Mutation{Object: ref, Rule: m.Rule, Field: m.Field(), Value: m.Value,
			File: d.File, Line: d.Line})
	}
	change.Object = mutated
	dec, err := rules.Validate(ctx, p, snap, change)
	if err != nil {
		return nil, err
	}
	if rep.Record(obj, dec, d.File, d.Line) {
		return nil, nil
	}
	return mutated, nil
}

// NewReport returns an empty report.
func NewReport() *Report { return &Report{Findings: []Finding{}, Mutations: []Mutation{}} }

// Record adds one object's decision, located at file:line ("" and 0 for
// an object read from a cluster), and reports whether it was denied.
func (rep *Report) Record(obj client.Object, dec rules.Decision, file string, line int) bool {
	ref := refOf(obj)
	for _, f := range dec.Findings {
		rep.Findings = append(rep.Findings, Finding{Rule: f.Rule, Action: f.Action, Object: ref, Field: f.Error.Field,
			Message: strings.TrimPrefix(f.Error.Detail, "["+string(f.Rule)+"] "), File: file, Line: line})
	}
	rep.Summary.Objects++
	switch {
	case len(dec.Denied()) > 0:
		rep.Summary.Denied++
		return true
	case len(dec.Findings) > 0:
		rep.Summary.Warned++
	}
	return false
}

// defaulted gives a namespaced object without a namespace the default one.
func defaulted(obj client.Object, namespace string) client.Object {
	if obj.GetNamespace() == "" && obj.GetObjectKind().GroupVersionKind().Kind != "Namespace" {
		obj.SetNamespace(namespace)
	}
	return obj
}

func refOf(obj client.Object) ObjectRef {
	gvk := obj.GetObjectKind().GroupVersionKind()
	return ObjectRef{APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind, Namespace: obj.GetNamespace(), Name: obj.GetName()}
}
