package rules

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"
)

func grantState() []runtime.Object {
	foreign := kubeGateway("shop", "other-gw", httpListener("http", 80, ""))
	foreign.Spec.GatewayClassName = "other"
	return []runtime.Object{
		istioClass(), otherClass(), foreign,
		admitAll(kubeGateway("shop", "gw", httpListener("http", 80, ""))),
		secret("certs", "shared-cert", "tls.crt", "tls.key"),
		secret("certs", "other-cert", "tls.crt", "tls.key"),
		secret("shop", "shop-cert", "tls.crt", "tls.key"),
		secret("team", "team-cert", "tls.crt", "tls.key"),
	}
}

// grantWith is a ReferenceGrant in certs from Gateways of shop to every
// Secret, changed by edit.
func grantWith(edit func(g *gatewayv1beta1.ReferenceGrant)) []runtime.Object {
	g := referenceGrant("certs", "shop-may-read", "Gateway", "shop", "Secret", "")
	edit(g)
	return []runtime.Object{g}
}

func TestReferenceGrantCertificateRefs(t *testing.T) {
	base := func() *gatewayv1.Gateway {
		l := httpsListener("https", 443, "shop.example.com")
		l.TLS.CertificateRefs = []gatewayv1.SecretObjectReference{certRefIn("certs", "shared-cert")}
		return kubeGateway("shop", "gw", l)
	}
	const certRef = "spec.listeners[0].tls.certificateRefs[0]"
	denied := []want{{rule: ReferenceGrant, action: Deny, field: certRef}}
	runMutateCases(t, ReferenceGrant, base, grantState(), []mutateCase[*gatewayv1.Gateway]{
		{
			name: "no ReferenceGrant",
			want: []want{{ReferenceGrant, Deny, certRef, certRef + `: Forbidden: [reference-grant] Gateway shop/gw ` +
				`refers to Secret certs/shared-cert in another namespace, and no ReferenceGrant in certs permits it, so ` +
				`Istio rejects the certificate (RefNotPermitted), and listener shop/gw/https with it when it has no ` +
				`other: create a ReferenceGrant in namespace certs with from {group: gateway.networking.k8s.io, kind: ` +
				`Gateway, namespace: shop} and to {group: "", kind: Secret, name: shared-cert}, or refer to an object ` +
				`of namespace shop`}},
		},
		{name: "granted for every Secret", state: grantWith(func(*gatewayv1beta1.ReferenceGrant) {})},
		{name: "granted for this Secret by name", state: grantWith(func(g *gatewayv1beta1.ReferenceGrant) {
			g.Spec.To[0].Name = ptr(gatewayv1.ObjectName("shared-cert"))
		})},
		{
			name: "one of several from and to entries matches",
			state: grantWith(func(g *gatewayv1beta1.ReferenceGrant) {
				g.Spec.From = append([]gatewayv1beta1.ReferenceGrantFrom{{Group: gatewayGroup, Kind: "HTTPRoute",
					Namespace: "shop"}}, g.Spec.From...)
				g.Spec.To = append([]gatewayv1beta1.ReferenceGrantTo{{Kind: "Service"}}, g.Spec.To...)
			}),
		},
		{name: "granted for another Secret", want: denied, state: grantWith(func(g *gatewayv1beta1.ReferenceGrant) {
			g.Spec.To[0].Name = ptr(gatewayv1.ObjectName("other-cert"))
		})},
		{name: "granted to another namespace", want: denied, state: grantWith(func(g *gatewayv1beta1.ReferenceGrant) {
			g.Spec.From[0].Namespace = "team"
		})},
		{name: "granted to another kind", want: denied, state: grantWith(func(g *gatewayv1beta1.ReferenceGrant) {
			g.Spec.From[0].Kind = "HTTPRoute"
		})},
		{name: "granted to another group", want: denied, state: grantWith(func(g *gatewayv1beta1.ReferenceGrant) {
			g.Spec.From[0].Group = "networking.istio.io"
		})},
		{name: "granted for Services", want: denied, state: grantWith(func(g *gatewayv1beta1.ReferenceGrant) {
			g.Spec.To[0].Kind = "Service"
		})},
		{name: "granted for another group's Secrets", want: denied, state: grantWith(func(g *gatewayv1beta1.ReferenceGrant) {
			g.Spec.To[0].Group = "example.com"
		})},
		{name: "a grant in the referrer's namespace does not count", want: denied, state: []runtime.Object{
			referenceGrant("shop", "shop-may-read", "Gateway", "shop", "Secret", "")}},
		{name: "the Gateway's own namespace, spelled out", mutate: func(gw *gatewayv1.Gateway) {
			gw.Spec.Listeners[0].TLS.CertificateRefs[0] = certRefIn("shop", "shop-cert")
		}},
		{name: "Passthrough reads no Secret", mutate: func(gw *gatewayv1.Gateway) {
			gw.Spec.Listeners[0].Protocol = gatewayv1.TLSProtocolType
			gw.Spec.Listeners[0].TLS.Mode = ptr(gatewayv1.TLSModePassthrough)
		}},
		{name: "ISTIO_SIMPLE reads no Secret", mutate: func(gw *gatewayv1.Gateway) {
			gw.Spec.Listeners[0].TLS.Options = map[gatewayv1.AnnotationKey]gatewayv1.AnnotationValue{
				tlsTerminateModeOption: "ISTIO_SIMPLE"}
		}},
		{name: "a Gateway of another class is not judged", mutate: func(gw *gatewayv1.Gateway) {
			gw.Spec.GatewayClassName = "other"
		}},
		{name: "action warn", policy: "rules:\n  reference-grant: {action: warn}\n",
			want: []want{{rule: ReferenceGrant, action: Warn, field: certRef}}},
	})
}

// TestReferenceGrantListenerSet: a ListenerSet inherits no grant from its
// Gateway and needs one from ListenerSet.
func TestReferenceGrantListenerSet(t *testing.T) {
	base := func() *gatewayv1.ListenerSet {
		l := httpsListener("https", 443, "team.example.com")
		l.TLS.CertificateRefs = []gatewayv1.SecretObjectReference{certRefIn("certs", "shared-cert")}
		return listenerSet("team", "ls", "shop", "gw", l)
	}
	const certRef = "spec.listeners[0].tls.certificateRefs[0]"
	runMutateCases(t, ReferenceGrant, base, grantState(), []mutateCase[*gatewayv1.ListenerSet]{
		{
			name: "no ReferenceGrant",
			want: []want{{ReferenceGrant, Deny, certRef, certRef + `: Forbidden: [reference-grant] ListenerSet team/ls ` +
				`refers to Secret certs/shared-cert in another namespace, and no ReferenceGrant in certs permits it, so ` +
				`Istio rejects the certificate (RefNotPermitted), and listener team/ls/https with it when it has no ` +
				`other: create a ReferenceGrant in namespace certs with from {group: gateway.networking.k8s.io, kind: ` +
				`ListenerSet, namespace: team} and to {group: "", kind: Secret, name: shared-cert}, or refer to an ` +
				`object of namespace team`}},
		},
		{name: "granted to ListenerSets of its namespace", state: []runtime.Object{
			referenceGrant("certs", "team-may-read", "ListenerSet", "team", "Secret", "shared-cert")}},
		{
			name: "its Gateway's grant is not inherited",
			state: []runtime.Object{referenceGrant("certs", "shop-may-read", "Gateway", "shop", "Secret", ""),
				referenceGrant("certs", "team-gateways-may-read", "Gateway", "team", "Secret", "")},
			want: []want{{rule: ReferenceGrant, action: Deny, field: certRef}},
		},
		{name: "its own namespace needs no grant", mutate: func(ls *gatewayv1.ListenerSet) {
			ls.Spec.Listeners[0].TLS.CertificateRefs[0] = certRefIn("team", "team-cert")
		}},
		{name: "on a Gateway of another class", mutate: func(ls *gatewayv1.ListenerSet) {
			ls.Spec.ParentRef.Name = "other-gw"
		}},
	})
}

func TestReferenceGrantBackendRefs(t *testing.T) {
	base := func() *gatewayv1.HTTPRoute {
		r := httpRoute("app", "r", []string{"app.example.com"}, parentRef("shop", "gw"))
		r.Spec.Rules[0].BackendRefs[0].Namespace = ptr(gatewayv1.Namespace("backends"))
		return r
	}
	const backend = "spec.rules[0].backendRefs[0]"
	denied := []want{{rule: ReferenceGrant, action: Deny, field: backend}}
	mirror := func(r *gatewayv1.HTTPRoute) {
		r.Spec.Rules[0].BackendRefs[0].Namespace = nil
		r.Spec.Rules[0].Filters = []gatewayv1.HTTPRouteFilter{{Type: gatewayv1.HTTPRouteFilterRequestMirror,
			RequestMirror: &gatewayv1.HTTPRequestMirrorFilter{BackendRef: gatewayv1.BackendObjectReference{
				Name: "shadow", Namespace: ptr(gatewayv1.Namespace("backends")), Port: ptr(gatewayv1.PortNumber(8080))}}}}
	}
	meshParent := gatewayv1.ParentReference{Group: ptr(gatewayv1.Group("")), Kind: ptr(gatewayv1.Kind("Service")), Name: "app"}
	runMutateCases(t, ReferenceGrant, base, grantState(), []mutateCase[*gatewayv1.HTTPRoute]{
		{
			name: "no ReferenceGrant",
			want: []want{{ReferenceGrant, Deny, backend, backend + `: Forbidden: [reference-grant] HTTPRoute app/r ` +
				`refers to Service backends/backend in another namespace, and no ReferenceGrant in backends permits ` +
				`it, so Istio drops this backend and answers 500 to the requests it would have taken: create a ` +
				`ReferenceGrant in namespace backends with from {group: gateway.networking.k8s.io, kind: HTTPRoute, ` +
				`namespace: app} and to {group: "", kind: Service, name: backend}, or refer to an object of namespace app`}},
		},
		{name: "granted", state: []runtime.Object{referenceGrant("backends", "app-may-call", "HTTPRoute", "app", "Service", "")}},
		{name: "granted by name", state: []runtime.Object{
			referenceGrant("backends", "app-may-call", "HTTPRoute", "app", "Service", "backend")}},
		{name: "granted to GRPCRoutes only", want: denied, state: []runtime.Object{
			referenceGrant("backends", "app-may-call", "GRPCRoute", "app", "Service", "")}},
		{name: "granted for Secrets only", want: denied, state: []runtime.Object{
			referenceGrant("backends", "app-may-call", "HTTPRoute", "app", "Secret", "")}},
		{
			name: "a mirror backend", mutate: mirror,
			want: []want{{rule: ReferenceGrant, action: Deny, field: "spec.rules[0].filters[0].requestMirror.backendRef"}},
		},
		{name: "a mirror backend, granted", mutate: mirror, state: []runtime.Object{
			referenceGrant("backends", "app-may-call", "HTTPRoute", "app", "Service", "shadow")}},
		{name: "a mesh route is not checked, as Istio does not", mutate: func(r *gatewayv1.HTTPRoute) {
			r.Spec.ParentRefs = []gatewayv1.ParentReference{meshParent}
		}},
		{name: "a route on the mesh and a Gateway is", want: denied, mutate: func(r *gatewayv1.HTTPRoute) {
			r.Spec.ParentRefs = append(r.Spec.ParentRefs, meshParent)
		}},
		{name: "a route on a Gateway not in view yet is", want: denied, mutate: func(r *gatewayv1.HTTPRoute) {
			r.Spec.ParentRefs = []gatewayv1.ParentReference{parentRef("shop", "coming-gw")}
		}},
		{name: "a route only on another implementation's Gateway is not", mutate: func(r *gatewayv1.HTTPRoute) {
			r.Spec.ParentRefs = []gatewayv1.ParentReference{parentRef("shop", "other-gw")}
		}},
		{name: "its own namespace, spelled out", mutate: func(r *gatewayv1.HTTPRoute) {
			r.Spec.Rules[0].BackendRefs[0].Namespace = ptr(gatewayv1.Namespace("app"))
		}},
	})
}

// TestReferenceGrantOtherRouteKinds: TLSRoutes and TCPRoutes need a grant
// from their own kind.
func TestReferenceGrantOtherRouteKinds(t *testing.T) {
	tls := tlsRoute("app", "tls", []string{"db.example.com"}, parentRef("shop", "gw"))
	tls.Spec.Rules[0].BackendRefs[0].Namespace = ptr(gatewayv1.Namespace("backends"))
	tcp := tcpRoute("app", "tcp", parentRef("shop", "gw"))
	tcp.Spec.Rules[0].BackendRefs[0].Namespace = ptr(gatewayv1.Namespace("backends"))
	const backend = "spec.rules[0].backendRefs[0]"
	snap := snapshotOf(t, append(grantState(), referenceGrant("backends", "http-may-call", "HTTPRoute", "app", "Service", ""),
		referenceGrant("backends", "tcp-may-call", "TCPRoute", "app", "Service", ""))...)
	expectFindings(t, findingsOf(ReferenceGrant, validate(t, DefaultPolicy(), snap, create(tcp))), nil)
	expectFindings(t, findingsOf(ReferenceGrant, validate(t, DefaultPolicy(), snap, create(tls))), []want{{ReferenceGrant, Deny, backend,
		backend + `: Forbidden: [reference-grant] TLSRoute app/tls refers to Service backends/backend in another ` +
			`namespace, and no ReferenceGrant in backends permits it, so Istio drops this backend and the ` +
			`connections it would have taken fail: create a ReferenceGrant in namespace backends with from {group: ` +
			`gateway.networking.k8s.io, kind: TLSRoute, namespace: app} and to {group: "", kind: Service, name: ` +
			`backend}, or refer to an object of namespace app`}})
}

// TestReferenceGrantGatewayTLS: the frontend CA certificates and the
// backend client certificate of spec.tls cross namespaces only by grant.
func TestReferenceGrantGatewayTLS(t *testing.T) {
	base := func() *gatewayv1.Gateway {
		gw := kubeGateway("shop", "gw", httpsListener("https", 443, "shop.example.com", "shop-cert"))
		caRef := func(ns string) gatewayv1.ObjectReference {
			return gatewayv1.ObjectReference{Kind: "ConfigMap", Name: "client-ca", Namespace: ptr(gatewayv1.Namespace(ns))}
		}
		gw.Spec.TLS = &gatewayv1.GatewayTLSConfig{
			Frontend: &gatewayv1.FrontendTLSConfig{
				Default: gatewayv1.TLSConfig{Validation: &gatewayv1.FrontendTLSValidation{
					CACertificateRefs: []gatewayv1.ObjectReference{caRef("certs")}}},
				PerPort: []gatewayv1.TLSPortConfig{{Port: 8443, TLS: gatewayv1.TLSConfig{Validation: &gatewayv1.FrontendTLSValidation{
					CACertificateRefs: []gatewayv1.ObjectReference{caRef("shop")}}}}},
			},
			Backend: &gatewayv1.GatewayBackendTLS{ClientCertificateRef: ptr(certRefIn("certs", "client-cert"))},
		}
		return gw
	}
	const ca, client = "spec.tls.frontend.default.validation.caCertificateRefs[0]", "spec.tls.backend.clientCertificateRef"
	runMutateCases(t, ReferenceGrant, base, grantState(), []mutateCase[*gatewayv1.Gateway]{
		{
			name: "no ReferenceGrant",
			want: []want{{ReferenceGrant, Deny, ca, ca + `: Forbidden: [reference-grant] Gateway shop/gw refers to ` +
				`ConfigMap certs/client-ca in another namespace, and no ReferenceGrant in certs permits it, so Istio ` +
				`rejects the CA certificate (RefNotPermitted) and the TLS listeners it validates with it: create a ` +
				`ReferenceGrant in namespace certs with from {group: gateway.networking.k8s.io, kind: Gateway, ` +
				`namespace: shop} and to {group: "", kind: ConfigMap, name: client-ca}, or refer to an object of ` +
				`namespace shop`},
				{ReferenceGrant, Deny, client, client + `: Forbidden: [reference-grant] Gateway shop/gw refers to ` +
					`Secret certs/client-cert in another namespace, and no ReferenceGrant in certs permits it, so Istio ` +
					`rejects the client certificate (RefNotPermitted): create a ReferenceGrant in namespace certs with ` +
					`from {group: gateway.networking.k8s.io, kind: Gateway, namespace: shop} and to {group: "", kind: ` +
					`Secret, name: client-cert}, or refer to an object of namespace shop`}},
		},
		{
			name: "granted",
			state: []runtime.Object{referenceGrant("certs", "ca", "Gateway", "shop", "ConfigMap", "client-ca"),
				referenceGrant("certs", "client", "Gateway", "shop", "Secret", "client-cert")},
		},
		{
			name:  "a grant for Secrets does not cover a ConfigMap",
			state: []runtime.Object{referenceGrant("certs", "all-secrets", "Gateway", "shop", "Secret", "")},
			want:  []want{{rule: ReferenceGrant, action: Deny, field: ca}},
		},
		{name: "a Gateway of another class is not judged", mutate: func(gw *gatewayv1.Gateway) {
			gw.Spec.GatewayClassName = "other"
		}},
	})
}
