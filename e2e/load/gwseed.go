package main

import (
	"fmt"

	"github.com/gateguard/gateguard/e2e/cluster"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Naming of the seeded Gateway API objects, shared with the request pool:
// managed Gateway kgw-<g> of class istio serves *.r<g>.example.com, with
// its credential kgw-<g>-cert beside it in istio-system.
func kubeGatewayName(g int) string    { return fmt.Sprintf("kgw-%d", g) }
func kubeCredentialName(g int) string { return fmt.Sprintf("kgw-%d-cert", g) }
func routeDomain(g int) string        { return fmt.Sprintf("r%d.example.com", g) }
func seededRouteHost(j, gateways int) string {
	return fmt.Sprintf("route-%d.%s", j, routeDomain(j%gateways))
}

// gatewayAPIGroups are the Gateway API part of the snapshot, in the order
// they are written: the managed Gateways' credentials, the Gateways, the
// HTTPRoutes. None when --httproutes is 0. GatewayClass istio is the
// cluster's (e2e/cluster installs it with the CRDs, as istiod would).
func gatewayAPIGroups(o options, certPEM, keyPEM []byte) [][]client.Object {
	if o.HTTPRoutes == 0 {
		return nil
	}
	creds := make([]client.Object, 0, o.Gateways)
	gateways := make([]client.Object, 0, o.Gateways)
	for g := range o.Gateways {
		creds = append(creds, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: gatewayNamespace, Name: kubeCredentialName(g)},
			Type: corev1.SecretTypeTLS, Data: map[string][]byte{"tls.crt": certPEM, "tls.key": keyPEM}})
		gateways = append(gateways, managedGateway(g))
	}
	routes := make([]client.Object, 0, o.HTTPRoutes)
	for j := range o.HTTPRoutes {
		routes = append(routes, seededHTTPRoute(o, j))
	}
	return [][]client.Object{creds, gateways, routes}
}

// managedGateway kgw-<g>: an HTTPS listener terminating with its own
// credential and a plain-HTTP one, both for *.r<g>.example.com and taking
// routes from every namespace. Istio deploys each managed Gateway's own
// pods, so its listeners share a route table with no other Gateway.
func managedGateway(g int) *gatewayv1.Gateway {
	gw := &gatewayv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: gatewayNamespace, Name: kubeGatewayName(g)}}
	gw.Spec.GatewayClassName = cluster.IstioGatewayClass
	host := ptr.To(gatewayv1.Hostname("*." + routeDomain(g)))
	all := &gatewayv1.AllowedRoutes{Namespaces: &gatewayv1.RouteNamespaces{From: ptr.To(gatewayv1.NamespacesFromAll)}}
	gw.Spec.Listeners = []gatewayv1.Listener{
		{Name: "https", Port: 443, Protocol: gatewayv1.HTTPSProtocolType, Hostname: host, AllowedRoutes: all,
			TLS: &gatewayv1.ListenerTLSConfig{Mode: ptr.To(gatewayv1.TLSModeTerminate),
				CertificateRefs: []gatewayv1.SecretObjectReference{{Name: gatewayv1.ObjectName(kubeCredentialName(g))}}}},
		{Name: "http", Port: 80, Protocol: gatewayv1.HTTPProtocolType, Hostname: host, AllowedRoutes: all},
	}
	return gw
}

// seededHTTPRoute j is team-<j%N>/route-<j>, serving
// route-<j>.r<j%G>.example.com on both listeners of kgw-<j%G>.
func seededHTTPRoute(o options, j int) *gatewayv1.HTTPRoute {
	name := fmt.Sprintf("route-%d", j)
	return &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: teamNamespace(j, o.Namespaces), Name: name},
		Spec: httpRouteSpec(name, seededRouteHost(j, o.Gateways), j%o.Gateways)}
}

// httpRouteSpec routes host on kgw-<g> to app's Services: the API rule,
// then a catch-all.
func httpRouteSpec(app, host string, g int) gatewayv1.HTTPRouteSpec {
	var spec gatewayv1.HTTPRouteSpec
	spec.ParentRefs = []gatewayv1.ParentReference{{Namespace: ptr.To(gatewayv1.Namespace(gatewayNamespace)),
		Name: gatewayv1.ObjectName(kubeGatewayName(g))}}
	spec.Hostnames = []gatewayv1.Hostname{gatewayv1.Hostname(host)}
	spec.Rules = []gatewayv1.HTTPRouteRule{apiRule(app), {
		Matches:     []gatewayv1.HTTPRouteMatch{prefixMatch("/")},
		BackendRefs: []gatewayv1.HTTPBackendRef{backend(app, 1)},
	}}
	return spec
}

// apiRule is the HTTPRoute counterpart of apiRoute: a canary split with a
// timeout and a header edit before the catch-all rule.
func apiRule(app string) gatewayv1.HTTPRouteRule {
	return gatewayv1.HTTPRouteRule{
		Name:        ptr.To(gatewayv1.SectionName("api")),
		Matches:     []gatewayv1.HTTPRouteMatch{prefixMatch("/api/")},
		BackendRefs: []gatewayv1.HTTPBackendRef{backend(app+"-api-stable", 90), backend(app+"-api-canary", 10)},
		Timeouts:    &gatewayv1.HTTPRouteTimeouts{Request: ptr.To(gatewayv1.Duration("10s"))},
		Filters: []gatewayv1.HTTPRouteFilter{{Type: gatewayv1.HTTPRouteFilterRequestHeaderModifier,
			RequestHeaderModifier: &gatewayv1.HTTPHeaderFilter{Set: []gatewayv1.HTTPHeader{{Name: "x-team", Value: app}}}}},
	}
}

func prefixMatch(prefix string) gatewayv1.HTTPRouteMatch {
	return gatewayv1.HTTPRouteMatch{Path: &gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchPathPrefix), Value: ptr.To(prefix)}}
}

// backend is a Service of the route's namespace, port 8080.
func backend(service string, weight int32) gatewayv1.HTTPBackendRef {
	return gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{Weight: ptr.To(weight),
		BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(service),
			Port: ptr.To(gatewayv1.PortNumber(8080))}}}
}
