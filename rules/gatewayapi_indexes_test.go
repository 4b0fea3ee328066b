package rules

import (
	"testing"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestIsRouteIsRouteObjectsKinds: IsRoute holds for exactly the kinds
// RouteObjects lists, so the two lists cannot drift apart.
func TestIsRouteIsRouteObjectsKinds(t *testing.T) {
	for _, obj := range RouteObjects() {
		if !IsRoute(obj) {
			t.Errorf("IsRoute(%T) = false, want true", obj)
		}
	}
	for _, obj := range []client.Object{nil, &networkingv1.VirtualService{}, &networkingv1.Gateway{},
		&gatewayv1.Gateway{}, &gatewayv1.ListenerSet{}, &gatewayv1.GatewayClass{}} {
		if IsRoute(obj) {
			t.Errorf("IsRoute(%T) = true, want false", obj)
		}
	}
}
