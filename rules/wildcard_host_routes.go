package rules

import (
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// routeWildcards: no route hostname over a public suffix or outside the
// policy's allowedWildcards, and no catch-all from outside the listener's
// namespace (docs/gateway-api.md#hostname-intersection).
func routeWildcards(r *request, rt route) ([]violation, error) {
	var out []violation
	for i, h := range rt.hostnames {
		out = append(out, domainWildcard(r.policy, field.NewPath("spec", "hostnames").Index(i), string(h))...)
	}
	for _, b := range r.routeBindings(rt) {
		if sections := foreignCatchAlls(b, rt.obj.GetNamespace()); len(sections) > 0 {
			out = append(out, violation{err: field.Invalid(parentRefPath(b.index), b.key.String(),
				msgRouteCatchAll(rt.kind, rt.obj.GetNamespace(), sections)), warnOnly: true})
		}
	}
	return out, nil
}

// foreignCatchAlls lists the listeners where the binding serves the
// intersected hostname "*" (no hostname on either side) and whose owner is
// in another namespace. In the listener's own namespace a catch-all is the
// Gateway API's canonical sample; a ListenerSet's listener is its owner's.
func foreignCatchAlls(b parentBinding, namespace string) []string {
	var out []string
	for _, a := range b.attached {
		catchAll := slices.ContainsFunc(a.hosts, func(h hostAt) bool { return h.host == "*" })
		if catchAll && a.listener.owner.GetNamespace() != namespace {
			out = append(out, a.listener.section())
		}
	}
	return out
}

// kubeGatewayWildcards: a listener hostname is judged as a classic server
// host is, on Gateways of Istio's class.
func kubeGatewayWildcards(r *request, gw *gatewayv1.Gateway) ([]violation, error) {
	if !isIstioGateway(r.snapshot, gw) {
		return nil, nil
	}
	return listenerWildcards(r.policy, gatewayListeners(gw)), nil
}

// listenerSetWildcards: the same for a ListenerSet's listeners.
func listenerSetWildcards(r *request, ls *gatewayv1.ListenerSet) ([]violation, error) {
	if !istioListenerSet(r.snapshot, ls) {
		return nil, nil
	}
	return listenerWildcards(r.policy, listenerSetListeners(ls)), nil
}

// listenerWildcards judges each listener hostname at spec.listeners[i].hostname.
func listenerWildcards(p *Policy, listeners []listener) []violation {
	var out []violation
	for _, l := range listeners {
		out = append(out, domainWildcard(p, l.path.Child("hostname"), l.hostname)...)
	}
	return out
}

// istioListenerSet reports whether Istio would program the ListenerSet:
// its Gateway is of Istio's class, or not in view yet (GitOps may apply
// the ListenerSet first).
func istioListenerSet(snap Snapshot, ls *gatewayv1.ListenerSet) bool {
	gw := snap.KubeGateway(listenerSetParent(ls))
	return gw == nil || isIstioGateway(snap, gw)
}

// parentRefPath is spec.parentRefs[i].
func parentRefPath(i int) *field.Path { return field.NewPath("spec", "parentRefs").Index(i) }
