package webhook

import (
	"testing"

	"github.com/gateguard/gateguard/rules"
	"github.com/gateguard/gateguard/webhook/claims"
)

// TestClaimsShare: the claims two owners may share are those duplicate-host
// and conflicting-gateway allow, no more.
func TestClaimsShare(t *testing.T) {
	httpKey := claims.Key{RouteTable: "http|pods:istio=ingressgateway|80|", Host: "shop.example.com"}
	httpsKey := claims.Key{RouteTable: "https|team-a/gw/https|443", Host: "shop.example.com"}
	tlsKey := claims.Key{RouteTable: "tls|pods:istio=ingressgateway|443|", Host: "shop.example.com"}
	plain := func(protocol string) claims.Key {
		return claims.Key{RouteTable: "gateway-plaintext|pods:istio=ingressgateway|80|", Protocol: protocol}
	}
	owner := func(kind, namespace string) claims.Owner {
		return claims.Owner{Kind: kind, Namespace: namespace, Name: "x"}
	}
	vsA, vsA2, vsB := owner("VirtualService", "a"), owner("VirtualService", "a"), owner("VirtualService", "b")
	routeA, routeA2, grpcA := owner("HTTPRoute", "a"), owner("HTTPRoute", "a"), owner("GRPCRoute", "a")
	gw1, gw2 := owner("Gateway", "istio-system"), owner("Gateway", "istio-system")
	for _, tc := range []struct {
		name            string
		merge           bool
		held, want      claims.Key
		holder, claimer claims.Owner
		share           bool
	}{
		{"VirtualServices of one namespace", false, httpKey, httpKey, vsA, vsA2, false},
		{"VirtualServices of one namespace, merge allowed", true, httpKey, httpKey, vsA, vsA2, true},
		{"VirtualServices of one namespace, merge allowed, HTTPS", true, httpsKey, httpsKey, vsA, vsA2, true},
		{"VirtualServices of one namespace, merge allowed, SNI", true, tlsKey, tlsKey, vsA, vsA2, false},
		{"VirtualServices of two namespaces, merge allowed", true, httpKey, httpKey, vsA, vsB, false},
		{"HTTPRoutes of one namespace", false, httpKey, httpKey, routeA, routeA2, true},
		{"an HTTPRoute and a GRPCRoute of one namespace", false, httpKey, httpKey, routeA, grpcA, true},
		{"an HTTPRoute and a VirtualService of one namespace", true, httpKey, httpKey, routeA, vsA, false},
		{"HTTPRoutes of one namespace, SNI", false, tlsKey, tlsKey, routeA, routeA2, false},
		{"two plain-text HTTP servers", false, plain("HTTP"), plain("HTTP2"), gw1, gw2, true},
		{"TCP beside HTTP", false, plain("HTTP"), plain("TCP"), gw1, gw2, false},
	} {
		src := &policySource{}
		p := rules.DefaultPolicy()
		p.Rules = map[rules.RuleID]rules.RuleConfig{rules.DuplicateHost: {AllowSameNamespaceMerge: tc.merge}}
		src.current.Store(p)
		h := &hostClaims{policy: src}
		if got := h.Shares(tc.held, tc.holder, tc.want, tc.claimer); got != tc.share {
			t.Errorf("%s: Shares = %v, want %v", tc.name, got, tc.share)
		}
	}
}

// TestClaimsOnlyForDenyingRules: a rule the policy only warns about, or
// turns off, lets two owners have a host, so it claims nothing.
func TestClaimsOnlyForDenyingRules(t *testing.T) {
	for action, want := range map[rules.Action]bool{"": true, rules.Deny: true, rules.Warn: false, rules.Off: false} {
		p := rules.DefaultPolicy()
		p.Rules = map[rules.RuleID]rules.RuleConfig{rules.DuplicateHost: {Action: action}}
		if got := p.Denies(rules.DuplicateHost); got != want {
			t.Errorf("duplicate-host with action %q: denies = %v, want %v", action, got, want)
		}
	}
}
