package rules

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const ownershipPolicy = `hostOwnership:
- namespaces: [shop]
  domains: ["shop.example.com", "*.shop.example.com"]
- namespaceSelector:
    matchLabels: {team: payments}
    matchExpressions:
    - {key: env, operator: In, values: [prod, staging]}
  domains: ["pay.example.com", "*.pay.example.com"]
`

func ownershipState() []runtime.Object {
	return []runtime.Object{
		namespace("payments-prod", map[string]string{"team": "payments", "env": "prod"}),
		namespace("payments-dev", map[string]string{"team": "payments", "env": "dev"}),
		namespace("blog", nil),
		pod("istio-system", "ingress-1", ingressSelector),
		gateway("istio-system", "public-gw", ingressSelector, httpServer(80, "*.example.com")),
	}
}

func TestHostOwnership(t *testing.T) {
	vs := func(ns string, hosts ...string) client.Object {
		return httpVS(ns, "web", hosts, "istio-system/public-gw")
	}
	tests := []struct {
		name   string
		policy string // default: ownershipPolicy
		obj    client.Object
		want   []want
	}{
		{name: "owner by name, its domain", obj: vs("shop", "shop.example.com")},
		{name: "owner by name, under its wildcard domain", obj: vs("shop", "cart.shop.example.com", "Offers.Shop.Example.com")},
		{name: "owner by selector", obj: vs("payments-prod", "pay.example.com", "eu.pay.example.com")},
		{
			name: "owner outside its domains",
			obj:  vs("shop", "shop.example.com", "blog.example.com"),
			want: []want{{HostOwnership, Deny, "spec.hosts[1]", `spec.hosts[1]: Forbidden: [host-ownership] host ` +
				`"blog.example.com" is outside the domains of namespace shop [shop.example.com *.shop.example.com]; use a ` +
				`host under them, or ask the platform team`}},
		},
		{
			name: "a wildcard wider than the owner's domains",
			obj:  vs("shop", "*.example.com"),
			want: []want{{rule: HostOwnership, action: Deny, field: "spec.hosts[0]"}},
		},
		{
			name: "non-owner's wildcard would catch an owned domain",
			obj:  vs("blog", "*.example.com"),
			want: []want{{HostOwnership, Deny, "spec.hosts[0]", `spec.hosts[0]: Forbidden: [host-ownership] host ` +
				`"*.example.com" would catch requests for "shop.example.com", which the policy gives to namespaces shop; ` +
				`use a host of your own, or ask that team`}},
		},
		{
			name: "non-owner claims an owned host",
			obj:  vs("blog", "checkout.pay.example.com"),
			want: []want{{HostOwnership, Deny, "spec.hosts[0]", `spec.hosts[0]: Forbidden: [host-ownership] host ` +
				`"checkout.pay.example.com" is under "*.pay.example.com", which the policy gives to namespaces labelled ` +
				`{team=payments}; use a host of your own, or ask that team`}},
		},
		{
			name: "non-owner by the selector's expressions",
			obj:  vs("payments-dev", "pay.example.com"),
			want: []want{{HostOwnership, Deny, "spec.hosts[0]", `spec.hosts[0]: Forbidden: [host-ownership] host ` +
				`"pay.example.com" is under "pay.example.com", which the policy gives to namespaces labelled ` +
				`{team=payments}; use a host of your own, or ask that team`}},
		},
		{
			name: "non-owner named by the policy",
			obj:  vs("blog", "SHOP.example.com"),
			want: []want{{HostOwnership, Deny, "spec.hosts[0]", `spec.hosts[0]: Forbidden: [host-ownership] host ` +
				`"SHOP.example.com" is under "shop.example.com", which the policy gives to namespaces shop; use a host of ` +
				`your own, or ask that team`}},
		},
		{name: "unowned host, namespace without domains", obj: vs("blog", "blog.example.com")},
		{name: "unknown namespace, unowned host", obj: vs("new-team", "new.example.com")},
		{name: "mesh-only VirtualService is not judged", obj: httpVS("blog", "web", []string{"pay.example.com"})},
		{
			name: "Gateway server hosts, past the namespace part",
			obj: gateway("blog", "gw", ingressSelector,
				httpServer(8080, "./blog.example.com", "blog/pay.example.com")),
			want: []want{{rule: HostOwnership, action: Deny, field: "spec.servers[0].hosts[1]"}},
		},
		{
			name: "owner's Gateway",
			obj:  gateway("shop", "gw", ingressSelector, httpServer(8080, "./shop.example.com", "*.shop.example.com")),
		},
		{
			name:   "no owners in the policy: the rule is silent",
			policy: "rules:\n  host-ownership: {action: deny}\n",
			obj:    vs("blog", "pay.example.com"),
		},
		{
			name:   "action warn",
			policy: ownershipPolicy + "rules:\n  host-ownership: {action: warn}\n",
			obj:    vs("blog", "pay.example.com"),
			want:   []want{{rule: HostOwnership, action: Warn, field: "spec.hosts[0]"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			policy := ownershipPolicy
			if tc.policy != "" {
				policy = tc.policy
			}
			expectFindings(t, validate(t, mustPolicy(t, policy), snapshotOf(t, ownershipState()...), create(tc.obj)), tc.want)
		})
	}
}
