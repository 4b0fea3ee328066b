package rules

import (
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// checkOverlappingHost: a wildcard host should not overlap another
// VirtualService's host in the same route table, where the specific one
// silently shadows part of the wildcard.
func checkOverlappingHost(r *request, vs *networkingv1.VirtualService) ([]violation, error) {
	var out []violation
	for _, c := range collisionsOf(r, vs) {
		if !c.overlap {
			continue
		}
		out = append(out, violation{err: field.Invalid(c.mine.path, c.mine.host, msgOverlap(c))})
	}
	return out, nil
}
