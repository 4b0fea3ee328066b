package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// dashboard is the chart's Grafana dashboard.
const dashboard = "../charts/gateguard/files/dashboard.json"

// TestDashboardQueriesNameLiveMetrics parses every query of the chart's
// dashboard with Prometheus' PromQL parser (dashboardmetrics, built from
// the pinned prometheus module) and checks that each metric it names is on
// this gateguard's /metrics, once a decision, a policy reload, an
// existing violation and a sweep of the host claims have happened. A
// renamed metric fails it: shown here with a copy of the dashboard whose
// query names one metric wrongly.
func TestDashboardQueriesNameLiveMetrics(t *testing.T) {
	requireLocalGateguard(t)
	fixtures(t)
	names := dashboardMetrics(t, dashboard)
	want := []string{
		"controller_runtime_webhook_latency_seconds_bucket", "gateguard_admission_errors_total",
		"gateguard_claims_backfills_total", "gateguard_claims_held", "gateguard_claims_sweeps_total",
		"gateguard_claims_takeovers_total", "gateguard_decisions_total", "gateguard_existing_violations",
		"gateguard_policy_reloads_total",
		"gateguard_serving_certificate_expiry_timestamp_seconds", "gateguard_snapshot_errors_total",
	}
	if !slices.Equal(names, want) {
		t.Errorf("the dashboard's queries name\n %q\nwant\n %q", names, want)
	}
	seedEverySeries(t)
	eventually(t, func() error { return missingFromMetrics(names) })

	data, err := os.ReadFile(dashboard)
	if err != nil {
		t.Fatal(err)
	}
	renamed := filepath.Join(t.TempDir(), "renamed.json")
	if err := os.WriteFile(renamed, []byte(strings.ReplaceAll(string(data), "gateguard_decisions_total", "gateguard_decision_total")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := missingFromMetrics(dashboardMetrics(t, renamed)); err == nil || err.Error() != "not on /metrics: [gateguard_decision_total]" {
		t.Errorf("a renamed metric: %v, want it reported missing", err)
	}
}

// dashboardMetrics runs dashboardmetrics on a dashboard file.
func dashboardMetrics(t *testing.T, file string) []string {
	t.Helper()
	out, err := exec.Command(chartTool(t, "dashboardmetrics"), file).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("dashboardmetrics %s: %s", file, ee.Stderr)
		}
		t.Fatal(err)
	}
	return strings.Fields(string(out))
}

// seedEverySeries makes gateguard export every series the dashboard reads
// (labelled series exist only once something is counted): an existing
// violation that predates the webhooks, a decision, and a policy reload.
func seedEverySeries(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if err := env.UnregisterWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
	mustApply(t, vsYAML("team-b", "dashboard-ghost", "dashboard-ghost.example.com", "team-b/no-such-gateway"))
	t.Cleanup(func() {
		kubectl(t, "", "delete", "--ignore-not-found", "-n", "team-b", "virtualservice/dashboard-ghost")
	})
	if err := env.RegisterWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
	mustApply(t, vsYAML("team-a", "dashboard", "dashboard.example.com", "istio-system/public"))
	writePolicy(t, e2ePolicy+"# the dashboard test's reload\n")
	t.Cleanup(func() { writePolicy(t, e2ePolicy) })
}

// missingFromMetrics reports the names no sample line of /metrics has.
func missingFromMetrics(names []string) error {
	resp, err := http.Get("http://" + env.Gateguard.MetricsAddr + "/metrics")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	exported := map[string]bool{}
	for _, line := range strings.Split(string(body), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			exported[strings.FieldsFunc(line, func(r rune) bool { return r == '{' || r == ' ' })[0]] = true
		}
	}
	var missing []string
	for _, n := range names {
		if !exported[n] {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("not on /metrics: %v", missing)
	}
	return nil
}

// TestDashboardMetricsRefusesABadQuery: a query Prometheus cannot parse
// fails dashboardmetrics, naming its panel and query.
func TestDashboardMetricsRefusesABadQuery(t *testing.T) {
	file := filepath.Join(t.TempDir(), "broken.json")
	broken := `{"panels": [{"title": "Broken", "targets": [{"expr": "sum(rate(gateguard_decisions_total[$__rate_interval])"}]}]}`
	if err := os.WriteFile(file, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(chartTool(t, "dashboardmetrics"), file).CombinedOutput()
	want := `dashboardmetrics: panel "Broken": query "sum(rate(gateguard_decisions_total[$__rate_interval])": `
	if err == nil || !strings.HasPrefix(string(out), want) {
		t.Errorf("dashboardmetrics on a bad query (err %v): %s\nwant it to start with %s", err, out, want)
	}
}
