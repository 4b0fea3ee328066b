package rules

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Why a parentRef attaches to no listener, in Gateway API's own reason words.
const (
	reasonNoParent        = "NoMatchingParent"
	reasonNotAllowed      = "NotAllowedByListeners"
	reasonNoHostnameMatch = "NoMatchingListenerHostname"
)

// parentBinding is what one parentRef of a route binds to
// (docs/gateway-api.md#binding-a-route-to-a-listener).
type parentBinding struct {
	index int // in spec.parentRefs
	key   ParentKey
	// gateway is the Istio Gateway the listeners land on; nil when the
	// parent is missing, of another class, or not a Gateway API parent.
	gateway *gatewayv1.Gateway
	// reached lists the parent's listeners that sectionName and port
	// leave, attached or not: host-not-in-gateway names their hostnames.
	reached  []listener
	attached []attachment
	// reason says why nothing attached ("" when something did, or when
	// the parent is another implementation's and not ours to judge).
	reason string
	// classic is set for a parentRef to a networking.istio.io Gateway,
	// which Istio ignores.
	classic bool
}

// attachment is one listener a route attaches to, with the hostnames it
// serves there, after intersection.
type attachment struct {
	listener listener
	hosts    []hostAt
}

// hostAt is an intersected hostname and the field that yields it: the
// route hostname, or the parentRef when the route lists none.
type hostAt struct {
	host string
	path *field.Path
}

// bindRoute resolves every parentRef of r; mesh parents are skipped.
func bindRoute(snap Snapshot, r route) []parentBinding {
	var out []parentBinding
	for i, ref := range r.parentRefs {
		if isMeshParent(ref) {
			continue
		}
		key, ok := parentKeyOf(ref, r.obj.GetNamespace())
		b := parentBinding{index: i, key: key}
		if !ok {
			b.classic = ref.Group != nil && string(*ref.Group) == "networking.istio.io" && key.Kind == KindGateway
			b.reason = reasonNoParent
			out = append(out, b)
			continue
		}
		out = append(out, bindParent(snap, r, ref, b))
	}
	return out
}

// bindParent attaches r to the listeners of one Gateway or ListenerSet.
func bindParent(snap Snapshot, r route, ref gatewayv1.ParentReference, b parentBinding) parentBinding {
	listeners, gw := parentListeners(snap, b.key)
	if gw == nil {
		b.reason = reasonNoParent
		return b
	}
	if !isIstioGateway(snap, gw) {
		return b // another implementation's Gateway: not ours to judge
	}
	b.gateway = gw
	listeners = slices.DeleteFunc(listeners, func(l listener) bool {
		return (ref.SectionName != nil && string(*ref.SectionName) != l.name) || (ref.Port != nil && uint32(*ref.Port) != l.port)
	})
	if len(listeners) == 0 {
		b.reason = reasonNoParent
		return b
	}
	b.reached = listeners
	b.reason = reasonNoHostnameMatch
	for _, l := range listeners {
		hosts := intersectRoute(r, l, b.index)
		if len(hosts) == 0 {
			continue
		}
		if !listenerAdmits(snap, l, r) {
			b.reason = reasonNotAllowed
			continue
		}
		b.attached = append(b.attached, attachment{listener: l, hosts: hosts})
	}
	if len(b.attached) > 0 {
		b.reason = ""
	}
	return b
}

// parentListeners lists the listeners of a parent and the Gateway they
// land on; a ListenerSet's only when its Gateway admits it.
func parentListeners(snap Snapshot, key ParentKey) ([]listener, *gatewayv1.Gateway) {
	if key.Kind == KindGateway {
		gw := snap.KubeGateway(key.NamespacedName)
		if gw == nil {
			return nil, nil
		}
		return gatewayListeners(gw), gw
	}
	ls := snap.ListenerSet(key.NamespacedName)
	if ls == nil {
		return nil, nil
	}
	gw := snap.KubeGateway(listenerSetParent(ls))
	if gw == nil || !gatewayAdmitsListenerSet(snap, gw, ls) {
		return nil, nil
	}
	return listenerSetListeners(ls), gw
}

// gatewayAdmitsListenerSet: spec.allowedListeners admits none by default.
func gatewayAdmitsListenerSet(snap Snapshot, gw *gatewayv1.Gateway, ls *gatewayv1.ListenerSet) bool {
	if gw.Spec.AllowedListeners == nil || gw.Spec.AllowedListeners.Namespaces == nil {
		return false
	}
	n := gw.Spec.AllowedListeners.Namespaces
	return namespaceAdmitted(snap, n.From, n.Selector, gw.Namespace, ls.Namespace)
}

// listenerAdmits reports whether the listener's allowedRoutes admit the
// route's namespace (Same by default) and kind (by protocol by default).
func listenerAdmits(snap Snapshot, l listener, r route) bool {
	var from *gatewayv1.FromNamespaces
	var selector *metav1.LabelSelector
	if l.allowed != nil && l.allowed.Namespaces != nil {
		from, selector = l.allowed.Namespaces.From, l.allowed.Namespaces.Selector
	}
	if !namespaceAdmitted(snap, from, selector, l.owner.GetNamespace(), r.obj.GetNamespace()) {
		return false
	}
	return slices.Contains(listenerKinds(l), r.kind)
}

// namespaceAdmitted applies a From (Same when unset) to a namespace.
func namespaceAdmitted(snap Snapshot, from *gatewayv1.FromNamespaces, sel *metav1.LabelSelector, own, ns string) bool {
	switch {
	case from == nil || *from == gatewayv1.NamespacesFromSame:
		return ns == own
	case *from == gatewayv1.NamespacesFromAll:
		return true
	case *from == gatewayv1.NamespacesFromSelector && sel != nil:
		selector, err := metav1.LabelSelectorAsSelector(sel)
		nsLabels, _ := snap.NamespaceLabels(ns)
		set := labels.Merge(labels.Set(nsLabels), labels.Set{"kubernetes.io/metadata.name": ns})
		return err == nil && selector.Matches(set)
	}
	return false
}

// listenerKinds lists the route kinds a listener takes: its
// allowedRoutes.kinds, within what its protocol supports.
func listenerKinds(l listener) []Kind {
	var supported []Kind
	switch l.protocol {
	case gatewayv1.HTTPProtocolType, gatewayv1.HTTPSProtocolType:
		supported = []Kind{KindHTTPRoute, KindGRPCRoute}
	case gatewayv1.TCPProtocolType:
		supported = []Kind{KindTCPRoute}
	case gatewayv1.TLSProtocolType:
		supported = []Kind{KindTLSRoute}
		if l.terminates() {
			supported = append(supported, KindTCPRoute)
		}
	}
	if l.allowed == nil || len(l.allowed.Kinds) == 0 {
		return supported
	}
	return slices.DeleteFunc(supported, func(k Kind) bool {
		return !slices.ContainsFunc(l.allowed.Kinds, func(g gatewayv1.RouteGroupKind) bool {
			return string(g.Kind) == string(k) && (g.Group == nil || string(*g.Group) == gatewayGroup)
		})
	})
}

// intersectRoute lists the hostnames r serves on l: each route hostname
// intersected with the listener's, or the listener's own when the route
// lists none (docs/gateway-api.md#hostname-intersection). A TCPRoute has
// no hostnames and serves the listener as a whole ("").
func intersectRoute(r route, l listener, parentIndex int) []hostAt {
	parentPath := field.NewPath("spec", "parentRefs").Index(parentIndex)
	if r.kind == KindTCPRoute {
		return []hostAt{{host: "", path: parentPath}}
	}
	if len(r.hostnames) == 0 {
		return []hostAt{{host: cmpOrStar(l.hostname), path: parentPath}}
	}
	var out []hostAt
	for i, h := range r.lowerHostnames() {
		if eff, ok := bindHost(h, cmpOrStar(l.hostname)); ok {
			out = append(out, hostAt{host: eff, path: field.NewPath("spec", "hostnames").Index(i)})
		}
	}
	return out
}

// cmpOrStar is a listener hostname as a server host: "" matches every
// hostname, as "*" does (docs/gateway-api.md#hostname-intersection).
func cmpOrStar(h string) string {
	if h == "" {
		return "*"
	}
	return h
}
