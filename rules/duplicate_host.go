package rules

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// checkDuplicateHost: a VirtualService may not claim a host that another
// VirtualService already claims in the same route table.
func checkDuplicateHost(r *request) ([]violation, error) {
	if r.vs == nil {
		return nil, nil
	}
	merge := r.policy.config(DuplicateHost).AllowSameNamespaceMerge
	var out []violation
	for _, c := range collisionsOf(r) {
		if c.overlap {
			continue
		}
		split := merge && !c.mine.mesh && (c.mine.class == classHTTP || c.mine.class == classHTTPS) &&
			c.other.Namespace == r.vs.Namespace
		out = append(out, violation{err: duplicateError(c, split), warnOnly: split})
	}
	return out, nil
}

// duplicateError words the collision by how Istio resolves it.
func duplicateError(c collision, split bool) *field.Error {
	owner := c.other.Namespace + "/" + c.other.Name
	via := fmt.Sprintf("on %s (Gateway %s)", c.mine.where(), c.mine.ref)
	switch {
	case c.mine.mesh:
		return withDetail(field.Duplicate(c.mine.path, c.mine.host), fmt.Sprintf(
			"host %q is already claimed on the mesh by VirtualService %s; Istio keeps only the first and silently "+
				"drops the other: merge your routes into %s, use a different host, or ask its owner", c.mine.host, owner, owner))
	case split:
		return withDetail(field.Duplicate(c.mine.path, c.mine.host), fmt.Sprintf(
			"host %q is also claimed by VirtualService %s %s; Istio merges the two in no defined order "+
				"(allowed by allowSameNamespaceMerge)", c.mine.host, owner, via))
	case c.mine.class == classTCP:
		return field.Forbidden(c.mine.path, fmt.Sprintf(
			"%s already routes TCP to VirtualService %s (Gateway %s); Istio uses only the first: "+
				"use another port or gateway, or ask the owner of %s", c.mine.where(), owner, c.mine.ref, owner))
	case c.mine.class == classPassthrough:
		return withDetail(field.Duplicate(c.mine.path, c.mine.host), fmt.Sprintf(
			"SNI host %q is already routed by VirtualService %s %s; Istio silently skips the later one: "+
				"use a different SNI host, or ask the owner of %s", c.mine.host, owner, via, owner))
	}
	return withDetail(field.Duplicate(c.mine.path, c.mine.host), fmt.Sprintf(
		"host %q is already claimed by VirtualService %s %s; use a different host, bind to another gateway, "+
			"or ask the owner of %s", c.mine.host, owner, via, owner))
}

// withDetail sets the human explanation of a field error.
func withDetail(e *field.Error, detail string) *field.Error {
	e.Detail = detail
	return e
}
