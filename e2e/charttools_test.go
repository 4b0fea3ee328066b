package e2e

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gateguard/gateguard/e2e/cluster"
)

// chartTools caches cluster.ChartTools for the test binary.
var chartTools = sync.OnceValues(func() (string, error) { return cluster.ChartTools(context.Background()) })

// chartTool is the path of a tool hack/build-chart-tools.sh builds (helm,
// promtool, dashboardmetrics), built into the cache on first use.
func chartTool(t *testing.T, name string) string {
	t.Helper()
	dir, err := chartTools()
	if err != nil {
		t.Fatalf("hack/build-chart-tools.sh: %v", err)
	}
	return filepath.Join(dir, name)
}

// helmTemplate renders the chart as `helm install gateguard -n
// gateguard-system` would.
func helmTemplate(t *testing.T, args ...string) string {
	t.Helper()
	cmd := cluster.HelmCommand(context.Background(), filepath.Dir(chartTool(t, "helm")), t.TempDir(),
		append([]string{"template", "gateguard", "../charts/gateguard", "-n", "gateguard-system"}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	return string(out)
}
