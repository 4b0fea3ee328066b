package webhook

import (
	"slices"
	"unique"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"
)

// trimGatewayAPI keeps of a Gateway API object its identity, the
// exemption annotation and its spec: listeners, hostnames, parentRefs,
// addresses and grants are what the rules read. Of an HTTPRoute's or
// GRPCRoute's rules only the backends stay (backendRefs, and an
// HTTPRoute's request mirrors): never what the routes match or do, which
// is most of a real route, as of VirtualServices (transform.go). And
// those only when one points into another namespace: of a cached route
// the rules read only such backends (a ReferenceGrant must permit them),
// and most routes send traffic to their own namespace only. Status (one
// entry per parent and listener, with conditions) goes. ok is false for
// any other kind.
func trimGatewayAPI(o any) (client.Object, bool) {
	var m *metav1.ObjectMeta
	switch obj := o.(type) {
	case *gatewayv1.GatewayClass:
		m, obj.Status = &obj.ObjectMeta, gatewayv1.GatewayClassStatus{}
	case *gatewayv1.Gateway:
		m, obj.Status = &obj.ObjectMeta, gatewayv1.GatewayStatus{}
	case *gatewayv1.ListenerSet:
		m, obj.Status = &obj.ObjectMeta, gatewayv1.ListenerSetStatus{}
	case *gatewayv1.HTTPRoute:
		m, obj.Status = &obj.ObjectMeta, gatewayv1.HTTPRouteStatus{}
		obj.Spec.Rules = httpBackends(obj.Namespace, obj.Spec.Rules)
	case *gatewayv1.GRPCRoute:
		m, obj.Status = &obj.ObjectMeta, gatewayv1.GRPCRouteStatus{}
		obj.Spec.Rules = grpcBackends(obj.Namespace, obj.Spec.Rules)
	case *gatewayv1.TLSRoute:
		m, obj.Status = &obj.ObjectMeta, gatewayv1.TLSRouteStatus{}
	case *gatewayv1.TCPRoute:
		m, obj.Status = &obj.ObjectMeta, gatewayv1.TCPRouteStatus{}
	case *gatewayv1beta1.ReferenceGrant:
		m = &obj.ObjectMeta
	default:
		return nil, false
	}
	*m = withExemption(keptMeta(m), m)
	obj := o.(client.Object)
	if t, ok := obj.GetObjectKind().(*metav1.TypeMeta); ok {
		// The decoder gives every object its own copy of the kind and
		// version; one copy of each serves them all.
		t.APIVersion, t.Kind = unique.Make(t.APIVersion).Value(), unique.Make(t.Kind).Value()
	}
	return obj, true
}

// httpBackends keeps of each rule its backendRefs, without their own
// filters, and its RequestMirror filters, whose backends a backendRef
// check reads too; no rules at all when every backend is in namespace.
// A kept rule keeps all its backends, so their field paths stay.
func httpBackends(namespace string, rules []gatewayv1.HTTPRouteRule) []gatewayv1.HTTPRouteRule {
	if !slices.ContainsFunc(rules, func(r gatewayv1.HTTPRouteRule) bool { return httpCrossesNamespace(namespace, r) }) {
		return nil
	}
	out := make([]gatewayv1.HTTPRouteRule, len(rules))
	for i, r := range rules {
		for _, b := range r.BackendRefs {
			out[i].BackendRefs = append(out[i].BackendRefs, gatewayv1.HTTPBackendRef{BackendRef: b.BackendRef})
		}
		for _, f := range r.Filters {
			if f.RequestMirror != nil {
				out[i].Filters = append(out[i].Filters, gatewayv1.HTTPRouteFilter{Type: f.Type, RequestMirror: f.RequestMirror})
			}
		}
	}
	return out
}

// httpCrossesNamespace reports whether a rule's backendRefs or request
// mirrors name a namespace other than the route's.
func httpCrossesNamespace(namespace string, r gatewayv1.HTTPRouteRule) bool {
	for _, b := range r.BackendRefs {
		if crossesNamespace(namespace, b.BackendObjectReference) {
			return true
		}
	}
	return slices.ContainsFunc(r.Filters, func(f gatewayv1.HTTPRouteFilter) bool {
		return f.RequestMirror != nil && crossesNamespace(namespace, f.RequestMirror.BackendRef)
	})
}

// grpcBackends keeps of each rule its backendRefs, without their filters;
// no rules at all when every backend is in namespace.
func grpcBackends(namespace string, rules []gatewayv1.GRPCRouteRule) []gatewayv1.GRPCRouteRule {
	if !slices.ContainsFunc(rules, func(r gatewayv1.GRPCRouteRule) bool {
		return slices.ContainsFunc(r.BackendRefs, func(b gatewayv1.GRPCBackendRef) bool {
			return crossesNamespace(namespace, b.BackendObjectReference)
		})
	}) {
		return nil
	}
	out := make([]gatewayv1.GRPCRouteRule, len(rules))
	for i, r := range rules {
		for _, b := range r.BackendRefs {
			out[i].BackendRefs = append(out[i].BackendRefs, gatewayv1.GRPCBackendRef{BackendRef: b.BackendRef})
		}
	}
	return out
}

// crossesNamespace reports whether ref names a namespace other than the
// route's, as the rules resolve it (an empty namespace is the route's).
func crossesNamespace(namespace string, ref gatewayv1.BackendObjectReference) bool {
	return ref.Namespace != nil && *ref.Namespace != "" && string(*ref.Namespace) != namespace
}

// trimService keeps of a Service only its identity and pod selector: a
// manual Gateway's address names a Service, whose selector says which
// pods serve it (docs/gateway-api.md#manual-gateways).
func trimService(o any) (any, error) {
	svc, ok := o.(*corev1.Service)
	if !ok {
		return o, nil
	}
	return &corev1.Service{TypeMeta: svc.TypeMeta, ObjectMeta: keptMeta(&svc.ObjectMeta),
		Spec: corev1.ServiceSpec{Selector: svc.Spec.Selector}}, nil
}
