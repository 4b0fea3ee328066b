package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestAuditListsWhatPredatesTheWebhook seeds violations while gateguard's
// webhooks are unregistered, registers them again, and runs the real
// `gateguard audit`: it must list exactly the seeded violations.
func TestAuditListsWhatPredatesTheWebhook(t *testing.T) {
	requireLocalGateguard(t)
	fixtures(t)
	ctx := context.Background()
	if err := env.UnregisterWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{"audit-a", "audit-b"} {
		mustApply(t, "apiVersion: v1\nkind: Namespace\nmetadata: {name: "+ns+"}\n")
	}
	mustApply(t, vsYAML("audit-a", "shop", "audit.example.com", "istio-system/public"))
	mustApply(t, vsYAML("audit-b", "shop-copy", "audit.example.com", "istio-system/public"))
	mustApply(t, vsYAML("audit-b", "ghost-ref", "ghost.example.com", "audit-b/ghost"))
	mustApply(t, httpsGateway("audit-a", "tls-missing", "audit-tls.example.com", "no-such-cert"))
	if err := env.RegisterWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, env.Gateguard.Binary, "audit", "--kubeconfig", env.Kubeconfig, "-o", "json")
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("gateguard audit: %v (want exit 1)\n%s", err, out)
	}
	var rep struct {
		Findings []struct {
			Rule, Action, Field string
			Object              struct{ Kind, Namespace, Name string }
		}
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.Object.Namespace, "audit-") {
			got = append(got, strings.Join([]string{f.Action, f.Rule, f.Object.Kind, f.Object.Namespace + "/" + f.Object.Name, f.Field}, " "))
		}
	}
	want := []string{
		"deny missing-credential Gateway audit-a/tls-missing spec.servers[0].tls.credentialName",
		"deny duplicate-host VirtualService audit-a/shop spec.hosts[0]",
		"warn unknown-gateway VirtualService audit-b/ghost-ref spec.gateways[0]",
		"deny duplicate-host VirtualService audit-b/shop-copy spec.hosts[0]",
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit findings in the seeded namespaces\n got: %q\nwant: %q", got, want)
	}
	// serve's periodic audit (every 2s in the suite) counts them too.
	eventually(t, func() error {
		if v := metricValue(t, `gateguard_existing_violations{action="deny",rule="missing-credential"}`); v < 1 {
			return fmt.Errorf("gauge = %v", v)
		}
		return nil
	})
}
