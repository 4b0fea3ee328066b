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
			c.other.Namespace == vs.Namespace
		out = append(out, violation{err: duplicateError(c, split), warnOnly: split})
	}
	return out, nil
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
