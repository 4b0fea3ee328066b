package webhook

import (
	"testing"

	"github.com/gateguard/gateguard/rules"
	admissionv1 "k8s.io/api/admission/v1"
)

// TestMutationPatchEscapesLabelKeys: the patch the handler answers with
// adds each missing label under the object's own labels, its key escaped
// as a JSON pointer ("/" as ~1; a policy's label keys cannot hold "~",
// whose escaping rules' TestJSONPatch pins), and leaves the labels it has.
func TestMutationPatchEscapesLabelKeys(t *testing.T) {
	p, err := rules.ParsePolicy([]byte("apiVersion: gateguard.dev/v1alpha1\nkind: GatewayPolicy\ndefaults:\n  labels: {app.kubernetes.io/managed-by: gateguard, example.com/cost-center: cc-42}\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, rules.NewMemorySnapshot())
	s.policy.current.Store(p)
	vs := `{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"shop","namespace":"team-a",` +
		`"labels":{"app":"shop"}},"spec":{"hosts":["shop.example.com"]}}`
	_, r := s.post(t, MutatePath, "application/json", review("VirtualService", "virtualservices", "CREATE", "team-a", "shop", vs, false))
	want := `[{"op":"add","path":"/metadata/labels/app.kubernetes.io~1managed-by","value":"gateguard"},` +
		`{"op":"add","path":"/metadata/labels/example.com~1cost-center","value":"cc-42"}]`
	if !r.Response.Allowed || string(r.Response.Patch) != want || *r.Response.PatchType != admissionv1.PatchTypeJSONPatch {
		t.Errorf("allowed %v patch %s, want %s", r.Response.Allowed, r.Response.Patch, want)
	}
}
