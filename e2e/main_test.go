// Package e2e drives gateguard through a real kube-apiserver and etcd:
// real TLS, the webhook configurations and RBAC rendered from manifests/,
// and real kubectl.
package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/gateguard/gateguard/e2e/cluster"
	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// env is the control plane and gateguard, started once for the package.
var env *cluster.Cluster

// e2ePolicy is the policy gateguard serves with in the suite.
const e2ePolicy = `apiVersion: gateguard.dev/v1alpha1
kind: GatewayPolicy
defaults:
  gatewaySelector: {istio: ingressgateway}
  labels: {gateguard.dev/defaulted: "true"}
`

func TestMain(m *testing.M) {
	ctrllog.SetLogger(logr.Discard()) // envtest logs through controller-runtime; gateguard's own log is its file
	code, err := runSuite(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e setup:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

// runSuite starts everything, runs the tests and always tears down.
func runSuite(m *testing.M) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	var err error
	env, err = cluster.Start(ctx, cluster.Options{Policy: e2ePolicy})
	if env != nil {
		defer env.Stop()
	}
	if err != nil {
		return 1, err
	}
	code := m.Run()
	// A race in gateguard does not stop it; under GATEGUARD_E2E_RACE=1 its
	// reports fail the suite here.
	reports, err := env.RaceReports()
	for _, r := range reports {
		fmt.Fprintln(os.Stderr, "gateguard race detector report:\n"+r)
	}
	if err != nil || len(reports) > 0 {
		return 1, err
	}
	return code, nil
}
