package cluster

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// IstioGatewayClass is the GatewayClass istiod creates for its own
// Gateways, the only class whose Gateways gateguard judges.
const IstioGatewayClass = "istio"

// istioGatewayClassYAML is that class as istiod makes it.
const istioGatewayClassYAML = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: ` + IstioGatewayClass + `}
spec: {controllerName: istio.io/gateway-controller}
`

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
// create (there is no istiod here). Both through kubectl apply, so that a
// later apply of the same objects (the demo's examples) finds them its own.
func (e *Cluster) installGatewayAPI(ctx context.Context) error {
	crds, err := gatewayAPICRDs()
	if err != nil {
		return err
	}
	policy := filepath.Join(crds, "gateway.networking.k8s.io_vap_safeupgrades.yaml")
	if err := e.kubectlApply(ctx, "", "-f", policy); err != nil {
		return err
	}
	return e.kubectlApply(ctx, istioGatewayClassYAML, "-f", "-")
}

// kubectlApply runs kubectl apply as cluster-admin with stdin.
func (e *Cluster) kubectlApply(ctx context.Context, stdin string, args ...string) error {
	cmd := exec.CommandContext(ctx, e.Kubectl, append([]string{"--kubeconfig", e.Kubeconfig, "apply"}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("kubectl apply %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return nil
}
