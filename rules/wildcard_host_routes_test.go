package rules

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// routeWildcardState: a shared Gateway with a hostname-less HTTP listener,
// a wildcard HTTPS one and a TCP one; a team's own Gateway; a Gateway of
// another class; a ListenerSet of team shop on the shared Gateway.
func routeWildcardState() []runtime.Object {
	return []runtime.Object{
		istioClass(),
		admittingListenerSets(kubeGateway("istio-system", "public-gw", httpListener("http", 80, ""),
			httpsListener("apps", 443, "*.apps.example.com", "apps-cert"), tcpListener("tcp", 9000))),
		kubeGateway("web", "web-gw", sameNamespaceOnly(httpListener("http", 8080, ""))),
		ofClass("nginx", kubeGateway("other", "nginx-gw", httpListener("http", 80, ""))),
		listenerSet("shop", "shop-ls", "istio-system", "public-gw", httpListener("shop-http", 8081, "")),
	}
}

func TestWildcardHostRoutes(t *testing.T) {
	const allowList = "rules:\n  wildcard-host:\n    allowedWildcards: [\"*.apps.example.com\"]\n"
	public := parentRef("istio-system", "public-gw")
	route := func(ns string, hostnames []string, parents ...gatewayv1.ParentReference) func() client.Object {
		return func() client.Object { return httpRoute(ns, "r", hostnames, parents...) }
	}
	catchAllMsg := `spec.parentRefs[0]: Invalid value: "Gateway/istio-system/public-gw": [wildcard-host] this HTTPRoute ` +
		`lists no hostnames and listener istio-system/public-gw/http has none either, so it catches every request ` +
		`there that no other route claims, whichever team's hostname it carries; a catch-all belongs to the ` +
		`listener's own namespace, not shop: list the hostnames you serve`
	tests := []objCase{
		{name: "a specific hostname", obj: route("shop", []string{"shop.example.com"}, public)},
		{
			name: "*.com",
			obj:  route("shop", []string{"*.com"}, public),
			want: []want{{WildcardHost, Deny, "spec.hostnames[0]", `spec.hostnames[0]: Invalid value: "*.com": ` +
				`[wildcard-host] "*.com" covers every name under the public suffix "com"; use a wildcard under a ` +
				`domain you own`}},
		},
		{
			name: "*.co.uk, attached or not",
			obj:  route("shop", []string{"www.example.co.uk", "*.co.uk"}, parentRef("", "nowhere")),
			want: []want{
				{WildcardHost, Deny, "spec.hostnames[1]", `spec.hostnames[1]: Invalid value: "*.co.uk": [wildcard-host] ` +
					`"*.co.uk" covers every name under the public suffix "co.uk"; use a wildcard under a domain you own`},
				{rule: UnknownGateway, action: Warn, field: "spec.parentRefs[0]"},
			},
		},
		{
			name: "a TLSRoute's SNI hostname",
			obj: func() client.Object {
				return tlsRoute("shop", "r", []string{"*.github.io"}, parentRef("istio-system", "public-gw"))
			},
			want: []want{
				{rule: WildcardHost, action: Deny, field: "spec.hostnames[0]"},
				{rule: HostNotInGateway, action: Warn, field: "spec.parentRefs[0]"},
			},
		},
		{name: "*.local", obj: route("shop", []string{"*.local"}, public)},
		{name: "a wildcard with no allow-list", obj: route("shop", []string{"*.example.com"}, public)},
		{name: "allowedWildcards: covered", policy: allowList, obj: route("shop", []string{"*.team.apps.example.com"}, public)},
		{
			name:   "allowedWildcards: outside every entry",
			policy: allowList,
			obj:    route("shop", []string{"*.apps.example.com", "*.example.org"}, public),
			want: []want{{WildcardHost, Deny, "spec.hostnames[1]", `spec.hostnames[1]: Invalid value: "*.example.org": ` +
				`[wildcard-host] wildcard "*.example.org" is not within the policy's allowedWildcards ` +
				`[*.apps.example.com]; use specific hosts, or ask the platform team to allow it`}},
		},
		{
			name: "a catch-all from another namespace warns",
			obj:  route("shop", nil, public),
			want: []want{{WildcardHost, Warn, "spec.parentRefs[0]", catchAllMsg}},
		},
		{
			name:   "a catch-all stays a warning under action deny",
			policy: "rules:\n  wildcard-host: {action: deny}\n",
			obj:    route("shop", nil, public),
			want:   []want{{WildcardHost, Warn, "spec.parentRefs[0]", catchAllMsg}},
		},
		{
			name: "a catch-all on each parentRef that has one",
			obj:  route("shop", nil, section(public, "apps"), public),
			want: []want{{rule: WildcardHost, action: Warn, field: "spec.parentRefs[1]"}},
		},
		{name: "a catch-all in the Gateway's namespace: the canonical sample", obj: route("web", nil, parentRef("", "web-gw"))},
		{name: "no hostnames on a wildcard listener serves the listener's", obj: route("shop", nil, section(public, "apps"))},
		{
			name: "a hostname intersecting a wildcard listener",
			obj:  route("shop", []string{"shop.apps.example.com"}, section(public, "apps")),
		},
		{
			name: "a TCPRoute serves a port, not a catch-all hostname",
			obj:  func() client.Object { return tcpRoute("shop", "r", section(public, "tcp")) },
		},
		{name: "a Gateway of another class is not judged", obj: route("shop", nil, parentRef("other", "nginx-gw"))},
		{
			name: "a catch-all on a ListenerSet's listener, from its namespace",
			obj:  route("shop", nil, toListenerSet(parentRef("", "shop-ls"))),
		},
		{
			name: "a catch-all on a ListenerSet's listener, from another namespace",
			obj:  route("blog", nil, toListenerSet(parentRef("shop", "shop-ls"))),
			want: []want{{WildcardHost, Warn, "spec.parentRefs[0]", `spec.parentRefs[0]: Invalid value: ` +
				`"ListenerSet/shop/shop-ls": [wildcard-host] this HTTPRoute lists no hostnames and listener ` +
				`shop/shop-ls/shop-http has none either, so it catches every request there that no other route claims, ` +
				`whichever team's hostname it carries; a catch-all belongs to the listener's own namespace, not blog: ` +
				`list the hostnames you serve`}},
		},
		{
			name:   "action off",
			policy: "rules:\n  wildcard-host: {action: off}\n",
			obj:    route("shop", []string{"*.com"}, public),
		},
	}
	runObjCases(t, routeWildcardState(), tests, WildcardHost, UnknownGateway, HostNotInGateway)
}

func TestWildcardHostListeners(t *testing.T) {
	gw := func(hostnames ...string) *gatewayv1.Gateway {
		var ls []gatewayv1.Listener
		for i, h := range hostnames {
			ls = append(ls, httpListener("l"+string(rune('0'+i)), int32(80+i), h))
		}
		return kubeGateway("istio-system", "gw", ls...)
	}
	tests := []objCase{
		{name: "specific and wildcard hostnames", obj: func() client.Object { return gw("shop.example.com", "*.example.com", "") }},
		{
			name: "a Gateway listener over a public suffix",
			obj:  func() client.Object { return gw("shop.example.com", "*.com") },
			want: []want{{WildcardHost, Deny, "spec.listeners[1].hostname", `spec.listeners[1].hostname: Invalid value: ` +
				`"*.com": [wildcard-host] "*.com" covers every name under the public suffix "com"; use a wildcard under ` +
				`a domain you own`}},
		},
		{
			name: "a Gateway of another class is not judged",
			obj:  func() client.Object { return ofClass("nginx", gw("*.com")) },
		},
		{
			name: "a ListenerSet listener over a public suffix",
			obj: func() client.Object {
				return listenerSet("shop", "ls", "istio-system", "public-gw", httpListener("a", 8080, "*.co.uk"))
			},
			want: []want{{WildcardHost, Deny, "spec.listeners[0].hostname", `spec.listeners[0].hostname: Invalid value: ` +
				`"*.co.uk": [wildcard-host] "*.co.uk" covers every name under the public suffix "co.uk"; use a wildcard ` +
				`under a domain you own`}},
		},
		{
			name: "a ListenerSet whose Gateway is not in view yet",
			obj: func() client.Object {
				return listenerSet("shop", "ls", "istio-system", "later-gw", httpListener("a", 8080, "*.com"))
			},
			want: []want{{rule: WildcardHost, action: Deny, field: "spec.listeners[0].hostname"}},
		},
		{
			name: "a ListenerSet of another class's Gateway is not judged",
			obj: func() client.Object {
				return listenerSet("shop", "ls", "other", "nginx-gw", httpListener("a", 8080, "*.com"))
			},
		},
		{
			name:   "allowedWildcards apply to listener hostnames",
			policy: "rules:\n  wildcard-host:\n    allowedWildcards: [\"*.apps.example.com\"]\n",
			obj:    func() client.Object { return gw("*.apps.example.com", "*.example.com") },
			want: []want{{WildcardHost, Deny, "spec.listeners[1].hostname", `spec.listeners[1].hostname: Invalid value: ` +
				`"*.example.com": [wildcard-host] wildcard "*.example.com" is not within the policy's allowedWildcards ` +
				`[*.apps.example.com]; use specific hosts, or ask the platform team to allow it`}},
		},
	}
	runObjCases(t, routeWildcardState(), tests, WildcardHost)
}

// TestWildcardHostRouteUpdate: an UPDATE that keeps a route's public-suffix
// wildcard is ratcheted to a warning; one that adds it is denied.
func TestWildcardHostRouteUpdate(t *testing.T) {
	snap := snapshotOf(t, routeWildcardState()...)
	old := httpRoute("shop", "r", []string{"*.com"}, parentRef("istio-system", "public-gw"))
	kept := old.DeepCopy()
	kept.Spec.Hostnames = append(kept.Spec.Hostnames, "shop.example.com")
	expectFindings(t, validate(t, DefaultPolicy(), snap, update(old, kept)), []want{{WildcardHost, Warn, "spec.hostnames[0]",
		`spec.hostnames[0]: Invalid value: "*.com": [wildcard-host] "*.com" covers every name under the public suffix ` +
			`"com"; use a wildcard under a domain you own` + ratchetNote}})
	added := kept.DeepCopy()
	added.Spec.Hostnames = append(added.Spec.Hostnames, "*.co.uk")
	expectFindings(t, validate(t, DefaultPolicy(), snap, update(old, added)), []want{
		{rule: WildcardHost, action: Warn, field: "spec.hostnames[0]"},
		{rule: WildcardHost, action: Deny, field: "spec.hostnames[2]"},
	})
}
