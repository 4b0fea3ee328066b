package rules

import (
	"fmt"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// checkUnknownGateway: every gateway a VirtualService references, except
// mesh, exists (references are case-sensitive, as in Istio), and is a
// networking.istio.io Gateway: one of the Gateway API binds no
// VirtualService (docs/gateway-api.md#mixing-the-two-apis).
func checkUnknownGateway(r *request, vs *networkingv1.VirtualService) ([]violation, error) {
	var out []violation
	for i, g := range vs.Spec.Gateways {
		if g == meshGateway {
			continue
		}
		ref := resolveGatewayRef(g, vs.Namespace)
		if r.snapshot.Gateway(ref) != nil {
			continue
		}
		path := field.NewPath("spec", "gateways").Index(i)
		if r.snapshot.KubeGateway(ref) != nil {
			out = append(out, violation{err: field.Invalid(path, g, msgVirtualServiceOnKubeGateway(ref))})
			continue
		}
		hint := "create the Gateway or fix the reference"
		if lower := (GatewayRef{Namespace: strings.ToLower(ref.Namespace), Name: strings.ToLower(ref.Name)}); lower != ref &&
			r.snapshot.Gateway(lower) != nil {
			hint = fmt.Sprintf("references are case-sensitive: did you mean %s?", lower)
		}
		out = append(out, violation{err: withDetail(field.NotFound(path, g),
			fmt.Sprintf("Gateway %s does not exist, so Istio binds this VirtualService to nothing there: %s",
				ref, hint))})
	}
	return out, nil
}
