// Package claims tests webhook/claims against a real kube-apiserver and
// etcd (envtest; the binaries built by hack/build-control-plane.sh): one
// owner per host when twenty claim it at once, takeovers by compare and
// swap, the grace period, dry runs, refused writes, releases, the sweeper,
// and the HostClaim CRD of manifests/base as kubectl shows it.
package claims

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	gateguardv1alpha1 "github.com/gateguard/gateguard/api/v1alpha1"
	"github.com/gateguard/gateguard/e2e/cluster"
	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// crd is the HostClaim CRD as users install it.
var crd = filepath.Join("..", "..", "manifests", "base", "hostclaims.yaml")

// env is the package's control plane; admin and scheme reach it as
// cluster-admin.
var (
	env    *envtest.Environment
	admin  client.Client
	scheme *runtime.Scheme
	config *rest.Config
)

func TestMain(m *testing.M) {
	ctrllog.SetLogger(logr.Discard())
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "claims e2e:", err)
		code = 1
	}
	os.Exit(code)
}

// run starts the control plane with the CRD installed, runs the tests and
// stops it.
func run(m *testing.M) (int, error) {
	assets, err := cluster.ControlPlaneAssets(context.Background())
	if err != nil {
		return 0, err
	}
	env = &envtest.Environment{BinaryAssetsDirectory: assets,
		CRDInstallOptions: envtest.CRDInstallOptions{Paths: []string{crd}, ErrorIfPathMissing: true}}
	if config, err = env.Start(); err != nil {
		return 0, fmt.Errorf("control plane: %w", err)
	}
	defer func() { _ = env.Stop() }()
	scheme = runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return 0, err
	}
	if err := gateguardv1alpha1.AddToScheme(scheme); err != nil {
		return 0, err
	}
	if admin, err = client.New(config, client.Options{Scheme: scheme}); err != nil {
		return 0, err
	}
	return m.Run(), nil
}
