package rules

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func udpListener(name string, port int32) gatewayv1.Listener {
	l := tcpListener(name, port)
	l.Protocol = gatewayv1.UDPProtocolType
	return l
}

func withHostname(l gatewayv1.Listener, hostname string) gatewayv1.Listener {
	l.Hostname = ptr(gatewayv1.Hostname(hostname))
	return l
}

func listenerConflictState() []runtime.Object {
	return []runtime.Object{istioClass(), secret("shop", "shop-cert", "tls.crt", "tls.key"),
		secret("team", "team-cert", "tls.crt", "tls.key"), secret("shop", "team-cert", "tls.crt", "tls.key"),
		secret("aaa", "team-cert", "tls.crt", "tls.key")}
}

func TestConflictingGatewayListenersOfOneGateway(t *testing.T) {
	base := func() *gatewayv1.Gateway {
		return kubeGateway("shop", "gw", httpListener("http", 80, ""), httpsListener("https", 443, "shop.example.com", "shop-cert"))
	}
	add := func(ls ...gatewayv1.Listener) func(*gatewayv1.Gateway) {
		return func(gw *gatewayv1.Gateway) { gw.Spec.Listeners = append(gw.Spec.Listeners, ls...) }
	}
	const third = "spec.listeners[2]"
	runMutateCases(t, ConflictingGateway, base, listenerConflictState(), []mutateCase[*gatewayv1.Gateway]{
		{name: "distinct listeners"},
		{
			name: "HTTP and HTTPS on one port, no hostname", mutate: add(httpsListener("https-80", 80, "", "shop-cert")),
			want: []want{{ConflictingGateway, Deny, third, third + `: Invalid value: "https-80": [conflicting-gateway] ` +
				`listener "https-80" (HTTPS, port 80, hostname "*") conflicts with Gateway shop/gw listener http ` +
				`(HTTP, port 80, hostname "*"), merged before it: Istio marks this one Conflicted (ProtocolConflict) ` +
				`and does not program it: use another port or hostname`}},
		},
		{name: "HTTP and HTTPS on one port, other hostnames", mutate: func(gw *gatewayv1.Gateway) {
			gw.Spec.Listeners[0].Hostname = ptr(gatewayv1.Hostname("www.example.com"))
			add(httpsListener("https-80", 80, "shop.example.com", "shop-cert"))(gw)
		}},
		{
			name:   "HTTPS and TLS with one hostname",
			mutate: add(withHostname(tlsPassthroughListener("tls", 443, ""), "shop.example.com")),
			want:   []want{{rule: ConflictingGateway, action: Deny, field: third}},
		},
		{name: "HTTPS and TLS with other hostnames", mutate: add(tlsPassthroughListener("tls", 443, "db.example.com"))},
		{
			name: "TCP on an HTTP port", mutate: add(tcpListener("tcp", 80)),
			want: []want{{ConflictingGateway, Deny, third, third + `: Invalid value: "tcp": [conflicting-gateway] ` +
				`listener "tcp" (TCP, port 80, hostname "*") conflicts with Gateway shop/gw listener http (HTTP, port ` +
				`80, hostname "*"), merged before it: Istio marks this one Conflicted (ProtocolConflict) and does not ` +
				`program it: use another port or hostname`}},
		},
		{
			name: "TCP and UDP on one port", mutate: add(tcpListener("tcp", 5353), udpListener("udp", 5353)),
			want: []want{{rule: ConflictingGateway, action: Deny, field: "spec.listeners[3]"}},
		},
		{
			name:   "a listener losing to one that lost frees nothing: each loser to the first kept",
			mutate: add(tcpListener("tcp", 80), httpsListener("https-80", 80, "", "shop-cert")),
			want: []want{{rule: ConflictingGateway, action: Deny, field: third},
				{rule: ConflictingGateway, action: Deny, field: "spec.listeners[3]"}},
		},
		{name: "a Gateway of another class is not judged", mutate: func(gw *gatewayv1.Gateway) {
			gw.Spec.GatewayClassName = "other"
			add(tcpListener("tcp", 80))(gw)
		}},
		{
			name: "action warn", policy: "rules:\n  conflicting-gateway: {action: warn}\n", mutate: add(tcpListener("tcp", 80)),
			want: []want{{rule: ConflictingGateway, action: Warn, field: third}},
		},
	})
}

// listenerSetState: Gateway shop/gw admits every ListenerSet; team/old
// joined at 10:01 with HTTPS 8443 "api.example.com", team/older at 10:00.
func listenerSetState() []runtime.Object {
	gw := admitAll(kubeGateway("shop", "gw", httpListener("http", 80, ""),
		httpsListener("https", 443, "shop.example.com", "shop-cert")))
	closed := kubeGateway("shop", "closed-gw", httpListener("http", 80, ""))
	return append(listenerConflictState(), gw, closed,
		createdAt(listenerSet("team", "old", "shop", "gw", httpsListener("api", 8443, "api.example.com", "team-cert")), 1),
		createdAt(listenerSet("team", "older", "shop", "gw", httpsListener("www", 8443, "www.example.com", "team-cert")), 0))
}

func TestConflictingGatewayListenerSets(t *testing.T) {
	base := func() *gatewayv1.ListenerSet {
		return listenerSet("team", "ls", "shop", "gw", httpsListener("https", 443, "team.example.com", "team-cert"))
	}
	listeners := func(ls ...gatewayv1.Listener) func(*gatewayv1.ListenerSet) {
		return func(s *gatewayv1.ListenerSet) { s.Spec.Listeners = listenerSet("", "", "", "", ls...).Spec.Listeners }
	}
	const first = "spec.listeners[0]"
	runMutateCases(t, ConflictingGateway, base, listenerSetState(), []mutateCase[*gatewayv1.ListenerSet]{
		{name: "distinct from its Gateway's and the older sets' listeners"},
		{
			name: "the same listener as its Gateway", mutate: listeners(httpsListener("https", 443, "shop.example.com", "team-cert")),
			want: []want{{ConflictingGateway, Deny, first, first + `: Invalid value: "https": [conflicting-gateway] ` +
				`listener "https" (HTTPS, port 443, hostname "shop.example.com") conflicts with Gateway shop/gw ` +
				`listener https (HTTPS, port 443, hostname "shop.example.com"), merged before it (a Gateway's own ` +
				`listeners first, then its ListenerSets, oldest first): Istio marks this one Conflicted ` +
				`(HostnameConflict) and does not program it: use another port or hostname`}},
		},
		{
			name: "TCP on its Gateway's HTTP port", mutate: listeners(tcpListener("tcp", 80)),
			want: []want{{rule: ConflictingGateway, action: Deny, field: first}},
		},
		{
			name: "the same listener as an older ListenerSet",
			mutate: listeners(httpsListener("https", 443, "team.example.com", "team-cert"),
				httpsListener("api", 8443, "api.example.com", "team-cert")),
			want: []want{{ConflictingGateway, Deny, "spec.listeners[1]", `spec.listeners[1]: Invalid value: "api": ` +
				`[conflicting-gateway] listener "api" (HTTPS, port 8443, hostname "api.example.com") conflicts with ` +
				`ListenerSet team/old listener api (HTTPS, port 8443, hostname "api.example.com"), merged before it (a ` +
				`Gateway's own listeners first, then its ListenerSets, oldest first): Istio marks this one Conflicted ` +
				`(HostnameConflict) and does not program it: use another port or hostname`}},
		},
		{
			name:   "conflicts inside the ListenerSet",
			mutate: listeners(tcpListener("tcp", 5353), udpListener("udp", 5353)),
			want:   []want{{rule: ConflictingGateway, action: Deny, field: "spec.listeners[1]"}},
		},
		{
			name: "a Gateway not in view yet: conflicts inside the ListenerSet still count",
			mutate: func(s *gatewayv1.ListenerSet) {
				s.Spec.ParentRef.Name = "coming-gw"
				listeners(tcpListener("tcp", 5353), udpListener("udp", 5353))(s)
			},
			want: []want{{rule: ConflictingGateway, action: Deny, field: "spec.listeners[1]"}},
		},
		{name: "a Gateway that admits no ListenerSet merges none", mutate: func(s *gatewayv1.ListenerSet) {
			s.Spec.ParentRef.Name = "closed-gw"
			listeners(tcpListener("tcp", 80))(s)
		}},
	})
}

// TestConflictingGatewayMergeOrder: of two conflicting listeners, the
// one later in the merge is denied and the earlier one allowed: a
// Gateway's own first, then ListenerSets by creationTimestamp, then by
// namespace/name.
func TestConflictingGatewayMergeOrder(t *testing.T) {
	state := listenerSetState()
	older := func() *gatewayv1.ListenerSet { return state[len(state)-1].(*gatewayv1.ListenerSet).DeepCopy() }
	old := func() *gatewayv1.ListenerSet { return state[len(state)-2].(*gatewayv1.ListenerSet).DeepCopy() }
	gw := func() *gatewayv1.Gateway { return state[len(state)-4].(*gatewayv1.Gateway).DeepCopy() }
	api := httpsListener("api", 8443, "api.example.com", "team-cert")
	www := httpsListener("www", 8443, "www.example.com", "team-cert")
	sameTime := func(name string) *gatewayv1.ListenerSet {
		return createdAt(listenerSet("team", name, "shop", "gw", httpsListener("tls", 9443, "db.example.com", "team-cert")), 5)
	}
	tests := []struct {
		name   string
		state  []runtime.Object
		change func() Change
		want   []want
	}{
		{
			name: "the older ListenerSet takes a listener the newer has: allowed, Istio drops the newer's",
			change: func() Change {
				o := older()
				o.Spec.Listeners = append(o.Spec.Listeners, listenerSet("", "", "", "", api).Spec.Listeners...)
				return update(older(), o)
			},
		},
		{
			name: "the newer ListenerSet takes a listener the older has: denied",
			change: func() Change {
				n := old()
				n.Spec.Listeners = append(n.Spec.Listeners, listenerSet("", "", "", "", www).Spec.Listeners...)
				return update(old(), n)
			},
			want: []want{{rule: ConflictingGateway, action: Deny, field: "spec.listeners[1]"}},
		},
		{
			name: "the Gateway takes a ListenerSet's listener: allowed, Istio drops the ListenerSet's",
			change: func() Change {
				g := gw()
				g.Spec.Listeners = append(g.Spec.Listeners, api)
				return update(gw(), g)
			},
		},
		{
			name:   "created at the same time: team/a before team/b",
			state:  []runtime.Object{sameTime("a")},
			change: func() Change { return create(sameTime("b")) },
			want:   []want{{rule: ConflictingGateway, action: Deny, field: "spec.listeners[0]"}},
		},
		{
			name:   "created at the same time: team/b after team/a",
			state:  []runtime.Object{sameTime("b")},
			change: func() Change { return create(sameTime("a")) },
		},
		{
			name: "without a creationTimestamp, being created: the newest",
			change: func() Change {
				return create(listenerSet("aaa", "first-by-name", "shop", "gw", www))
			},
			want: []want{{rule: ConflictingGateway, action: Deny, field: "spec.listeners[0]"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap := snapshotOf(t, append(listenerSetState(), tc.state...)...)
			expectFindings(t, validate(t, DefaultPolicy(), snap, tc.change()), tc.want)
		})
	}
}
