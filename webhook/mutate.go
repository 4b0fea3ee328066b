package webhook

import (
	"context"
	"net/http"

	"github.com/gateguard/gateguard/rules"
	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// mutator answers /mutate: the policy's defaults as a JSON patch built
// from the mutations against the raw request object, never by
// re-serialising the typed one (Istio's JSON shims would rewrite the whole
// spec) nor by diffing a re-encoded copy.
type mutator struct {
	policy   *policySource
	snapshot func(context.Context) rules.Snapshot
	log      logr.Logger
}

func (m *mutator) Handle(ctx context.Context, req admission.Request) admission.Response {
	if len(req.Object.Raw) == 0 { // a deletion: nothing to default
		return admission.Allowed("")
	}
	// No mutation reads an update's old object: its decode is spared.
	req.OldObject.Raw = nil
	change, err := decodeChange(req)
	if err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	_, muts, skipped := rules.MutateWarned(m.policy.Load(), m.snapshot(ctx), change)
	warnings := rules.Decision{Findings: skipped}.Warnings()
	if len(muts) == 0 {
		return admission.Allowed("").WithWarnings(warnings...)
	}
	patch, err := rules.JSONPatch(req.Object.Raw, muts)
	if err != nil {
		return m.failed(req, err)
	}
	return admission.Patched("", patch...).WithWarnings(warnings...)
}

// failed logs a mutation that could not be built, with the request's
// identity, and refuses it.
func (m *mutator) failed(req admission.Request, err error) admission.Response {
	m.log.Error(err, "mutating failed", "requestID", req.UID, "kind", req.Kind.Kind, "namespace", req.Namespace,
		"name", req.Name, "user", req.UserInfo.Username)
	return admission.Errored(http.StatusInternalServerError, err)
}
