package rules

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func TestIntersectHostnames(t *testing.T) {
	tests := []struct {
		listener, route, want string
		ok                    bool
	}{
		{"", "shop.example.com", "shop.example.com", true},
		{"shop.example.com", "shop.example.com", "shop.example.com", true},
		{"*.example.com", "shop.example.com", "shop.example.com", true},
		{"*.example.com", "a.b.example.com", "a.b.example.com", true},
		{"*.example.com", "example.com", "", false},
		{"*.example.com", "*.example.com", "*.example.com", true},
		{"*.com", "*.example.com", "*.example.com", true},
		{"shop.example.com", "*.example.com", "shop.example.com", true},
		{"shop.example.com", "*.shop.example.com", "", false},
		{"shop.example.com", "cart.example.com", "", false},
		{"*.example.com", "shop.example.net", "", false},
	}
	for _, tc := range tests {
		got, ok := bindHost(tc.route, cmpOrStar(tc.listener)) // as intersectRoute intersects
		if got != tc.want || ok != tc.ok {
			t.Errorf("intersect(%q, %q) = %q, %v; want %q, %v", tc.listener, tc.route, got, ok, tc.want, tc.ok)
		}
	}
}

// TestBindRoute pins how parentRefs reach listeners: defaults, sections,
// ports, allowedRoutes, kinds, classes and ListenerSets
// (docs/gateway-api.md#binding-a-route-to-a-listener).
func TestBindRoute(t *testing.T) {
	same := httpListener("same", 80, "same.example.com")
	same.AllowedRoutes = nil // From: Same, the default
	selected := httpListener("selected", 80, "sel.example.com")
	selected.AllowedRoutes.Namespaces = &gatewayv1.RouteNamespaces{From: ptr(gatewayv1.NamespacesFromSelector),
		Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"shared-gateway": "true"}}}
	onlyGRPC := httpListener("grpc", 81, "")
	onlyGRPC.AllowedRoutes.Kinds = []gatewayv1.RouteGroupKind{{Kind: "GRPCRoute"}}
	gw := kubeGateway("infra", "gw", httpListener("http", 80, "*.example.com"), same, selected, onlyGRPC)
	gw.Spec.AllowedListeners = &gatewayv1.AllowedListeners{Namespaces: &gatewayv1.ListenerNamespaces{From: ptr(gatewayv1.NamespacesFromAll)}}
	ls := &gatewayv1.ListenerSet{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "extra"}}
	ls.Spec.ParentRef = gatewayv1.ParentGatewayReference{Name: "gw", Namespace: ptr(gatewayv1.Namespace("infra"))}
	ls.Spec.Listeners = []gatewayv1.ListenerEntry{{Name: "own", Port: 80, Protocol: gatewayv1.HTTPProtocolType,
		Hostname: ptr(gatewayv1.Hostname("own.example.com"))}}
	otherClass := kubeGateway("infra", "foreign", httpListener("http", 80, ""))
	otherClass.Spec.GatewayClassName = "other"
	other := &gatewayv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: "other"}}
	other.Spec.ControllerName = "example.com/other"
	snap := snapshotOf(t, istioClass(), other, gw, otherClass, ls,
		namespace("team-a", map[string]string{"shared-gateway": "true"}), namespace("team-b", nil))

	ref := parentRef("infra", "gw")
	lsRef := gatewayv1.ParentReference{Kind: ptr(gatewayv1.Kind("ListenerSet")), Name: "extra"}
	classic := gatewayv1.ParentReference{Group: ptr(gatewayv1.Group("networking.istio.io")), Kind: ptr(gatewayv1.Kind("Gateway")), Name: "gw"}
	tests := []struct {
		name  string
		route *gatewayv1.HTTPRoute
		want  string // listener/host pairs, or the reason
	}{
		{"a hostname under the wildcard listener", httpRoute("team-a", "r", []string{"shop.example.com"}, ref), "http=shop.example.com"},
		{"no hostnames takes every listener's", httpRoute("infra", "r", nil, ref),
			"http=*.example.com same=same.example.com"},
		{"From: Same keeps other namespaces out", httpRoute("team-a", "r", []string{"same.example.com"}, section(ref, "same")), reasonNotAllowed},
		{"a namespace the selector picks", httpRoute("team-a", "r", []string{"sel.example.com"}, ref), "http=sel.example.com selected=sel.example.com"},
		{"a namespace the selector does not pick", httpRoute("team-b", "r", []string{"sel.example.com"}, section(ref, "selected")), reasonNotAllowed},
		{"no hostname intersects", httpRoute("team-a", "r", []string{"shop.example.org"}, section(ref, "http")), reasonNoHostnameMatch},
		{"a listener that matches but refuses outranks one that does not match", httpRoute("team-a", "r", []string{"shop.example.org"}, ref), reasonNotAllowed},
		{"a sectionName naming no listener", httpRoute("team-a", "r", nil, section(ref, "nope")), reasonNoParent},
		{"a port naming no listener", httpRoute("team-a", "r", nil, func() gatewayv1.ParentReference {
			r := ref
			r.Port = ptr(gatewayv1.PortNumber(8080))
			return r
		}()), reasonNoParent},
		{"a kind the listener does not take", httpRoute("team-a", "r", nil, section(ref, "grpc")), reasonNotAllowed},
		{"a missing Gateway", httpRoute("team-a", "r", nil, parentRef("infra", "missing")), reasonNoParent},
		{"another implementation's Gateway is not judged", httpRoute("team-a", "r", nil, parentRef("infra", "foreign")), ""},
		{"a classic Gateway binds nothing", httpRoute("team-a", "r", nil, classic), "classic " + reasonNoParent},
		{"an admitted ListenerSet's own listener", httpRoute("team-a", "r", nil, lsRef), "own=own.example.com"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt, _ := routeOf(tc.route)
			bindings := bindRoute(snap, rt)
			if len(bindings) != 1 {
				t.Fatalf("got %d bindings, want 1", len(bindings))
			}
			if got := renderBinding(bindings[0]); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// renderBinding writes a binding as "listener=host ..." or its reason.
func renderBinding(b parentBinding) string {
	if b.reason != "" || len(b.attached) == 0 {
		if b.classic {
			return "classic " + b.reason
		}
		return b.reason
	}
	out := ""
	for _, a := range b.attached {
		for _, h := range a.hosts {
			if out != "" {
				out += " "
			}
			out += a.listener.name + "=" + h.host
		}
	}
	return out
}
