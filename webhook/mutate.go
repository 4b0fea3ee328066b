package webhook

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/gateguard/gateguard/rules"
	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// mutator answers /mutate: the policy's defaults as a JSON patch computed
// against the raw request object, never by re-serialising the typed one
// (Istio's JSON shims would rewrite the whole spec).
type mutator struct {
	policy   *policySource
	snapshot func(context.Context) rules.Snapshot
	log      logr.Logger
}

func (m *mutator) Handle(ctx context.Context, req admission.Request) admission.Response {
	change, err := decodeChange(req)
	if err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	if change.Object == nil {
		return admission.Allowed("")
	}
	_, muts := rules.Mutate(m.policy.Load(), m.snapshot(ctx), change)
	if len(muts) == 0 {
		return admission.Allowed("")
	}
	var obj map[string]any
	if err := json.Unmarshal(req.Object.Raw, &obj); err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	if err := rules.ApplyMutations(obj, muts); err != nil {
		return m.failed(req, err)
	}
	mutated, err := json.Marshal(obj)
	if err != nil {
		return m.failed(req, err)
	}
	return admission.PatchResponseFromRaw(req.Object.Raw, mutated)
}

// failed logs a mutation that could not be built, with the request's
// identity, and refuses it.
func (m *mutator) failed(req admission.Request, err error) admission.Response {
	m.log.Error(err, "mutating failed", "requestID", req.UID, "kind", req.Kind.Kind, "namespace", req.Namespace,
		"name", req.Name, "user", req.UserInfo.Username)
	return admission.Errored(http.StatusInternalServerError, err)
}
