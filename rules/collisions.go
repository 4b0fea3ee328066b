package rules

import (
	"cmp"
	"slices"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
)

// collision is a claim of the object under review that meets a claim of
// another VirtualService in the same route table.
type collision struct {
	mine, theirs claim
	other        *networkingv1.VirtualService
	// overlap is true for a wildcard covering the other host; false for
	// the very same host.
	overlap bool
}

// collisionsOf finds, once per request, every collision of vs.
func collisionsOf(r *request, vs *networkingv1.VirtualService) []collision {
	if r.collisions != nil {
		return *r.collisions
	}
	mine := claimsOf(r.policy, r.snapshot, vs)
	var out []collision
	for _, other := range candidates(r, vs, mine) {
		theirs := claimsOf(r.policy, r.snapshot, other)
		meshVisible := exportSetOf(vs.Spec.ExportTo, vs.Namespace).
			overlaps(exportSetOf(other.Spec.ExportTo, other.Namespace))
		for _, m := range mine {
			for _, t := range theirs {
				if m.scope != t.scope || (m.mesh && !meshVisible) {
					continue
				}
				if m.host == t.host {
					out = append(out, collision{mine: m, theirs: t, other: other})
				} else if hostsOverlap(m.host, t.host) {
					out = append(out, collision{mine: m, theirs: t, other: other, overlap: true})
				}
			}
		}
	}
	r.collisions = &out
	return out
}

// hostsOverlap reports whether one of two different hosts is a wildcard
// covering the other.
func hostsOverlap(a, b string) bool {
	return (isWildcard(a) && hostCovers(a, b)) || (isWildcard(b) && hostCovers(b, a))
}

// candidates gathers, from the indexes only, every VirtualService that may
// share a claim with ours, sorted by namespace/name; never the object itself.
func candidates(r *request, vs *networkingv1.VirtualService, mine []claim) []*networkingv1.VirtualService {
	found := map[string]*networkingv1.VirtualService{}
	add := func(list []*networkingv1.VirtualService) {
		for _, other := range list {
			if other.Namespace != vs.Namespace || other.Name != vs.Name {
				found[other.Namespace+"/"+other.Name] = other
			}
		}
	}
	for _, c := range mine {
		if c.class == classTCP && !c.mesh {
			addTCPCandidates(r, c, add)
			continue
		}
		add(r.snapshot.VirtualServicesWithHost(c.host))
		add(r.snapshot.VirtualServicesWithHost("*"))
		for _, parent := range parentDomains(c.host) {
			add(r.snapshot.VirtualServicesWithHost("*." + parent))
		}
		if d, ok := strings.CutPrefix(c.host, "*."); ok && !isPublicSuffix(d) {
			add(r.snapshot.VirtualServicesUnderDomain(d))
		}
	}
	out := make([]*networkingv1.VirtualService, 0, len(found))
	for _, vs := range found {
		out = append(out, vs)
	}
	slices.SortFunc(out, func(a, b *networkingv1.VirtualService) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// addTCPCandidates adds the VirtualServices bound to any Gateway serving
// the same pods and port: on TCP, hosts do not separate routes.
func addTCPCandidates(r *request, c claim, add func([]*networkingv1.VirtualService)) {
	for _, gw := range r.snapshot.GatewaysOnPort(c.portKey()) {
		add(r.snapshot.VirtualServicesForGateway(GatewayRef{Namespace: gw.Namespace, Name: gw.Name}))
	}
}
