package rules

import (
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// More Gateway API builders, for the route rules' tables.

// admittingListenerSets lets ListenerSets of every namespace join gw.
func admittingListenerSets(gw *gatewayv1.Gateway) *gatewayv1.Gateway {
	gw.Spec.AllowedListeners = &gatewayv1.AllowedListeners{Namespaces: &gatewayv1.ListenerNamespaces{
		From: ptr(gatewayv1.NamespacesFromAll)}}
	return gw
}

// ofClass puts gw in another GatewayClass.
func ofClass(class string, gw *gatewayv1.Gateway) *gatewayv1.Gateway {
	gw.Spec.GatewayClassName = gatewayv1.ObjectName(class)
	return gw
}

// sameNamespaceOnly restricts a listener to routes of its own namespace.
func sameNamespaceOnly(l gatewayv1.Listener) gatewayv1.Listener {
	l.AllowedRoutes = &gatewayv1.AllowedRoutes{Namespaces: &gatewayv1.RouteNamespaces{From: ptr(gatewayv1.NamespacesFromSame)}}
	return l
}

// toListenerSet turns a parentRef into one to a ListenerSet.
func toListenerSet(ref gatewayv1.ParentReference) gatewayv1.ParentReference {
	ref.Kind = ptr(gatewayv1.Kind(KindListenerSet))
	return ref
}

// withPolicy gives every case without a policy of its own this one.
func withPolicy(policy string, cases []objCase) []objCase {
	for i := range cases {
		if cases[i].policy == "" {
			cases[i].policy = policy
		}
	}
	return cases
}
