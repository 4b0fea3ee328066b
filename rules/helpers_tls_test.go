package rules

import (
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Builders and a table runner for the Gateway API TLS, ReferenceGrant and
// listener rules.

// otherClass is another implementation's GatewayClass.
func otherClass() *gatewayv1.GatewayClass {
	c := &gatewayv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: "other"}}
	c.Spec.ControllerName = "example.com/other-controller"
	return c
}

// listenerSet joins the Gateway gwNS/gwName with the listeners.
func listenerSet(ns, name, gwNS, gwName string, listeners ...gatewayv1.Listener) *gatewayv1.ListenerSet {
	ls := &gatewayv1.ListenerSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	ls.Spec.ParentRef = gatewayv1.ParentGatewayReference{Name: gatewayv1.ObjectName(gwName)}
	if gwNS != ns {
		ls.Spec.ParentRef.Namespace = ptr(gatewayv1.Namespace(gwNS))
	}
	for _, l := range listeners {
		ls.Spec.Listeners = append(ls.Spec.Listeners, gatewayv1.ListenerEntry{Name: l.Name, Hostname: l.Hostname,
			Port: l.Port, Protocol: l.Protocol, TLS: l.TLS, AllowedRoutes: l.AllowedRoutes})
	}
	return ls
}

// admitAll lets ListenerSets of every namespace join gw.
func admitAll(gw *gatewayv1.Gateway) *gatewayv1.Gateway {
	gw.Spec.AllowedListeners = &gatewayv1.AllowedListeners{Namespaces: &gatewayv1.ListenerNamespaces{
		From: ptr(gatewayv1.NamespacesFromAll)}}
	return gw
}

// createdAt sets a ListenerSet's creationTimestamp to minute m of a fixed hour.
func createdAt(ls *gatewayv1.ListenerSet, m int) *gatewayv1.ListenerSet {
	ls.CreationTimestamp = metav1.Date(2026, 1, 1, 10, m, 0, 0, time.UTC)
	return ls
}

// certRefIn is a certificateRef to a Secret of namespace ns.
func certRefIn(ns, name string) gatewayv1.SecretObjectReference {
	return gatewayv1.SecretObjectReference{Name: gatewayv1.ObjectName(name), Namespace: ptr(gatewayv1.Namespace(ns))}
}

// mutateCase is a table row: the test's base object changed by mutate,
// judged as a CREATE under policy, with extra objects in the snapshot.
type mutateCase[T client.Object] struct {
	name   string
	policy string // policy body; empty for the default policy
	state  []runtime.Object
	mutate func(T)
	want   []want
}

// runMutateCases judges every case against a snapshot of state and the
// case's own, keeping the findings of the rule under test: other rules
// judge the same objects.
func runMutateCases[T client.Object](t *testing.T, rule RuleID, base func() T, state []runtime.Object, cases []mutateCase[T]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := base()
			if tc.mutate != nil {
				tc.mutate(obj)
			}
			snap := snapshotOf(t, append(append([]runtime.Object{}, state...), tc.state...)...)
			expectFindings(t, findingsOf(rule, validate(t, policyOrDefault(t, tc.policy), snap, create(obj))), tc.want)
		})
	}
}

// policyOrDefault parses a policy body, or is the default policy for "".
func policyOrDefault(t testing.TB, body string) *Policy {
	if body == "" {
		return DefaultPolicy()
	}
	return mustPolicy(t, body)
}

// findingsOf keeps the findings of one rule.
func findingsOf(rule RuleID, fs []Finding) []Finding {
	return slices.DeleteFunc(fs, func(f Finding) bool { return f.Rule != rule })
}
