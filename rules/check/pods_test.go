package check

import (
	"context"
	"testing"

	"github.com/gateguard/gateguard/report"
	"github.com/gateguard/gateguard/rules"
)

// TestRouteTablesKeyedByPods: a Gateway on the same pods by another
// selector, or by none, shares the plain-HTTP route table of port 80, so a
// second VirtualService for the host is a duplicate
// (docs/istio-behaviour.md#route-tables).
func TestRouteTablesKeyedByPods(t *testing.T) {
	policy, _, err := rules.LoadPolicyFile("testdata/pods/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	existing, _, err := ReadPaths([]string{"testdata/pods/state.yaml"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file, where string
		line        int
	}{
		{"testdata/pods/by-app.yaml", "HTTP port 80 of gateway pods {app=edge} (Gateway istio-system/by-app)", 9},
		{"testdata/pods/all.yaml", "HTTP port 80 of every gateway pod (Gateway istio-system/all)", 10},
	} {
		t.Run(tc.file, func(t *testing.T) {
			applied, _, err := ReadPaths([]string{tc.file}, nil)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Run(context.Background(), policy, Input{Applied: applied, Existing: existing, Namespace: "default"})
			if err != nil {
				t.Fatal(err)
			}
			want := report.Finding{Rule: rules.DuplicateHost, Action: rules.Deny,
				Object: report.ObjectRef{APIVersion: "networking.istio.io/v1", Kind: "VirtualService", Namespace: "team-b", Name: "shop"},
				Field:  "spec.hosts[0]",
				Message: `host "shop.example.com" is already claimed by VirtualService team-a/shop on ` + tc.where +
					`; use a different host, bind to another gateway, or ask the owner of team-a/shop`,
				File: tc.file, Line: tc.line}
			if len(rep.Findings) != 1 || rep.Findings[0] != want {
				t.Errorf("findings = %+v\nwant [%+v]", rep.Findings, want)
			}
		})
	}
}
