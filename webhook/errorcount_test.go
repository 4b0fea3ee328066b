package webhook

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// TestErrorCountingCountsErrorsNotDecisions: a 500 and a 503 are counted
// under their webhook and code; an allowed request and a 422 denial are
// decisions and count nothing; every series exists from the start.
func TestErrorCountingCountsErrorsNotDecisions(t *testing.T) {
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	denial := admission.Denied("")
	denial.Result = &apierrors.NewInvalid(schema.GroupKind{Kind: "VirtualService"}, "x",
		field.ErrorList{field.Duplicate(field.NewPath("spec", "hosts").Index(0), "a")}).ErrStatus
	responses := []admission.Response{
		admission.Allowed(""), denial,
		admission.Errored(http.StatusInternalServerError, errors.New("rule failed")),
		admission.Errored(http.StatusServiceUnavailable, errors.New("not synced")),
		admission.Errored(http.StatusInternalServerError, errors.New("rule failed again")),
	}
	i := 0
	h := countErrors("validate", admission.HandlerFunc(func(context.Context, admission.Request) admission.Response {
		i++
		return responses[i-1]
	}), m.admissionErrors)
	for range responses {
		h.Handle(context.Background(), admission.Request{})
	}
	want := `
# HELP gateguard_admission_errors_total Admission responses that are errors, not decisions, by webhook and code (400 undecodable object, 500 failed decision, 503 caches not synced).
# TYPE gateguard_admission_errors_total counter
gateguard_admission_errors_total{code="400",webhook="validate"} 0
gateguard_admission_errors_total{code="500",webhook="validate"} 2
gateguard_admission_errors_total{code="503",webhook="validate"} 1
`
	if err := testutil.CollectAndCompare(m.admissionErrors, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}
