package rules

import (
	"strings"

	"golang.org/x/net/publicsuffix"
	"k8s.io/apimachinery/pkg/types"
)

// meshGateway is the reserved gateway name for the sidecars of the mesh.
const meshGateway = "mesh"

// clusterDomainSuffix is what Istio appends to a short host on the mesh.
const clusterDomainSuffix = ".svc.cluster.local"

// GatewayRef is a resolved reference from VirtualService.spec.gateways;
// its String is namespace/name, the way Istio's own messages render it.
type GatewayRef = types.NamespacedName

// resolveGatewayRef turns one spec.gateways entry into namespace/name the way
// istiod does: "gw" is in the VirtualService's namespace, "ns/gw" is as
// written, and the legacy "gw.ns.svc.cluster.local" and "gw.ns" forms mean
// ns/gw. References stay case-sensitive, as in Istio.
func resolveGatewayRef(ref, vsNamespace string) GatewayRef {
	if ns, name, ok := strings.Cut(ref, "/"); ok {
		return GatewayRef{Namespace: ns, Name: name}
	}
	if name, rest, ok := strings.Cut(ref, "."); ok {
		ns, _, _ := strings.Cut(rest, ".")
		return GatewayRef{Namespace: ns, Name: name}
	}
	return GatewayRef{Namespace: vsNamespace, Name: ref}
}

// gatewayRefs lists the VirtualService's gateways and whether it applies to
// the mesh; an empty list means the mesh only.
func gatewayRefs(gateways []string, vsNamespace string) (refs []GatewayRef, mesh bool) {
	if len(gateways) == 0 {
		return nil, true
	}
	for _, g := range gateways {
		if g == meshGateway {
			mesh = true
			continue
		}
		refs = append(refs, resolveGatewayRef(g, vsNamespace))
	}
	return refs, mesh
}

// fqdn expands a short host to its cluster-local FQDN, the way Istio's
// ResolveShortnameToFQDN does: only names without a dot expand. istiod
// applies it to the hosts of every VirtualService, gateway-bound ones too
// (resolveVirtualServiceShortnames), so "web" in team-a and "web" in team-b
// are different virtual hosts on a shared gateway.
func fqdn(host, namespace string) string {
	if host == "*" || strings.Contains(host, ".") {
		return host
	}
	return host + "." + namespace + clusterDomainSuffix
}

// isWildcard reports whether host starts with a wildcard label.
func isWildcard(host string) bool { return strings.HasPrefix(host, "*") }

// hostCovers reports whether pattern matches host, case-sensitively: "*"
// matches everything and "*.x.com" matches a.x.com, a.b.x.com and *.a.x.com,
// but not x.com.
func hostCovers(pattern, host string) bool {
	if pattern == "*" || pattern == host {
		return true
	}
	if !strings.HasPrefix(pattern, "*.") {
		return false
	}
	suffix := pattern[1:] // ".x.com"
	return strings.HasSuffix(host, suffix) && len(host) > len(suffix)
}

// bindHost returns the host a VirtualService host becomes on a gateway
// server host, and whether it binds at all. Like Istio's
// pickMatchingGatewayHosts the more specific of the two wins.
func bindHost(vsHost, serverHost string) (string, bool) {
	switch {
	case hostCovers(serverHost, vsHost):
		return vsHost, true
	case hostCovers(vsHost, serverHost):
		return serverHost, true
	}
	return "", false
}

// splitServerHost splits a Gateway server host "ns/host" into its namespace
// part ("*" when absent) and its host; "*/*" is "*".
func splitServerHost(h string) (ns, host string) {
	if n, rest, ok := strings.Cut(h, "/"); ok {
		return n, rest
	}
	return "*", h
}

// serverAdmitsNamespace reports whether a VirtualService in vsNamespace may
// bind through a server host namespace part of a Gateway in gwNamespace.
func serverAdmitsNamespace(nsPart, gwNamespace, vsNamespace string) bool {
	switch nsPart {
	case "*":
		return true
	case ".":
		return gwNamespace == vsNamespace
	}
	return nsPart == vsNamespace
}

// parentDomains lists the proper parent domains of a host, nearest first:
// a.b.x.com -> b.x.com, x.com, com; *.x.com -> x.com, com.
func parentDomains(host string) []string {
	var out []string
	for rest := host; ; {
		_, after, ok := strings.Cut(rest, ".")
		if !ok || after == "" {
			return out
		}
		out = append(out, after)
		rest = after
	}
}

// isPublicSuffix reports whether domain is named by the Public Suffix List,
// in its ICANN or private section. A name the list covers only by its
// implicit "*" rule (local, internal, cluster.local) does not count: every
// private entry has a dot, and every named ICANN entry reports icann=true.
func isPublicSuffix(domain string) bool {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	suffix, icann := publicsuffix.PublicSuffix(domain)
	return suffix == domain && (icann || strings.Contains(domain, "."))
}

// exportSet is the set of namespaces a VirtualService is visible in.
type exportSet struct {
	all        bool
	namespaces map[string]bool
}

// exportSetOf interprets spec.exportTo: empty or "*" is everywhere, "." the
// VirtualService's own namespace, "~" nowhere.
func exportSetOf(exportTo []string, namespace string) exportSet {
	if len(exportTo) == 0 {
		return exportSet{all: true}
	}
	set := exportSet{namespaces: map[string]bool{}}
	for _, e := range exportTo {
		switch e {
		case "*":
			return exportSet{all: true}
		case ".":
			set.namespaces[namespace] = true
		case "~":
		default:
			set.namespaces[e] = true
		}
	}
	return set
}

// visibleInAny reports whether the set includes any of namespaces. With no
// known namespace it errs towards visible, so collisions are still caught.
func (s exportSet) visibleInAny(namespaces []string) bool {
	if s.all || len(namespaces) == 0 {
		return true
	}
	for _, ns := range namespaces {
		if s.namespaces[ns] {
			return true
		}
	}
	return false
}

// overlaps reports whether some namespace sees both sets.
func (s exportSet) overlaps(o exportSet) bool {
	switch {
	case s.all:
		return o.all || len(o.namespaces) > 0
	case o.all:
		return len(s.namespaces) > 0
	}
	for ns := range s.namespaces {
		if o.namespaces[ns] {
			return true
		}
	}
	return false
}
