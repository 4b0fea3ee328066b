package rules

import (
	"testing"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// conflictState: team-a/shop-gw holds HTTPS, an httpsRedirect server, a
// plain HTTP server and a passthrough server on the ingress pods; the
// Secrets exist where the pods run, so missing-credential stays quiet.
func conflictState() []runtime.Object {
	redirect := httpServer(80, "shop.example.com")
	redirect.Tls = &networking.ServerTLSSettings{HttpsRedirect: true}
	bound := httpsServer(443, "https-bound", simpleTLS("a-cert"), "bound.example.com")
	bound.Bind = "10.0.0.1"
	return []runtime.Object{
		pod("istio-system", "ingress-1", map[string]string{"istio": "ingressgateway", "app": "istio-ingressgateway"}),
		pod("istio-system", "internal-1", map[string]string{"istio": "internalgateway"}),
		secret("istio-system", "a-cert", "tls.crt", "tls.key"),
		secret("istio-system", "b-cert", "tls.crt", "tls.key"),
		gateway("team-a", "shop-gw", ingressSelector,
			httpsServer(443, "https", simpleTLS("a-cert"), "shop.example.com", "team-a/api.example.com"),
			redirect,
			server("HTTP", 80, "http-blog", "blog.example.com"),
			passthroughServer(9443, "db.example.com"),
			bound),
	}
}

func TestConflictingGateway(t *testing.T) {
	https := func(hosts ...string) *networking.Server {
		return httpsServer(443, "https", simpleTLS("b-cert"), hosts...)
	}
	withServers := func(servers ...*networking.Server) func(*networkingv1.Gateway) {
		return func(gw *networkingv1.Gateway) { gw.Spec.Servers = servers }
	}
	tests := []struct {
		name   string
		policy string
		extra  []runtime.Object
		// base is team-b/gw serving web.example.com over HTTPS on 443 of
		// the ingress pods; mutate changes it.
		mutate func(*networkingv1.Gateway)
		want   []want
	}{
		{name: "unique host"},
		{
			name:   "same host, port and pods, both HTTPS",
			mutate: withServers(https("shop.example.com")),
			want: []want{{ConflictingGateway, Deny, "spec.servers[0].hosts[0]", `spec.servers[0].hosts[0]: Duplicate ` +
				`value: "shop.example.com": [conflicting-gateway] Gateway team-a/shop-gw already serves host ` +
				`"shop.example.com" with a tls block on port 443 of the same gateway pods {istio=ingressgateway}; Istio ` +
				`keeps the older server and silently skips the other: serve the host from one Gateway only (remove it ` +
				`here, or agree with the owner of team-a/shop-gw), or use another port`}},
		},
		{
			name:   "*/host is the host",
			mutate: withServers(https("web.example.com", "*/shop.example.com")),
			want:   []want{{rule: ConflictingGateway, action: Deny, field: "spec.servers[0].hosts[1]"}},
		},
		{
			name:   "ns/host against a bare host: Istio misses it, Envoy rejects the listener",
			mutate: withServers(https("./shop.example.com")),
			want: []want{{ConflictingGateway, Deny, "spec.servers[0].hosts[0]", `spec.servers[0].hosts[0]: Duplicate ` +
				`value: "./shop.example.com": [conflicting-gateway] Gateway team-a/shop-gw already serves host ` +
				`"shop.example.com" with a tls block on port 443 of the same gateway pods {istio=ingressgateway}; the ` +
				`hosts differ only in their namespace part ("./shop.example.com", "shop.example.com"), so Istio's ` +
				`duplicate check misses them and Envoy, given two identical TLS matches, rejects the whole listener, ` +
				`taking down every host on port 443 of these pods: serve the host from one Gateway only (remove it ` +
				`here, or agree with the owner of team-a/shop-gw), or use another port`}},
		},
		{
			name:   "ns1/host against ns2/host",
			mutate: withServers(https("team-b/api.example.com")),
			want: []want{{ConflictingGateway, Deny, "spec.servers[0].hosts[0]", `spec.servers[0].hosts[0]: Duplicate ` +
				`value: "team-b/api.example.com": [conflicting-gateway] Gateway team-a/shop-gw already serves host ` +
				`"api.example.com" with a tls block on port 443 of the same gateway pods {istio=ingressgateway}; the ` +
				`hosts differ only in their namespace part ("team-b/api.example.com", "team-a/api.example.com"), so ` +
				`Istio's duplicate check misses them and Envoy, given two identical TLS matches, rejects the whole ` +
				`listener, taking down every host on port 443 of these pods: serve the host from one Gateway only ` +
				`(remove it here, or agree with the owner of team-a/shop-gw), or use another port`}},
		},
		{
			name:   "the same ns/host as written: Istio skips the later server",
			mutate: withServers(https("team-a/api.example.com")),
			want: []want{{rule: ConflictingGateway, action: Deny, field: "spec.servers[0].hosts[0]", msg: `spec.` +
				`servers[0].hosts[0]: Duplicate value: "team-a/api.example.com": [conflicting-gateway] Gateway ` +
				`team-a/shop-gw already serves host "api.example.com" with a tls block on port 443 of the same gateway ` +
				`pods {istio=ingressgateway}; Istio keeps the older server and silently skips the other: serve the ` +
				`host from one Gateway only (remove it here, or agree with the owner of team-a/shop-gw), or use ` +
				`another port`}},
		},
		{
			name:   "host comparison is exact",
			mutate: withServers(https("Shop.Example.COM", "shop.example.com.")),
		},
		{
			name:   "another port",
			mutate: withServers(httpsServer(8443, "https-8443", simpleTLS("b-cert"), "shop.example.com")),
		},
		{
			name: "other pods",
			mutate: func(gw *networkingv1.Gateway) {
				gw.Spec.Selector = map[string]string{"istio": "internalgateway"}
				gw.Spec.Servers = []*networking.Server{https("shop.example.com")}
			},
		},
		{
			name: "a selector with more labels picking the same pods",
			mutate: func(gw *networkingv1.Gateway) {
				gw.Spec.Selector = map[string]string{"istio": "ingressgateway", "app": "istio-ingressgateway"}
				gw.Spec.Servers = []*networking.Server{https("shop.example.com")}
			},
			want: []want{{rule: ConflictingGateway, action: Deny, field: "spec.servers[0].hosts[0]"}},
		},
		{
			name: "another bind",
			mutate: func(gw *networkingv1.Gateway) {
				s := https("shop.example.com")
				s.Bind = "10.0.0.2"
				gw.Spec.Servers = []*networking.Server{s}
			},
		},
		{
			name:   "a bound server against an unbound one",
			mutate: withServers(https("bound.example.com")),
		},
		{
			name: "the same bind",
			mutate: func(gw *networkingv1.Gateway) {
				s := https("bound.example.com")
				s.Bind = "10.0.0.1"
				gw.Spec.Servers = []*networking.Server{s}
			},
			want: []want{{rule: ConflictingGateway, action: Deny, field: "spec.servers[0].hosts[0]", msg: `spec.` +
				`servers[0].hosts[0]: Duplicate value: "bound.example.com": [conflicting-gateway] Gateway ` +
				`team-a/shop-gw already serves host "bound.example.com" with a tls block on port 443 (bind 10.0.0.1) of ` +
				`the same gateway pods {istio=ingressgateway}; Istio keeps the older server and silently skips the ` +
				`other: serve the host from one Gateway only (remove it here, or agree with the owner of ` +
				`team-a/shop-gw), or use another port`}},
		},
		{
			name:   "a wildcard over the host is another host",
			mutate: withServers(https("*.example.com")),
		},
		{
			name:   "plain HTTP servers merge",
			mutate: withServers(httpServer(80, "shop.example.com", "blog.example.com")),
		},
		{
			name: "an httpsRedirect server against a plain one merges too",
			mutate: func(gw *networkingv1.Gateway) {
				s := httpServer(80, "blog.example.com")
				s.Tls = &networking.ServerTLSSettings{HttpsRedirect: true}
				gw.Spec.Servers = []*networking.Server{s}
			},
		},
		{
			name: "two httpsRedirect servers for one host",
			mutate: func(gw *networkingv1.Gateway) {
				s := httpServer(80, "shop.example.com")
				s.Tls = &networking.ServerTLSSettings{HttpsRedirect: true}
				gw.Spec.Servers = []*networking.Server{s}
			},
			want: []want{{ConflictingGateway, Deny, "spec.servers[0].hosts[0]", `spec.servers[0].hosts[0]: Duplicate ` +
				`value: "shop.example.com": [conflicting-gateway] Gateway team-a/shop-gw already serves host ` +
				`"shop.example.com" with a tls block on port 80 of the same gateway pods {istio=ingressgateway}; Istio ` +
				`merges plain-HTTP servers into one route table, so which Gateway's tls settings (httpsRedirect) apply ` +
				`to the host is undefined: serve the host from one Gateway only (remove it here, or agree with the ` +
				`owner of team-a/shop-gw), or use another port`}},
		},
		{
			name:   "HTTPS on a port where the other serves HTTP with a tls block",
			mutate: withServers(httpsServer(80, "https-80", simpleTLS("b-cert"), "shop.example.com")),
			want: []want{{rule: ConflictingGateway, action: Deny, field: "spec.servers[0].hosts[0]", msg: `spec.` +
				`servers[0].hosts[0]: Duplicate value: "shop.example.com": [conflicting-gateway] Gateway ` +
				`team-a/shop-gw already serves host "shop.example.com" with a tls block on port 80 of the same gateway ` +
				`pods {istio=ingressgateway}; Istio keeps the older server and silently skips the other: serve the ` +
				`host from one Gateway only (remove it here, or agree with the owner of team-a/shop-gw), or use ` +
				`another port`}},
		},
		{
			name:   "TLS passthrough, same SNI host",
			mutate: withServers(passthroughServer(9443, "db.example.com")),
			want:   []want{{rule: ConflictingGateway, action: Deny, field: "spec.servers[0].hosts[0]"}},
		},
		{
			name: "one finding per conflicting host, in order",
			mutate: withServers(https("web.example.com", "shop.example.com"),
				passthroughServer(9443, "db.example.com")),
			want: []want{
				{rule: ConflictingGateway, action: Deny, field: "spec.servers[0].hosts[1]"},
				{rule: ConflictingGateway, action: Deny, field: "spec.servers[1].hosts[0]"},
			},
		},
		{
			name: "one finding per other Gateway, sorted by namespace/name",
			extra: []runtime.Object{
				gateway("team-c", "shop-gw", ingressSelector, httpsServer(443, "https", simpleTLS("a-cert"), "*/shop.example.com")),
				gateway("team-0", "shop-gw", ingressSelector, httpsServer(443, "https", simpleTLS("a-cert"), "shop.example.com")),
			},
			mutate: withServers(https("shop.example.com")),
			want: []want{
				{rule: ConflictingGateway, action: Deny, field: "spec.servers[0].hosts[0]", msg: `spec.servers[0].` +
					`hosts[0]: Duplicate value: "shop.example.com": [conflicting-gateway] Gateway team-0/shop-gw ` +
					`already serves host "shop.example.com" with a tls block on port 443 of the same gateway pods ` +
					`{istio=ingressgateway}; Istio keeps the older server and silently skips the other: serve the host ` +
					`from one Gateway only (remove it here, or agree with the owner of team-0/shop-gw), or use another port`},
				{rule: ConflictingGateway, action: Deny, field: "spec.servers[0].hosts[0]"},
				{rule: ConflictingGateway, action: Deny, field: "spec.servers[0].hosts[0]"},
			},
		},
		{
			name: "a Gateway never conflicts with itself",
			mutate: func(gw *networkingv1.Gateway) {
				gw.Namespace, gw.Name = "team-a", "shop-gw"
				gw.Spec.Servers = []*networking.Server{https("shop.example.com", "team-a/api.example.com")}
			},
		},
		{
			name:   "action warn",
			policy: "rules:\n  conflicting-gateway: {action: warn}\n",
			mutate: withServers(https("shop.example.com")),
			want:   []want{{rule: ConflictingGateway, action: Warn, field: "spec.servers[0].hosts[0]"}},
		},
		{
			name:   "action off",
			policy: "rules:\n  conflicting-gateway: {action: off}\n",
			mutate: withServers(https("shop.example.com")),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultPolicy()
			if tc.policy != "" {
				p = mustPolicy(t, tc.policy)
			}
			gw := gateway("team-b", "gw", ingressSelector, https("web.example.com"))
			if tc.mutate != nil {
				tc.mutate(gw)
			}
			snap := snapshotOf(t, append(conflictState(), tc.extra...)...)
			expectFindings(t, validate(t, p, snap, create(gw)), tc.want)
		})
	}
}

// TestConflictingGatewayUpdate: the stored version of the Gateway is never
// its own conflict, and a conflict that predates gateguard ratchets.
func TestConflictingGatewayUpdate(t *testing.T) {
	legacy := gateway("team-c", "legacy-gw", ingressSelector,
		httpsServer(443, "https", simpleTLS("b-cert"), "shop.example.com"))
	snap := snapshotOf(t, append(conflictState(), legacy)...)

	edited := legacy.DeepCopy()
	edited.Labels = map[string]string{"team": "c"}
	expectFindings(t, validate(t, DefaultPolicy(), snap, update(legacy, edited)), []want{{
		rule: ConflictingGateway, action: Warn, field: "spec.servers[0].hosts[0]", msg: `spec.servers[0].hosts[0]: ` +
			`Duplicate value: "shop.example.com": [conflicting-gateway] Gateway team-a/shop-gw already serves host ` +
			`"shop.example.com" with a tls block on port 443 of the same gateway pods {istio=ingressgateway}; Istio ` +
			`keeps the older server and silently skips the other: serve the host from one Gateway only (remove it ` +
			`here, or agree with the owner of team-a/shop-gw), or use another port` + ratchetNote,
	}})

	added := legacy.DeepCopy()
	added.Spec.Servers = append(added.Spec.Servers, passthroughServer(9443, "db.example.com"))
	expectFindings(t, validate(t, DefaultPolicy(), snap, update(legacy, added)), []want{
		{rule: ConflictingGateway, action: Warn, field: "spec.servers[0].hosts[0]"},
		{rule: ConflictingGateway, action: Deny, field: "spec.servers[1].hosts[0]"},
	})

	// team-a/shop-gw, edited: only team-c/legacy-gw is reported, never the
	// stored shop-gw itself, and as a warning since it was there before.
	stored := snap.Gateway(types.NamespacedName{Namespace: "team-a", Name: "shop-gw"})
	relabelled := stored.DeepCopy()
	relabelled.Labels = map[string]string{"team": "a"}
	expectFindings(t, validate(t, DefaultPolicy(), snap, update(stored, relabelled)), []want{
		{rule: ConflictingGateway, action: Warn, field: "spec.servers[0].hosts[0]"},
	})
}
