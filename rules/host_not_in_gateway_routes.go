package rules

import (
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// routeHostNotInGateway: each parentRef that reaches listeners of a
// Gateway of Istio's class attaches to at least one of them
// (docs/gateway-api.md#binding-a-route-to-a-listener); the reason is the
// one Istio would write in the route's status.
func routeHostNotInGateway(r *request, rt route) ([]violation, error) {
	var out []violation
	for _, b := range r.routeBindings(rt) {
		var msg string
		switch b.reason {
		case reasonNoHostnameMatch:
			msg = msgNoListenerHostname(rt.kind, b.key, rt.lowerHostnames(), b.reached)
		case reasonNotAllowed:
			msg = msgNotAllowedByListeners(rt.kind, rt.obj.GetNamespace(), b.key, matchingListeners(rt, b))
		default:
			continue // attached, or unknown-gateway's
		}
		out = append(out, violation{err: field.Invalid(parentRefPath(b.index), b.key.String(), msg)})
	}
	return out, nil
}

// matchingListeners lists the reached listeners whose hostnames the
// route's intersect: the ones whose allowedRoutes refused it.
func matchingListeners(rt route, b parentBinding) []listener {
	return slices.DeleteFunc(slices.Clone(b.reached), func(l listener) bool {
		return len(intersectRoute(rt, l, b.index)) == 0
	})
}
