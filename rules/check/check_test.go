package check

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/gateguard/gateguard/report"
	"github.com/gateguard/gateguard/rules"
	"github.com/gateguard/gateguard/rules/manifest"
)

// TestRunReportsSkippedDefaults: a default label that default-labels will
// not add to a Gateway API Gateway is a warning in the report, beside the
// labels it does add.
func TestRunReportsSkippedDefaults(t *testing.T) {
	policy, err := rules.ParsePolicy([]byte("apiVersion: gateguard.dev/v1alpha1\nkind: GatewayPolicy\n" +
		"defaults:\n  labels: {istio: edge, team: shop}\n"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := manifest.Read(strings.NewReader(`apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: shop}
spec:
  gatewayClassName: istio
  listeners:
  - {name: http, port: 80, protocol: HTTP, hostname: shop.example.com}
`), "gw.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), policy, Input{Applied: res.Documents})
	if err != nil {
		t.Fatal(err)
	}
	ref := report.ObjectRef{APIVersion: "gateway.networking.k8s.io/v1", Kind: "Gateway", Namespace: "shop", Name: "gw"}
	wantFindings := []report.Finding{{Rule: rules.DefaultLabelsID, Action: rules.Warn, Object: ref,
		Field: "metadata.labels[istio]", Message: "not adding the policy's label istio=edge: a Gateway's labels are copied " +
			"onto its pods, and networking.istio.io Gateways select gateway pods on the key \"istio\", so they could " +
			"pick this Gateway's pods and serve their hosts there: set it on the Gateway yourself if that is what you mean",
		File: "gw.yaml", Line: 1}}
	if !reflect.DeepEqual(rep.Findings, wantFindings) {
		t.Errorf("findings:\n got: %+v\nwant: %+v", rep.Findings, wantFindings)
	}
	wantMutations := []report.Mutation{{Object: ref, Rule: rules.DefaultLabelsID, Field: "metadata.labels[team]",
		Value: "shop", File: "gw.yaml", Line: 1}}
	if !reflect.DeepEqual(rep.Mutations, wantMutations) {
		t.Errorf("mutations:\n got: %+v\nwant: %+v", rep.Mutations, wantMutations)
	}
	if rep.Summary != (report.Summary{Objects: 1, Warned: 1}) {
		t.Errorf("summary = %+v", rep.Summary)
	}
}
