// Package report is the outcome of judging many objects, as gateguard
// check judges files and gateguard audit a cluster: findings located in
// their files, mutations, a summary, and the text, JSON and SARIF forms.
package report

import (
	"strings"

	"github.com/gateguard/gateguard/rules"
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

// NewReport returns an empty report.
func NewReport() *Report { return &Report{Findings: []Finding{}, Mutations: []Mutation{}} }

// Record adds one object's decision, located at file:line ("" and 0 for
// an object read from a cluster), and reports whether it was denied.
func (rep *Report) Record(obj client.Object, dec rules.Decision, file string, line int) bool {
	ref := RefOf(obj)
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

// RefOf names obj as a report does.
func RefOf(obj client.Object) ObjectRef {
	gvk := obj.GetObjectKind().GroupVersionKind()
	return ObjectRef{APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind, Namespace: obj.GetNamespace(), Name: obj.GetName()}
}
