package rules

import "fmt"

// The messages the rules give, one constructor each, so that a message is
// worded in one place and the tests and docs quote one text.

// via names where a claim's routes land: the mesh, or a gateway route
// table and the Gateway that put the host there.
func (c claim) via() string {
	switch {
	case c.mesh:
		return "on the mesh"
	case c.listener != nil:
		return "on " + c.where()
	}
	return fmt.Sprintf("on %s (Gateway %s)", c.where(), c.ref)
}

// msgDuplicate words a duplicate host by how Istio resolves it.
func msgDuplicate(c collision, split bool) string {
	if c.mine.listener != nil {
		return msgRouteDuplicate(c)
	}
	owner, ref := objectName(c.other), nsName(c.other)
	switch {
	case c.mine.mesh:
		return fmt.Sprintf("host %q is already claimed on the mesh by %s; Istio keeps only the first and "+
			"silently drops the other: merge your routes into %s, use a different host, or ask its owner", c.mine.host, owner, ref)
	case split:
		return fmt.Sprintf("host %q is also claimed by %s %s; Istio merges the two in no defined order "+
			"(allowed by allowSameNamespaceMerge)", c.mine.host, owner, c.mine.via())
	case c.mine.class == classTCP:
		return fmt.Sprintf("%s already routes TCP to %s (Gateway %s); Istio uses only the first: "+
			"use another port or gateway, or ask the owner of %s", c.mine.where(), owner, c.mine.ref, ref)
	case c.mine.class == classPassthrough:
		return fmt.Sprintf("SNI host %q is already routed by %s %s; Istio silently skips the later one: "+
			"use a different SNI host, or ask the owner of %s", c.mine.host, owner, c.mine.via(), ref)
	}
	return fmt.Sprintf("host %q is already claimed by %s %s; use a different host, bind to another gateway, "+
		"or ask the owner of %s", c.mine.host, owner, c.mine.via(), ref)
}

// msgOverlap words a wildcard that overlaps another object's host.
func msgOverlap(c collision) string {
	return fmt.Sprintf("host %q overlaps host %q of %s %s; the more specific host takes the "+
		"requests it matches: make the hosts disjoint, or agree the split with the owner of %s",
		c.mine.host, c.theirs.host, objectName(c.other), c.mine.via(), nsName(c.other))
}

// msgOutsideOwnDomains: a host outside the domains the policy gives the namespace.
func msgOutsideOwnDomains(host, namespace string, domains []string) string {
	return fmt.Sprintf("host %q is outside the domains of namespace %s %v; use a host under them, or ask the platform team",
		host, namespace, domains)
}

// msgOwnedByOthers: a host under (or, for a wildcard, over) another owner's domain.
func msgOwnedByOthers(host, domain, owner string, under bool) string {
	relation := "is under"
	if !under {
		relation = "would catch requests for"
	}
	return fmt.Sprintf("host %q %s %q, which the policy gives to %s; use a host of your own, or ask that team",
		host, relation, domain, owner)
}

// msgSecretsUnreadable: a credential in a namespace outside --secret-namespaces.
func msgSecretsUnreadable(name, namespace string) string {
	return fmt.Sprintf("gateguard may not read Secrets in namespace %s, where Istio reads %q, so it cannot check that the "+
		"Secret exists and has its keys: add %s to gateguard's --secret-namespaces (chart value secretNamespaces), "+
		"with the Role that lets it read them", namespace, name, namespace)
}
