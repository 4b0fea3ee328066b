package webhook

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// The AdmissionReview versions gateguard reads.
const (
	reviewV1      = "admission.k8s.io/v1"
	reviewV1beta1 = "admission.k8s.io/v1beta1"
)

// maxReviewSize is controller-runtime's limit on a review's body: two
// objects of at most 3 MiB each, and 1 MiB for the rest of the request.
const maxReviewSize = 7 << 20

// reviewError is a request refused before any handler sees it, with the
// code it is answered with.
type reviewError struct {
	code int32
	err  error
}

func (e *reviewError) Error() string { return e.err.Error() }
func (e *reviewError) Unwrap() error { return e.err }

// refuse is err answered with code.
func refuse(code int32, err error) *reviewError { return &reviewError{code: code, err: err} }

// incomingReview is a request and the apiVersion and kind of the
// AdmissionReview that carried it, which its answer must repeat.
type incomingReview struct {
	metav1.TypeMeta
	Request admission.Request
}

// readReview reads and decodes r's AdmissionReview, refusing what
// controller-runtime refuses, in its order and words: an empty body, one
// of 7 MiB or more (413), a content type other than application/json,
// malformed JSON. It refuses too an AdmissionReview of an apiVersion or
// kind gateguard does not read, which controller-runtime would decode
// as v1 whatever it said.
func readReview(r *http.Request) (incomingReview, *reviewError) {
	body, rerr := readBody(r)
	if rerr != nil {
		return incomingReview{}, rerr
	}
	if contentType := r.Header.Get("Content-Type"); contentType != "application/json" {
		return incomingReview{}, refuse(http.StatusBadRequest, fmt.Errorf("contentType=%s, expected application/json", contentType))
	}
	return decodeReview(body)
}

// readBody reads r's body whole, up to maxReviewSize, into a buffer of
// the size its Content-Length gives (the apiserver always sends it) up to
// upfrontBytes: a review of a usual size is one allocation, where
// io.ReadAll grows and copies as it reads. Past that the buffer grows
// only as bytes arrive, so a client that says 7 MiB and sends nothing
// makes gateguard hold nothing like it.
func readBody(r *http.Request) ([]byte, *reviewError) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, refuse(http.StatusBadRequest, errors.New("request body is empty"))
	}
	defer r.Body.Close()
	if r.ContentLength >= maxReviewSize {
		return nil, tooLarge() // said up front: nothing to read
	}
	limited := &io.LimitedReader{R: r.Body, N: maxReviewSize}
	body := bytes.NewBuffer(make([]byte, 0, min(max(r.ContentLength, 0), upfrontBytes)+bytes.MinRead))
	if _, err := body.ReadFrom(limited); err != nil {
		return nil, refuse(http.StatusBadRequest, err)
	}
	if limited.N <= 0 {
		return nil, tooLarge()
	}
	if r.ContentLength > 0 && int64(body.Len()) != r.ContentLength {
		return nil, refuse(http.StatusBadRequest, io.ErrUnexpectedEOF)
	}
	return body.Bytes(), nil
}

// upfrontBytes bounds what a Content-Length alone makes readBody allocate.
const upfrontBytes = 64 << 10

// tooLarge refuses a body of maxReviewSize or more.
func tooLarge() *reviewError {
	return refuse(http.StatusRequestEntityTooLarge, fmt.Errorf("request entity is too large; limit is %d bytes", maxReviewSize))
}

// reviewJSON is an AdmissionReview's JSON, decoded in one pass: no
// TypeMeta sniff first, and the request's object, oldObject and options
// kept as slices of the body rather than copied out of it. The decoder is
// github.com/go-json-experiment/json, the code Go 1.26 ships as
// encoding/json/v2 behind GOEXPERIMENT=jsonv2: encoding/json, and
// sigs.k8s.io/json, its fork that controller-runtime decodes with, scan
// the whole input to validate it before a second pass decodes it, and
// allocate each string afresh; this one validates as it decodes, in a
// quarter of the time.
type reviewJSON struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	Request    requestJSON `json:"request"`
}

// requestJSON is an AdmissionRequest whose three raw fields, shallower
// than the embedded ones of the same JSON names, take their place.
type requestJSON struct {
	admissionv1.AdmissionRequest
	Object    bodySlice `json:"object"`
	OldObject bodySlice `json:"oldObject"`
	Options   bodySlice `json:"options"`
}

// bodySlice is a JSON value left undecoded, as the very bytes of the body
// it was read from: a body is read afresh for each request and kept, never
// reused, so the slice needs no copy, unlike RawExtension's. A null leaves
// it empty, as it leaves a RawExtension.
type bodySlice []byte

func (s *bodySlice) UnmarshalJSON(data []byte) error {
	if string(data) != "null" {
		*s = data
	}
	return nil
}

// decodeReview decodes body, which must be an AdmissionReview of a
// version gateguard reads, as sigs.k8s.io/json would: keys match
// case-sensitively, a repeated key's last value wins, invalid UTF-8 is
// replaced (json's defaults refuse both). An absent request is an empty
// one, which the handlers refuse for the object it lacks.
func decodeReview(body []byte) (incomingReview, *reviewError) {
	var in reviewJSON
	if err := json.Unmarshal(body, &in, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)); err != nil {
		if syntax := (*jsontext.SyntacticError)(nil); errors.As(err, &syntax) {
			// controller-runtime's words, which clients already match
			return incomingReview{}, refuse(http.StatusBadRequest, fmt.Errorf("couldn't get version/kind; json parse error: %w", err))
		}
		return incomingReview{}, refuse(http.StatusBadRequest, fmt.Errorf("the AdmissionReview does not decode: %w", err))
	}
	tm := metav1.TypeMeta{APIVersion: in.APIVersion, Kind: in.Kind}
	if !servedReview(tm) {
		return incomingReview{}, refuse(http.StatusBadRequest, fmt.Errorf("apiVersion %q kind %q is not an AdmissionReview gateguard "+
			"reads: it reads %s and %s", tm.APIVersion, tm.Kind, reviewV1, reviewV1beta1))
	}
	req := admission.Request{AdmissionRequest: in.Request.AdmissionRequest}
	req.Object.Raw, req.OldObject.Raw, req.Options.Raw = in.Request.Object, in.Request.OldObject, in.Request.Options
	return incomingReview{TypeMeta: tm, Request: req}, nil
}

// servedReview: admission.k8s.io v1, or v1beta1, whose schema is v1's
// (controller-runtime decodes both into v1) and whose answer is typed
// v1beta1 for the apiserver that asked in it.
func servedReview(tm metav1.TypeMeta) bool {
	return tm.Kind == "AdmissionReview" && (tm.APIVersion == reviewV1 || tm.APIVersion == reviewV1beta1)
}
