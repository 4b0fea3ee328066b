package rules

import (
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// routeClaims lists the route-table entries a Gateway API route would
// create: one per listener it attaches to, intersected hostname and set of
// gateway pods, keyed as a VirtualService's are, so that the two APIs
// collide where they share pods (docs/gateway-api.md#route-tables).
func routeClaims(snap Snapshot, rt route) []claim {
	var out []claim
	seen := map[string]bool{}
	for _, b := range bindRoute(snap, rt) {
		if len(b.attached) == 0 {
			continue
		}
		workloads := gatewayWorkloadsOf(snap, b.gateway)
		for _, a := range b.attached {
			l := a.listener
			class := listenerClass(l, rt.kind)
			for _, w := range workloads {
				scope := listenerScope(class, l, w)
				for _, h := range a.hosts {
					if k := scope + "|" + h.host; !seen[k] {
						seen[k] = true
						out = append(out, claim{scope: scope, host: h.host, path: h.path, class: class, listener: &l,
							kubeGateway: b.gateway})
					}
				}
			}
		}
	}
	return out
}

// listenerClass is how Istio routes a route kind on a listener.
func listenerClass(l listener, kind Kind) serverClass {
	switch {
	case kind == KindTCPRoute:
		return classTCP
	case kind == KindTLSRoute:
		return classPassthrough
	case l.protocol == gatewayv1.HTTPSProtocolType:
		return classHTTPS
	}
	return classHTTP
}

// listenerScope names the route table of a listener on one set of pods,
// as scopeOf does for a classic server (a listener has no bind); a
// terminating HTTPS listener has a table of its own.
func listenerScope(class serverClass, l listener, workload string) string {
	if class == classHTTPS {
		return "https|" + l.section() + "|" + uitoa(l.port)
	}
	return sharedScope(class, workload, uitoa(l.port), "")
}

// routeCandidates gathers, from the indexes, the routes that may share a
// claim with mine: by hostname (a route without hostnames takes its
// listener's), by wildcard above it, by hostnames under a wildcard, and
// for TCP the routes of the same Gateway and of Gateways on its Services.
func routeCandidates(snap Snapshot, mine []claim, add func([]client.Object)) {
	for _, c := range mine {
		if c.mesh {
			continue
		}
		if c.class == classTCP {
			if c.kubeGateway != nil {
				addTCPRouteCandidates(snap, c.kubeGateway, add)
			}
			continue
		}
		add(snap.RoutesWithHostname(c.host))
		add(snap.RoutesWithHostname(""))
		for _, parent := range parentDomains(c.host) {
			add(snap.RoutesWithHostname("*." + parent))
		}
		if d, ok := cutWildcard(c.host); ok {
			add(snap.RoutesUnderDomain(d))
		}
	}
}

// addTCPRouteCandidates adds the routes of a Gateway and of the manual
// Gateways sharing its Services: on TCP, hosts do not separate routes.
func addTCPRouteCandidates(snap Snapshot, gw *gatewayv1.Gateway, add func([]client.Object)) {
	gateways := []*gatewayv1.Gateway{gw}
	for _, svc := range manualServices(gw) {
		gateways = append(gateways, snap.KubeGatewaysOnService(svc)...)
	}
	for _, g := range gateways {
		key := types.NamespacedName{Namespace: g.Namespace, Name: g.Name}
		add(snap.RoutesForParent(ParentKey{Kind: KindGateway, NamespacedName: key}))
		for _, ls := range snap.ListenerSetsForGateway(key) {
			add(snap.RoutesForParent(ParentKey{Kind: KindListenerSet,
				NamespacedName: types.NamespacedName{Namespace: ls.Namespace, Name: ls.Name}}))
		}
	}
}
