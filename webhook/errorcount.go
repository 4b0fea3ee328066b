package webhook

import (
	"context"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// errorCounting counts the responses that are errors rather than
// decisions. controller-runtime's own request counter cannot tell them
// apart: the error travels inside an AdmissionReview served with HTTP 200.
type errorCounting struct {
	webhook string // the path's name: validate, validate-secret, mutate
	next    admission.Handler
	errors  *prometheus.CounterVec
}

// countErrors wraps next, with every series of webhook at zero so that a
// first error is an increase, not a new series: the codes a handler answers
// when it cannot decide (an object it cannot decode, a decision that
// failed, caches not yet synced).
func countErrors(webhook string, next admission.Handler, errors *prometheus.CounterVec) admission.Handler {
	for _, code := range []int{http.StatusBadRequest, http.StatusInternalServerError, http.StatusServiceUnavailable} {
		errors.WithLabelValues(webhook, strconv.Itoa(code))
	}
	return errorCounting{webhook: webhook, next: next, errors: errors}
}

func (h errorCounting) Handle(ctx context.Context, req admission.Request) admission.Response {
	resp := h.next.Handle(ctx, req)
	if r := resp.Result; !resp.Allowed && r != nil && r.Code >= http.StatusBadRequest && r.Code != http.StatusUnprocessableEntity {
		h.errors.WithLabelValues(h.webhook, strconv.Itoa(int(r.Code))).Inc()
	}
	return resp
}
