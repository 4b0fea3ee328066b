package rules

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// routeBindingState: a shared Gateway whose listeners admit every
// namespace but one (ops, its own only); a Gateway with a TCP listener;
// one of another class; a ListenerSet of team-a taking its own routes.
func routeBindingState() []runtime.Object {
	return []runtime.Object{
		istioClass(),
		admittingListenerSets(kubeGateway("istio-system", "shared-gw", httpListener("a", 80, "a.example.com"),
			sameNamespaceOnly(httpListener("ops", 81, "ops.example.com")),
			httpsListener("apps", 443, "*.apps.example.com", "cert"))),
		kubeGateway("istio-system", "tcp-gw", httpListener("http", 80, "www.example.com"), tcpListener("tcp", 9000)),
		ofClass("nginx", kubeGateway("other", "nginx-gw", httpListener("http", 80, "nginx.example.com"))),
		listenerSet("team-a", "ls", "istio-system", "shared-gw", sameNamespaceOnly(httpListener("own", 8080, "own.example.com"))),
	}
}

func TestHostNotInGatewayRoutes(t *testing.T) {
	shared := parentRef("istio-system", "shared-gw")
	route := func(ns string, hostnames []string, parents ...gatewayv1.ParentReference) func() client.Object {
		return func() client.Object { return httpRoute(ns, "r", hostnames, parents...) }
	}
	// notAllowed is the whole finding for team-b's route of kind on parent
	// (its parentRef value is Kind/ns/name), whose listeners refuse it.
	notAllowed := func(parent, listeners, kind string) string {
		value := strings.Replace(parent, " ", "/", 1)
		return `spec.parentRefs[0]: Invalid value: "` + value + `": [host-not-in-gateway] the listeners of ` + parent +
			` whose hostnames match (` + listeners + `) do not admit ` + kind + `s from namespace team-b (their ` +
			`allowedRoutes namespaces or kinds), so Istio attaches this one to none of them (NotAllowedByListeners): ` +
			`have the owner of ` + parent + ` admit it, or use a listener that does`
	}
	const sharedListeners = `a port 80 "a.example.com", ops port 81 "ops.example.com", apps port 443 "*.apps.example.com"`
	tests := []objCase{
		{name: "a hostname a listener serves", obj: route("team-b", []string{"a.example.com"}, shared)},
		{name: "a hostname under a wildcard listener", obj: route("team-b", []string{"x.y.apps.example.com"}, shared)},
		{name: "no hostnames take the listeners'", obj: route("team-b", nil, shared)},
		{
			name: "no hostname intersects a listener's",
			obj:  route("team-b", []string{"b.example.com", "apps.example.com"}, shared),
			want: []want{{HostNotInGateway, Warn, "spec.parentRefs[0]", `spec.parentRefs[0]: Invalid value: ` +
				`"Gateway/istio-system/shared-gw": [host-not-in-gateway] none of the hostnames ["b.example.com", ` +
				`"apps.example.com"] intersects the hostname of a listener of Gateway istio-system/shared-gw that this ` +
				`parentRef reaches (` + sharedListeners + `), so Istio attaches this HTTPRoute to none of them ` +
				`(NoMatchingListenerHostname): use a hostname a listener serves, or have the owner of Gateway ` +
				`istio-system/shared-gw add a listener for it`}},
		},
		{
			name: "sectionName narrows the listeners",
			obj:  route("team-b", []string{"a.example.com"}, section(shared, "apps")),
			want: []want{{HostNotInGateway, Warn, "spec.parentRefs[0]", `spec.parentRefs[0]: Invalid value: ` +
				`"Gateway/istio-system/shared-gw": [host-not-in-gateway] none of the hostnames ["a.example.com"] ` +
				`intersects the hostname of a listener of Gateway istio-system/shared-gw that this parentRef reaches ` +
				`(apps port 443 "*.apps.example.com"), so Istio attaches this HTTPRoute to none of them ` +
				`(NoMatchingListenerHostname): use a hostname a listener serves, or have the owner of Gateway ` +
				`istio-system/shared-gw add a listener for it`}},
		},
		{
			name: "the hostname matches, the namespace is not admitted",
			obj:  route("team-b", []string{"ops.example.com"}, shared),
			want: []want{{HostNotInGateway, Warn, "spec.parentRefs[0]",
				notAllowed("Gateway istio-system/shared-gw", `ops port 81 "ops.example.com"`, "HTTPRoute")}},
		},
		{name: "the listener's own namespace is admitted", obj: route("istio-system", []string{"ops.example.com"}, shared)},
		{name: "one listener that attaches is enough", obj: route("team-b", []string{"ops.example.com", "x.apps.example.com"}, shared)},
		{
			name: "the hostname matches, the kind is not admitted",
			obj: func() client.Object {
				return tlsRoute("team-b", "r", []string{"x.apps.example.com"}, shared)
			},
			want: []want{{HostNotInGateway, Warn, "spec.parentRefs[0]",
				notAllowed("Gateway istio-system/shared-gw", `apps port 443 "*.apps.example.com"`, "TLSRoute")}},
		},
		{
			name: "a TCPRoute needs a TCP listener",
			obj:  func() client.Object { return tcpRoute("team-b", "r", shared, parentRef("istio-system", "tcp-gw")) },
			want: []want{{rule: HostNotInGateway, action: Warn, field: "spec.parentRefs[0]"}},
		},
		{
			name: "a TCP listener takes any hostname, but not the kind",
			obj:  route("team-b", []string{"b.example.com"}, parentRef("istio-system", "tcp-gw")),
			want: []want{{HostNotInGateway, Warn, "spec.parentRefs[0]",
				notAllowed("Gateway istio-system/tcp-gw", `tcp port 9000 (any hostname)`, "HTTPRoute")}},
		},
		{
			name: "each parentRef is judged",
			obj:  route("team-b", []string{"a.example.com"}, shared, parentRef("istio-system", "tcp-gw")),
			want: []want{{rule: HostNotInGateway, action: Warn, field: "spec.parentRefs[1]"}},
		},
		{
			name: "a ListenerSet's listeners",
			obj:  route("team-b", []string{"own.example.com"}, toListenerSet(parentRef("team-a", "ls"))),
			want: []want{{HostNotInGateway, Warn, "spec.parentRefs[0]",
				notAllowed("ListenerSet team-a/ls", `own port 8080 "own.example.com"`, "HTTPRoute")}},
		},
		{name: "a ListenerSet's own namespace", obj: route("team-a", []string{"own.example.com"}, toListenerSet(parentRef("", "ls")))},
		{
			name: "a parent that does not exist is unknown-gateway's",
			obj:  route("team-b", []string{"a.example.com"}, parentRef("istio-system", "private-gw")),
			want: []want{{rule: UnknownGateway, action: Warn, field: "spec.parentRefs[0]"}},
		},
		{
			name: "a Gateway of another class is not judged",
			obj:  route("team-b", []string{"b.example.com"}, parentRef("other", "nginx-gw")),
		},
		{
			name:   "action deny",
			policy: "rules:\n  host-not-in-gateway: {action: deny}\n",
			obj:    route("team-b", []string{"b.example.com"}, shared),
			want:   []want{{rule: HostNotInGateway, action: Deny, field: "spec.parentRefs[0]"}},
		},
		{
			name:   "action off",
			policy: "rules:\n  host-not-in-gateway: {action: off}\n",
			obj:    route("team-b", []string{"b.example.com"}, shared),
		},
	}
	runObjCases(t, routeBindingState(), tests, HostNotInGateway, UnknownGateway)
}
