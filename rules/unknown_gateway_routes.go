package rules

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// routeUnknownParents: every parentRef names a Gateway or ListenerSet that
// Istio programs, and a listener of it when it gives a sectionName or port
// (docs/gateway-api.md#binding-a-route-to-a-listener); a parentRef to a
// classic Gateway binds to nothing (docs/gateway-api.md#mixing-the-two-apis).
// Parents of other kinds and Gateways of other classes are not ours.
func routeUnknownParents(r *request, rt route) ([]violation, error) {
	var out []violation
	for _, b := range r.routeBindings(rt) {
		path, value := parentRefPath(b.index), b.key.String()
		switch {
		case b.classic:
			value = "networking.istio.io/" + value
			out = append(out, violation{err: field.Invalid(path, value, msgClassicParent(rt.kind, b.key))})
		case b.reason != reasonNoParent:
			// attached, refused by its listeners (host-not-in-gateway's), or
			// another class's Gateway
		case b.gateway != nil:
			listeners, _ := parentListeners(r.snapshot, b.key)
			out = append(out, violation{err: field.Invalid(path, value,
				msgNoSuchListener(rt.kind, b.key, listenerWanted(rt.parentRefs[b.index]), listeners))})
		default:
			if msg := missingParent(r.snapshot, rt, b); msg != "" {
				out = append(out, violation{err: withDetail(field.NotFound(path, value), msg)})
			}
		}
	}
	return out, nil
}

// missingParent words a parentRef that finds no parent, or is "" when
// the parent is not one Istio would program.
func missingParent(snap Snapshot, rt route, b parentBinding) string {
	if _, ok := parentKeyOf(rt.parentRefs[b.index], rt.obj.GetNamespace()); !ok {
		return "" // another group's or kind's parent: another controller's
	}
	if b.key.Kind == KindGateway {
		return msgMissingParent(rt.kind, b.key)
	}
	ls := snap.ListenerSet(b.key.NamespacedName)
	if ls == nil {
		return msgMissingParent(rt.kind, b.key)
	}
	gw := snap.KubeGateway(listenerSetParent(ls))
	switch {
	case gw == nil:
		return msgListenerSetGatewayMissing(rt.kind, b.key, listenerSetParent(ls).String())
	case !isIstioGateway(snap, gw):
		return ""
	}
	return msgListenerSetNotAdmitted(rt.kind, b.key, listenerSetParent(ls).String())
}

// listenerWanted renders what a parentRef's sectionName and port ask for.
func listenerWanted(ref gatewayv1.ParentReference) string {
	switch {
	case ref.SectionName != nil && ref.Port != nil:
		return fmt.Sprintf("named %q on port %d", *ref.SectionName, *ref.Port)
	case ref.SectionName != nil:
		return fmt.Sprintf("named %q", *ref.SectionName)
	case ref.Port != nil:
		return fmt.Sprintf("on port %d", *ref.Port)
	}
	return "at all"
}
