package rules

import (
	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Istio merges a manual Gateway API Gateway's servers with those of
// classic Gateways on the same pods (strict merging keeps apart only
// managed ones), so a TLS hostname and port conflict across the two APIs
// as between classic Gateways. From the Gateway API side, the classic
// Gateways are those whose selector the Service's pods carry
// (classicGatewaysOn); from the classic side, the Services are still those
// with an equal selector.

// classicGatewayConflicts: a TLS listener of a manual Gateway may not
// serve a hostname and port that a classic Gateway on its Service's pods
// serves with a tls block.
func classicGatewayConflicts(snap Snapshot, gw *gatewayv1.Gateway, mine []listener) []violation {
	var out []violation
	for _, svc := range manualServices(gw) {
		selector, ok := snap.ServiceSelector(svc)
		if !ok || len(selector) == 0 {
			continue
		}
		for _, l := range mine {
			if !isTLSListener(l) {
				continue
			}
			key := PortKey{Port: l.port, TLSHost: cmpOrStar(l.hostname)}
			for _, classic := range classicGatewaysOn(snap, selector, key) {
				if classicServesTLS(classic, l.port, key.TLSHost) {
					out = append(out, violation{err: field.Invalid(l.path, l.name, msgClassicConflict(l, classic, key.TLSHost))})
				}
			}
		}
	}
	return out
}

// classicServesTLS: a server of the classic Gateway with a tls block, on
// the port and no bind (a Gateway API listener has none), serves host.
func classicServesTLS(gw *networkingv1.Gateway, port uint32, host string) bool {
	for _, s := range gw.Spec.Servers {
		if s.GetTls() == nil || s.GetPort().GetNumber() != port || s.GetBind() != "" {
			continue
		}
		for _, h := range s.GetHosts() {
			if _, sh := splitServerHost(h); sh == host {
				return true
			}
		}
	}
	return false
}

// kubeListener is a TLS listener of a manual Gateway API Gateway.
type kubeListener struct {
	listener
	gw *gatewayv1.Gateway
}

// sharedTLSListeners lists the TLS listeners that the manual Gateway API
// Gateways on Services selecting a classic Gateway's pods program, found
// once per classic Gateway rather than once per host.
func sharedTLSListeners(snap Snapshot, gw *networkingv1.Gateway) []kubeListener {
	if len(gw.Spec.Selector) == 0 {
		return nil
	}
	var out []kubeListener
	for _, svc := range snap.ServicesWithSelector(gw.Spec.Selector) {
		for _, kgw := range snap.KubeGatewaysOnService(svc) {
			if !isIstioGateway(snap, kgw) {
				continue
			}
			kept, _ := mergeListeners(mergedListeners(snap, kgw, nil))
			for _, l := range kept {
				if isTLSListener(l) {
					out = append(out, kubeListener{l, kgw})
				}
			}
		}
	}
	return out
}

// kubeGatewayConflicts: the classic side: a server host with a tls block
// may not be one that a TLS listener of a manual Gateway API Gateway on
// the same pods serves on that port.
func kubeGatewayConflicts(shared []kubeListener, s *networking.Server, host string, path *field.Path) []violation {
	if s.GetBind() != "" {
		return nil
	}
	_, h := splitServerHost(host)
	port := s.GetPort().GetNumber()
	var out []violation
	for _, l := range shared {
		if l.port == port && cmpOrStar(l.hostname) == h {
			out = append(out, violation{err: withDetail(field.Duplicate(path, host), msgKubeGatewayConflict(l.listener, l.gw, port))})
		}
	}
	return out
}
