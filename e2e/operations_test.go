package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestPolicyReload: an invalid policy file is refused (metric, log with
// line and field) while the last good policy keeps deciding; a valid one
// takes effect within seconds.
func TestPolicyReload(t *testing.T) {
	requireLocalGateguard(t)
	fixtures(t)
	catchAll := vsYAML("team-b", "reload", "*", "istio-system/public")
	t.Cleanup(func() {
		writePolicy(t, e2ePolicy)
		eventually(t, func() error { // the suite's policy is back in force
			if apply(t, catchAll, "--dry-run=server").exitCode == 0 {
				return fmt.Errorf("the test policy still decides")
			}
			return nil
		})
	})
	failures := metricValue(t, `gateguard_policy_reloads_total{result="failure"}`)

	writePolicy(t, "apiVersion: gateguard.dev/v1alpha1\nkind: GatewayPolicy\nrules:\n  wildcard-host: {action: allow}\n")
	eventually(t, func() error {
		if got := metricValue(t, `gateguard_policy_reloads_total{result="failure"}`); got <= failures {
			return fmt.Errorf("failure metric still %v", got)
		}
		return nil
	})
	logText, _ := os.ReadFile(env.Gateguard.LogPath)
	if !strings.Contains(string(logText), `line 4: rules.wildcard-host.action: Unsupported value: \"allow\"`) {
		t.Errorf("the log does not name the line and field:\n%s", lastLines(string(logText), 5))
	}
	mustDeny(t, catchAll, "[wildcard-host]") // the last good policy still decides

	writePolicy(t, e2ePolicy+"rules:\n  wildcard-host: {action: warn}\n")
	eventually(t, func() error {
		res := apply(t, catchAll, "--dry-run=server")
		if res.exitCode != 0 || !strings.Contains(res.stderr, "Warning: spec.hosts[0]") {
			return fmt.Errorf("new policy not in force: %s", res.stderr)
		}
		return nil
	})
}

// TestMetricsCountDecisions checks the decision counter and
// controller-runtime's webhook latency histogram are exported.
func TestMetricsCountDecisions(t *testing.T) {
	requireLocalGateguard(t)
	fixtures(t)
	series := `gateguard_decisions_total{kind="VirtualService",operation="CREATE",outcome="deny",rule="wildcard-host"}`
	before := metricValue(t, series)
	mustDeny(t, vsYAML("team-a", "metrics", "*.com", "istio-system/public"), "[wildcard-host]")
	if got := metricValue(t, series); got != before+1 {
		t.Errorf("%s = %v, want %v", series, got, before+1)
	}
	if metricValue(t, `controller_runtime_webhook_latency_seconds_count{webhook="/validate"}`) == 0 {
		t.Error("no webhook latency recorded for /validate")
	}
}

func writePolicy(t *testing.T, policy string) {
	t.Helper()
	// Write and rename, as a ConfigMap volume update does.
	tmp := env.Gateguard.PolicyFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, env.Gateguard.PolicyFile); err != nil {
		t.Fatal(err)
	}
}

// metricValue reads one series from gateguard's /metrics; 0 when absent.
func metricValue(t *testing.T, series string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + env.Gateguard.MetricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if value, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(value, 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	return 0
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// requireLocalGateguard skips tests that read gateguard's process, files
// or ports, which an existing cluster (the kind path) does not expose.
func requireLocalGateguard(t *testing.T) {
	t.Helper()
	if env.Gateguard == nil {
		t.Skip("needs the local gateguard process; running against an existing cluster")
	}
}
