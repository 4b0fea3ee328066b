package webhook

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/gateguard/gateguard/rules"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	admissionmetrics "sigs.k8s.io/controller-runtime/pkg/webhook/admission/metrics"
)

// serveReview posts body to h and returns the HTTP status and the answer.
func serveReview(h http.Handler, contentType string, body io.Reader) (int, string) {
	req := httptest.NewRequest(http.MethodPost, ValidatePath, body)
	req.Header.Set("Content-Type", contentType)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// reviewPair is the validating and mutating handlers twice over one
// snapshot: behind gateguard's review decoding, and behind
// controller-runtime's webhook.Admission, which Serve registered before.
type reviewPair struct{ validate, mutate, crValidate, crMutate http.Handler }

func newReviewPair(t *testing.T, snap rules.Snapshot) reviewPair {
	t.Helper()
	s := newTestServer(t, snap)
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	mut := &mutator{policy: s.policy, snapshot: s.validator.snapshot}
	return reviewPair{
		validate: admissionHandler("validate", s.validator, m, logr.Discard()),
		mutate:   admissionHandler("mutate", mut, m, logr.Discard()),
		crValidate: &webhook.Admission{Handler: countErrors("validate", s.validator, m.admissionErrors),
			LogConstructor: requestLogger},
		crMutate: &webhook.Admission{Handler: countErrors("mutate", mut, m.admissionErrors), LogConstructor: requestLogger},
	}
}

// TestReviewAnswersAsControllerRuntime: for reviews the apiserver sends —
// a denial with its field cause, an allowance with a warning, a patch, a
// dry run, a v1beta1 review, an UPDATE with its old object — the answer is
// byte for byte controller-runtime's.
func TestReviewAnswersAsControllerRuntime(t *testing.T) {
	p := newReviewPair(t, snapshotWithOwner(t))
	wildcardGW := `{"apiVersion":"networking.istio.io/v1","kind":"Gateway","metadata":{"name":"gw","namespace":"team-a"},
	  "spec":{"selector":{"istio":"ingressgateway"},"servers":[{"port":{"number":80,"name":"http","protocol":"HTTP"},"hosts":["*"]}]}}`
	bareGW := `{"apiVersion":"networking.istio.io/v1","kind":"Gateway","metadata":{"name":"gw","namespace":"team-a"},
	  "spec":{"servers":[{"port":{"number":80,"name":"http","protocol":"HTTP"},"hosts":["a.example.com"]}]}}`
	fresh := strings.ReplaceAll(shopVS, "shop.example.com", "fresh.example.com")
	update := strings.Replace(string(review("VirtualService", "virtualservices", "UPDATE", "team-b", "shop", fresh, true)),
		`"object":`, `"oldObject":`+fresh+`,"object":`, 1)
	cases := []struct {
		name     string
		mutating bool
		body     string
		want     string // a part of the answer, so the case cannot pass on two empty answers
	}{
		{"denied duplicate", false, string(review("VirtualService", "virtualservices", "CREATE", "team-b", "shop", shopVS, false)),
			`"reason":"Invalid","details":{"name":"shop","group":"networking.istio.io","kind":"VirtualService","causes":[{"reason":"FieldValueDuplicate"`},
		{"allowed with a warning", false, string(review("Gateway", "gateways", "CREATE", "team-a", "gw", wildcardGW, false)),
			`"allowed":true,"status":{"metadata":{},"code":200},"warnings":["spec.servers[0].hosts[0]: Invalid value: \"*\": [wildcard-host] `},
		{"dry run", false, string(review("VirtualService", "virtualservices", "CREATE", "team-b", "shop", fresh, true)), `"allowed":true`},
		{"update", false, update, `"allowed":true`},
		{"v1beta1", false, strings.Replace(string(review("VirtualService", "virtualservices", "CREATE", "team-b", "shop", fresh, true)),
			`"admission.k8s.io/v1"`, `"admission.k8s.io/v1beta1"`, 1), `{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1beta1",`},
		{"patched", true, string(review("Gateway", "gateways", "CREATE", "team-a", "gw", bareGW, false)),
			`"patch":"W3sib3AiOiJhZGQiLCJwYXRoIjoiL3NwZWMvc2VsZWN0b3IiLCJ2YWx1ZSI6eyJpc3RpbyI6ImluZ3Jlc3NnYXRld2F5In19XQ==","patchType":"JSONPatch"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ours, theirs := p.validate, p.crValidate
			if c.mutating {
				ours, theirs = p.mutate, p.crMutate
			}
			code, got := serveReview(ours, "application/json", strings.NewReader(c.body))
			crCode, want := serveReview(theirs, "application/json", strings.NewReader(c.body))
			if code != 200 || code != crCode || got != want || !strings.Contains(got, c.want) {
				t.Errorf("answer %d\n%s\ncontroller-runtime's %d\n%s\nwant it to hold %s", code, got, crCode, want, c.want)
			}
		})
	}
}

// TestReviewRefusals: each request that is not a review gateguard reads
// gets a 4xx answer with its reason, in controller-runtime's words where
// controller-runtime refused it too; the unknown versions it decoded as
// v1 are refused.
func TestReviewRefusals(t *testing.T) {
	p := newReviewPair(t, rules.NewMemorySnapshot())
	refusal := func(code, message string) string {
		return `{"response":{"uid":"","allowed":false,"status":{"metadata":{},"message":` + message + `,"code":` + code + `}}}` + "\n"
	}
	valid := string(review("Gateway", "gateways", "CREATE", "a", "b", shopVS, false))
	cases := []struct {
		name, contentType string
		body              io.Reader
		want              string
	}{
		{"empty body", "application/json", nil, refusal("400", `"request body is empty"`)},
		{"malformed JSON", "application/json", strings.NewReader("{nope"),
			refusal("400", `"couldn't get version/kind; json parse error: jsontext: invalid character 'o' in literal null (expecting 'u') after offset 2"`)},
		{"truncated JSON", "application/json", strings.NewReader(valid[:100]),
			refusal("400", `"couldn't get version/kind; json parse error: jsontext: unexpected EOF within \"/request/kind\" after offset 100"`)},
		{"wrong content type", "text/plain", strings.NewReader(valid), refusal("400", `"contentType=text/plain, expected application/json"`)},
		{"oversized, said up front", "application/json", bytes.NewReader(bytes.Repeat([]byte("x"), maxReviewSize)),
			refusal("413", `"request entity is too large; limit is 7340032 bytes"`)},
		{"oversized, found reading", "application/json", io.MultiReader(strings.NewReader(strings.Repeat("x", maxReviewSize))),
			refusal("413", `"request entity is too large; limit is 7340032 bytes"`)},
		{"unknown apiVersion", "application/json", strings.NewReader(strings.Replace(valid, "admission.k8s.io/v1", "admission.k8s.io/v2", 1)),
			refusal("400", `"apiVersion \"admission.k8s.io/v2\" kind \"AdmissionReview\" is not an AdmissionReview gateguard reads: it reads admission.k8s.io/v1 and admission.k8s.io/v1beta1"`)},
		{"no apiVersion", "application/json", strings.NewReader(`{"request":{"uid":"x","object":{}}}`),
			refusal("400", `"apiVersion \"\" kind \"\" is not an AdmissionReview gateguard reads: it reads admission.k8s.io/v1 and admission.k8s.io/v1beta1"`)},
		{"another kind", "application/json", strings.NewReader(strings.Replace(valid, `"AdmissionReview"`, `"AdmissionRequest"`, 1)),
			refusal("400", `"apiVersion \"admission.k8s.io/v1\" kind \"AdmissionRequest\" is not an AdmissionReview gateguard reads: it reads admission.k8s.io/v1 and admission.k8s.io/v1beta1"`)},
		{"request not an object", "application/json", strings.NewReader(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":"x"}`),
			refusal("400", `"the AdmissionReview does not decode: json: cannot unmarshal JSON string into Go webhook.requestJSON within \"/request\""`)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, got := serveReview(p.validate, c.contentType, c.body)
			// The JSON library says "cannot" or "unable to", chosen at
			// random once per process so that nobody depends on either.
			if got = strings.Replace(got, "json: unable to ", "json: cannot ", 1); code != 200 || got != c.want {
				t.Errorf("answer %d\n%s\nwant 200\n%s", code, got, c.want)
			}
		})
	}
}

// TestReviewWithoutARequest: a review that carries no request reaches the
// handler as an empty one, as under controller-runtime, which refuses it
// for the object it lacks, in a typed answer; the error is counted.
func TestReviewWithoutARequest(t *testing.T) {
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, rules.NewMemorySnapshot())
	h := admissionHandler("validate", s.validator, m, logr.Discard())
	_, got := serveReview(h, "application/json", strings.NewReader(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`))
	want := `{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","response":{"uid":"","allowed":false,` +
		`"status":{"metadata":{},"message":"the request carries no object","code":400}}}` + "\n"
	if got != want {
		t.Errorf("answer\n%s\nwant\n%s", got, want)
	}
	if n := testutil.ToFloat64(m.admissionErrors.WithLabelValues("validate", "400")); n != 1 {
		t.Errorf("errors counted %v, want 1", n)
	}
}

// TestReviewRecoversAPanic: a handler's panic is answered 500 with the
// request's UID and counted in controller-runtime's panic counter, and the
// handler ran with the request logger in its context.
func TestReviewRecoversAPanic(t *testing.T) {
	var sink logr.LogSink
	h := newReviewHandler(admission.HandlerFunc(func(ctx context.Context, _ admission.Request) admission.Response {
		sink = logf.FromContext(ctx).GetSink()
		panic("boom")
	}), logr.Discard())
	panics := admissionmetrics.WebhookPanics.WithLabelValues()
	before := testutil.ToFloat64(panics)
	body := review("VirtualService", "virtualservices", "CREATE", "team-b", "shop", shopVS, false)
	_, got := serveReview(h, "application/json", bytes.NewReader(body))
	want := `{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","response":{"uid":"1b6e8a4f-0000-4000-8000-000000000001",` +
		`"allowed":false,"status":{"metadata":{},"message":"panic: boom [recovered]","code":500}}}` + "\n"
	if got != want {
		t.Errorf("answer\n%s\nwant\n%s", got, want)
	}
	if n := testutil.ToFloat64(panics) - before; n != 1 {
		t.Errorf("panics counted %v, want 1", n)
	}
	if lazy, ok := sink.(lazyValues); !ok || len(lazy.values) != 2 || lazy.values[1] != "1b6e8a4f-0000-4000-8000-000000000001" {
		t.Errorf("the handler's logger is %#v, want requestLogger's with the UID", sink)
	}
}

// TestReviewKeepsTheObjectsInTheBody: object and oldObject are the body's
// own bytes, not copies, and a null one is absent, as in a RawExtension.
func TestReviewKeepsTheObjectsInTheBody(t *testing.T) {
	body := []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u",` +
		`"object":{"kind":"Gateway"},"oldObject":null,"options":{"kind":"CreateOptions"}}}`)
	in, err := decodeReview(body)
	if err != nil {
		t.Fatal(err)
	}
	req := in.Request
	if string(req.Object.Raw) != `{"kind":"Gateway"}` || req.OldObject.Raw != nil || string(req.Options.Raw) != `{"kind":"CreateOptions"}` {
		t.Fatalf("object %s oldObject %s options %s", req.Object.Raw, req.OldObject.Raw, req.Options.Raw)
	}
	at := bytes.Index(body, req.Object.Raw)
	if &body[at] != &req.Object.Raw[0] {
		t.Error("the object was copied out of the body")
	}
}

// TestReviewBodyShorterThanItsLength: a body that ends before its
// Content-Length is refused, not decoded from what came.
func TestReviewBodyShorterThanItsLength(t *testing.T) {
	h := newReviewHandler(admission.HandlerFunc(func(context.Context, admission.Request) admission.Response {
		return admission.Allowed("")
	}), logr.Discard())
	body := review("VirtualService", "virtualservices", "CREATE", "team-b", "shop", shopVS, false)
	req := httptest.NewRequest(http.MethodPost, ValidatePath, io.NopCloser(bytes.NewReader(body)))
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = int64(len(body)) + 10
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	want := `{"response":{"uid":"","allowed":false,"status":{"metadata":{},"message":"unexpected EOF","code":400}}}` + "\n"
	if rec.Body.String() != want {
		t.Errorf("answer\n%s\nwant\n%s", rec.Body.String(), want)
	}
}

// TestReadBodyAllocatesWhatArrives: a Content-Length of nearly the limit
// with a short body behind it makes readBody allocate for what came, not
// for what was said: held open, such requests would otherwise pin 7 MiB
// each.
func TestReadBodyAllocatesWhatArrives(t *testing.T) {
	req := httptest.NewRequest(http.MethodPost, ValidatePath, strings.NewReader(`{"kind":"AdmissionReview"}`))
	req.ContentLength = maxReviewSize - 1
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, rerr := readBody(req)
	runtime.ReadMemStats(&after)
	if rerr == nil {
		t.Fatal("a body shorter than its Content-Length was read")
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("readBody allocated %d bytes for a 26-byte body, want under 1 MiB", got)
	}
}
