package check

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestCheckLinksNoWebhookServer: the offline runner, and the report it
// shares with audit, build without gateguard's webhook package or
// controller-runtime's webhook server and cache; and the webhook uses the
// shared report, not the offline runner.
func TestCheckLinksNoWebhookServer(t *testing.T) {
	webhookDeps, err := exec.Command("go", "list", "-deps", "../../webhook").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	if deps := strings.Fields(string(webhookDeps)); slices.Contains(deps, "github.com/gateguard/gateguard/rules/check") ||
		!slices.Contains(deps, "github.com/gateguard/gateguard/report") {
		t.Errorf("webhook should import report and not rules/check")
	}
	out, err := exec.Command("go", "list", "-deps", ".", "../../report").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, forbidden := range []string{
		"github.com/gateguard/gateguard/webhook",
		"sigs.k8s.io/controller-runtime/pkg/webhook",
		"sigs.k8s.io/controller-runtime/pkg/cache",
	} {
		if slices.Contains(deps, forbidden) {
			t.Errorf("rules/check or report depends on %s", forbidden)
		}
	}
	if !slices.Contains(deps, "github.com/gateguard/gateguard/rules") {
		t.Errorf("go list -deps did not list the rules package; got %d packages", len(deps))
	}
}
