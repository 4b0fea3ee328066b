package cluster

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// IstioGatewayClass is the GatewayClass istiod creates for its own
// Gateways, the only class whose Gateways gateguard judges.
const IstioGatewayClass = "istio"

// gatewayAPICRDs is the standard channel of the Gateway API's CRDs in the
// sigs.k8s.io/gateway-api module of go.mod, the version Istio reads.
// envtest installs every CRD of the directory and passes over its other
// documents, the safe-upgrades ValidatingAdmissionPolicy among them,
// which installGatewayAPI applies itself.
func gatewayAPICRDs() (string, error) {
	dir, err := moduleDir("sigs.k8s.io/gateway-api")
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "config", "crd", "standard"), nil
}

// installGatewayAPI finishes what the Gateway API's install does beside
// the CRDs: the safe-upgrades policy, and the GatewayClass istiod would
// create (there is no istiod here).
func (e *Cluster) installGatewayAPI(ctx context.Context) error {
	crds, err := gatewayAPICRDs()
	if err != nil {
		return err
	}
	policy := filepath.Join(crds, "gateway.networking.k8s.io_vap_safeupgrades.yaml")
	out, err := exec.CommandContext(ctx, e.Kubectl, "--kubeconfig", e.Kubeconfig, "apply", "-f", policy).CombinedOutput()
	if err != nil {
		return fmt.Errorf("kubectl apply -f %s: %w: %s", policy, err, out)
	}
	class := &unstructured.Unstructured{}
	class.SetAPIVersion("gateway.networking.k8s.io/v1")
	class.SetKind("GatewayClass")
	class.SetName(IstioGatewayClass)
	if err := unstructured.SetNestedField(class.Object, "istio.io/gateway-controller", "spec", "controllerName"); err != nil {
		return err
	}
	if err := e.Client.Create(ctx, class); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating GatewayClass %s: %w", IstioGatewayClass, err)
	}
	return nil
}
