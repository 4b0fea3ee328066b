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
// backendRefs, addresses and grants are what the rules read, and few
// beside a route's matches and filters. Status (one entry per parent and
// listener, with conditions) goes. ok is false for any other kind.
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
	case *gatewayv1.GRPCRoute:
		m, obj.Status = &obj.ObjectMeta, gatewayv1.GRPCRouteStatus{}
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
