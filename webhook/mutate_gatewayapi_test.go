package webhook

import (
	"reflect"
	"testing"

	"github.com/gateguard/gateguard/rules"
)

// TestMutationWarnsOfSkippedGatewayLabels: a default label classic Gateways
// select on is not patched onto a Gateway API Gateway, and the response
// says why; a route gets every label, with no warning.
func TestMutationWarnsOfSkippedGatewayLabels(t *testing.T) {
	p, err := rules.ParsePolicy([]byte("apiVersion: gateguard.dev/v1alpha1\nkind: GatewayPolicy\n" +
		"defaults:\n  labels: {istio: edge, team: shop}\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, rules.NewMemorySnapshot())
	s.policy.current.Store(p)
	gw := `{"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway","metadata":{"name":"gw","namespace":"shop"},` +
		`"spec":{"gatewayClassName":"istio","listeners":[{"name":"http","port":80,"protocol":"HTTP"}]}}`
	_, r := s.post(t, MutatePath, "application/json", gatewayReview("v1", "Gateway", "CREATE", "shop", "gw", gw, ""))
	wantPatch := `[{"op":"add","path":"/metadata/labels","value":{"team":"shop"}}]`
	wantWarnings := []string{`metadata.labels[istio]: Forbidden: [default-labels] not adding the policy's label ` +
		`istio=edge: a Gateway's labels are copied onto its pods, and networking.istio.io Gateways select gateway pods ` +
		`on the key "istio", so they could pick this Gateway's pods and serve their hosts there: set it on the Gateway ` +
		`yourself if that is what you mean`}
	if !r.Response.Allowed || string(r.Response.Patch) != wantPatch || !reflect.DeepEqual(r.Response.Warnings, wantWarnings) {
		t.Errorf("Gateway: allowed %v patch %s warnings %q", r.Response.Allowed, r.Response.Patch, r.Response.Warnings)
	}
	route := routeJSON("v1", "HTTPRoute", "shop", `["shop.example.com"]`, "")
	_, r = s.post(t, MutatePath, "application/json", gatewayReview("v1", "HTTPRoute", "CREATE", "team-b", "shop", route, ""))
	wantPatch = `[{"op":"add","path":"/metadata/labels","value":{"istio":"edge","team":"shop"}}]`
	if !r.Response.Allowed || string(r.Response.Patch) != wantPatch || len(r.Response.Warnings) != 0 {
		t.Errorf("HTTPRoute: allowed %v patch %s warnings %q", r.Response.Allowed, r.Response.Patch, r.Response.Warnings)
	}
}
