package rules

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// checkHostOwnership: a namespace may claim only hosts under the domains
// the policy gives it, and none under the domains it gives to others.
func checkHostOwnership(r *request) ([]violation, error) {
	if len(r.policy.HostOwnership) == 0 {
		return nil, nil
	}
	nsLabels, _ := r.snapshot.NamespaceLabels(r.namespace)
	mine := r.policy.domainsOf(r.namespace, nsLabels)
	var out []violation
	for _, h := range ownedHosts(r) {
		host := strings.ToLower(h.host)
		switch {
		case len(mine) > 0 && !coveredByAny(mine, host):
			out = append(out, violation{err: field.Forbidden(h.path, fmt.Sprintf(
				"host %q is outside the domains of namespace %s %v; use a host under them, or ask the platform team",
				h.host, r.namespace, mine))})
		case len(mine) == 0:
			if owner, domain, under, ok := r.policy.ownerOf(host); ok {
				relation := "is under"
				if !under {
					relation = "would catch requests for"
				}
				out = append(out, violation{err: field.Forbidden(h.path, fmt.Sprintf(
					"host %q %s %q, which the policy gives to %s; use a host of your own, or ask that team",
					h.host, relation, domain, owner))})
			}
		}
	}
	return out, nil
}

// pathHost is one host an object claims and where it is written.
type pathHost struct {
	host string
	path *field.Path
}

// ownedHosts lists the hosts a request claims towards a gateway: every
// Gateway server host, and the hosts of a VirtualService bound to a named
// gateway (mesh-only names are internal and owned by nobody).
func ownedHosts(r *request) []pathHost {
	var out []pathHost
	if r.vs != nil {
		if refs, _ := gatewayRefs(r.vs.Spec.Gateways, r.vs.Namespace); len(refs) > 0 {
			for i, h := range r.vs.Spec.Hosts {
				out = append(out, pathHost{h, field.NewPath("spec", "hosts").Index(i)})
			}
		}
		return out
	}
	for i, s := range r.gateway.Spec.Servers {
		for j, sh := range s.GetHosts() {
			_, h := splitServerHost(sh)
			out = append(out, pathHost{h, field.NewPath("spec", "servers").Index(i).Child("hosts").Index(j)})
		}
	}
	return out
}

// domainsOf lists the domains the policy gives a namespace.
func (p *Policy) domainsOf(namespace string, nsLabels map[string]string) []string {
	var out []string
	for i := range p.HostOwnership {
		o := &p.HostOwnership[i]
		if slices.Contains(o.Namespaces, namespace) || p.selectorMatches(o.NamespaceSelector, nsLabels) {
			out = append(out, o.Domains...)
		}
	}
	return out
}

// ownerOf finds an owner entry whose domain covers host (under) or, for a
// wildcard host, lies beneath it: "*.example.com" would catch requests for
// another team's "*.payments.example.com".
func (p *Policy) ownerOf(host string) (owner, domain string, under, ok bool) {
	for _, o := range p.HostOwnership {
		for _, d := range o.Domains {
			switch {
			case hostCovers(d, host):
				return o.describe(), d, true, true
			case isWildcard(host) && hostCovers(host, d):
				return o.describe(), d, false, true
			}
		}
	}
	return "", "", false, false
}

// describe names the namespaces an owner entry selects.
func (o HostOwner) describe() string {
	var parts []string
	if len(o.Namespaces) > 0 {
		parts = append(parts, "namespaces "+strings.Join(o.Namespaces, ", "))
	}
	if o.NamespaceSelector != nil {
		parts = append(parts, "namespaces labelled "+selectorString(o.NamespaceSelector.MatchLabels))
	}
	return strings.Join(parts, " and ")
}
