package rules

import (
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// checkDuplicateHost: a VirtualService may not claim a host that another
// VirtualService already claims in the same route table.
func checkDuplicateHost(r *request, vs *networkingv1.VirtualService) ([]violation, error) {
	merge := r.policy.config(DuplicateHost).AllowSameNamespaceMerge
	var out []violation
	for _, c := range collisionsOf(r, vs) {
		if c.overlap {
			continue
		}
		split := merge && !c.mine.mesh && (c.mine.class == classHTTP || c.mine.class == classHTTPS) &&
			c.other.GetNamespace() == vs.Namespace
		out = append(out, violation{err: duplicateError(c, split), warnOnly: split, id: collisionIdentity(c)})
	}
	return out, nil
}

// checkRouteDuplicateHost: a Gateway API route may not claim a hostname
// that a route of another namespace, or a VirtualService on the same pods,
// already claims in the same route table (docs/gateway-api.md#route-tables).
// Each claim is reported once, naming the first owner found.
func checkRouteDuplicateHost(r *request, rt route) ([]violation, error) {
	var out []violation
	reported := map[string]bool{}
	for _, c := range collisionsOf(r, rt.obj) {
		key := c.mine.scope + "|" + c.mine.host
		if !c.overlap && !reported[key] && !routeSplitAllowed(r.policy, c, rt.obj.GetNamespace()) {
			reported[key] = true
			out = append(out, violation{err: duplicateError(c, false), id: collisionIdentity(c)})
		}
	}
	return out, nil
}

// routeSplitAllowed: HTTPRoutes and GRPCRoutes of one namespace split a
// hostname by path by design, and the policy may share named hostnames
// across named namespaces; across the APIs, or on SNI and TCP, a second
// claim is always a duplicate.
func routeSplitAllowed(p *Policy, c collision, namespace string) bool {
	other := c.other.GetNamespace()
	http := c.mine.class == classHTTP || c.mine.class == classHTTPS
	return http && IsRoute(c.other) && (other == namespace || p.hostnameShared(c.mine.host, namespace, other))
}

// duplicateError is the field error of a duplicate: Duplicate, or
// Forbidden on TCP, where there is no host to duplicate.
func duplicateError(c collision, split bool) *field.Error {
	if c.mine.class == classTCP && !c.mine.mesh && !split {
		return field.Forbidden(c.mine.path, msgDuplicate(c, split))
	}
	return withDetail(field.Duplicate(c.mine.path, c.mine.host), msgDuplicate(c, split))
}

// withDetail sets the human explanation of a field error.
func withDetail(e *field.Error, detail string) *field.Error {
	e.Detail = detail
	return e
}
