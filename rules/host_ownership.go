package rules

import (
	"slices"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// checkVirtualServiceOwnership: a namespace may claim towards a gateway
// only hosts under the domains the policy gives it, and none under the
// domains it gives to others; mesh-only names are internal, owned by nobody.
func checkVirtualServiceOwnership(r *request, vs *networkingv1.VirtualService) ([]violation, error) {
	var hosts []pathHost
	if refs, _ := gatewayRefs(vs.Spec.Gateways, vs.Namespace); len(refs) > 0 {
		for i, h := range vs.Spec.Hosts {
			hosts = append(hosts, pathHost{h, field.NewPath("spec", "hosts").Index(i)})
		}
	}
	return r.ownership(hosts), nil
}

// checkGatewayOwnership: the same for every Gateway server host.
func checkGatewayOwnership(r *request, gw *networkingv1.Gateway) ([]violation, error) {
	var hosts []pathHost
	for i, s := range gw.Spec.Servers {
		for j, sh := range s.GetHosts() {
			_, h := splitServerHost(sh)
			hosts = append(hosts, pathHost{h, field.NewPath("spec", "servers").Index(i).Child("hosts").Index(j)})
		}
	}
	return r.ownership(hosts), nil
}

// pathHost is one host an object claims and where it is written.
type pathHost struct {
	host string
	path *field.Path
}

// ownership judges the hosts a request claims against the policy's owners.
func (r *request) ownership(hosts []pathHost) []violation {
	if len(r.policy.HostOwnership) == 0 {
		return nil
	}
	nsLabels, _ := r.snapshot.NamespaceLabels(r.namespace)
	mine := r.policy.domainsOf(r.namespace, nsLabels)
	var out []violation
	for _, h := range hosts {
		host := strings.ToLower(h.host)
		switch {
		case len(mine) > 0 && !coveredByAny(mine, host):
			out = append(out, violation{err: field.Forbidden(h.path, msgOutsideOwnDomains(h.host, r.namespace, mine))})
		case len(mine) == 0:
			if owner, domain, under, ok := r.policy.ownerOf(host); ok {
				out = append(out, violation{err: field.Forbidden(h.path, msgOwnedByOthers(h.host, domain, owner, under))})
			}
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
