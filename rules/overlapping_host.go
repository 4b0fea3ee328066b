package rules

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// checkOverlappingHost: a wildcard host should not overlap another
// VirtualService's host in the same route table, where the specific one
// silently shadows part of the wildcard.
func checkOverlappingHost(r *request) ([]violation, error) {
	if r.vs == nil {
		return nil, nil
	}
	var out []violation
	for _, c := range collisionsOf(r) {
		if !c.overlap {
			continue
		}
		owner := c.other.Namespace + "/" + c.other.Name
		out = append(out, violation{err: field.Invalid(c.mine.path, c.mine.host, fmt.Sprintf(
			"host %q overlaps host %q of VirtualService %s on %s (Gateway %s); the more specific host takes the "+
				"requests it matches: make the hosts disjoint, or agree the split with the owner of %s",
			c.mine.host, c.theirs.host, owner, c.mine.where(), c.mine.ref, owner))})
	}
	return out, nil
}
