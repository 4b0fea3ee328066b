package rules

import (
	"testing"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func unknownGatewayState() []runtime.Object {
	return []runtime.Object{
		pod("istio-system", "ingress-1", ingressSelector),
		gateway("istio-system", "public-gw", ingressSelector, httpServer(80, "*.example.com")),
		gateway("shop", "shop-gw", ingressSelector, httpServer(80, "shop.example.com")),
	}
}

func TestUnknownGateway(t *testing.T) {
	gateways := func(g ...string) func(*networkingv1.VirtualService) {
		return func(vs *networkingv1.VirtualService) { vs.Spec.Gateways = g }
	}
	tests := []vsCase{
		{name: "ns/name that exists"},
		{name: "short name in the VirtualService's namespace", mutate: gateways("shop-gw")},
		{name: "legacy FQDN", mutate: gateways("public-gw.istio-system.svc.cluster.local")},
		{name: "legacy name.ns", mutate: gateways("public-gw.istio-system")},
		{name: "mesh is never unknown", mutate: gateways("mesh")},
		{name: "no gateways: the mesh only", mutate: gateways()},
		{
			name:   "ns/name that does not exist",
			mutate: gateways("istio-system/private-gw"),
			want: []want{{UnknownGateway, Warn, "spec.gateways[0]", `spec.gateways[0]: Not found: ` +
				`"istio-system/private-gw": [unknown-gateway] Gateway istio-system/private-gw does not exist, so Istio ` +
				`binds this VirtualService to nothing there: create the Gateway or fix the reference`}},
		},
		{
			name:   "a short name resolves in the VirtualService's namespace only",
			mutate: gateways("mesh", "public-gw"),
			want: []want{{UnknownGateway, Warn, "spec.gateways[1]", `spec.gateways[1]: Not found: "public-gw": ` +
				`[unknown-gateway] Gateway shop/public-gw does not exist, so Istio binds this VirtualService to nothing ` +
				`there: create the Gateway or fix the reference`}},
		},
		{
			name:   "case-sensitive, with a hint",
			mutate: gateways("istio-system/Public-GW"),
			want: []want{{UnknownGateway, Warn, "spec.gateways[0]", `spec.gateways[0]: Not found: ` +
				`"istio-system/Public-GW": [unknown-gateway] Gateway istio-system/Public-GW does not exist, so Istio ` +
				`binds this VirtualService to nothing there: references are case-sensitive: did you mean ` +
				`istio-system/public-gw?`}},
		},
		{
			name:   "legacy forms of a Gateway that does not exist",
			mutate: gateways("private-gw.istio-system.svc.cluster.local", "istio-system/public-gw", "private-gw.istio-system"),
			want: []want{
				{rule: UnknownGateway, action: Warn, field: "spec.gateways[0]"},
				{rule: UnknownGateway, action: Warn, field: "spec.gateways[2]"},
			},
		},
		{
			name:   "action deny",
			policy: "rules:\n  unknown-gateway: {action: deny}\n",
			mutate: gateways("istio-system/private-gw"),
			want:   []want{{rule: UnknownGateway, action: Deny, field: "spec.gateways[0]"}},
		},
		{
			name:   "action off",
			policy: "rules:\n  unknown-gateway: {action: off}\n",
			mutate: gateways("istio-system/private-gw"),
		},
	}
	// The base: shop/shop for shop.example.com on istio-system/public-gw.
	runVSCases(t, func() *networkingv1.VirtualService {
		return httpVS("shop", "shop", []string{"shop.example.com"}, "istio-system/public-gw")
	}, unknownGatewayState(), tests)
}
