package webhook

import (
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
// is most of a real route, as of VirtualServices (transform.go). Status
// (one entry per parent and listener, with conditions) goes. ok is false
// for any other kind.
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
		obj.Spec.Rules = httpBackends(obj.Spec.Rules)
	case *gatewayv1.GRPCRoute:
		m, obj.Status = &obj.ObjectMeta, gatewayv1.GRPCRouteStatus{}
		obj.Spec.Rules = grpcBackends(obj.Spec.Rules)
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
	return o.(client.Object), true
}

// httpBackends keeps of each rule its backendRefs, without their own
// filters, and its RequestMirror filters, whose backends a backendRef
// check reads too.
func httpBackends(rules []gatewayv1.HTTPRouteRule) []gatewayv1.HTTPRouteRule {
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

// grpcBackends keeps of each rule its backendRefs, without their filters.
func grpcBackends(rules []gatewayv1.GRPCRouteRule) []gatewayv1.GRPCRouteRule {
	out := make([]gatewayv1.GRPCRouteRule, len(rules))
	for i, r := range rules {
		for _, b := range r.BackendRefs {
			out[i].BackendRefs = append(out[i].BackendRefs, gatewayv1.GRPCBackendRef{BackendRef: b.BackendRef})
		}
	}
	return out
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
