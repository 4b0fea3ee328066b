package rules

import (
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// checkOverlappingHost: a wildcard host should not overlap another
// VirtualService's host in the same route table, where the specific one
// silently shadows part of the wildcard.
func checkOverlappingHost(r *request, vs *networkingv1.VirtualService) ([]violation, error) {
	return overlaps(r, vs), nil
}

// checkRouteOverlappingHost: the same for a Gateway API route, whose
// wildcard hostname loses the specific ones to their own virtual hosts.
func checkRouteOverlappingHost(r *request, rt route) ([]violation, error) {
	return overlaps(r, rt.obj), nil
}

// overlaps lists the wildcard overlaps of a VirtualService or route.
func overlaps(r *request, obj client.Object) []violation {
	var out []violation
	for _, c := range collisionsOf(r, obj) {
		if !c.overlap {
			continue
		}
		out = append(out, violation{err: field.Invalid(c.mine.path, c.mine.host, msgOverlap(c)), id: collisionIdentity(c)})
	}
	return out
}
