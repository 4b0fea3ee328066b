package rules

import (
	"context"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Claim is one thing an object claims in a route table or on a listener,
// keyed as the rules compare claims, for the webhook's HostClaims
// (docs/claims.md#claims).
type Claim struct {
	// RouteTable is the stable key of the route table or listener: pods,
	// port and server as the rules key them, never selector text
	// (docs/claims.md#route-table-keys).
	RouteTable string
	// Host is the claimed host or SNI host, lower-cased for routes; a
	// Gateway's server host as Istio compares it (ns/ part stripped);
	// "" for a whole port (TCP routes, plain-text servers).
	Host string
	// Where names the route table for people.
	Where string
	// Path is the field that makes the claim.
	Path *field.Path
	// Protocol is a Gateway plain-text server's protocol, upper-cased: two
	// plain-text claims of one key share it when both are HTTP. "" elsewhere.
	Protocol string
}

// Collides reports whether two claims (of different objects) are in each
// other's way: the same route table and host, unless both are plain-text
// HTTP servers, which Istio merges. Where a rule allows a claim to share
// (allowSameNamespaceMerge, routes of one namespace splitting a hostname,
// exportTo on the mesh), it is the rules that say so, not Collides.
func (c Claim) Collides(other Claim) bool {
	return c.RouteTable == other.RouteTable && c.Host == other.Host &&
		!(httpProtocol(c.Protocol) && httpProtocol(other.Protocol))
}

// Claims lists what obj claims: a VirtualService's or a Gateway API
// route's hosts in each route table it lands in; a classic Gateway's TLS
// servers' hosts and plain-text servers' ports on each set of pods it
// applies to; each (route table, host) once, in the object's order. Other
// kinds claim nothing.
func Claims(p *Policy, snap Snapshot, obj client.Object) []Claim {
	var all []Claim
	if gw, ok := obj.(*networkingv1.Gateway); ok {
		all = gatewayClaims(p, snap, gw)
	} else {
		r := &request{ctx: context.Background(), policy: p, snapshot: snap, namespace: obj.GetNamespace()}
		for _, c := range claimsOfObject(r, obj) {
			all = append(all, Claim{RouteTable: c.scope, Host: c.host, Where: c.where(), Path: c.path})
		}
	}
	seen := map[[2]string]bool{}
	var out []Claim
	for _, c := range all {
		if k := [2]string{c.RouteTable, c.Host}; !seen[k] {
			seen[k] = true
			out = append(out, c)
		}
	}
	return out
}

// gatewayClaims lists a classic Gateway's claims on each of its pods:
// a host per server with a tls block (conflicting-gateway compares them by
// host), and the port of each plain-text server (whose protocols clash).
func gatewayClaims(p *Policy, snap Snapshot, gw *networkingv1.Gateway) []Claim {
	var out []Claim
	for _, w := range gatewayWorkloads(p, snap, gw.Spec.Selector) {
		for i, s := range gw.Spec.Servers {
			if s.GetPort() == nil {
				continue
			}
			path := field.NewPath("spec", "servers").Index(i)
			if s.GetTls() != nil {
				for j, h := range s.GetHosts() {
					_, host := splitServerHost(h)
					out = append(out, Claim{RouteTable: serverKey("gateway-tls", w, s), Host: host,
						Where: describeServer("TLS", gw, s), Path: path.Child("hosts").Index(j)})
				}
			}
			if isPlainText(s) {
				out = append(out, Claim{RouteTable: serverKey("gateway-plaintext", w, s), Where: describeServer("plain-text", gw, s),
					Path: path.Child("port"), Protocol: strings.ToUpper(s.GetPort().GetProtocol())})
			}
		}
	}
	return out
}

// serverKey is a Gateway listener's key: its kind, pods, port and bind.
func serverKey(kind string, w workload, s *networking.Server) string {
	return kind + "|" + w.key + "|" + uitoa(s.GetPort().GetNumber()) + "|" + s.GetBind()
}

// describeServer names a Gateway listener for people.
func describeServer(kind string, gw *networkingv1.Gateway, s *networking.Server) string {
	where := kind + " port " + uitoa(s.GetPort().GetNumber())
	if s.GetBind() != "" {
		where += " (bind " + s.GetBind() + ")"
	}
	return where + " of gateway pods " + selectorString(gw.Spec.Selector)
}

// HeldElsewhere returns whether a claim of obj's is claimed by another
// cached VirtualService or route too (the same route table and host,
// colliding or shared), so that its HostClaim may exist already. The
// webhook creates a claim no cached object holds without reading it
// first (docs/claims.md#writes). A classic Gateway's claims are not
// looked up: they count as held.
func HeldElsewhere(p *Policy, snap Snapshot, obj client.Object) func(Claim) bool {
	if _, ok := obj.(*networkingv1.Gateway); ok {
		return func(Claim) bool { return true }
	}
	r := &request{ctx: context.Background(), policy: p, snapshot: snap, namespace: obj.GetNamespace()}
	held := map[[2]string]bool{}
	for _, c := range collisionsOf(r, obj) { // as duplicate-host finds them
		if !c.overlap {
			held[[2]string{c.mine.scope, c.mine.host}] = true
		}
	}
	return func(c Claim) bool { return held[[2]string{c.RouteTable, c.Host}] }
}
