package rules

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestExemptionsGatewayAPI: exemptions match routes, Gateway API Gateways
// and ListenerSets as they match the classic kinds. The route breaks
// wildcard-host (a public suffix) and unknown-gateway (a missing parent);
// the Gateway and the ListenerSet each have a listener over a public suffix.
func TestExemptionsGatewayAPI(t *testing.T) {
	state := []runtime.Object{
		istioClass(),
		namespace("legacy", map[string]string{"gateguard.dev/tier": "legacy"}),
		namespace("web", nil),
		admittingListenerSets(kubeGateway("istio-system", "public-gw", httpListener("http", 80, ""))),
	}
	route := func(ns, annotation string) func() client.Object {
		return func() client.Object {
			r := httpRoute(ns, "r", []string{"*.co.uk"}, parentRef("istio-system", "private-gw"))
			if annotation != "" {
				r.Annotations = map[string]string{ExemptAnnotation: annotation}
			}
			return r
		}
	}
	wildcard := want{rule: WildcardHost, action: Deny, field: "spec.hostnames[0]"}
	unknown := want{rule: UnknownGateway, action: Warn, field: "spec.parentRefs[0]"}
	tests := []objCase{
		{name: "no exemption", obj: route("web", ""), want: []want{wildcard, unknown}},
		{
			name:   "namespace, one rule",
			policy: "exemptions:\n- namespaces: [web]\n  rules: [wildcard-host]\n",
			obj:    route("web", ""),
			want:   []want{unknown},
		},
		{name: "namespace, every rule", policy: "exemptions:\n- namespaces: [web]\n", obj: route("web", "")},
		{
			name:   "namespaceSelector",
			policy: "exemptions:\n- namespaceSelector: {matchLabels: {gateguard.dev/tier: legacy}}\n  rules: [unknown-gateway]\n",
			obj:    route("legacy", ""),
			want:   []want{wildcard},
		},
		{
			name:   "objectAnnotation on a route",
			policy: "exemptions:\n- objectAnnotation: true\n",
			obj:    route("web", "wildcard-host"),
			want:   []want{unknown},
		},
		{
			name:   "objectAnnotation on a Gateway",
			policy: "exemptions:\n- objectAnnotation: true\n  rules: [wildcard-host]\n",
			obj: func() client.Object {
				gw := kubeGateway("web", "gw", httpListener("http", 80, "*.com"))
				gw.Annotations = map[string]string{ExemptAnnotation: "wildcard-host"}
				return gw
			},
		},
		{
			name: "a Gateway without the annotation",
			obj:  func() client.Object { return kubeGateway("web", "gw", httpListener("http", 80, "*.com")) },
			want: []want{{rule: WildcardHost, action: Deny, field: "spec.listeners[0].hostname"}},
		},
		{
			name:   "namespace of a ListenerSet",
			policy: "exemptions:\n- namespaces: [legacy]\n  rules: [wildcard-host]\n",
			obj: func() client.Object {
				return listenerSet("legacy", "ls", "istio-system", "public-gw", httpListener("a", 8080, "*.com"))
			},
		},
	}
	runObjCases(t, state, tests, WildcardHost, UnknownGateway)
}
