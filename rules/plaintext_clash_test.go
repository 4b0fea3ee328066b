package rules

import (
	"testing"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// plainTextState: team-a/web serves plain HTTP on 80, TCP on 31400, an
// httpsRedirect HTTP server on 8080 and TCP on 9000 bound to 10.0.0.1, all
// on the ingress pods.
func plainTextState() []runtime.Object {
	redirect := httpServer(8080, "web.example.com")
	redirect.Tls = &networking.ServerTLSSettings{HttpsRedirect: true}
	bound := tcpServer(9000, "*")
	bound.Bind = "10.0.0.1"
	return []runtime.Object{
		pod("istio-system", "ingress-1", map[string]string{"istio": "ingressgateway", "app": "istio-ingressgateway"}),
		pod("istio-system", "internal-1", map[string]string{"istio": "internalgateway"}),
		gateway("team-a", "web", ingressSelector, httpServer(80, "web.example.com"), tcpServer(31400, "*"), redirect, bound),
	}
}

func TestConflictingGatewayPlainText(t *testing.T) {
	withSelector := func(sel map[string]string, servers ...*networking.Server) func() *networkingv1.Gateway {
		return func() *networkingv1.Gateway { return gateway("team-b", "gw", sel, servers...) }
	}
	on := func(servers ...*networking.Server) func() *networkingv1.Gateway {
		return withSelector(ingressSelector, servers...)
	}
	bind := func(s *networking.Server, address string) *networking.Server { s.Bind = address; return s }
	tests := []struct {
		name  string
		extra []runtime.Object
		gw    func() *networkingv1.Gateway
		want  []want
	}{
		{
			name: "TCP on a plain-HTTP port",
			gw:   on(tcpServer(80, "*")),
			want: []want{{ConflictingGateway, Deny, "spec.servers[0].port", `spec.servers[0].port: Forbidden: ` +
				`[conflicting-gateway] Gateway team-a/web already serves plain-text HTTP on port 80 of the same gateway ` +
				`pods {istio=ingressgateway}; Istio cannot merge TCP with HTTP on one port and bind, so it keeps the ` +
				`older server and silently drops the other, whatever the hosts: use another port or bind, or agree ` +
				`with the owner of team-a/web`}},
		},
		{
			name: "HTTP on a TCP port",
			gw:   on(httpServer(31400, "api.example.com")),
			want: []want{{ConflictingGateway, Deny, "spec.servers[0].port", `spec.servers[0].port: Forbidden: ` +
				`[conflicting-gateway] Gateway team-a/web already serves plain-text TCP on port 31400 of the same ` +
				`gateway pods {istio=ingressgateway}; Istio cannot merge HTTP with TCP on one port and bind, so it ` +
				`keeps the older server and silently drops the other, whatever the hosts: use another port or bind, ` +
				`or agree with the owner of team-a/web`}},
		},
		{
			name: "TCP and TCP, whatever the hosts",
			gw:   on(tcpServer(31400, "db.example.com")),
			want: []want{{rule: ConflictingGateway, action: Deny, field: "spec.servers[0].port"}},
		},
		{
			name: "TCP on the port of an httpsRedirect server, which is plain text",
			gw:   on(tcpServer(8080, "*")),
			want: []want{{rule: ConflictingGateway, action: Deny, field: "spec.servers[0].port"}},
		},
		{
			name: "the same bind",
			gw:   on(bind(httpServer(9000, "api.example.com"), "10.0.0.1")),
			want: []want{{ConflictingGateway, Deny, "spec.servers[0].port", `spec.servers[0].port: Forbidden: ` +
				`[conflicting-gateway] Gateway team-a/web already serves plain-text TCP on port 9000 (bind 10.0.0.1) ` +
				`of the same gateway pods {istio=ingressgateway}; Istio cannot merge HTTP with TCP on one port and ` +
				`bind, so it keeps the older server and silently drops the other, whatever the hosts: use another ` +
				`port or bind, or agree with the owner of team-a/web`}},
		},
		{name: "another bind", gw: on(bind(tcpServer(31400, "*"), "10.0.0.2"))},
		{name: "a bound server against an unbound one", gw: on(bind(tcpServer(80, "*"), "10.0.0.1"))},
		{name: "plain HTTP servers merge, other hosts", gw: on(httpServer(80, "api.example.com"))},
		{name: "plain HTTP servers merge, the same host", gw: on(httpServer(80, "web.example.com"))},
		{name: "HTTP2 and GRPC merge with HTTP", gw: on(server("HTTP2", 80, "h2", "a.example.com"), server("grpc", 8080, "g", "b.example.com"))},
		{name: "another port", gw: on(tcpServer(31401, "*"))},
		{name: "other pods", gw: withSelector(map[string]string{"istio": "internalgateway"}, tcpServer(80, "*"))},
		{
			name: "the same pods by another selector",
			gw:   withSelector(map[string]string{"app": "istio-ingressgateway"}, tcpServer(80, "*")),
			want: []want{{rule: ConflictingGateway, action: Deny, field: "spec.servers[0].port"}},
		},
		{
			name: "no selector: every gateway pod",
			gw:   withSelector(nil, tcpServer(80, "*")),
			want: []want{{ConflictingGateway, Deny, "spec.servers[0].port", `spec.servers[0].port: Forbidden: ` +
				`[conflicting-gateway] Gateway team-a/web already serves plain-text HTTP on port 80 of the same gateway ` +
				`pods (all gateway pods); Istio cannot merge TCP with HTTP on one port and bind, so it keeps the older ` +
				`server and silently drops the other, whatever the hosts: use another port or bind, or agree with the ` +
				`owner of team-a/web`}},
		},
		{
			name:  "one finding per server and other Gateway, sorted by namespace/name",
			extra: []runtime.Object{gateway("team-0", "edge", ingressSelector, tcpServer(80, "*"))},
			gw:    on(httpServer(31400, "a.example.com"), httpServer(80, "b.example.com")),
			want: []want{
				{rule: ConflictingGateway, action: Deny, field: "spec.servers[0].port"},
				{ConflictingGateway, Deny, "spec.servers[1].port", `spec.servers[1].port: Forbidden: ` +
					`[conflicting-gateway] Gateway team-0/edge already serves plain-text TCP on port 80 of the same ` +
					`gateway pods {istio=ingressgateway}; Istio cannot merge HTTP with TCP on one port and bind, so it ` +
					`keeps the older server and silently drops the other, whatever the hosts: use another port or bind, ` +
					`or agree with the owner of team-0/edge`},
			},
		},
		{
			name: "a Gateway never clashes with itself",
			gw: func() *networkingv1.Gateway {
				return gateway("team-a", "web", ingressSelector, tcpServer(80, "*"), httpServer(31400, "a.example.com"))
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap := snapshotOf(t, append(plainTextState(), tc.extra...)...)
			expectFindings(t, validate(t, DefaultPolicy(), snap, create(tc.gw())), tc.want)
		})
	}
}

// TestConflictingGatewayPlainTextUpdate: a clash the stored Gateway already
// had ratchets; a new one denies.
func TestConflictingGatewayPlainTextUpdate(t *testing.T) {
	legacy := gateway("team-c", "legacy", ingressSelector, tcpServer(80, "*"))
	snap := snapshotOf(t, append(plainTextState(), legacy)...)
	edited := legacy.DeepCopy()
	edited.Spec.Servers = append(edited.Spec.Servers, httpServer(31400, "a.example.com"))
	expectFindings(t, validate(t, DefaultPolicy(), snap, update(legacy, edited)), []want{
		{ConflictingGateway, Warn, "spec.servers[0].port", `spec.servers[0].port: Forbidden: [conflicting-gateway] ` +
			`Gateway team-a/web already serves plain-text HTTP on port 80 of the same gateway pods ` +
			`{istio=ingressgateway}; Istio cannot merge TCP with HTTP on one port and bind, so it keeps the older ` +
			`server and silently drops the other, whatever the hosts: use another port or bind, or agree with the ` +
			`owner of team-a/web` + ratchetNote},
		{rule: ConflictingGateway, action: Deny, field: "spec.servers[1].port"},
	})
}
