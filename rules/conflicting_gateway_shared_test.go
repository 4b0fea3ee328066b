package rules

import (
	"testing"

	networking "istio.io/api/networking/v1alpha3"
	"k8s.io/apimachinery/pkg/runtime"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// sharedPodsState: manual Gateway edge/a on Service edge/ingress, whose
// pods run in edge, with a ListenerSet; managed Gateway shop/one.
func sharedPodsState() []runtime.Object {
	edge := map[string]string{"istio": "edge"}
	foreign := manualGateway("edge", "foreign", "ingress", httpsListener("https", 443, "foreign.example.com", "edge-cert"))
	foreign.Spec.GatewayClassName = "other"
	return append(listenerConflictState(), otherClass(), foreign,
		pod("edge", "edge-1", edge), service("edge", "ingress", edge), service("edge", "other-ingress", map[string]string{"istio": "other"}),
		pod("edge", "other-1", map[string]string{"istio": "other"}),
		secret("edge", "edge-cert", "tls.crt", "tls.key"),
		admitAll(manualGateway("edge", "a", "ingress", httpListener("http", 80, "shop.example.com"),
			httpsListener("https", 443, "shop.example.com", "edge-cert"), tcpListener("tcp", 9000))),
		listenerSet("edge", "a-extra", "edge", "a", tlsPassthroughListener("db", 9443, "db.example.com")),
		kubeGateway("shop", "one", httpsListener("https", 443, "shop.example.com", "shop-cert")))
}

func TestConflictingGatewaySharedPods(t *testing.T) {
	base := func() *gatewayv1.Gateway {
		return manualGateway("edge", "b", "ingress", httpsListener("https", 443, "api.example.com", "edge-cert"))
	}
	hostname := func(h string) func(*gatewayv1.Gateway) {
		return func(gw *gatewayv1.Gateway) { gw.Spec.Listeners[0].Hostname = ptr(gatewayv1.Hostname(h)) }
	}
	const first = "spec.listeners[0]"
	runMutateCases(t, ConflictingGateway, base, sharedPodsState(), []mutateCase[*gatewayv1.Gateway]{
		{name: "another hostname on the same pods"},
		{
			name: "a manual Gateway's TLS hostname and port on the same pods", mutate: hostname("shop.example.com"),
			want: []want{{ConflictingGateway, Deny, first, first + `: Invalid value: "https": [conflicting-gateway] ` +
				`Gateway edge/a listener https (HTTPS, port 443, hostname "shop.example.com"), whose Services select ` +
				`the same gateway pods, already serves hostname "shop.example.com" with TLS on port 443; Istio keeps ` +
				`the older server and skips the other (or, when their namespaces differ, Envoy rejects the whole ` +
				`port): serve the hostname from one Gateway only, or use another port or hostname`}},
		},
		{
			name: "a ListenerSet's TLS listener on the other Gateway",
			mutate: func(gw *gatewayv1.Gateway) {
				gw.Spec.Listeners[0] = tlsPassthroughListener("db", 9443, "db.example.com")
			},
			want: []want{{ConflictingGateway, Deny, first, first + `: Invalid value: "db": [conflicting-gateway] ` +
				`ListenerSet edge/a-extra listener db (TLS, port 9443, hostname "db.example.com"), merged into ` +
				`Gateway edge/a, whose Services select the same gateway pods, already serves hostname "db.example.com" with TLS on ` +
				`port 9443; Istio keeps the older server and skips the other (or, when their namespaces differ, ` +
				`Envoy rejects the whole port): serve the hostname from one Gateway only, or use another port or hostname`}},
		},
		{name: "the hostname on another port", mutate: func(gw *gatewayv1.Gateway) {
			hostname("shop.example.com")(gw)
			gw.Spec.Listeners[0].Port = 8443
		}},
		{name: "plain HTTP on the same pods merges", mutate: func(gw *gatewayv1.Gateway) {
			gw.Spec.Listeners[0] = httpListener("http", 80, "shop.example.com")
		}},
		{
			name:   "a second TCP listener on a port of the same pods",
			mutate: func(gw *gatewayv1.Gateway) { gw.Spec.Listeners[0] = tcpListener("tcp", 9000) },
			want: []want{{ConflictingGateway, Deny, first, first + `: Invalid value: "tcp": [conflicting-gateway] ` +
				`Gateway edge/a listener tcp (TCP, port 9000, hostname "*"), whose Services select the same gateway ` +
				`pods, already serves port 9000 with TCP, which TCP cannot share: Istio keeps the older server and ` +
				`skips the other: use another port`}},
		},
		{
			name:   "HTTPS on the plain-HTTP port of the same pods",
			mutate: func(gw *gatewayv1.Gateway) { gw.Spec.Listeners[0].Port = 80 },
			want: []want{{ConflictingGateway, Deny, first, first + `: Invalid value: "https": [conflicting-gateway] ` +
				`Gateway edge/a listener http (HTTP, port 80, hostname "shop.example.com"), whose Services select the ` +
				`same gateway pods, already serves port 80 with HTTP, which HTTPS cannot share: Istio keeps the older ` +
				`server and skips the other: use another port`}},
		},
		{name: "on a Service selecting other pods", mutate: func(gw *gatewayv1.Gateway) {
			hostname("shop.example.com")(gw)
			gw.Spec.Addresses[0].Value = "other-ingress"
		}},
		{
			name: "a managed Gateway beside the same listener elsewhere",
			mutate: func(gw *gatewayv1.Gateway) {
				hostname("shop.example.com")(gw)
				gw.Spec.Addresses = nil
			},
		},
		{name: "a Gateway of another class is not judged", mutate: func(gw *gatewayv1.Gateway) {
			hostname("foreign.example.com")(gw)
		}},
	})
}

// TestConflictingGatewayManagedGateways: two managed Gateways get pods of
// their own, so the same listener on both is no conflict.
func TestConflictingGatewayManagedGateways(t *testing.T) {
	snap := snapshotOf(t, sharedPodsState()...)
	two := kubeGateway("shop", "two", httpsListener("https", 443, "shop.example.com", "shop-cert"))
	expectFindings(t, validate(t, DefaultPolicy(), snap, create(two)), nil)
}

// TestConflictingGatewaySharedPodsListenerSet: a ListenerSet's TLS
// listener conflicts with another manual Gateway on its Gateway's pods.
func TestConflictingGatewaySharedPodsListenerSet(t *testing.T) {
	snap := snapshotOf(t, append(sharedPodsState(),
		admitAll(manualGateway("edge", "b", "ingress", httpListener("http", 8080, ""))))...)
	ls := listenerSet("edge", "b-extra", "edge", "b", httpsListener("https", 443, "shop.example.com", "edge-cert"))
	expectFindings(t, validate(t, DefaultPolicy(), snap, create(ls)), []want{{rule: ConflictingGateway, action: Deny,
		field: "spec.listeners[0]"}})
}

// TestConflictingGatewayAcrossTheAPIs: Istio merges a manual Gateway API
// Gateway's servers with a classic Gateway's on the same pods, so a TLS
// hostname and port conflict either way.
func TestConflictingGatewayAcrossTheAPIs(t *testing.T) {
	edge := map[string]string{"istio": "edge"}
	snap := snapshotOf(t, append(sharedPodsState(), secret("edge", "classic-cert", "tls.crt", "tls.key"),
		gateway("edge", "classic", edge, httpsServer(443, "https", simpleTLS("classic-cert"), "classic.example.com")),
		gateway("edge", "bound", edge, func() *networking.Server {
			s := httpsServer(443, "https", simpleTLS("classic-cert"), "bound.example.com")
			s.Bind = "10.0.0.1"
			return s
		}()))...)
	judge := func(c Change) []Finding {
		return findingsOf(ConflictingGateway, validate(t, DefaultPolicy(), snap, c))
	}
	const first = "spec.listeners[0]"
	expectFindings(t, judge(create(manualGateway("edge", "b", "ingress",
		httpsListener("https", 443, "classic.example.com", "edge-cert")))), []want{{ConflictingGateway, Deny, first,
		first + `: Invalid value: "https": [conflicting-gateway] classic Gateway edge/classic (networking.istio.io), ` +
			`whose selector {istio=edge} picks the pods this Gateway's Service selects, already serves host ` +
			`"classic.example.com" with a tls block on port 443; Istio merges the two APIs' servers on shared pods, ` +
			`keeps the older and skips the other: serve the hostname from one Gateway only, or use another port or hostname`}})
	expectFindings(t, judge(create(manualGateway("edge", "b", "ingress",
		httpsListener("https", 443, "bound.example.com", "edge-cert")))), nil)
	expectFindings(t, judge(create(manualGateway("edge", "b", "other-ingress",
		httpsListener("https", 443, "classic.example.com", "edge-cert")))), nil)

	const host = "spec.servers[0].hosts[0]"
	expectFindings(t, judge(create(gateway("edge", "classic-shop", edge,
		httpsServer(443, "https", simpleTLS("classic-cert"), "shop.example.com")))), []want{{ConflictingGateway, Deny, host,
		host + `: Duplicate value: "shop.example.com": [conflicting-gateway] Gateway API Gateway edge/a listener https ` +
			`(HTTPS, port 443, hostname "shop.example.com"), on a Service selecting the same gateway pods, already serves host "shop.example.com" with TLS on port 443; Istio merges the two APIs' servers on ` +
			`shared pods, keeps the older and skips the other: serve the host from one Gateway only, or use another port`}})
	expectFindings(t, judge(create(gateway("edge", "classic-db", edge,
		passthroughServer(9443, "db.example.com")))), []want{{ConflictingGateway, Deny, host, host + `: Duplicate ` +
		`value: "db.example.com": [conflicting-gateway] Gateway API ListenerSet edge/a-extra listener db (TLS, port ` +
		`9443, hostname "db.example.com"), merged into Gateway edge/a, on a Service selecting the same gateway pods, ` +
		`already serves host "db.example.com" with TLS on port 9443; Istio merges the two APIs' servers on shared ` +
		`pods, keeps the older and skips the other: serve the host from one Gateway only, or use another port`}})
	expectFindings(t, judge(create(gateway("edge", "classic-shop", map[string]string{"istio": "other"},
		httpsServer(443, "https", simpleTLS("classic-cert"), "shop.example.com")))), nil)
	expectFindings(t, judge(create(gateway("shop", "classic-managed", map[string]string{
		"gateway.networking.k8s.io/gateway-name": "one"}, httpsServer(443, "https", simpleTLS("shop-cert"), "shop.example.com")))), nil)
}
