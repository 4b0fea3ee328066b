package charts

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// TestAlertRules renders the PrometheusRule, passes its groups to
// promtool check rules and runs testdata/alerts_test.yaml on them with
// promtool test rules. Every alert must have a test that fires it and one
// that does not.
func TestAlertRules(t *testing.T) {
	rule := find(t, render(t, "prometheusRule.enabled=true", "serviceMonitor.enabled=true"), "PrometheusRule", "gateguard")
	groups, _, _ := unstructured.NestedSlice(rule.Object, "spec", "groups")
	rules, err := yaml.Marshal(map[string]any{"groups": groups})
	if err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile(filepath.Join("testdata", "alerts_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, data := range map[string][]byte{"rules.yaml": rules, "alerts_test.yaml": tests} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	promtool := filepath.Join(chartTools(t), "promtool")
	if out, stderr, ok := run(t, promtool, "check", "rules", filepath.Join(dir, "rules.yaml")); !ok {
		t.Errorf("promtool check rules:\n%s%s", out, stderr)
	}
	if out, stderr, ok := run(t, promtool, "test", "rules", filepath.Join(dir, "alerts_test.yaml")); !ok {
		t.Errorf("promtool test rules:\n%s%s", out, stderr)
	}
	checkEveryAlertTested(t, groups, tests)
}

// checkEveryAlertTested: each alert of the rules has a test expecting it
// to fire and one expecting it not to.
func checkEveryAlertTested(t *testing.T, groups []any, testFile []byte) {
	var suite struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string
				ExpAlerts []any `json:"exp_alerts"`
			} `json:"alert_rule_test"`
		}
	}
	if err := yaml.Unmarshal(testFile, &suite); err != nil {
		t.Fatal(err)
	}
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, tc := range suite.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else {
				quiet[a.Alertname] = true
			}
		}
	}
	var alerts []string
	for _, g := range groups {
		rules, _, _ := unstructured.NestedSlice(g.(map[string]any), "rules")
		for _, r := range rules {
			alerts = append(alerts, r.(map[string]any)["alert"].(string))
		}
	}
	for _, a := range alerts {
		if !fires[a] || !quiet[a] {
			t.Errorf("alert %s: a test that fires it: %v, one that does not: %v", a, fires[a], quiet[a])
		}
	}
	for name := range fires {
		if !slices.Contains(alerts, name) {
			t.Errorf("testdata/alerts_test.yaml tests %s, which the rules do not have", name)
		}
	}
	want := []string{"GateguardDown", "GateguardNoReplicaReady", "GateguardAdmissionLatencyHigh", "GateguardWebhookCallsFailing",
		"GateguardWebhookFailingOpen", "GateguardErrorResponses", "GateguardAdmissionErrors", "GateguardSnapshotErrors", "GateguardCertificateNearExpiry",
		"GateguardCertificateUnreadable", "GateguardPolicyReloadFailing", "GateguardHostClaimsFailing",
		"GateguardHostClaimsNotSwept", "GateguardExistingViolations"}
	if !slices.Equal(alerts, want) {
		t.Errorf("alerts rendered\n got: %q\nwant: %q", alerts, want)
	}
}
