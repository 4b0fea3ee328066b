package webhook

import (
	"github.com/gateguard/gateguard/rules"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The overlay's route lookups: a route admitted a moment ago claims its
// hostnames and listeners until the cache shows it, as a VirtualService
// does (reservations.go).

func (o *overlay) RoutesWithHostname(hostname string) []client.Object {
	return withPending(o, o.Snapshot.RoutesWithHostname(hostname), reservationKey(rules.IndexRouteHostname, hostname))
}

func (o *overlay) RoutesUnderDomain(domain string) []client.Object {
	return withPending(o, o.Snapshot.RoutesUnderDomain(domain), reservationKey(rules.IndexRouteDomain, domain))
}

func (o *overlay) RoutesForParent(parent rules.ParentKey) []client.Object {
	return withPending(o, o.Snapshot.RoutesForParent(parent), reservationKey(rules.IndexRouteParent, parent.String()))
}

func (o *overlay) RoutesWithBackendsIn(namespace string) []client.Object {
	return withPending(o, o.Snapshot.RoutesWithBackendsIn(namespace),
		reservationKey(rules.IndexRouteBackendNamespace, namespace))
}
