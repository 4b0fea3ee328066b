package rules

import (
	"cmp"
	"slices"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// collision is a claim of the object under review that meets a claim of
// another object (a VirtualService or a Gateway API route) in the same
// route table.
type collision struct {
	mine, theirs claim
	other        client.Object
	// overlap is true for a wildcard covering the other host; false for
	// the very same host.
	overlap bool
}

// collisionsOf finds, once per request, every collision of obj, a
// VirtualService or a route: both APIs' claims are compared alike.
func collisionsOf(r *request, obj client.Object) []collision {
	if r.collisions != nil {
		return *r.collisions
	}
	mine := claimsOfObject(r, obj)
	var out []collision
	for _, other := range candidates(r, obj, mine) {
		theirs := claimsOfObject(r, other)
		meshVisible := meshVisibleTo(obj, other)
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

// claimsOfObject lists the route-table entries of a VirtualService or route.
func claimsOfObject(r *request, obj client.Object) []claim {
	if vs, ok := obj.(*networkingv1.VirtualService); ok {
		return claimsOf(r.policy, r.snapshot, vs)
	}
	if rt, ok := routeOf(obj); ok {
		return routeClaims(r.snapshot, rt)
	}
	return nil
}

// meshVisibleTo reports whether two VirtualServices' mesh claims see each
// other (exportTo); routes make no mesh claims.
func meshVisibleTo(a, b client.Object) bool {
	va, okA := a.(*networkingv1.VirtualService)
	vb, okB := b.(*networkingv1.VirtualService)
	return okA && okB && exportSetOf(va.Spec.ExportTo, va.Namespace).overlaps(exportSetOf(vb.Spec.ExportTo, vb.Namespace))
}

// hostsOverlap reports whether one of two different hosts is a wildcard
// covering the other.
func hostsOverlap(a, b string) bool {
	return (isWildcard(a) && hostCovers(a, b)) || (isWildcard(b) && hostCovers(b, a))
}

// candidates gathers, from the indexes only, every VirtualService and
// route that may share a claim with ours, sorted by kind, namespace and
// name; never the object itself.
func candidates(r *request, self client.Object, mine []claim) []client.Object {
	selfKey := objectName(self)
	found := map[string]client.Object{}
	add := func(list []client.Object) {
		for _, other := range list {
			if key := objectName(other); key != selfKey {
				found[key] = other
			}
		}
	}
	addVS := func(list []*networkingv1.VirtualService) {
		for _, vs := range list {
			add([]client.Object{vs})
		}
	}
	virtualServiceCandidates(r, mine, addVS)
	routeCandidates(r.snapshot, mine, add)
	out := make([]client.Object, 0, len(found))
	for _, obj := range found {
		out = append(out, obj)
	}
	slices.SortFunc(out, func(a, b client.Object) int {
		return cmp.Or(cmp.Compare(kindOf(a), kindOf(b)), cmp.Compare(a.GetNamespace(), b.GetNamespace()),
			cmp.Compare(a.GetName(), b.GetName()))
	})
	return out
}

// virtualServiceCandidates adds the VirtualServices that may share a claim.
func virtualServiceCandidates(r *request, mine []claim, add func([]*networkingv1.VirtualService)) {
	for _, c := range mine {
		if c.class == classTCP && !c.mesh {
			if c.gw != nil {
				addTCPCandidates(r, c, add)
			}
			continue
		}
		add(r.snapshot.VirtualServicesWithHost(c.host))
		add(r.snapshot.VirtualServicesWithHost("*"))
		for _, parent := range parentDomains(c.host) {
			add(r.snapshot.VirtualServicesWithHost("*." + parent))
		}
		if d, ok := cutWildcard(c.host); ok {
			add(r.snapshot.VirtualServicesUnderDomain(d))
		}
	}
}

// cutWildcard returns the domain under a wildcard host, unless it is a
// public suffix (whose hosts are too many to look at, and denied anyway).
func cutWildcard(host string) (string, bool) {
	d, ok := strings.CutPrefix(host, "*.")
	return d, ok && !isPublicSuffix(d)
}

// addTCPCandidates adds the VirtualServices bound to any Gateway serving
// the same pods and port: on TCP, hosts do not separate routes.
func addTCPCandidates(r *request, c claim, add func([]*networkingv1.VirtualService)) {
	for _, gw := range gatewaysOnWorkloads(r, []workload{c.workload}, PortKey{Port: c.server.GetPort().GetNumber()}) {
		add(r.snapshot.VirtualServicesForGateway(GatewayRef{Namespace: gw.Namespace, Name: gw.Name}))
	}
}
