package rules

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// routeOwnershipState: ownershipState's namespaces, and a shared Gateway
// with a hostname-less listener, one for *.shop.example.com and a TCP one.
func routeOwnershipState() []runtime.Object {
	return append(ownershipState(), istioClass(),
		admittingListenerSets(kubeGateway("istio-system", "public-gw", httpListener("http", 80, ""),
			httpListener("shop", 8080, "*.shop.example.com"), tcpListener("tcp", 9000))),
		ofClass("nginx", kubeGateway("other", "nginx-gw", httpListener("http", 80, ""))))
}

func TestHostOwnershipRoutes(t *testing.T) {
	public := parentRef("istio-system", "public-gw")
	route := func(ns string, hostnames []string, parents ...gatewayv1.ParentReference) func() client.Object {
		return func() client.Object { return httpRoute(ns, "r", hostnames, parents...) }
	}
	tests := []objCase{
		{name: "owner, its hostname", obj: route("shop", []string{"cart.shop.example.com"}, public)},
		{
			name: "owner outside its domains",
			obj:  route("shop", []string{"shop.example.com", "blog.example.com"}, public),
			want: []want{{HostOwnership, Deny, "spec.hostnames[1]", `spec.hostnames[1]: Forbidden: [host-ownership] host ` +
				`"blog.example.com" is outside the domains of namespace shop [shop.example.com *.shop.example.com]; use a ` +
				`host under them, or ask the platform team`}},
		},
		{
			name: "a wildcard is judged as intersected: within the owner's listener",
			obj:  route("shop", []string{"*.example.com"}, section(public, "shop")),
		},
		{
			name: "a wildcard is judged as intersected: as written on a listener with no hostname",
			obj:  route("shop", []string{"*.example.com"}, public),
			want: []want{{HostOwnership, Deny, "spec.hostnames[0]", `spec.hostnames[0]: Forbidden: [host-ownership] host ` +
				`"*.example.com" is outside the domains of namespace shop [shop.example.com *.shop.example.com]; use a ` +
				`host under them, or ask the platform team`}},
		},
		{
			name: "no hostnames takes the listener's, judged at the parentRef",
			obj:  route("blog", nil, section(public, "shop")),
			want: []want{{HostOwnership, Deny, "spec.parentRefs[0]", `spec.parentRefs[0]: Forbidden: [host-ownership] ` +
				`host "*.shop.example.com" is under "*.shop.example.com", which the policy gives to namespaces shop; use ` +
				`a host of your own, or ask that team`}},
		},
		{
			name: "non-owner claims an owned hostname",
			obj:  route("blog", []string{"checkout.pay.example.com"}, public),
			want: []want{{HostOwnership, Deny, "spec.hostnames[0]", `spec.hostnames[0]: Forbidden: [host-ownership] host ` +
				`"checkout.pay.example.com" is under "*.pay.example.com", which the policy gives to namespaces labelled ` +
				`{team=payments}; use a host of your own, or ask that team`}},
		},
		{
			name: "one finding for a hostname two listeners serve",
			obj:  route("blog", []string{"*.shop.example.com"}, public),
			want: []want{{rule: HostOwnership, action: Deny, field: "spec.hostnames[0]"}},
		},
		{
			name: "a hostname that attaches nowhere is host-not-in-gateway's",
			obj:  route("blog", []string{"pay.example.com"}, section(public, "shop")),
			want: []want{{rule: HostNotInGateway, action: Warn, field: "spec.parentRefs[0]"}},
		},
		{
			name: "a catch-all would catch owned hostnames, as a VirtualService's * would",
			obj:  route("istio-system", nil, section(public, "http")),
			want: []want{{HostOwnership, Deny, "spec.parentRefs[0]", `spec.parentRefs[0]: Forbidden: [host-ownership] ` +
				`host "*" would catch requests for "shop.example.com", which the policy gives to namespaces shop; use a ` +
				`host of your own, or ask that team`}},
		},
		{name: "a TCPRoute claims no hostname", obj: func() client.Object { return tcpRoute("blog", "r", section(public, "tcp")) }},
		{
			name: "a Gateway of another class is not judged",
			obj:  route("blog", []string{"pay.example.com"}, parentRef("other", "nginx-gw")),
		},
		{name: "no owners in the policy", policy: "rules: {}\n", obj: route("blog", []string{"pay.example.com"}, public)},
	}
	runObjCases(t, routeOwnershipState(), withPolicy(ownershipPolicy, tests), HostOwnership, HostNotInGateway)
}

func TestHostOwnershipListeners(t *testing.T) {
	tests := []objCase{
		{
			name: "a Gateway's listener hostnames belong to its namespace",
			obj: func() client.Object {
				return kubeGateway("blog", "gw", httpListener("a", 80, "blog.example.com"),
					httpListener("b", 81, "pay.example.com"), httpListener("c", 82, ""))
			},
			want: []want{{HostOwnership, Deny, "spec.listeners[1].hostname", `spec.listeners[1].hostname: Forbidden: ` +
				`[host-ownership] host "pay.example.com" is under "pay.example.com", which the policy gives to ` +
				`namespaces labelled {team=payments}; use a host of your own, or ask that team`}},
		},
		{
			name: "the owner's Gateway",
			obj: func() client.Object {
				return kubeGateway("shop", "gw", httpListener("a", 80, "shop.example.com"), httpListener("b", 81, "*.shop.example.com"))
			},
		},
		{
			name: "a Gateway of another class is not judged",
			obj: func() client.Object {
				return ofClass("nginx", kubeGateway("blog", "gw", httpListener("a", 80, "pay.example.com")))
			},
		},
		{
			name: "a ListenerSet's listener hostnames belong to its namespace, not the Gateway's",
			obj: func() client.Object {
				return listenerSet("blog", "ls", "istio-system", "public-gw", httpListener("a", 8081, "x.shop.example.com"))
			},
			want: []want{{HostOwnership, Deny, "spec.listeners[0].hostname", `spec.listeners[0].hostname: Forbidden: ` +
				`[host-ownership] host "x.shop.example.com" is under "*.shop.example.com", which the policy gives to ` +
				`namespaces shop; use a host of your own, or ask that team`}},
		},
		{
			name: "the owner's ListenerSet",
			obj: func() client.Object {
				return listenerSet("shop", "ls", "istio-system", "public-gw", httpListener("a", 8081, "x.shop.example.com"))
			},
		},
	}
	runObjCases(t, routeOwnershipState(), withPolicy(ownershipPolicy, tests), HostOwnership, HostNotInGateway)
}
