package rules

import (
	"fmt"
	"slices"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// checkHostNotInGateway: each existing Gateway a VirtualService references
// exposes at least one of its hosts to the VirtualService's namespace
// (Istio's IST0132).
func checkHostNotInGateway(r *request, vs *networkingv1.VirtualService) ([]violation, error) {
	if len(vs.Spec.Hosts) == 0 {
		return nil, nil
	}
	var out []violation
	for i, g := range vs.Spec.Gateways {
		if g == meshGateway {
			continue
		}
		ref := resolveGatewayRef(g, vs.Namespace)
		gw := r.snapshot.Gateway(ref)
		if gw == nil || exposesAnyHost(gw, vs) {
			continue // an absent Gateway is unknown-gateway's
		}
		out = append(out, violation{err: field.Invalid(field.NewPath("spec", "gateways").Index(i), g, fmt.Sprintf(
			"Gateway %s exposes none of the hosts %s to namespace %s (its server hosts: %s), so Istio binds no "+
				"route through it: use a host the Gateway serves, or have its owner add one for %s",
			ref, quoteList(vs.Spec.Hosts), vs.Namespace, quoteList(serverHostsOf(gw)), vs.Namespace))})
	}
	return out, nil
}

// exposesAnyHost reports whether some host of vs binds to some server host
// of gw that admits vs's namespace, as serverClaims binds them.
func exposesAnyHost(gw *networkingv1.Gateway, vs *networkingv1.VirtualService) bool {
	for _, s := range gw.Spec.Servers {
		for _, sh := range s.GetHosts() {
			nsPart, serverHost := splitServerHost(sh)
			if !serverAdmitsNamespace(nsPart, gw.Namespace, vs.Namespace) {
				continue
			}
			for _, h := range vs.Spec.Hosts {
				if _, ok := bindHost(fqdn(h, vs.Namespace), serverHost); ok {
					return true
				}
			}
		}
	}
	return false
}

// serverHostsOf lists a Gateway's server hosts as written, without repeats.
func serverHostsOf(gw *networkingv1.Gateway) []string {
	var out []string
	for _, s := range gw.Spec.Servers {
		for _, h := range s.GetHosts() {
			if !slices.Contains(out, h) {
				out = append(out, h)
			}
		}
	}
	return out
}

// quoteList renders strings as ["a", "b"].
func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
