package rules

import (
	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
)

// identity is what a violation is about, for the violations that are about
// a claim: the host, the route table (or listener) it is claimed in, and
// the other object. The ratchet compares identities, so an UPDATE that
// keeps a violation but changes its wording (another Gateway of the same
// route table, another field path) keeps it as it was.
type identity struct {
	host  string // "" for a port as a whole (TCP, plain-text clashes)
	table string // a route-table key (docs/claims.md#route-table-keys), or a listener
	// other names the object the claim collides with.
	otherKind, otherNamespace, otherName string
}

// collisionIdentity is a duplicate's or an overlap's identity.
func collisionIdentity(c collision) *identity {
	return &identity{host: c.mine.host, table: c.mine.scope, otherKind: kindOf(c.other),
		otherNamespace: c.other.GetNamespace(), otherName: c.other.GetName()}
}

// listenerIdentity is a conflicting Gateway's identity: the host (or the
// whole port) on a port and bind of pods both Gateways apply to.
func listenerIdentity(s *networking.Server, host string, other *networkingv1.Gateway) *identity {
	return &identity{host: host, table: "listener|" + uitoa(s.GetPort().GetNumber()) + "|" + s.GetBind(),
		otherKind: string(KindGateway), otherNamespace: other.Namespace, otherName: other.Name}
}
