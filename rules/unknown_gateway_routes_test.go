package rules

import (
	"testing"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// unknownParentState: Gateways of both APIs, one of another class, and
// ListenerSets that join, cannot join, or join a Gateway not in view.
func unknownParentState() []runtime.Object {
	return []runtime.Object{
		istioClass(),
		pod("istio-system", "ingress-1", ingressSelector),
		gateway("istio-system", "classic-gw", ingressSelector, httpServer(80, "*")),
		gateway("istio-system", "both-gw", ingressSelector, httpServer(8080, "*")),
		kubeGateway("istio-system", "both-gw", httpListener("http", 80, "")),
		admittingListenerSets(kubeGateway("istio-system", "public-gw", httpListener("http", 80, ""),
			httpsListener("https", 443, "*.example.com", "cert"))),
		kubeGateway("istio-system", "closed-gw", httpListener("http", 80, "")),
		admittingListenerSets(ofClass("nginx", kubeGateway("other", "nginx-gw", httpListener("http", 80, "")))),
		listenerSet("shop", "shop-ls", "istio-system", "public-gw", httpListener("shop", 8080, "")),
		listenerSet("shop", "orphan-ls", "istio-system", "gone-gw", httpListener("shop", 8080, "")),
		listenerSet("shop", "closed-ls", "istio-system", "closed-gw", httpListener("shop", 8080, "")),
		listenerSet("shop", "nginx-ls", "other", "nginx-gw", httpListener("shop", 8080, "")),
	}
}

func TestUnknownGatewayRoutes(t *testing.T) {
	public := parentRef("istio-system", "public-gw")
	route := func(parents ...gatewayv1.ParentReference) func() client.Object {
		return func() client.Object { return httpRoute("shop", "r", []string{"shop.example.com"}, parents...) }
	}
	onPort := func(ref gatewayv1.ParentReference, port int32) gatewayv1.ParentReference {
		ref.Port = ptr(gatewayv1.PortNumber(port))
		return ref
	}
	classic := gatewayv1.ParentReference{Group: ptr(gatewayv1.Group("networking.istio.io")), Kind: ptr(gatewayv1.Kind("Gateway")),
		Namespace: ptr(gatewayv1.Namespace("istio-system")), Name: "classic-gw"}
	service := gatewayv1.ParentReference{Group: ptr(gatewayv1.Group("")), Kind: ptr(gatewayv1.Kind("Service")), Name: "web"}
	foreign := gatewayv1.ParentReference{Group: ptr(gatewayv1.Group("example.com")), Kind: ptr(gatewayv1.Kind("Mesh")), Name: "m"}
	const publicListeners = `http port 80 (any hostname), https port 443 "*.example.com"`
	tests := []objCase{
		{name: "a Gateway that exists", obj: route(public)},
		{name: "a listener that exists", obj: route(section(public, "https"))},
		{name: "a port that exists", obj: route(onPort(public, 443))},
		{
			name: "a Gateway that does not exist",
			obj:  route(parentRef("istio-system", "private-gw")),
			want: []want{{UnknownGateway, Warn, "spec.parentRefs[0]", `spec.parentRefs[0]: Not found: ` +
				`"Gateway/istio-system/private-gw": [unknown-gateway] Gateway istio-system/private-gw does not exist, so ` +
				`Istio attaches this HTTPRoute to nothing there: create it or fix the parentRef`}},
		},
		{
			name: "a parentRef without namespace is in the route's",
			obj:  route(public, parentRef("", "public-gw")),
			want: []want{{UnknownGateway, Warn, "spec.parentRefs[1]", `spec.parentRefs[1]: Not found: ` +
				`"Gateway/shop/public-gw": [unknown-gateway] Gateway shop/public-gw does not exist, so Istio attaches ` +
				`this HTTPRoute to nothing there: create it or fix the parentRef`}},
		},
		{
			name: "a sectionName naming no listener",
			obj:  route(section(public, "grpc")),
			want: []want{{UnknownGateway, Warn, "spec.parentRefs[0]", `spec.parentRefs[0]: Invalid value: ` +
				`"Gateway/istio-system/public-gw": [unknown-gateway] Gateway istio-system/public-gw has no listener named ` +
				`"grpc" (its listeners: ` + publicListeners + `), so Istio attaches this HTTPRoute to nothing there ` +
				`(NoMatchingParent): fix the parentRef's sectionName or port`}},
		},
		{
			name: "a port naming no listener",
			obj:  route(onPort(public, 8443)),
			want: []want{{UnknownGateway, Warn, "spec.parentRefs[0]", `spec.parentRefs[0]: Invalid value: ` +
				`"Gateway/istio-system/public-gw": [unknown-gateway] Gateway istio-system/public-gw has no listener on ` +
				`port 8443 (its listeners: ` + publicListeners + `), so Istio attaches this HTTPRoute to nothing there ` +
				`(NoMatchingParent): fix the parentRef's sectionName or port`}},
		},
		{
			name: "a sectionName and port must name one listener",
			obj:  route(onPort(section(public, "https"), 80)),
			want: []want{{UnknownGateway, Warn, "spec.parentRefs[0]", `spec.parentRefs[0]: Invalid value: ` +
				`"Gateway/istio-system/public-gw": [unknown-gateway] Gateway istio-system/public-gw has no listener named ` +
				`"https" on port 80 (its listeners: ` + publicListeners + `), so Istio attaches this HTTPRoute to ` +
				`nothing there (NoMatchingParent): fix the parentRef's sectionName or port`}},
		},
		{
			name: "a classic Gateway, which Istio ignores as a parent",
			obj:  route(classic),
			want: []want{{UnknownGateway, Warn, "spec.parentRefs[0]", `spec.parentRefs[0]: Invalid value: ` +
				`"networking.istio.io/Gateway/istio-system/classic-gw": [unknown-gateway] networking.istio.io Gateway ` +
				`istio-system/classic-gw is not a parent a route can have: Istio ignores this parentRef, so this ` +
				`HTTPRoute attaches to nothing there: name a gateway.networking.k8s.io Gateway instead, or route ` +
				`through this one with a VirtualService`}},
		},
		{
			name: "a Gateway of another class is not judged",
			obj:  route(parentRef("other", "nginx-gw"), section(parentRef("other", "nginx-gw"), "x")),
		},
		{name: "a mesh parent is not judged", obj: route(service)},
		{name: "another controller's kind is not judged", obj: route(foreign)},
		{name: "a ListenerSet that joins its Gateway", obj: route(toListenerSet(parentRef("", "shop-ls")))},
		{
			name: "a ListenerSet that does not exist",
			obj:  route(toListenerSet(parentRef("", "nope-ls"))),
			want: []want{{UnknownGateway, Warn, "spec.parentRefs[0]", `spec.parentRefs[0]: Not found: ` +
				`"ListenerSet/shop/nope-ls": [unknown-gateway] ListenerSet shop/nope-ls does not exist, so Istio ` +
				`attaches this HTTPRoute to nothing there: create it or fix the parentRef`}},
		},
		{
			name: "a ListenerSet whose Gateway does not exist",
			obj:  route(toListenerSet(parentRef("", "orphan-ls"))),
			want: []want{{UnknownGateway, Warn, "spec.parentRefs[0]", `spec.parentRefs[0]: Not found: ` +
				`"ListenerSet/shop/orphan-ls": [unknown-gateway] ListenerSet shop/orphan-ls joins Gateway ` +
				`istio-system/gone-gw, which does not exist, so Istio attaches this HTTPRoute to nothing there: create ` +
				`the Gateway or fix the ListenerSet's parentRef`}},
		},
		{
			name: "a ListenerSet its Gateway does not admit",
			obj:  route(toListenerSet(parentRef("", "closed-ls"))),
			want: []want{{UnknownGateway, Warn, "spec.parentRefs[0]", `spec.parentRefs[0]: Not found: ` +
				`"ListenerSet/shop/closed-ls": [unknown-gateway] Gateway istio-system/closed-gw does not admit ` +
				`ListenerSet shop/closed-ls (its spec.allowedListeners admits none by default), so Istio attaches this ` +
				`HTTPRoute to nothing there: have the Gateway's owner admit the ListenerSet's namespace`}},
		},
		{name: "a ListenerSet of another class's Gateway is not judged", obj: route(toListenerSet(parentRef("", "nginx-ls")))},
		{
			name:   "action deny",
			policy: "rules:\n  unknown-gateway: {action: deny}\n",
			obj:    route(public, parentRef("istio-system", "private-gw")),
			want:   []want{{rule: UnknownGateway, action: Deny, field: "spec.parentRefs[1]"}},
		},
		{
			name:   "action off",
			policy: "rules:\n  unknown-gateway: {action: off}\n",
			obj:    route(parentRef("istio-system", "private-gw")),
		},
	}
	runObjCases(t, unknownParentState(), tests, UnknownGateway)
}

func TestUnknownGatewayVirtualServiceOnKubeGateway(t *testing.T) {
	gateways := func(g ...string) func(*networkingv1.VirtualService) {
		return func(vs *networkingv1.VirtualService) { vs.Spec.Gateways = g }
	}
	tests := []vsCase{
		{name: "a classic Gateway"},
		{
			name:   "a gateway.networking.k8s.io Gateway binds nothing",
			mutate: gateways("istio-system/classic-gw", "istio-system/public-gw"),
			want: []want{{UnknownGateway, Warn, "spec.gateways[1]", `spec.gateways[1]: Invalid value: ` +
				`"istio-system/public-gw": [unknown-gateway] istio-system/public-gw is a gateway.networking.k8s.io ` +
				`Gateway, and Istio binds a VirtualService only to networking.istio.io Gateways, so this ` +
				`VirtualService binds to nothing there: route through it with an HTTPRoute, or name a ` +
				`networking.istio.io Gateway`}},
		},
		{
			name:   "in any reference form",
			mutate: gateways("public-gw.istio-system.svc.cluster.local"),
			want:   []want{{rule: UnknownGateway, action: Warn, field: "spec.gateways[0]"}},
		},
		{name: "a name both APIs have is the classic Gateway", mutate: gateways("istio-system/both-gw")},
		{
			name:   "a name neither has is unknown",
			mutate: gateways("istio-system/private-gw"),
			want: []want{{UnknownGateway, Warn, "spec.gateways[0]", `spec.gateways[0]: Not found: ` +
				`"istio-system/private-gw": [unknown-gateway] Gateway istio-system/private-gw does not exist, so Istio ` +
				`binds this VirtualService to nothing there: create the Gateway or fix the reference`}},
		},
	}
	runVSCases(t, func() *networkingv1.VirtualService {
		return httpVS("shop", "shop", []string{"shop.example.com"}, "istio-system/classic-gw")
	}, unknownParentState(), tests)
}
