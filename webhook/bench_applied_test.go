package webhook

import (
	"encoding/json"
	"testing"
)

// BenchmarkHandlerApplied is BenchmarkHandler's allowed cases with the
// objects as kubectl apply sends them, as the load tool's are: the
// last-applied annotation (a copy of the whole object) and a managedFields
// entry, which no rule reads.
func BenchmarkHandlerApplied(b *testing.B) {
	snap := benchSnapshot(b)
	h := newBenchHandlers(b, snap)
	newVS := kubectlApplied(b, benchVS("newcomer", "new", "new-0.g0.example.com", 0))
	tlsGW := kubectlApplied(b, `{"apiVersion":"networking.istio.io/v1","kind":"Gateway","metadata":{"name":"edge","namespace":"team-1"},
	  "spec":{"selector":{"istio":"ingressgateway"},"servers":[{"port":{"number":443,"name":"https","protocol":"HTTPS"},
	  "hosts":["edge.example.com"],"tls":{"mode":"SIMPLE","credentialName":"gw-7-cert"}}]}}`)
	bareGW := kubectlApplied(b, `{"apiVersion":"networking.istio.io/v1","kind":"Gateway","metadata":{"name":"bare","namespace":"team-1"},
	  "spec":{"servers":[{"port":{"number":80,"name":"http","protocol":"HTTP"},"hosts":["bare.example.com"]}]}}`)
	cases := []struct {
		name, path string
		body       []byte
	}{
		{"validate/new-vs-allowed", ValidatePath, review("VirtualService", "virtualservices", "CREATE", "new", "newcomer", newVS, false)},
		{"validate/tls-gateway-allowed", ValidatePath, review("Gateway", "gateways", "CREATE", "team-1", "edge", tlsGW, false)},
		{"mutate/gateway-without-selector", MutatePath, review("Gateway", "gateways", "CREATE", "team-1", "bare", bareGW, false)},
		{"floor/allow-all", benchFloorPath, review("VirtualService", "virtualservices", "CREATE", "new", "newcomer", newVS, false)},
		{"floor/controller-runtime-allow-all", benchCRFloorPath, review("VirtualService", "virtualservices", "CREATE", "new", "newcomer", newVS, false)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) { benchServe(b, h, c.path, c.body, true) })
	}
}

// kubectlApplied adds to obj the metadata kubectl apply leaves on it.
func kubectlApplied(b *testing.B, obj string) string {
	b.Helper()
	var o map[string]any
	if err := json.Unmarshal([]byte(obj), &o); err != nil {
		b.Fatal(err)
	}
	last, err := json.Marshal(o)
	if err != nil {
		b.Fatal(err)
	}
	meta := o["metadata"].(map[string]any)
	meta["generation"], meta["creationTimestamp"] = 1, "2026-07-01T10:00:00Z"
	meta["labels"] = map[string]string{"app.kubernetes.io/part-of": "shop"}
	meta["annotations"] = map[string]string{"kubectl.kubernetes.io/last-applied-configuration": string(last) + "\n"}
	meta["managedFields"] = []any{map[string]any{
		"manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "networking.istio.io/v1",
		"time": "2026-07-01T10:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": json.RawMessage(
			`{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}},` +
				`"f:labels":{".":{},"f:app.kubernetes.io/part-of":{}}},"f:spec":{}}`),
	}}
	out, err := json.Marshal(o)
	if err != nil {
		b.Fatal(err)
	}
	return string(out)
}
