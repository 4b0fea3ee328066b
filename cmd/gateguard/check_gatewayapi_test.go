package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// shopRouteDuplicate is duplicate-host's message for team-b's HTTPRoute
// of testdata/gatewayapi-apply.yaml.
const shopRouteDuplicate = `hostname "shop.example.com" is already claimed by HTTPRoute team-a/shop on HTTP port 80 of ` +
	`listener istio-system/public/http; Istio merges both into one virtual host, oldest first, and the more specific ` +
	`match wins, so either can take the other's paths: use a different hostname or a listener of your own, or ask the ` +
	`owner of team-a/shop`

// TestCheckGatewayAPI: files holding both APIs are read and judged, the
// Gateway API routes by the same rules as in the webhook: team-b's route
// for team-a's hostname is denied, once, in every format with exit code
// 1; the GatewayClass, cluster-scoped, is found by its name despite -n,
// and the ReferenceGrant is state, not a judged object.
func TestCheckGatewayAPI(t *testing.T) {
	args := gatewayAPICheckArgs()
	for _, format := range []string{"text", "json", "sarif"} {
		code, _, stderr := runCLI(t, "", append([]string{"check", "-o", format}, args...)...)
		if code != 1 {
			t.Errorf("%s: exit code %d, want 1 (stderr: %s)", format, code, stderr)
		}
	}
	_, stdout, _ := runCLI(t, "", append([]string{"check", "-o", "json"}, args...)...)
	var got struct {
		Findings []map[string]any `json:"findings"`
		Summary  map[string]any   `json:"summary"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"rule": "duplicate-host", "action": "deny",
		"object": map[string]any{"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "HTTPRoute", "namespace": "team-b",
			"name": "shop"},
		"field": "spec.hostnames[0]", "message": shopRouteDuplicate,
		"file": "testdata/gatewayapi-apply.yaml", "line": float64(17),
	}
	if len(got.Findings) != 1 || fmt.Sprint(got.Findings[0]) != fmt.Sprint(want) {
		t.Errorf("findings\n got: %v\nwant: [%v]", got.Findings, want)
	}
	if fmt.Sprint(got.Summary) != fmt.Sprint(map[string]any{"objects": 3.0, "denied": 1.0, "warned": 0.0}) {
		t.Errorf("summary %v, want 3 objects judged, 1 denied", got.Summary)
	}
	_, text, _ := runCLI(t, "", append([]string{"check", "-o", "text"}, args...)...)
	if !strings.Contains(text, "testdata/gatewayapi-apply.yaml:17") || !strings.Contains(text, shopRouteDuplicate) {
		t.Errorf("text output does not point at the route:\n%s", text)
	}
}

// gatewayAPICheckArgs checks testdata/gatewayapi-apply.yaml against
// testdata/gatewayapi-existing.yaml.
func gatewayAPICheckArgs() []string {
	return []string{"--existing", "testdata/gatewayapi-existing.yaml", "-f", "testdata/gatewayapi-apply.yaml", "-n", "team-b"}
}

// TestCheckGatewayAPISARIF: the route's denial is one SARIF error result
// at its document.
func TestCheckGatewayAPISARIF(t *testing.T) {
	_, sarif, _ := runCLI(t, "", append([]string{"check", "-o", "sarif"}, gatewayAPICheckArgs()...)...)
	var log sarifLog
	if err := json.Unmarshal([]byte(sarif), &log); err != nil || len(log.Runs) != 1 || len(log.Runs[0].Results) != 1 {
		t.Fatalf("SARIF: want one run with one result (%v): %s", err, sarif)
	}
	r := log.Runs[0].Results[0]
	loc := r.Locations[0].PhysicalLocation
	if r.RuleID != "duplicate-host" || r.Level != "error" || !strings.Contains(r.Message["text"], shopRouteDuplicate) ||
		loc.ArtifactLocation.URI != "testdata/gatewayapi-apply.yaml" || loc.Region.StartLine != 17 {
		t.Errorf("SARIF result %+v, want duplicate-host, error, at testdata/gatewayapi-apply.yaml:17", r)
	}
}
