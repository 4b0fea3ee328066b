// Package scoped runs gateguard with least privilege for Secrets, through
// a real kube-apiserver: the RBAC of manifests/overlays/scoped-secrets (no
// cluster-wide Secrets rule, a Role in istio-system) and
// --secret-namespaces=istio-system, as that overlay deploys it.
package scoped

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gateguard/gateguard/e2e/cluster"
)

// env is this package's control plane, with gateguard serving scoped.
var env *cluster.Cluster

// overlay is the install under test.
const overlay = "manifests/overlays/scoped-secrets"

// scope is the --secret-namespaces flag the overlay's Deployment passes,
// read from it; the tests expect it to name istio-system alone.
var scope string

func TestMain(m *testing.M) {
	opts := cluster.Options{RBAC: overlay, SkipGateguard: true, Policy: "apiVersion: gateguard.dev/v1alpha1\nkind: GatewayPolicy\n"}
	os.Exit(cluster.RunSuite(m, "scoped", opts, setup))
}

// setup keeps the control plane (started with the overlay's RBAC), seeds
// the state the tests judge against, then starts gateguard with the
// overlay's flag and registers its webhooks.
func setup(ctx context.Context, c *cluster.Cluster) error {
	env = c
	args, err := env.DeploymentArgs(ctx, overlay)
	if err != nil {
		return err
	}
	if i := slices.IndexFunc(args, func(a string) bool { return strings.HasPrefix(a, "--secret-namespaces=") }); i >= 0 {
		scope = args[i]
	}
	if scope != "--secret-namespaces=istio-system" {
		return fmt.Errorf("%s deploys gateguard with %q, want --secret-namespaces=istio-system", overlay, args)
	}
	if err := seed(ctx); err != nil {
		return err
	}
	if err := env.StartGateguard(ctx, scope); err != nil {
		return err
	}
	return env.RegisterWebhooks(ctx)
}
