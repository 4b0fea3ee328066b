package rules

import (
	"slices"

	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// routeOwnership: the hostnames a route serves where it attaches (its
// hostnames intersected with the listeners', docs/gateway-api.md#hostname-intersection)
// are judged as a VirtualService's hosts are. A TCPRoute serves no hostname.
func routeOwnership(r *request, rt route) ([]violation, error) {
	var hosts []pathHost
	for _, b := range r.routeBindings(rt) {
		for _, a := range b.attached {
			for _, h := range a.hosts {
				ph := pathHost{h.host, h.path}
				if h.host != "" && !slices.ContainsFunc(hosts, ph.same) {
					hosts = append(hosts, ph)
				}
			}
		}
	}
	return r.ownership(hosts), nil
}

// same reports whether two claims are one host at one field.
func (h pathHost) same(o pathHost) bool {
	return h.host == o.host && h.path.String() == o.path.String()
}

// kubeGatewayOwnership: every listener hostname of a Gateway of Istio's
// class belongs to the Gateway's namespace.
func kubeGatewayOwnership(r *request, gw *gatewayv1.Gateway) ([]violation, error) {
	if !isIstioGateway(r.snapshot, gw) {
		return nil, nil
	}
	return r.ownership(listenerHosts(gatewayListeners(gw))), nil
}

// listenerSetOwnership: the same for a ListenerSet, which lets a team that
// does not own the Gateway add listeners to it.
func listenerSetOwnership(r *request, ls *gatewayv1.ListenerSet) ([]violation, error) {
	if !istioListenerSet(r.snapshot, ls) {
		return nil, nil
	}
	return r.ownership(listenerHosts(listenerSetListeners(ls))), nil
}

// listenerHosts lists the listener hostnames; a listener without one
// claims no name of its own; what routes serve there is judged on them.
func listenerHosts(listeners []listener) []pathHost {
	var out []pathHost
	for _, l := range listeners {
		if l.hostname != "" {
			out = append(out, pathHost{l.hostname, l.path.Child("hostname")})
		}
	}
	return out
}
