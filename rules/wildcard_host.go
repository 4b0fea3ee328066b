package rules

import (
	"fmt"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Named messages of wildcard-host, so tests and docs quote one text.
const (
	msgCatchAllHTTP = `a bare "*" on a gateway-bound VirtualService with HTTP routes catches every request on the ` +
		`listener and shadows every other team's routes; list the hosts you serve`
	msgCatchAllTLS = `a bare "*" with TLS routes sends every SNI name on the port to this VirtualService; ` +
		`keep it to a dedicated port (the cross-network pattern)`
	msgCatchAllServer = `server host "*" accepts every host name on this HTTP listener; list the hosts this ` +
		`Gateway serves`
)

// virtualServiceWildcards: no catch-all "*" with HTTP routes on a gateway,
// no wildcard directly over a public suffix, and none outside the
// policy's allowedWildcards, in spec.hosts.
func virtualServiceWildcards(r *request, vs *networkingv1.VirtualService) ([]violation, error) {
	refs, _ := gatewayRefs(vs.Spec.Gateways, vs.Namespace)
	var out []violation
	for i, h := range vs.Spec.Hosts {
		path := field.NewPath("spec", "hosts").Index(i)
		switch {
		case h == "*" && len(refs) > 0 && len(vs.Spec.Http) > 0:
			out = append(out, violation{err: field.Invalid(path, h, msgCatchAllHTTP)})
		case h == "*" && len(refs) > 0 && len(vs.Spec.Tls) > 0:
			out = append(out, violation{err: field.Invalid(path, h, msgCatchAllTLS), warnOnly: true})
		default:
			out = append(out, domainWildcard(r.policy, path, h)...)
		}
	}
	return out, nil
}

// gatewayWildcards: a server host "*" on HTTP or HTTPS only warns; a public
// suffix or disallowed wildcard in spec.servers[].hosts is as above.
func gatewayWildcards(r *request, gw *networkingv1.Gateway) ([]violation, error) {
	var out []violation
	for i, s := range gw.Spec.Servers {
		class := classify(s)
		for j, sh := range s.GetHosts() {
			path := field.NewPath("spec", "servers").Index(i).Child("hosts").Index(j)
			_, h := splitServerHost(sh)
			if h == "*" && (class == classHTTP || class == classHTTPS) {
				out = append(out, violation{err: field.Invalid(path, sh, msgCatchAllServer), warnOnly: true})
				continue
			}
			out = append(out, domainWildcard(r.policy, path, h)...)
		}
	}
	return out, nil
}

// domainWildcard judges a "*.domain" host: never over a public suffix, and
// within allowedWildcards when the policy sets them.
func domainWildcard(p *Policy, path *field.Path, host string) []violation {
	domain, ok := strings.CutPrefix(strings.ToLower(host), "*.")
	if !ok {
		return nil
	}
	if isPublicSuffix(domain) {
		return []violation{{err: field.Invalid(path, host, fmt.Sprintf(
			"%q covers every name under the public suffix %q; use a wildcard under a domain you own", host, domain))}}
	}
	allowed := p.config(WildcardHost).AllowedWildcards
	if len(allowed) == 0 || coveredByAny(allowed, strings.ToLower(host)) {
		return nil
	}
	return []violation{{err: field.Invalid(path, host, fmt.Sprintf(
		"wildcard %q is not within the policy's allowedWildcards %v; use specific hosts, or ask the platform "+
			"team to allow it", host, allowed))}}
}

// coveredByAny reports whether some pattern covers host.
func coveredByAny(patterns []string, host string) bool {
	for _, p := range patterns {
		if hostCovers(p, host) {
			return true
		}
	}
	return false
}
