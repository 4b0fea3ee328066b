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
	"time"

	"github.com/gateguard/gateguard/e2e/cluster"
	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// env is this package's control plane, with gateguard serving scoped.
var env *cluster.Cluster

// overlay is the install under test.
const overlay = "manifests/overlays/scoped-secrets"

// scope is the --secret-namespaces flag the overlay's Deployment passes,
// read from it; the tests expect it to name istio-system alone.
var scope string

func TestMain(m *testing.M) {
	ctrllog.SetLogger(logr.Discard())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	code, err := run(ctx, m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "scoped setup:", err)
	}
	if env != nil {
		env.Stop()
	}
	cancel()
	os.Exit(code)
}

// run starts the control plane with the overlay's RBAC, the state the
// tests judge against, then gateguard and its webhooks, and runs the tests.
func run(ctx context.Context, m *testing.M) (int, error) {
	var err error
	env, err = cluster.Start(ctx, cluster.Options{RBAC: overlay, SkipGateguard: true,
		Policy: "apiVersion: gateguard.dev/v1alpha1\nkind: GatewayPolicy\n"})
	if err != nil {
		return 1, err
	}
	args, err := env.DeploymentArgs(ctx, overlay)
	if err != nil {
		return 1, err
	}
	if i := slices.IndexFunc(args, func(a string) bool { return strings.HasPrefix(a, "--secret-namespaces=") }); i >= 0 {
		scope = args[i]
	}
	if scope != "--secret-namespaces=istio-system" {
		return 1, fmt.Errorf("%s deploys gateguard with %q, want --secret-namespaces=istio-system", overlay, args)
	}
	if err := seed(ctx); err != nil {
		return 1, err
	}
	if err := env.StartGateguard(ctx, scope); err != nil {
		return 1, err
	}
	if err := env.RegisterWebhooks(ctx); err != nil {
		return 1, err
	}
	return m.Run(), nil
}
