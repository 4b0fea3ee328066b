package webhook

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// reviewHandler serves one admission path in place of controller-runtime's
// webhook.Admission ServeHTTP, whose universal deserializer reads each
// body twice (a TypeMeta sniff, then the decode) and copies the objects
// out of it: a quarter of a decision's CPU. It decodes the review once
// (review_decode.go), then hands the request to controller-runtime's own
// Webhook.Handle, which keeps the panic recovery (500, its panic counter
// and handlers), the request logger and the response's completion (UID,
// status code, patches); it answers as controller-runtime does. The
// webhook server still serves it: TLS, certificate reloads and the
// per-path metrics are the server's.
type reviewHandler struct {
	hook *admission.Webhook
	log  logr.Logger
}

// admissionHandler is next as Serve registers it: its errors counted
// under name (errorcount.go), its reviews decoded by a reviewHandler.
func admissionHandler(name string, next admission.Handler, m *metrics, log logr.Logger) http.Handler {
	return newReviewHandler(countErrors(name, next, m.admissionErrors), log)
}

// newReviewHandler serves next; its own lines (a request that is not a
// review, a response it could not write) go to log's "admission" logger.
// The hook keeps controller-runtime's, as webhook.Admission did.
func newReviewHandler(next admission.Handler, log logr.Logger) *reviewHandler {
	return &reviewHandler{hook: &admission.Webhook{Handler: next, LogConstructor: requestLogger}, log: log.WithName("admission")}
}

func (h *reviewHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	in, err := readReview(r)
	if err != nil {
		h.log.Error(err, "refused a request that is not an AdmissionReview")
		h.write(w, metav1.TypeMeta{}, admission.Errored(err.code, err))
		return
	}
	if log := h.log.V(5); log.Enabled() {
		requestLogger(log, &in.Request).Info("received request")
	}
	h.write(w, in.TypeMeta, h.hook.Handle(r.Context(), in.Request))
}

// write answers resp in an AdmissionReview of the request's apiVersion
// (an untyped one for a request that had none it could read), as
// controller-runtime writes it.
func (h *reviewHandler) write(w http.ResponseWriter, tm metav1.TypeMeta, resp admission.Response) {
	w.Header().Set("Content-Type", "application/json")
	if err := encodeReview(w, tm, &resp.AdmissionResponse); err != nil {
		// The response always encodes: a write failed, the connection
		// is likely gone, so one error answer is tried, no more.
		h.log.Error(err, "unable to encode and write the response")
		failed := admission.Errored(http.StatusInternalServerError, err)
		if err := encodeReview(w, metav1.TypeMeta{}, &failed.AdmissionResponse); err != nil {
			h.log.Error(err, "still unable to encode and write the InternalServerError response")
		}
		return
	}
	if log := h.log.V(5); log.Enabled() {
		if res := resp.Result; res != nil {
			log = log.WithValues("code", res.Code, "reason", res.Reason, "message", res.Message)
		}
		log.Info("wrote response", "requestID", resp.UID, "allowed", resp.Allowed)
	}
}

// encodeReview writes resp wrapped in an AdmissionReview typed tm.
func encodeReview(w io.Writer, tm metav1.TypeMeta, resp *admissionv1.AdmissionResponse) error {
	return json.NewEncoder(w).Encode(admissionv1.AdmissionReview{TypeMeta: tm, Response: resp})
}
