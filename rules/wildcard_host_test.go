package rules

import (
	"testing"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// wildcardState holds the gateways the VirtualService cases bind to; none
// of their routes is claimed, so only wildcard-host speaks.
func wildcardState() []runtime.Object {
	return []runtime.Object{
		pod("istio-system", "ingress-1", ingressSelector),
		gateway("istio-system", "http-gw", ingressSelector, httpServer(80, "*")),
		gateway("istio-system", "tls-gw", ingressSelector, passthroughServer(15012, "*")),
		gateway("istio-system", "tcp-gw", ingressSelector, tcpServer(31400, "*")),
	}
}

func TestWildcardHostVirtualService(t *testing.T) {
	const allowList = "rules:\n  wildcard-host:\n    allowedWildcards: [\"*.apps.example.com\"]\n"
	tests := []vsCase{
		{name: "specific host"},
		{
			name:   "bare * with HTTP routes on a gateway",
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = []string{"*"} },
			want: []want{{WildcardHost, Deny, "spec.hosts[0]", `spec.hosts[0]: Invalid value: "*": [wildcard-host] ` +
				msgCatchAllHTTP}},
		},
		{
			name: "bare * with only TLS routes warns",
			vs: func() *networkingv1.VirtualService {
				return tlsVS("istio-system", "istiod", []string{"*"}, []string{"istiod.example.com"}, "tls-gw")
			},
			want: []want{{WildcardHost, Warn, "spec.hosts[0]", `spec.hosts[0]: Invalid value: "*": [wildcard-host] ` +
				msgCatchAllTLS}},
		},
		{
			name: "bare * with only TCP routes",
			vs:   func() *networkingv1.VirtualService { return tcpVS("tcp", "echo", []string{"*"}, "istio-system/tcp-gw") },
		},
		{
			name: "bare * with TLS routes stays a warning under action deny",
			// the rule itself caps it at warn: the documented east-west pattern
			policy: "rules:\n  wildcard-host: {action: deny}\n",
			vs: func() *networkingv1.VirtualService {
				return tlsVS("istio-system", "istiod", []string{"*"}, []string{"*"}, "tls-gw")
			},
			want: []want{{rule: WildcardHost, action: Warn, field: "spec.hosts[0]"}},
		},
		{
			name:   "*.com",
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = []string{"*.com"} },
			want: []want{{WildcardHost, Deny, "spec.hosts[0]", `spec.hosts[0]: Invalid value: "*.com": [wildcard-host] ` +
				`"*.com" covers every name under the public suffix "com"; use a wildcard under a domain you own`}},
		},
		{
			name:   "*.co.uk",
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = []string{"www.example.co.uk", "*.co.uk"} },
			want:   []want{{rule: WildcardHost, action: Deny, field: "spec.hosts[1]"}},
		},
		{
			name:   "*.github.io, a private-section entry",
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = []string{"*.github.io"} },
			want:   []want{{rule: WildcardHost, action: Deny, field: "spec.hosts[0]"}},
		},
		{
			name:   "*.COM is *.com",
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = []string{"*.COM"} },
			want:   []want{{rule: WildcardHost, action: Deny, field: "spec.hosts[0]"}},
		},
		{
			name:   "on the mesh too",
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts, vs.Spec.Gateways = []string{"*.com"}, nil },
			want:   []want{{rule: WildcardHost, action: Deny, field: "spec.hosts[0]"}},
		},
		{
			name:   "*.local",
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = []string{"*.local"} },
		},
		{
			name:   "*.internal",
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = []string{"*.internal"} },
		},
		{
			name:   "*.cluster.local",
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = []string{"*.cluster.local"} },
		},
		{
			name:   "*.example.com with no allow-list",
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = []string{"*.example.com"} },
		},
		{
			name:   "allowedWildcards: exactly an entry",
			policy: allowList,
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = []string{"*.apps.example.com"} },
		},
		{
			name:   "allowedWildcards: covered by an entry",
			policy: allowList,
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = []string{"*.Team.Apps.example.com"} },
		},
		{
			name:   "allowedWildcards: outside every entry",
			policy: allowList,
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = []string{"*.example.com"} },
			want: []want{{WildcardHost, Deny, "spec.hosts[0]", `spec.hosts[0]: Invalid value: "*.example.com": ` +
				`[wildcard-host] wildcard "*.example.com" is not within the policy's allowedWildcards ` +
				`[*.apps.example.com]; use specific hosts, or ask the platform team to allow it`}},
		},
		{
			name:   "allowedWildcards: specific hosts need no entry",
			policy: allowList,
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = []string{"www.example.org"} },
		},
		{
			name:   "allowedWildcards cannot allow a public suffix",
			policy: "rules:\n  wildcard-host:\n    allowedWildcards: [\"*.co.uk\"]\n",
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = []string{"*.co.uk"} },
			want:   []want{{rule: WildcardHost, action: Deny, field: "spec.hosts[0]"}},
		},
		{
			name:   "action warn",
			policy: "rules:\n  wildcard-host: {action: warn}\n",
			mutate: func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = []string{"*"} },
			want:   []want{{rule: WildcardHost, action: Warn, field: "spec.hosts[0]"}},
		},
	}
	// The base: web/web for www.example.com on http-gw.
	runVSCases(t, func() *networkingv1.VirtualService {
		return httpVS("web", "web", []string{"www.example.com"}, "istio-system/http-gw")
	}, wildcardState(), tests)
}

func TestWildcardHostGateway(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		// gw replaces the base: istio-system/gw, one HTTP server for
		// www.example.com.
		gw   func() *networkingv1.Gateway
		want []want
	}{
		{name: "specific host"},
		{
			name: "HTTP server *",
			gw: func() *networkingv1.Gateway {
				return gateway("istio-system", "gw", ingressSelector, httpServer(80, "*"))
			},
			want: []want{{WildcardHost, Warn, "spec.servers[0].hosts[0]", `spec.servers[0].hosts[0]: Invalid value: "*": ` +
				`[wildcard-host] ` + msgCatchAllServer}},
		},
		{
			name: "HTTP server */*",
			gw: func() *networkingv1.Gateway {
				return gateway("istio-system", "gw", ingressSelector, httpServer(80, "www.example.com", "*/*"))
			},
			want: []want{{WildcardHost, Warn, "spec.servers[0].hosts[1]", `spec.servers[0].hosts[1]: Invalid value: "*/*": ` +
				`[wildcard-host] ` + msgCatchAllServer}},
		},
		{
			name: "HTTPS server *",
			gw: func() *networkingv1.Gateway {
				return gateway("istio-system", "gw", nil, httpServer(80, "www.example.com"),
					httpsServer(443, "https", simpleTLS("cert"), "*"))
			},
			// the selector is nil, so no pods are found and credentials are
			// looked up in istio-system, where cert exists
			want: []want{{rule: WildcardHost, action: Warn, field: "spec.servers[1].hosts[0]"}},
		},
		{
			name: "TLS passthrough server *",
			gw: func() *networkingv1.Gateway {
				return gateway("istio-system", "gw", ingressSelector, passthroughServer(15443, "*"))
			},
		},
		{
			name: "TCP server *",
			gw: func() *networkingv1.Gateway {
				return gateway("istio-system", "gw", ingressSelector, tcpServer(31401, "*"))
			},
		},
		{
			name: "a public suffix wildcard after the namespace part",
			gw: func() *networkingv1.Gateway {
				return gateway("istio-system", "gw", ingressSelector, tcpServer(31401, "./*.github.io"))
			},
			want: []want{{WildcardHost, Deny, "spec.servers[0].hosts[0]", `spec.servers[0].hosts[0]: Invalid value: ` +
				`"*.github.io": [wildcard-host] "*.github.io" covers every name under the public suffix "github.io"; ` +
				`use a wildcard under a domain you own`}},
		},
		{
			name:   "allowedWildcards applies to server hosts",
			policy: "rules:\n  wildcard-host:\n    allowedWildcards: [\"*.apps.example.com\"]\n",
			gw: func() *networkingv1.Gateway {
				return gateway("istio-system", "gw", ingressSelector, httpServer(80, "*.apps.example.com", "ns/*.example.com"))
			},
			want: []want{{rule: WildcardHost, action: Deny, field: "spec.servers[0].hosts[1]"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultPolicy()
			if tc.policy != "" {
				p = mustPolicy(t, tc.policy)
			}
			gw := gateway("istio-system", "gw", ingressSelector, httpServer(80, "www.example.com"))
			if tc.gw != nil {
				gw = tc.gw()
			}
			snap := snapshotOf(t, append(wildcardState(), secret("istio-system", "cert", "tls.crt", "tls.key"))...)
			expectFindings(t, validate(t, p, snap, create(gw)), tc.want)
		})
	}
}
