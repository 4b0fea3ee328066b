package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gateguard/gateguard/rules"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	admissionv1 "k8s.io/api/admission/v1"
)

// testServer serves the validating and mutating handlers over a snapshot.
type testServer struct {
	*httptest.Server
	validator *validator
	metrics   *metrics
	res       *reservations
	policy    *policySource
}

func newTestServer(t *testing.T, snap rules.Snapshot) *testServer {
	return newTestServerTB(t, snap)
}

func newTestServerTB(t testing.TB, snap rules.Snapshot) *testServer {
	t.Helper()
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	src := &policySource{}
	src.current.Store(rules.DefaultPolicy())
	snapshot := func(context.Context) rules.Snapshot { return snap }
	res := newReservations(time.Minute, absentStore{}, logr.Discard())
	mux := http.NewServeMux()
	v := &validator{policy: src, snapshot: snapshot, reservations: res, metrics: m}
	mux.Handle(ValidatePath, admissionHandler("validate", v, m, logr.Discard()))
	mux.Handle(MutatePath, admissionHandler("mutate", &mutator{policy: src, snapshot: snapshot}, m, logr.Discard()))
	s := &testServer{Server: httptest.NewServer(mux), validator: v, metrics: m, res: res, policy: src}
	t.Cleanup(s.Close)
	return s
}

// post sends body and returns the HTTP status and decoded review.
func (s *testServer) post(t *testing.T, path, contentType string, body []byte) (int, *admissionv1.AdmissionReview) {
	t.Helper()
	resp, err := http.Post(s.URL+path, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	review := &admissionv1.AdmissionReview{}
	if err := json.Unmarshal(data, review); err != nil {
		t.Fatalf("response is not an AdmissionReview: %v: %s", err, data)
	}
	return resp.StatusCode, review
}

// review builds a v1 AdmissionReview for an object.
func review(kind, resource, operation, namespace, name, object string, dryRun bool) []byte {
	r := map[string]any{
		"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
		"request": map[string]any{
			"uid":       "1b6e8a4f-0000-4000-8000-000000000001",
			"kind":      map[string]string{"group": "networking.istio.io", "version": "v1", "kind": kind},
			"resource":  map[string]string{"group": "networking.istio.io", "version": "v1", "resource": resource},
			"operation": operation, "namespace": namespace, "name": name, "dryRun": dryRun,
			"userInfo": map[string]any{"username": "alice", "groups": []string{"dev"}},
			"object":   json.RawMessage(object),
		},
	}
	b, _ := json.Marshal(r)
	return b
}

const shopVS = `{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"shop","namespace":"team-b"},
"spec":{"hosts":["shop.example.com"],"gateways":["istio-system/public"],"http":[{"route":[{"destination":{"host":"shop"}}]}]}}`

// snapshotWithOwner holds a Gateway and team-a's VirtualService for shop.example.com.
func snapshotWithOwner(t *testing.T) *rules.MemorySnapshot { return snapshotWithOwnerTB(t) }

func snapshotWithOwnerTB(t testing.TB) *rules.MemorySnapshot {
	t.Helper()
	snap := rules.NewMemorySnapshot()
	for _, doc := range []string{
		`{"apiVersion":"networking.istio.io/v1","kind":"Gateway","metadata":{"name":"public","namespace":"istio-system"},
		  "spec":{"selector":{"istio":"ingressgateway"},"servers":[{"port":{"number":80,"name":"http","protocol":"HTTP"},"hosts":["*.example.com"]}]}}`,
		strings.Replace(shopVS, `"team-b"`, `"team-a"`, 1),
	} {
		obj, err := rules.DecodeObject([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if err := snap.Add(obj); err != nil {
			t.Fatal(err)
		}
	}
	return snap
}

func TestDenialIsInvalidWithFieldCauses(t *testing.T) {
	s := newTestServer(t, snapshotWithOwner(t))
	code, r := s.post(t, ValidatePath, "application/json", review("VirtualService", "virtualservices", "CREATE", "team-b", "shop", shopVS, false))
	resp := r.Response
	if code != 200 || resp.Allowed || resp.UID != "1b6e8a4f-0000-4000-8000-000000000001" {
		t.Fatalf("code %d allowed %v uid %q", code, resp.Allowed, resp.UID)
	}
	st := resp.Result
	if st.Code != 422 || st.Reason != "Invalid" || len(st.Details.Causes) != 1 {
		t.Fatalf("status %+v", st)
	}
	cause := st.Details.Causes[0]
	wantMsg := `Duplicate value: "shop.example.com": [duplicate-host] host "shop.example.com" is already claimed by ` +
		`VirtualService team-a/shop on HTTP port 80 of gateway pods {istio=ingressgateway} (Gateway istio-system/public); ` +
		`use a different host, bind to another gateway, or ask the owner of team-a/shop`
	if cause.Field != "spec.hosts[0]" || cause.Message != wantMsg || cause.Type != "FieldValueDuplicate" {
		t.Errorf("cause = %+v", cause)
	}
	if got := testutil.ToFloat64(s.metrics.decisions.WithLabelValues("VirtualService", "CREATE", "duplicate-host", "deny")); got != 1 {
		t.Errorf("deny metric = %v, want 1", got)
	}
}

func TestDryRunDecidesAlikeAndReservesNothing(t *testing.T) {
	s := newTestServer(t, snapshotWithOwner(t))
	fresh := strings.ReplaceAll(shopVS, "shop.example.com", "new.example.com")
	for range 2 {
		if _, r := s.post(t, ValidatePath, "application/json", review("VirtualService", "virtualservices", "CREATE", "team-b", "shop", fresh, true)); !r.Response.Allowed {
			t.Fatalf("dry run denied: %+v", r.Response.Result)
		}
	}
	if n := len(s.res.pending); n != 0 {
		t.Errorf("a dry run reserved %d claims", n)
	}
	_, dry := s.post(t, ValidatePath, "application/json", review("VirtualService", "virtualservices", "CREATE", "team-b", "shop", shopVS, true))
	_, real := s.post(t, ValidatePath, "application/json", review("VirtualService", "virtualservices", "CREATE", "team-b", "shop", shopVS, false))
	if dry.Response.Allowed || dry.Response.Result.Details.Causes[0] != real.Response.Result.Details.Causes[0] {
		t.Errorf("dry run decided differently: %+v vs %+v", dry.Response.Result, real.Response.Result)
	}
}

func TestAdmittedClaimIsReservedForTheNextRequest(t *testing.T) {
	s := newTestServer(t, snapshotWithOwner(t))
	fresh := strings.ReplaceAll(shopVS, "shop.example.com", "race.example.com")
	if _, r := s.post(t, ValidatePath, "application/json", review("VirtualService", "virtualservices", "CREATE", "team-b", "shop", fresh, false)); !r.Response.Allowed {
		t.Fatal("first create denied")
	}
	other := strings.Replace(fresh, `"name":"shop"`, `"name":"shop2"`, 1)
	_, r := s.post(t, ValidatePath, "application/json", review("VirtualService", "virtualservices", "CREATE", "team-b", "shop2", other, false))
	if r.Response.Allowed || !strings.Contains(r.Response.Result.Details.Causes[0].Message, "VirtualService team-b/shop ") {
		t.Errorf("second create of the reserved host: %+v", r.Response.Result)
	}
}

func TestWarningsRideOnAllowedResponses(t *testing.T) {
	s := newTestServer(t, rules.NewMemorySnapshot())
	gw := `{"apiVersion":"networking.istio.io/v1","kind":"Gateway","metadata":{"name":"gw","namespace":"team-a"},
	  "spec":{"selector":{"istio":"ingressgateway"},"servers":[{"port":{"number":80,"name":"http","protocol":"HTTP"},"hosts":["*"]}]}}`
	_, r := s.post(t, ValidatePath, "application/json", review("Gateway", "gateways", "CREATE", "team-a", "gw", gw, false))
	want := `spec.servers[0].hosts[0]: Invalid value: "*": [wildcard-host] ` + msgCatchAllServerText
	if !r.Response.Allowed || len(r.Response.Warnings) != 1 || r.Response.Warnings[0] != want {
		t.Errorf("allowed %v warnings %q", r.Response.Allowed, r.Response.Warnings)
	}
}

func TestMutationPatchesTheRawObject(t *testing.T) {
	s := newTestServer(t, rules.NewMemorySnapshot())
	// Unknown spec fields and odd number formats must survive: the patch
	// only adds, computed against the raw bytes.
	gw := `{"apiVersion":"networking.istio.io/v1","kind":"Gateway","metadata":{"name":"gw","namespace":"team-a"},
	  "spec":{"servers":[{"port":{"number":80,"name":"http","protocol":"HTTP"},"hosts":["a.example.com"]}]}}`
	_, r := s.post(t, MutatePath, "application/json", review("Gateway", "gateways", "CREATE", "team-a", "gw", gw, false))
	want := `[{"op":"add","path":"/spec/selector","value":{"istio":"ingressgateway"}}]`
	if !r.Response.Allowed || string(r.Response.Patch) != want || *r.Response.PatchType != admissionv1.PatchTypeJSONPatch {
		t.Errorf("allowed %v patch %s", r.Response.Allowed, r.Response.Patch)
	}
	// No mutation reads an update's old object, so it is not decoded: one
	// that would not decode does not change the patch.
	update := strings.Replace(string(review("Gateway", "gateways", "UPDATE", "team-a", "gw", gw, false)), `"object":`,
		`"oldObject":{"apiVersion":"networking.istio.io/v1","kind":"Gateway","spec":{"servers":"nope"}},"object":`, 1)
	_, r = s.post(t, MutatePath, "application/json", []byte(update))
	if !r.Response.Allowed || string(r.Response.Patch) != want {
		t.Errorf("update: allowed %v patch %s result %v", r.Response.Allowed, r.Response.Patch, r.Response.Result)
	}
	withSelector := strings.Replace(gw, `"spec":{`, `"spec":{"selector":{"app":"gw"},`, 1)
	_, r = s.post(t, MutatePath, "application/json", review("Gateway", "gateways", "CREATE", "team-a", "gw", withSelector, false))
	if !r.Response.Allowed || r.Response.Patch != nil {
		t.Errorf("a Gateway with a selector was patched: %s", r.Response.Patch)
	}
}

// TestBadInput: every malformed request gets a 4xx-coded answer with a
// reason, never a panic.
func TestBadInput(t *testing.T) {
	s := newTestServer(t, rules.NewMemorySnapshot())
	configMap := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}`
	cases := []struct {
		name, contentType string
		body              []byte
		wantCode          int32
		wantReason        string
	}{
		{"empty body", "application/json", nil, 400, "request body is empty"},
		{"not json", "application/json", []byte("{nope"), 400, "couldn't get version/kind"},
		{"wrong content type", "text/plain", review("Gateway", "gateways", "CREATE", "a", "b", shopVS, false), 400, "contentType=text/plain, expected application/json"},
		{"no request", "application/json", []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`), 400, "the request carries no object"},
		{"kind mismatch", "application/json", review("Gateway", "gateways", "CREATE", "team-b", "shop", shopVS, false), 400,
			"the object is VirtualService.networking.istio.io, not Gateway.networking.istio.io"},
		{"unknown kind", "application/json", review("ConfigMap", "configmaps", "CREATE", "a", "x", configMap, false), 400, "kind not read by the rules"},
		{"undecodable object", "application/json", review("Gateway", "gateways", "CREATE", "a", "b",
			`{"apiVersion":"networking.istio.io/v1","kind":"Gateway","metadata":{"name":"b"},"spec":{"servers":"nope"}}`, false), 400, "decoding Gateway"},
		{"huge body", "application/json", bytes.Repeat([]byte("x"), 10<<20), 413, "request entity is too large"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, r := s.post(t, ValidatePath, c.contentType, c.body)
			if r.Response == nil || r.Response.Allowed || r.Response.Result.Code != c.wantCode ||
				!strings.Contains(r.Response.Result.Message, c.wantReason) {
				t.Errorf("response %+v, want code %d with %q", r.Response, c.wantCode, c.wantReason)
			}
		})
	}
}

// msgCatchAllServerText is wildcard-host's message for a Gateway server "*".
const msgCatchAllServerText = `server host "*" accepts every host name on this HTTP listener; list the hosts this Gateway serves`
