package rules

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// More Gateway API builders, for the route rules' tables.

// listenerSet joins the Gateway gwNamespace/gwName with the listeners.
func listenerSet(ns, name, gwNamespace, gwName string, listeners ...gatewayv1.Listener) *gatewayv1.ListenerSet {
	ls := &gatewayv1.ListenerSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	ls.Spec.ParentRef = gatewayv1.ParentGatewayReference{Name: gatewayv1.ObjectName(gwName),
		Namespace: ptr(gatewayv1.Namespace(gwNamespace))}
	for _, l := range listeners {
		ls.Spec.Listeners = append(ls.Spec.Listeners, gatewayv1.ListenerEntry{Name: l.Name, Hostname: l.Hostname,
			Port: l.Port, Protocol: l.Protocol, TLS: l.TLS, AllowedRoutes: l.AllowedRoutes})
	}
	return ls
}

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

// section narrows a parentRef to one listener.
func section(ref gatewayv1.ParentReference, name string) gatewayv1.ParentReference {
	ref.SectionName = ptr(gatewayv1.SectionName(name))
	return ref
}

// toListenerSet turns a parentRef into one to a ListenerSet.
func toListenerSet(ref gatewayv1.ParentReference) gatewayv1.ParentReference {
	ref.Kind = ptr(gatewayv1.Kind(KindListenerSet))
	return ref
}

// objCase is a table row for a rule on any kind: obj judged as a CREATE
// under policy (the test's default when empty).
type objCase struct {
	name   string
	policy string
	obj    func() client.Object
	want   []want
}

// runObjCases judges every case against a snapshot of state.
func runObjCases(t *testing.T, defaultPolicy string, state func() []runtime.Object, cases []objCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultPolicy()
			switch {
			case tc.policy != "":
				p = mustPolicy(t, tc.policy)
			case defaultPolicy != "":
				p = mustPolicy(t, defaultPolicy)
			}
			expectFindings(t, validate(t, p, snapshotOf(t, state()...), create(tc.obj())), tc.want)
		})
	}
}
