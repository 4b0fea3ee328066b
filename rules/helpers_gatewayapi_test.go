package rules

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"
)

// Builders for the Gateway API table tests: each returns a fresh object.

// istioClass is Istio's GatewayClass, as istiod creates it.
func istioClass() *gatewayv1.GatewayClass {
	c := &gatewayv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: "istio"}}
	c.Spec.ControllerName = IstioGatewayController
	return c
}

// kubeGateway is a managed Gateway of Istio's class.
func kubeGateway(ns, name string, listeners ...gatewayv1.Listener) *gatewayv1.Gateway {
	gw := &gatewayv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	gw.Spec.GatewayClassName = "istio"
	gw.Spec.Listeners = listeners
	return gw
}

// manualGateway is a Gateway on an existing Service of its namespace.
func manualGateway(ns, name, service string, listeners ...gatewayv1.Listener) *gatewayv1.Gateway {
	gw := kubeGateway(ns, name, listeners...)
	gw.Spec.Addresses = []gatewayv1.GatewaySpecAddress{{Type: ptr(gatewayv1.HostnameAddressType), Value: service}}
	return gw
}

// httpListener takes routes from every namespace; hostname "" for none.
func httpListener(name string, port int32, hostname string) gatewayv1.Listener {
	l := gatewayv1.Listener{Name: gatewayv1.SectionName(name), Port: gatewayv1.PortNumber(port), Protocol: gatewayv1.HTTPProtocolType}
	if hostname != "" {
		l.Hostname = ptr(gatewayv1.Hostname(hostname))
	}
	l.AllowedRoutes = &gatewayv1.AllowedRoutes{Namespaces: &gatewayv1.RouteNamespaces{From: ptr(gatewayv1.NamespacesFromAll)}}
	return l
}

// httpsListener terminates TLS with the named Secrets of the Gateway's namespace.
func httpsListener(name string, port int32, hostname string, secrets ...string) gatewayv1.Listener {
	l := httpListener(name, port, hostname)
	l.Protocol = gatewayv1.HTTPSProtocolType
	l.TLS = &gatewayv1.ListenerTLSConfig{Mode: ptr(gatewayv1.TLSModeTerminate)}
	for _, s := range secrets {
		l.TLS.CertificateRefs = append(l.TLS.CertificateRefs, gatewayv1.SecretObjectReference{Name: gatewayv1.ObjectName(s)})
	}
	return l
}

// tlsPassthroughListener routes TLSRoutes by SNI.
func tlsPassthroughListener(name string, port int32, hostname string) gatewayv1.Listener {
	l := httpListener(name, port, hostname)
	l.Protocol = gatewayv1.TLSProtocolType
	l.TLS = &gatewayv1.ListenerTLSConfig{Mode: ptr(gatewayv1.TLSModePassthrough)}
	return l
}

// tcpListener takes TCPRoutes from every namespace.
func tcpListener(name string, port int32) gatewayv1.Listener {
	l := httpListener(name, port, "")
	l.Protocol = gatewayv1.TCPProtocolType
	return l
}

// parentRef names a Gateway in namespace ns ("" for the route's own).
func parentRef(ns, name string) gatewayv1.ParentReference {
	ref := gatewayv1.ParentReference{Name: gatewayv1.ObjectName(name)}
	if ns != "" {
		ref.Namespace = ptr(gatewayv1.Namespace(ns))
	}
	return ref
}

// httpRoute is an HTTPRoute with one rule to a Service of its namespace.
func httpRoute(ns, name string, hostnames []string, parents ...gatewayv1.ParentReference) *gatewayv1.HTTPRoute {
	r := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	r.Spec.ParentRefs = parents
	for _, h := range hostnames {
		r.Spec.Hostnames = append(r.Spec.Hostnames, gatewayv1.Hostname(h))
	}
	r.Spec.Rules = []gatewayv1.HTTPRouteRule{{BackendRefs: []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{
		BackendObjectReference: gatewayv1.BackendObjectReference{Name: "backend", Port: ptr(gatewayv1.PortNumber(8080))}}}}}}
	return r
}

// tlsRoute routes SNI hostnames to a Service of its namespace.
func tlsRoute(ns, name string, hostnames []string, parents ...gatewayv1.ParentReference) *gatewayv1.TLSRoute {
	r := &gatewayv1.TLSRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	r.Spec.ParentRefs = parents
	for _, h := range hostnames {
		r.Spec.Hostnames = append(r.Spec.Hostnames, gatewayv1.Hostname(h))
	}
	r.Spec.Rules = []gatewayv1.TLSRouteRule{{BackendRefs: []gatewayv1.BackendRef{{
		BackendObjectReference: gatewayv1.BackendObjectReference{Name: "backend", Port: ptr(gatewayv1.PortNumber(8443))}}}}}
	return r
}

// tcpRoute routes a TCP listener to a Service of its namespace.
func tcpRoute(ns, name string, parents ...gatewayv1.ParentReference) *gatewayv1.TCPRoute {
	r := &gatewayv1.TCPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	r.Spec.ParentRefs = parents
	r.Spec.Rules = []gatewayv1.TCPRouteRule{{BackendRefs: []gatewayv1.BackendRef{{
		BackendObjectReference: gatewayv1.BackendObjectReference{Name: "backend", Port: ptr(gatewayv1.PortNumber(9000))}}}}}
	return r
}

// referenceGrant lets kind from namespace from refer to toKind objects
// (all of them when toName is "") in ns.
func referenceGrant(ns, name, fromKind, from, toKind, toName string) *gatewayv1beta1.ReferenceGrant {
	g := &gatewayv1beta1.ReferenceGrant{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	g.Spec.From = []gatewayv1beta1.ReferenceGrantFrom{{Group: gatewayGroup, Kind: gatewayv1.Kind(fromKind), Namespace: gatewayv1.Namespace(from)}}
	to := gatewayv1beta1.ReferenceGrantTo{Group: "", Kind: gatewayv1.Kind(toKind)}
	if toName != "" {
		to.Name = ptr(gatewayv1.ObjectName(toName))
	}
	g.Spec.To = []gatewayv1beta1.ReferenceGrantTo{to}
	return g
}

func ptr[T any](v T) *T { return &v }

// objCase is a table row for a Gateway API rule: obj is judged as a
// CREATE under policy (the default when empty); want lists exactly the
// findings of the rules under test, in order.
type objCase struct {
	name   string
	policy string
	obj    func() client.Object
	want   []want
}

// runObjCases judges every case against a snapshot of state, keeping the
// findings of the rules under test: other rules judge the same objects.
func runObjCases(t *testing.T, state []runtime.Object, cases []objCase, ruleIDs ...RuleID) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultPolicy()
			if tc.policy != "" {
				p = mustPolicy(t, tc.policy)
			}
			got := validate(t, p, snapshotOf(t, state...), create(tc.obj()))
			got = slices.DeleteFunc(got, func(f Finding) bool { return !slices.Contains(ruleIDs, f.Rule) })
			expectFindings(t, got, tc.want)
		})
	}
}

// section narrows a parentRef to one listener.
func section(ref gatewayv1.ParentReference, name string) gatewayv1.ParentReference {
	ref.SectionName = ptr(gatewayv1.SectionName(name))
	return ref
}

// service is a Service selecting pods.
func service(ns, name string, selector map[string]string) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: corev1.ServiceSpec{Selector: selector}}
}
