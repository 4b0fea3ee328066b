package webhook

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
)

// FuzzAdmissionReview throws arbitrary bodies at the validating and
// mutating handlers: every answer must be a decodable AdmissionReview, an
// error must carry a reason, and a request's UID must be echoed. Seeds are
// the rules corpus wrapped in reviews, plus malformed ones.
func FuzzAdmissionReview(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed)
	}
	s := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, path := range []string{ValidatePath, MutatePath} {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			s.ServeHTTP(rec, req)
			var out admissionv1.AdmissionReview
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Response == nil {
				t.Fatalf("%s answered %d with no AdmissionReview: %q", path, rec.Code, rec.Body.String())
			}
			if !out.Response.Allowed && (out.Response.Result == nil || out.Response.Result.Message == "") {
				t.Fatalf("%s refused without a reason: %+v", path, out.Response)
			}
			var in admissionv1.AdmissionReview
			if json.Unmarshal(body, &in) == nil && in.Request != nil && in.Request.UID != "" &&
				rec.Code == http.StatusOK && out.Response.UID != in.Request.UID {
				t.Fatalf("%s did not echo uid %q: %q", path, in.Request.UID, out.Response.UID)
			}
		}
	})
}

// newFuzzServer is the handlers over the corpus's cluster state.
func newFuzzServer(f *testing.F) http.Handler {
	snap := snapshotWithOwnerTB(f)
	return newTestServerTB(f, snap).Config.Handler
}

// fuzzSeeds wraps every rules corpus document in CREATE and UPDATE reviews.
func fuzzSeeds(f *testing.F) [][]byte {
	seeds := [][]byte{nil, []byte("{}"), []byte(`{"request":{}}`), []byte(`{"request":{"uid":"x","object":{}}}`)}
	for _, d := range corpusDocuments(f) {
		raw, _ := json.Marshal(d.Object)
		kind := d.Object.GetObjectKind().GroupVersionKind().Kind
		seeds = append(seeds, review(kind, "", "CREATE", d.Object.GetNamespace(), d.Object.GetName(), string(raw), false))
	}
	return seeds
}
