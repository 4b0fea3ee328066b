package rules

import (
	"testing"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func overlapState() []runtime.Object {
	return []runtime.Object{
		pod("istio-system", "ingress-1", ingressSelector),
		pod("istio-system", "internal-1", map[string]string{"istio": "internalgateway"}),
		gateway("istio-system", "public-gw", ingressSelector, httpServer(80, "*.example.com"), tcpServer(31400, "*")),
		gateway("istio-system", "internal-gw", map[string]string{"istio": "internalgateway"}, httpServer(80, "*.example.com")),
		httpVS("platform", "apps", []string{"*.apps.example.com"}, "istio-system/public-gw"),
		httpVS("api", "api", []string{"api.beta.example.com"}, "istio-system/public-gw"),
		tcpVS("tcp", "echo", []string{"*"}, "istio-system/public-gw"),
	}
}

func TestOverlappingHost(t *testing.T) {
	tests := []vsCase{
		{name: "disjoint host"},
		{
			name:   "a specific host under an existing wildcard",
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = []string{"shop.apps.example.com"} },
			want: []want{{OverlappingHost, Warn, "spec.hosts[0]", `spec.hosts[0]: Invalid value: "shop.apps.example.com": ` +
				`[overlapping-host] host "shop.apps.example.com" overlaps host "*.apps.example.com" of VirtualService ` +
				`platform/apps on HTTP port 80 of gateway pods {istio=ingressgateway} (Gateway istio-system/public-gw); ` +
				`the more specific host takes the requests it matches: make the hosts disjoint, or agree the split with ` +
				`the owner of platform/apps`}},
		},
		{
			name:   "a wildcard over an existing specific host",
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = []string{"*.beta.example.com"} },
			want:   []want{{rule: OverlappingHost, action: Warn, field: "spec.hosts[0]"}},
		},
		{
			name:   "a wildcard deeper under an existing one",
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = []string{"*.eu.apps.example.com"} },
			want:   []want{{rule: OverlappingHost, action: Warn, field: "spec.hosts[0]"}},
		},
		{
			name:   "*.x.com does not cover x.com",
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = []string{"apps.example.com"} },
		},
		{
			name: "same hosts on other pods: another route table",
			mutate: func(vs *networkingv1.VirtualService) {
				vs.Spec.Hosts, vs.Spec.Gateways = []string{"shop.apps.example.com"}, []string{"istio-system/internal-gw"}
			},
		},
		{
			name:   "the TCP * route does not overlap HTTP hosts",
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = []string{"blog.example.com"} },
		},
		{
			name: "a TCP * route is no overlap of the HTTP hosts either",
			vs: func() *networkingv1.VirtualService {
				return tcpVS("tcp", "echo-admin", []string{"*"}, "istio-system/public-gw")
			},
			// it is a TCP duplicate of tcp/echo, nothing else
			want: []want{{rule: DuplicateHost, action: Deny, field: "spec.tcp"}},
		},
		{
			name:   "action off",
			policy: "rules:\n  overlapping-host: {action: off}\n",
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = []string{"shop.apps.example.com"} },
		},
	}
	runVSCases(t, func() *networkingv1.VirtualService {
		return httpVS("web", "web", []string{"www.example.com"}, "istio-system/public-gw")
	}, overlapState(), tests)
}
