package charts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// badPolicy misspells a field on its line 4.
const badPolicy = `apiVersion: gateguard.dev/v1alpha1
kind: GatewayPolicy
defaults:
  gatewaySelectr: {istio: ingressgateway}
`

// TestPolicyValueIsTheConfigMapsFileAndRefusedWithItsLine gives the chart
// a policy with a misspelt field: the ConfigMap carries it byte for byte
// (so lines are the user's), and the real gateguard, started on that file
// as the Deployment mounts it, refuses it with its line and field before
// it reads anything from a cluster.
func TestPolicyValueIsTheConfigMapsFileAndRefusedWithItsLine(t *testing.T) {
	dir := t.TempDir()
	values := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(values, []byte(badPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	out, stderr, ok := helm(t, "template", "gateguard", chartDir, "-n", "gateguard-system", "--set-file", "policy="+values)
	if !ok {
		t.Fatalf("helm template: %s", stderr)
	}
	cm := find(t, decode(t, out), "ConfigMap", "gateguard-policy")
	policy, _, _ := unstructured.NestedString(cm.Object, "data", "policy.yaml")
	if policy != badPolicy {
		t.Fatalf("ConfigMap policy.yaml = %q, want the value as given", policy)
	}
	file := filepath.Join(dir, "mounted-policy.yaml")
	if err := os.WriteFile(file, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "gateguard")
	if b, err := exec.Command("go", "build", "-o", bin, "../cmd/gateguard").CombinedOutput(); err != nil {
		t.Fatalf("building gateguard: %v\n%s", err, b)
	}
	// No --kubeconfig and no cluster: the policy is refused first.
	_, stderr, ok = run(t, bin, "serve", "--policy", file, "--cert-dir", dir)
	// After the command's name ("gateguard" or "gateguard serve"), which
	// is not the chart's to say.
	want := ": policy " + file + `: invalid GatewayPolicy: line 4: defaults.gatewaySelectr: unknown field "gatewaySelectr"` + "\n"
	if ok || !strings.HasPrefix(stderr, "gateguard") || !strings.HasSuffix(stderr, want) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("gateguard serve (succeeded: %v) said %q, want one line ending %q", ok, stderr, want)
	}
}

// TestPolicyOfAnotherKindIsRefusedAtRender: a document that is not a
// GatewayPolicy (or not YAML) is refused by helm itself.
func TestPolicyOfAnotherKindIsRefusedAtRender(t *testing.T) {
	for name, policy := range map[string]string{
		"other kind": "apiVersion: v1\nkind: ConfigMap\n",
		"not yaml":   "kind: [GatewayPolicy\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, stderr, ok := helm(t, "template", "gateguard", chartDir, "--set-string", "policy="+policy)
			want := "policy must be a GatewayPolicy document (kind: GatewayPolicy)"
			if ok || !strings.Contains(stderr, want) {
				t.Errorf("helm template (succeeded: %v): %s\nwant an error with %q", ok, stderr, want)
			}
		})
	}
}

// TestSchemaRefusesWrongValues: values.schema.json refuses a wrong type
// or an unknown enum value at render, naming the value.
func TestSchemaRefusesWrongValues(t *testing.T) {
	for set, want := range map[string]string{
		"replicaCount=abc":                      "replicaCount",
		"certificates.mode=vault":               "certificates/mode",
		"webhook.failurePolicy.validation=Open": "webhook/failurePolicy/validation",
		"webhook.timeoutSeconds=31":             "webhook/timeoutSeconds",
		"serviceMonitor.enabled=yes":            "serviceMonitor/enabled",
		"replicas=2":                            "replicas",
	} {
		t.Run(set, func(t *testing.T) {
			_, stderr, ok := helm(t, "template", "gateguard", chartDir, "--set", set)
			if ok || !strings.Contains(stderr, "values don't meet the specifications of the schema") || !strings.Contains(stderr, want) {
				t.Errorf("helm template --set %s (succeeded: %v):\n%s\nwant a schema error naming %s", set, ok, stderr, want)
			}
		})
	}
}
