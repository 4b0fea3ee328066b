package rules

import (
	"fmt"
	"strings"
)

// The messages of the rules on the Gateway API kinds
// (docs/gateway-api.md#rules-for-the-gateway-api), one constructor each.

// parentName names a route's parent for people: "Gateway ns/name".
func parentName(key ParentKey) string { return string(key.Kind) + " " + key.NamespacedName.String() }

// msgRouteCatchAll: a route without hostnames on listeners without one,
// from outside the listeners' namespace.
func msgRouteCatchAll(kind Kind, namespace string, sections []string) string {
	return fmt.Sprintf("this %s lists no hostnames and listener %s has none either, so it catches every request there "+
		"that no other route claims, whichever team's hostname it carries; a catch-all belongs to the listener's own "+
		"namespace, not %s: list the hostnames you serve", kind, strings.Join(sections, ", "), namespace)
}

// msgMissingParent: a parentRef to a Gateway or ListenerSet that does not exist.
func msgMissingParent(kind Kind, key ParentKey) string {
	return fmt.Sprintf("%s does not exist, so Istio attaches this %s to nothing there: create it or fix the parentRef",
		parentName(key), kind)
}

// msgListenerSetGatewayMissing: the ListenerSet exists, its Gateway does not.
func msgListenerSetGatewayMissing(kind Kind, key ParentKey, gateway string) string {
	return fmt.Sprintf("%s joins Gateway %s, which does not exist, so Istio attaches this %s to nothing there: "+
		"create the Gateway or fix the ListenerSet's parentRef", parentName(key), gateway, kind)
}

// msgListenerSetNotAdmitted: the ListenerSet's Gateway does not take it.
func msgListenerSetNotAdmitted(kind Kind, key ParentKey, gateway string) string {
	return fmt.Sprintf("Gateway %s does not admit %s (its spec.allowedListeners admits none by default), so Istio "+
		"attaches this %s to nothing there: have the Gateway's owner admit the ListenerSet's namespace", gateway,
		parentName(key), kind)
}

// msgNoSuchListener: sectionName or port names no listener of the parent.
func msgNoSuchListener(kind Kind, key ParentKey, want string, listeners []listener) string {
	return fmt.Sprintf("%s has no listener %s (its listeners: %s), so Istio attaches this %s to nothing there "+
		"(NoMatchingParent): fix the parentRef's sectionName or port", parentName(key), want, listenerList(listeners), kind)
}

// msgClassicParent: a parentRef to a networking.istio.io Gateway.
func msgClassicParent(kind Kind, key ParentKey) string {
	return fmt.Sprintf("networking.istio.io Gateway %s is not a parent a route can have: Istio ignores this parentRef, "+
		"so this %s attaches to nothing there: name a gateway.networking.k8s.io Gateway instead, or route through "+
		"this one with a VirtualService", key.NamespacedName, kind)
}

// msgVirtualServiceOnKubeGateway: spec.gateways names a Gateway API Gateway.
func msgVirtualServiceOnKubeGateway(ref GatewayRef) string {
	return fmt.Sprintf("%s is a gateway.networking.k8s.io Gateway, and Istio binds a VirtualService only to "+
		"networking.istio.io Gateways, so this VirtualService binds to nothing there: route through it with an "+
		"HTTPRoute, or name a networking.istio.io Gateway", ref)
}

// msgNoListenerHostname: no route hostname intersects a reached listener's.
func msgNoListenerHostname(kind Kind, key ParentKey, hostnames []string, listeners []listener) string {
	return fmt.Sprintf("none of the hostnames %s intersects the hostname of a listener of %s that this parentRef "+
		"reaches (%s), so Istio attaches this %s to none of them (NoMatchingListenerHostname): use a hostname a "+
		"listener serves, or have the owner of %s add a listener for it",
		quoteList(hostnames), parentName(key), listenerList(listeners), kind, parentName(key))
}

// msgNotAllowedByListeners: hostnames match, but allowedRoutes refuse the route.
func msgNotAllowedByListeners(kind Kind, namespace string, key ParentKey, listeners []listener) string {
	return fmt.Sprintf("the listeners of %s whose hostnames match (%s) do not admit %ss from namespace %s (their "+
		"allowedRoutes namespaces or kinds), so Istio attaches this one to none of them (NotAllowedByListeners): have "+
		"the owner of %s admit it, or use a listener that does", parentName(key), listenerList(listeners), kind,
		namespace, parentName(key))
}

// msgClassicSelectorLabel: default-labels skips a label on a Gateway API Gateway.
func msgClassicSelectorLabel(key, value string) string {
	return fmt.Sprintf("not adding the policy's label %s=%s: a Gateway's labels are copied onto its pods, and "+
		"networking.istio.io Gateways select gateway pods on the key %q, so they could pick this Gateway's pods and "+
		"serve their hosts there: set it on the Gateway yourself if that is what you mean", key, value, key)
}

// listenerList renders listeners as `http "*.example.com", tcp (any hostname)`.
func listenerList(listeners []listener) string {
	parts := make([]string, len(listeners))
	for i, l := range listeners {
		host := "(any hostname)"
		if l.hostname != "" {
			host = fmt.Sprintf("%q", l.hostname)
		}
		parts[i] = fmt.Sprintf("%s port %d %s", l.name, l.port, host)
	}
	return strings.Join(parts, ", ")
}
