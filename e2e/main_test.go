// Package e2e drives gateguard through a real kube-apiserver and etcd:
// real TLS, the webhook configurations and RBAC rendered from manifests/,
// and real kubectl.
package e2e

import (
	"context"
	"os"
	"testing"

	"github.com/gateguard/gateguard/e2e/cluster"
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
	os.Exit(cluster.RunSuite(m, "e2e", cluster.Options{Policy: e2ePolicy}, func(_ context.Context, c *cluster.Cluster) error {
		env = c
		return nil
	}))
}
