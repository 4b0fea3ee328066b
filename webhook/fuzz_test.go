package webhook

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	admissionv1beta1 "k8s.io/api/admission/v1beta1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	kjson "sigs.k8s.io/json"
)

// FuzzAdmissionReview throws arbitrary bodies at the validating and
// mutating handlers: every answer must be a decodable AdmissionReview, an
// error must carry a reason, and the UID of a request in a review of a
// version gateguard reads must be echoed. Seeds are
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
			var in admissionv1.AdmissionReview // read as the handler reads it: keys case-sensitively
			if kjson.UnmarshalCaseSensitivePreserveInts(body, &in) == nil && servedReview(in.TypeMeta) && in.Request != nil &&
				in.Request.UID != "" && rec.Code == http.StatusOK && out.Response.UID != in.Request.UID {
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

// FuzzReview holds gateguard's one-pass review decoding to
// controller-runtime's universal deserializer, which it replaces: a body
// it accepts, controller-runtime accepts too, with the same request, the
// same objects and the same apiVersion and kind; a review of v1 or v1beta1
// that controller-runtime accepts, it accepts too, unless
// controller-runtime read the apiVersion or kind from a key of another
// case (its TypeMeta sniff matches keys case-insensitively, its decode
// does not). Seeds are FuzzAdmissionReview's, in v1 and v1beta1.
func FuzzReview(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed)
		f.Add(bytes.Replace(seed, []byte(`"admission.k8s.io/v1"`), []byte(`"admission.k8s.io/v1beta1"`), 1))
	}
	// Where decoders part ways: repeated keys, keys in another case or
	// escaped, nulls, invalid UTF-8, the user's extra fields.
	for _, request := range []string{
		`{"uid":"a","uid":"b","object":{"x":1},"object":{"y":2}}`,
		`{"uid":"a"},"request":{"name":"b","oldObject":{}}`,
		`{"UID":"a","Name":"b","object":{}}`,
		`{"\u0075id":"a","n\u0061me":"b\u00e9","object":{}}`,
		`{"uid":null,"kind":null,"userInfo":null,"object":null,"oldObject":{},"dryRun":null}`,
		"{\"uid\":\"a\xffb\",\"object\":{}}",
		`{"uid":"a","userInfo":{"username":"u","groups":["g"],"extra":{"k":["v"],"e":null}},"dryRun":true,"object":[]}`,
	} {
		f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":` + request + `}`))
	}
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","Kind":"AdmissionReview","kind":"AdmissionReview","request":{"object":{}}}`))
	f.Add([]byte(`{"APIVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"object":{}}}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","APIVERSION":"admission.k8s.io/v1beta1","request":{"uid":"a","object":{}}}`))
	scheme := k8sruntime.NewScheme()
	if err := admissionv1.AddToScheme(scheme); err != nil {
		f.Fatal(err)
	}
	if err := admissionv1beta1.AddToScheme(scheme); err != nil {
		f.Fatal(err)
	}
	deserializer := serializer.NewCodecFactory(scheme).UniversalDeserializer()
	f.Fuzz(func(t *testing.T, body []byte) {
		ours, oursErr := decodeReview(body)
		theirs := unversionedReview{}
		theirs.Request = &admissionv1.AdmissionRequest{}
		theirs.SetGroupVersionKind(admissionv1.SchemeGroupVersion.WithKind("AdmissionReview"))
		_, gvk, theirsErr := deserializer.Decode(body, nil, &theirs)
		switch {
		case oursErr == nil && theirsErr != nil:
			t.Fatalf("accepted what controller-runtime refuses (%v): %q", theirsErr, body)
		case oursErr == nil:
			// controller-runtime sniffs the version case-insensitively,
			// gateguard reads the keys as written: either may stand.
			var tm metav1.TypeMeta
			_ = kjson.UnmarshalCaseSensitivePreserveInts(body, &tm)
			if got := ours.GroupVersionKind(); got != *gvk && got != tm.GroupVersionKind() {
				t.Fatalf("read %v, controller-runtime %v, as written %v: %q", got, *gvk, tm.GroupVersionKind(), body)
			}
			want := admissionv1.AdmissionRequest{}
			if theirs.Request != nil {
				want = *theirs.Request
			}
			if !equality.Semantic.DeepEqual(ours.Request.AdmissionRequest, want) {
				t.Fatalf("decoded\n%+v\ncontroller-runtime\n%+v\nfrom %q", ours.Request.AdmissionRequest, want, body)
			}
		case theirsErr == nil && servedReview(metav1.TypeMeta{APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind}):
			var tm metav1.TypeMeta
			if kjson.UnmarshalCaseSensitivePreserveInts(body, &tm) == nil && servedReview(tm) {
				t.Fatalf("refused (%v) a review controller-runtime accepts: %q", oursErr, body)
			}
		}
	})
}

// unversionedReview is how controller-runtime decodes a review of either
// version: into v1, through a type no scheme knows.
type unversionedReview struct{ admissionv1.AdmissionReview }
