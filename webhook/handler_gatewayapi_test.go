package webhook

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/gateguard/gateguard/rules"
	"github.com/gateguard/gateguard/rules/manifest"
	"github.com/prometheus/client_golang/prometheus/testutil"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// gatewayReview builds a v1 AdmissionReview for a gateway.networking.k8s.io
// object of version; oldObject is sent as the stored object (DELETE).
func gatewayReview(version, kind, operation, namespace, name, object, oldObject string) []byte {
	gvk := metav1.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: version, Kind: kind}
	req := admissionv1.AdmissionRequest{UID: "1b6e8a4f-0000-4000-8000-000000000002", Kind: gvk,
		Resource:  metav1.GroupVersionResource{Group: gvk.Group, Version: version, Resource: strings.ToLower(kind) + "s"},
		Operation: admissionv1.Operation(operation), Namespace: namespace, Name: name}
	req.UserInfo.Username = "alice"
	req.Object.Raw, req.OldObject.Raw = rawOrNil(object), rawOrNil(oldObject)
	b, _ := json.Marshal(admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &req})
	return b
}

func rawOrNil(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}

// routeJSON is a route of kind in team-b on istio-system/public, with the
// given hostnames and listener ("" for any).
func routeJSON(version, kind, name, hostnames, section string) string {
	ref := `{"name":"public","namespace":"istio-system"`
	if section != "" {
		ref += `,"sectionName":"` + section + `"`
	}
	spec := `"parentRefs":[` + ref + `}]`
	if hostnames != "" {
		spec += `,"hostnames":` + hostnames
	}
	return `{"apiVersion":"gateway.networking.k8s.io/` + version + `","kind":"` + kind + `","metadata":{"name":"` + name +
		`","namespace":"team-b"},"spec":{` + spec + `}}`
}

// claimsSnapshot is testdata/gatewayapi-claims.yaml in a MemorySnapshot.
func claimsSnapshot(t *testing.T) *rules.MemorySnapshot {
	t.Helper()
	res, err := manifest.ReadFile("testdata/gatewayapi-claims.yaml")
	if err != nil {
		t.Fatal(err)
	}
	snap := rules.NewMemorySnapshot()
	for _, doc := range res.Documents {
		if err := snap.Add(doc.Object); err != nil {
			t.Fatal(err)
		}
	}
	return snap
}

const (
	shopDuplicate = `spec.hostnames[0]: Duplicate value: "shop.example.com": [duplicate-host] hostname "shop.example.com" is ` +
		`already claimed by HTTPRoute team-a/shop on HTTP port 80 of listener istio-system/public/http; Istio merges both ` +
		`into one virtual host, oldest first, and the more specific match wins, so either can take the other's paths: ` +
		`use a different hostname or a listener of your own, or ask the owner of team-a/shop`
	sniDuplicate = `spec.hostnames[0]: Duplicate value: "orders.db.example.com": [duplicate-host] SNI host ` +
		`"orders.db.example.com" is already routed by TLSRoute team-a/orders-db on TLS port 8443 of listener ` +
		`istio-system/public/tls; Istio silently skips the later one, while both report Accepted: use a different ` +
		`hostname, or ask the owner of team-a/orders-db`
	tcpDuplicate = `spec.parentRefs[0]: Forbidden: [duplicate-host] TCP listener istio-system/public/tcp already routes ` +
		`TCP to TCPRoute team-a/echo; Istio sends the listener's traffic to one route only, while both report Accepted: ` +
		`use a listener of your own, or ask the owner of team-a/echo`
)

// TestGatewayAPIKindsReachTheRules: each Gateway API kind and version the
// webhook is registered for is decoded and judged: the route kinds come
// back with duplicate-host's exact denial (the HTTP hostname, the SNI host,
// the TCP listener team-a holds), a route that claims nothing free is
// allowed, and Gateways, ListenerSets and ReferenceGrant deletions pass
// through the rules, counted under their kind.
func TestGatewayAPIKindsReachTheRules(t *testing.T) {
	s := newTestServer(t, claimsSnapshot(t))
	grant := `{"apiVersion":"gateway.networking.k8s.io/VERSION","kind":"ReferenceGrant","metadata":{"name":"g","namespace":"team-b"},
	  "spec":{"from":[{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","namespace":"team-a"}],"to":[{"group":"","kind":"Service"}]}}`
	gateway := func(version string) string {
		return `{"apiVersion":"gateway.networking.k8s.io/` + version + `","kind":"Gateway","metadata":{"name":"own","namespace":"team-b"},
		  "spec":{"gatewayClassName":"istio","listeners":[{"name":"http","port":80,"protocol":"HTTP"}]}}`
	}
	listenerSet := `{"apiVersion":"gateway.networking.k8s.io/v1","kind":"ListenerSet","metadata":{"name":"ls","namespace":"team-b"},
	  "spec":{"parentRef":{"name":"public","namespace":"istio-system"},"listeners":[{"name":"x","port":80,"protocol":"HTTP"}]}}`
	for _, tc := range []struct {
		name, version, kind, operation, object, oldObject string
		wantDenial                                        string // "" for allowed
	}{
		{"HTTPRoute v1 duplicate", "v1", "HTTPRoute", "CREATE", routeJSON("v1", "HTTPRoute", "shop", `["shop.example.com"]`, ""), "", shopDuplicate},
		{"HTTPRoute v1beta1 duplicate", "v1beta1", "HTTPRoute", "CREATE", routeJSON("v1beta1", "HTTPRoute", "shop", `["shop.example.com"]`, ""), "", shopDuplicate},
		{"GRPCRoute duplicate", "v1", "GRPCRoute", "CREATE", routeJSON("v1", "GRPCRoute", "shop", `["shop.example.com"]`, ""), "", shopDuplicate},
		{"TLSRoute duplicate", "v1", "TLSRoute", "CREATE", routeJSON("v1", "TLSRoute", "orders-db", `["orders.db.example.com"]`, "tls"), "", sniDuplicate},
		{"TCPRoute duplicate", "v1", "TCPRoute", "CREATE", routeJSON("v1", "TCPRoute", "echo", "", "tcp"), "", tcpDuplicate},
		{"HTTPRoute on a free hostname", "v1", "HTTPRoute", "CREATE", routeJSON("v1", "HTTPRoute", "cart", `["cart.example.com"]`, ""), "", ""},
		{"HTTPRoute UPDATE to a duplicate", "v1", "HTTPRoute", "UPDATE", routeJSON("v1", "HTTPRoute", "cart", `["shop.example.com"]`, ""),
			routeJSON("v1", "HTTPRoute", "cart", `["cart.example.com"]`, ""), shopDuplicate},
		{"Gateway v1", "v1", "Gateway", "CREATE", gateway("v1"), "", ""},
		{"Gateway v1beta1", "v1beta1", "Gateway", "CREATE", gateway("v1beta1"), "", ""},
		{"ListenerSet", "v1", "ListenerSet", "CREATE", listenerSet, "", ""},
		{"ReferenceGrant v1beta1 DELETE", "v1beta1", "ReferenceGrant", "DELETE", "", strings.Replace(grant, "VERSION", "v1beta1", 1), ""},
		{"ReferenceGrant v1 DELETE", "v1", "ReferenceGrant", "DELETE", "", strings.Replace(grant, "VERSION", "v1", 1), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, r := s.post(t, ValidatePath, "application/json",
				gatewayReview(tc.version, tc.kind, tc.operation, "team-b", "x", tc.object, tc.oldObject))
			resp := r.Response
			if code != 200 || resp == nil {
				t.Fatalf("HTTP %d, response %+v", code, resp)
			}
			if tc.wantDenial == "" {
				if !resp.Allowed || len(resp.Warnings) != 0 {
					t.Errorf("allowed %v, warnings %q, result %+v; want allowed without warnings", resp.Allowed, resp.Warnings, resp.Result)
				}
				return
			}
			if resp.Allowed || resp.Result.Code != 422 || len(resp.Result.Details.Causes) != 1 {
				t.Fatalf("allowed %v, result %+v; want a 422 with one cause", resp.Allowed, resp.Result)
			}
			cause := resp.Result.Details.Causes[0]
			if got := cause.Field + ": " + cause.Message; got != tc.wantDenial ||
				resp.Result.Details.Kind != tc.kind || resp.Result.Details.Group != "gateway.networking.k8s.io" {
				t.Errorf("denied %s.%s with %q, want %s", resp.Result.Details.Kind, resp.Result.Details.Group, got, tc.wantDenial)
			}
			if !strings.Contains(resp.Result.Message, tc.wantDenial) {
				t.Errorf("message %q, want it to hold %q", resp.Result.Message, tc.wantDenial)
			}
		})
	}
	for kind, want := range map[string]float64{"ReferenceGrant": 2, "Gateway": 2, "ListenerSet": 1, "HTTPRoute": 1} {
		op := map[string]string{"ReferenceGrant": "DELETE"}[kind]
		if op == "" {
			op = "CREATE"
		}
		if got := testutil.ToFloat64(s.metrics.decisions.WithLabelValues(kind, op, "", "allow")); got != want {
			t.Errorf("allowed %s %s counted %v, want %v", kind, op, got, want)
		}
	}
}

// TestMalformedGatewayAPIObjectsAre400: a Gateway API object that does not
// decode as the kind and version its request names gets a 400 with the
// reason, from the validating and the mutating handler alike.
func TestMalformedGatewayAPIObjectsAre400(t *testing.T) {
	s := newTestServer(t, claimsSnapshot(t))
	for _, tc := range []struct {
		name, version, kind, object, wantReason string
	}{
		{"hostnames not a list", "v1", "HTTPRoute", routeJSON("v1", "HTTPRoute", "shop", `"shop.example.com"`, ""), "decoding HTTPRoute: json: cannot unmarshal string"},
		{"listeners not a list", "v1", "Gateway", `{"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway","metadata":{"name":"g"},"spec":{"listeners":7}}`,
			"decoding Gateway: json: cannot unmarshal number"},
		{"body of another kind", "v1", "GRPCRoute", routeJSON("v1", "HTTPRoute", "shop", `["shop.example.com"]`, ""),
			"the object is HTTPRoute.gateway.networking.k8s.io, not GRPCRoute.gateway.networking.k8s.io"},
		{"a version the rules do not read", "v1alpha2", "TCPRoute", routeJSON("v1alpha2", "TCPRoute", "echo", "", "tcp"),
			"gateway.networking.k8s.io/v1alpha2, Kind=TCPRoute: kind not read by the rules"},
		{"metadata not an object", "v1", "TLSRoute", `{"apiVersion":"gateway.networking.k8s.io/v1","kind":"TLSRoute","metadata":"x"}`,
			"object: decoding TLSRoute: json: cannot unmarshal string"},
	} {
		for _, path := range []string{ValidatePath, MutatePath} {
			t.Run(tc.name+" "+path, func(t *testing.T) {
				code, r := s.post(t, path, "application/json", gatewayReview(tc.version, tc.kind, "CREATE", "team-b", "x", tc.object, ""))
				resp := r.Response
				if code != 200 || resp == nil || resp.Allowed || resp.Result.Code != 400 || !strings.Contains(resp.Result.Message, tc.wantReason) {
					t.Errorf("HTTP %d, response %+v; want a 400 with %q", code, resp, tc.wantReason)
				}
			})
		}
	}
}

// TestAdmittedRouteClaimIsReservedForTheNextRequest: a route admitted a
// moment ago, which the cache does not show yet, holds its hostname
// against the next request, of any route kind, from another namespace.
func TestAdmittedRouteClaimIsReservedForTheNextRequest(t *testing.T) {
	s := newTestServer(t, claimsSnapshot(t))
	inTeamC := func(route string) string {
		return strings.Replace(route, `"namespace":"team-b"},"spec"`, `"namespace":"team-c"},"spec"`, 1)
	}
	for _, tc := range []struct {
		first, second, secondKind, wantOwner string
	}{
		{routeJSON("v1", "HTTPRoute", "cart", `["cart.example.com"]`, ""), inTeamC(routeJSON("v1", "GRPCRoute", "cart", `["cart.example.com"]`, "")),
			"GRPCRoute", "HTTPRoute team-b/cart "},
		{routeJSON("v1", "TLSRoute", "ledger", `["ledger.db.example.com"]`, "tls"), inTeamC(routeJSON("v1", "TLSRoute", "ledger", `["ledger.db.example.com"]`, "tls")),
			"TLSRoute", "TLSRoute team-b/ledger "},
	} {
		var first struct {
			Kind string `json:"kind"`
		}
		if err := json.Unmarshal([]byte(tc.first), &first); err != nil {
			t.Fatal(err)
		}
		if _, r := s.post(t, ValidatePath, "application/json", gatewayReview("v1", first.Kind, "CREATE", "team-b", "x", tc.first, "")); !r.Response.Allowed {
			t.Fatalf("first %s denied: %+v", first.Kind, r.Response.Result)
		}
		_, r := s.post(t, ValidatePath, "application/json", gatewayReview("v1", tc.secondKind, "CREATE", "team-c", "x", tc.second, ""))
		if r.Response.Allowed || !strings.Contains(r.Response.Result.Details.Causes[0].Message, "already claimed by "+tc.wantOwner) &&
			!strings.Contains(r.Response.Result.Details.Causes[0].Message, "already routed by "+tc.wantOwner) {
			t.Errorf("%s after a reserved %s: %+v", tc.secondKind, first.Kind, r.Response.Result)
		}
	}
	if n := len(s.res.pending); n != 2 {
		t.Errorf("%d claims pending, want the two admitted routes", n)
	}
}

// TestKindServedAfterStartIsAllowedWithAWarning: a request for a Gateway
// API kind gateguard found unserved at start (its CRD came later) is not
// judged against a cache without its objects: allowed, with a warning
// that says to restart. A kind that was served is judged as ever.
func TestKindServedAfterStartIsAllowedWithAWarning(t *testing.T) {
	s := newTestServer(t, claimsSnapshot(t))
	kinds, err := gatewayAPIServed(mapperServing(gatewayv1.SchemeGroupVersion.WithKind("Gateway"),
		gatewayv1.SchemeGroupVersion.WithKind("GRPCRoute")))
	if err != nil {
		t.Fatal(err)
	}
	s.validator.kinds = kinds
	_, r := s.post(t, ValidatePath, "application/json",
		gatewayReview("v1", "HTTPRoute", "CREATE", "team-b", "shop", routeJSON("v1", "HTTPRoute", "shop", `["shop.example.com"]`, ""), ""))
	want := []string{"gateguard did not judge this HTTPRoute: its CRD was not served when gateguard started, so gateguard " +
		"holds none of them; restart gateguard to judge HTTPRoute objects"}
	if !r.Response.Allowed || !slices.Equal(r.Response.Warnings, want) {
		t.Errorf("allowed %v warnings %q, want allowed with %q", r.Response.Allowed, r.Response.Warnings, want)
	}
	_, r = s.post(t, ValidatePath, "application/json",
		gatewayReview("v1", "GRPCRoute", "CREATE", "team-b", "shop", routeJSON("v1", "GRPCRoute", "shop", `["shop.example.com"]`, ""), ""))
	if r.Response.Allowed {
		t.Errorf("a GRPCRoute, served from the start, was not judged: %+v", r.Response)
	}
}
