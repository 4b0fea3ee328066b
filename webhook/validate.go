package webhook

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gateguard/gateguard/rules"
	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// validator answers /validate for Gateways, VirtualServices, the Gateway
// API kinds, and Secret and ReferenceGrant deletions.
type validator struct {
	policy       *policySource
	snapshot     func(context.Context) rules.Snapshot
	reservations *reservations
	kinds        optionalKinds // the optional kinds served when gateguard started
	claims       *hostClaims   // nil with --claims=false
	metrics      *metrics
	log          logr.Logger
}

// Handle decides one request. Dry runs are decided exactly like real ones.
func (v *validator) Handle(ctx context.Context, req admission.Request) admission.Response {
	change, err := decodeChange(req)
	if err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	if obj := judgedObject(change); !v.kinds.cached(obj) {
		return admission.Allowed("").WithWarnings(uncachedWarning(req.Kind.Kind))
	}
	policy := v.policy.Load()
	var dec rules.Decision
	var claimed *claimPlan
	// An admitted object is held at once when it claims nothing in etcd,
	// and only after its HostClaims are written when it does.
	decide := func(snap rules.Snapshot) (hold bool, err error) {
		dec, err = rules.Validate(ctx, policy, snap, change)
		if err == nil && len(dec.Denied()) == 0 {
			claimed = v.claims.plan(policy, snap, change)
		}
		return err == nil && len(dec.Denied()) == 0 && claimed == nil, err
	}
	if claimant(change.Object) {
		err = v.reservations.decide(v.snapshot(ctx), change.Object, change.DryRun, decide)
	} else {
		_, err = decide(v.snapshot(ctx))
	}
	if err != nil {
		v.log.Error(err, "deciding failed", "requestID", req.UID, "kind", req.Kind.Kind, "namespace", req.Namespace,
			"name", req.Name, "user", req.UserInfo.Username)
		return admission.Errored(http.StatusInternalServerError, err)
	}
	if claimed != nil { // etcd arbitrates across replicas, outside the reservations' lock
		if dec = v.claims.apply(ctx, claimed, change.DryRun, dec); len(dec.Denied()) == 0 && !change.DryRun &&
			claimant(change.Object) {
			v.reservations.hold(change.Object)
		}
	}
	v.record(req, dec)
	return response(req, dec)
}

// judgedObject is the object a change is judged by: the old one of a deletion.
func judgedObject(c rules.Change) client.Object {
	if c.Object == nil {
		return c.OldObject
	}
	return c.Object
}

// uncachedWarning allows a kind whose CRD came after gateguard started:
// judged against a cache that holds none of its kind, a route would find
// no duplicate and no ReferenceGrant, so the answer would be a guess.
func uncachedWarning(kind string) string {
	return fmt.Sprintf("gateguard did not judge this %s: its CRD was not served when gateguard started, so gateguard "+
		"holds none of them; restart gateguard to judge %s objects", kind, kind)
}

// response turns a decision into 422 Invalid with field causes, or an
// allowance; warnings ride on both.
func response(req admission.Request, dec rules.Decision) admission.Response {
	resp := admission.Allowed("")
	if denied := dec.Denied(); len(denied) > 0 {
		gk := schema.GroupKind{Group: req.Kind.Group, Kind: req.Kind.Kind}
		status := apierrors.NewInvalid(gk, req.Name, denied).ErrStatus
		resp = admission.Response{AdmissionResponse: admissionv1.AdmissionResponse{Allowed: false, Result: &status}}
	}
	resp.Warnings = dec.Warnings()
	return resp
}

// record counts the decision's findings, or one allow.
func (v *validator) record(req admission.Request, dec rules.Decision) {
	kind, op := req.Kind.Kind, string(req.Operation)
	if len(dec.Findings) == 0 {
		v.metrics.decisions.WithLabelValues(kind, op, "", "allow").Inc()
	}
	for _, f := range dec.Findings {
		v.metrics.decisions.WithLabelValues(kind, op, string(f.Rule), string(f.Action)).Inc()
	}
}

// decodeChange turns an admission request into a rules.Change, refusing
// requests whose object does not decode as the kind they claim.
func decodeChange(req admission.Request) (rules.Change, error) {
	c := rules.Change{
		Operation: rules.Operation(req.Operation),
		Namespace: req.Namespace,
		User:      rules.UserInfo{Username: req.UserInfo.Username, Groups: req.UserInfo.Groups},
		DryRun:    req.DryRun != nil && *req.DryRun,
	}
	var err error
	if len(req.Object.Raw) > 0 {
		if c.Object, err = decodeAs(req.Kind, req.Object.Raw, req.Namespace); err != nil {
			return c, fmt.Errorf("object: %w", err)
		}
	}
	if len(req.OldObject.Raw) > 0 {
		if c.OldObject, err = decodeAs(req.Kind, req.OldObject.Raw, req.Namespace); err != nil {
			return c, fmt.Errorf("oldObject: %w", err)
		}
	}
	if c.Object == nil && c.OldObject == nil {
		return c, fmt.Errorf("the request carries no object")
	}
	return c, nil
}

// decodeAs decodes raw as the kind the request names, refusing an object
// of another kind.
func decodeAs(kind metav1.GroupVersionKind, raw []byte, namespace string) (client.Object, error) {
	obj, err := rules.DecodeObjectAs(schema.GroupVersionKind{Group: kind.Group, Version: kind.Version, Kind: kind.Kind}, raw)
	if err != nil {
		return nil, err
	}
	if obj.GetNamespace() == "" {
		obj.SetNamespace(namespace)
	}
	return obj, nil
}
