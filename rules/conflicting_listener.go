package rules

import (
	"cmp"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// checkKubeGatewayListeners: no listener of the Gateway conflicts with an
// earlier one of its own (docs/gateway-api.md#listener-conflicts), nor with
// a TLS listener of another manual Gateway on the same pods.
func checkKubeGatewayListeners(r *request, gw *gatewayv1.Gateway) ([]violation, error) {
	if !isIstioGateway(r.snapshot, gw) {
		return nil, nil
	}
	// The Gateway's listeners come first in the merge, so one that
	// conflicts with an older ListenerSet's wins: Istio drops the
	// ListenerSet's listener, and nothing here is denied for it.
	kept, lost := mergeListeners(mergedListeners(r.snapshot, gw, nil))
	return append(conflictsOf(gw, lost), sharedPodsConflicts(r.snapshot, gw, ownedBy(gw, kept))...), nil
}

// checkListenerSetListeners: no listener of the ListenerSet conflicts with
// one merged before it into its Gateway (docs/gateway-api.md#listenersets),
// nor with a TLS listener of another manual Gateway on the same pods.
func checkListenerSetListeners(r *request, ls *gatewayv1.ListenerSet) ([]violation, error) {
	gw := r.snapshot.KubeGateway(listenerSetParent(ls))
	if gw == nil { // its own listeners still conflict once the Gateway comes
		_, lost := mergeListeners(listenerSetListeners(ls))
		return conflictsOf(ls, lost), nil
	}
	if !isIstioGateway(r.snapshot, gw) || !gatewayAdmitsListenerSet(r.snapshot, gw, ls) {
		return nil, nil
	}
	kept, lost := mergeListeners(mergedListeners(r.snapshot, gw, ls))
	return append(conflictsOf(ls, lost), sharedPodsConflicts(r.snapshot, gw, ownedBy(ls, kept))...), nil
}

// conflict is a listener that loses to an earlier one.
type conflict struct{ listener, prior listener }

// mergeListeners walks listeners in merge order as Istio does, keeping
// each one distinct from every listener kept before it; a listener that is
// not loses to the first kept one it conflicts with.
func mergeListeners(ordered []listener) (kept []listener, lost []conflict) {
	for _, l := range ordered {
		i := slices.IndexFunc(kept, func(k listener) bool { return !listenersDistinct(l, k) })
		if i >= 0 {
			lost = append(lost, conflict{l, kept[i]})
			continue
		}
		kept = append(kept, l)
	}
	return kept, lost
}

// mergedListeners lists a Gateway's listeners, then those of the
// ListenerSets it admits, oldest first and then by namespace/name; the
// ListenerSet under review (or nil) replaces its stored version.
func mergedListeners(snap Snapshot, gw *gatewayv1.Gateway, reviewed *gatewayv1.ListenerSet) []listener {
	sets := slices.DeleteFunc(snap.ListenerSetsForGateway(client.ObjectKeyFromObject(gw)), func(ls *gatewayv1.ListenerSet) bool {
		return !gatewayAdmitsListenerSet(snap, gw, ls) ||
			(reviewed != nil && ls.Namespace == reviewed.Namespace && ls.Name == reviewed.Name)
	})
	if reviewed != nil {
		sets = append(sets, reviewed)
	}
	slices.SortStableFunc(sets, mergeOrder)
	out := gatewayListeners(gw)
	for _, ls := range sets {
		out = append(out, listenerSetListeners(ls)...)
	}
	return out
}

// mergeOrder orders ListenerSets by creationTimestamp, then namespace/name.
// One without a timestamp is being created, and so the newest.
func mergeOrder(a, b *gatewayv1.ListenerSet) int {
	ta, tb := a.CreationTimestamp, b.CreationTimestamp
	switch {
	case ta.IsZero() != tb.IsZero():
		if ta.IsZero() {
			return 1
		}
		return -1
	case !ta.Equal(&tb):
		if ta.Before(&tb) {
			return -1
		}
		return 1
	}
	return cmp.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
}

// listenersDistinct is Istio's test: listeners on different ports are
// distinct; TCP or UDP on a port shares it with nothing; HTTP, HTTPS and
// TLS listeners are distinct by hostname, an unset one counting as "*".
func listenersDistinct(a, b listener) bool {
	switch {
	case a.port != b.port:
		return true
	case isLayer4(a.protocol) && (isLayer4(b.protocol) || isHTTPLike(b.protocol)),
		isHTTPLike(a.protocol) && isLayer4(b.protocol):
		return false
	case isHTTPLike(a.protocol) && isHTTPLike(b.protocol):
		return cmpOrStar(a.hostname) != cmpOrStar(b.hostname)
	}
	return a.protocol != b.protocol
}

func isLayer4(p gatewayv1.ProtocolType) bool {
	return p == gatewayv1.TCPProtocolType || p == gatewayv1.UDPProtocolType
}

func isHTTPLike(p gatewayv1.ProtocolType) bool {
	return p == gatewayv1.HTTPProtocolType || p == gatewayv1.HTTPSProtocolType || p == gatewayv1.TLSProtocolType
}

// conflictsOf reports the lost listeners of the object under review.
func conflictsOf(owner client.Object, lost []conflict) []violation {
	var out []violation
	for _, c := range lost {
		if c.listener.owner == owner {
			out = append(out, violation{err: field.Invalid(c.listener.path, c.listener.name,
				msgListenerConflict(c.listener, c.prior))})
		}
	}
	return out
}

func ownedBy(owner client.Object, listeners []listener) []listener {
	return slices.DeleteFunc(listeners, func(l listener) bool { return l.owner != owner })
}

// sharedPodsConflicts: a listener may not take a port of the pods it
// shares with another manual Gateway unless Istio can merge the two, as
// with classic Gateways: plain HTTP listeners merge, TLS listeners (HTTPS
// or TLS) are told apart by hostname, and nothing else shares a port. Two
// managed Gateways have pods of their own and never conflict
// (docs/gateway-api.md#managed-and-manual-gateways).
func sharedPodsConflicts(snap Snapshot, gw *gatewayv1.Gateway, mine []listener) []violation {
	var out []violation
	for _, other := range gatewaysSharingPods(snap, gw) {
		theirs, _ := mergeListeners(mergedListeners(snap, other, nil))
		for _, l := range mine {
			if i := slices.IndexFunc(theirs, func(t listener) bool { return sharedPortClash(l, t) }); i >= 0 {
				out = append(out, violation{err: field.Invalid(l.path, l.name, msgSharedPodsConflict(l, theirs[i], other))})
			}
		}
	}
	return append(out, classicGatewayConflicts(snap, gw, mine)...)
}

// sharedPortClash: Istio cannot merge the two listeners onto one port of
// the same pods.
func sharedPortClash(a, b listener) bool {
	switch {
	case a.port != b.port:
		return false
	case a.protocol == gatewayv1.HTTPProtocolType && b.protocol == gatewayv1.HTTPProtocolType:
		return false
	case isTLSListener(a) && isTLSListener(b):
		return cmpOrStar(a.hostname) == cmpOrStar(b.hostname)
	}
	return true
}

// isTLSListener: Istio gives the listener's server a tls block.
func isTLSListener(l listener) bool {
	return l.protocol == gatewayv1.HTTPSProtocolType || l.protocol == gatewayv1.TLSProtocolType
}

// gatewaysSharingPods lists, by namespace/name, the other manual Istio
// Gateways on a Service of gw whose pods overlap gw's. A managed Gateway
// names no Service, and so shares with none.
func gatewaysSharingPods(snap Snapshot, gw *gatewayv1.Gateway) []*gatewayv1.Gateway {
	mine := gatewayWorkloadsOf(snap, gw)
	var out []*gatewayv1.Gateway
	for _, svc := range manualServices(gw) {
		for _, o := range snap.KubeGatewaysOnService(svc) {
			if (o.Namespace != gw.Namespace || o.Name != gw.Name) && !slices.Contains(out, o) && isIstioGateway(snap, o) &&
				slices.ContainsFunc(gatewayWorkloadsOf(snap, o), func(w string) bool { return slices.Contains(mine, w) }) {
				out = append(out, o)
			}
		}
	}
	sortByName(out)
	return out
}
