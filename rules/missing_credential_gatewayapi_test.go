package rules

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func gatewayCredentialState() []runtime.Object {
	return []runtime.Object{
		istioClass(), otherClass(),
		pod("istio-system", "ingress-1", ingressSelector),
		secret("shop", "shop-cert", "tls.crt", "tls.key"),
		secret("shop", "ecdsa-cert", "tls.crt", "tls.key"),
		secret("shop", "generic-cert", "cert", "key"),
		secret("shop", "pem-only", "cert.pem", "key.pem"),
		secret("shop", "half-cert", "tls.crt"),
		secret("istio-system", "api-cert", "tls.crt", "tls.key"),
		secret("certs", "shared-cert", "tls.crt", "tls.key"),
		secret("team", "team-cert", "tls.crt", "tls.key"),
		certificate("shop", "pending", "pending-tls"),
		certificate("istio-system", "api-pending", "api-pending-tls"),
		referenceGrant("certs", "shop-may-read", "Gateway", "shop", "Secret", ""),
	}
}

func TestMissingCredentialKubeGateway(t *testing.T) {
	base := func() *gatewayv1.Gateway {
		return kubeGateway("shop", "gw", httpListener("http", 80, ""), httpsListener("https", 443, "shop.example.com", "shop-cert"))
	}
	refs := func(refs ...gatewayv1.SecretObjectReference) func(*gatewayv1.Gateway) {
		return func(gw *gatewayv1.Gateway) { gw.Spec.Listeners[1].TLS.CertificateRefs = refs }
	}
	named := func(name string) gatewayv1.SecretObjectReference {
		return gatewayv1.SecretObjectReference{Name: gatewayv1.ObjectName(name)}
	}
	terminateMode := func(mode string) func(*gatewayv1.Gateway) {
		return func(gw *gatewayv1.Gateway) {
			gw.Spec.Listeners[1].TLS.CertificateRefs[0].Name = "nowhere"
			gw.Spec.Listeners[1].TLS.Options = map[gatewayv1.AnnotationKey]gatewayv1.AnnotationValue{tlsTerminateModeOption: gatewayv1.AnnotationValue(mode)}
		}
	}
	const certRef = "spec.listeners[1].tls.certificateRefs[0]"
	runMutateCases(t, MissingCredential, base, gatewayCredentialState(), []mutateCase[*gatewayv1.Gateway]{
		{name: "Secret beside the Gateway"},
		{name: "two certificates, both present", mutate: refs(named("shop-cert"), named("ecdsa-cert"))},
		{name: "cert and key", mutate: refs(named("generic-cert"))},
		{
			name: "Secret only where the pods of a classic ingress run", mutate: refs(named("api-cert")),
			want: []want{{MissingCredential, Deny, certRef, certRef + `: Not found: "api-cert": [missing-credential] ` +
				`Secret "api-cert" does not exist in namespace shop (a certificateRef without a namespace reads the ` +
				`namespace of Gateway shop/gw, not where the gateway pods run): create it there or fix the ` +
				`certificateRef; until then Istio rejects the certificate, and the listener shop/gw/https with it ` +
				`when it has no other`}},
		},
		{
			name: "the second certificate is missing", mutate: refs(named("shop-cert"), named("ecdsa-crt")),
			want: []want{{rule: MissingCredential, action: Deny, field: "spec.listeners[1].tls.certificateRefs[1]"}},
		},
		{name: "in another namespace, granted", mutate: refs(certRefIn("certs", "shared-cert"))},
		{
			name: "in another namespace, absent", mutate: refs(certRefIn("certs", "shared-crt")),
			want: []want{{MissingCredential, Deny, certRef, certRef + `: Not found: "shared-crt": [missing-credential] ` +
				`Secret "shared-crt" does not exist in namespace certs: create it there or fix the certificateRef; ` +
				`until then Istio rejects the certificate, and the listener shop/gw/https with it when it has no other`}},
		},
		{
			name: "Secret with other keys", mutate: refs(named("pem-only")),
			want: []want{{MissingCredential, Deny, certRef, certRef + `: Invalid value: "pem-only": [missing-credential] ` +
				`Secret shop/pem-only has neither tls.crt+tls.key nor cert+key, so Istio cannot load it`}},
		},
		{
			name: "Secret with a certificate and no key", mutate: refs(named("half-cert")),
			want: []want{{rule: MissingCredential, action: Deny, field: certRef}},
		},
		{
			name: "a cert-manager Certificate will issue it", mutate: refs(named("pending-tls")),
			want: []want{{MissingCredential, Warn, certRef, certRef + `: Not found: "pending-tls": [missing-credential] ` +
				`Secret shop/pending-tls is not issued yet: cert-manager Certificate shop/pending will create it; until ` +
				`then Istio does not program listener shop/gw/https`}},
		},
		{
			name: "a Certificate in another namespace does not help", mutate: refs(named("api-pending-tls")),
			want: []want{{rule: MissingCredential, action: Deny, field: certRef}},
		},
		{
			name: "a TLS listener in Terminate mode is checked",
			mutate: func(gw *gatewayv1.Gateway) {
				gw.Spec.Listeners[1].Protocol = gatewayv1.TLSProtocolType
				gw.Spec.Listeners[1].TLS.CertificateRefs[0].Name = "nowhere"
			},
			want: []want{{rule: MissingCredential, action: Deny, field: certRef}},
		},
		{
			name: "Passthrough ignores its certificateRefs",
			mutate: func(gw *gatewayv1.Gateway) {
				gw.Spec.Listeners[1].Protocol = gatewayv1.TLSProtocolType
				gw.Spec.Listeners[1].TLS.Mode = ptr(gatewayv1.TLSModePassthrough)
				gw.Spec.Listeners[1].TLS.CertificateRefs[0].Name = "nowhere"
			},
		},
		{name: "ISTIO_SIMPLE serves Istio's own certificate", mutate: terminateMode("ISTIO_SIMPLE")},
		{name: "ISTIO_MUTUAL serves Istio's own certificate", mutate: terminateMode("ISTIO_MUTUAL")},
		{
			name: "MUTUAL still reads the Secret", mutate: terminateMode("MUTUAL"),
			want: []want{{rule: MissingCredential, action: Deny, field: certRef}},
		},
		{
			name: "three certificates", mutate: refs(named("shop-cert"), named("ecdsa-cert"), named("generic-cert")),
			want: []want{{MissingCredential, Deny, "spec.listeners[1].tls.certificateRefs", `spec.listeners[1].tls.` +
				`certificateRefs: Too many: 3: [missing-credential] Istio serves at most 2 certificates on a listener ` +
				`(an RSA and an ECDSA one) and rejects the listener with 3: keep at most 2 certificateRefs`}},
		},
		{
			name: "a ref to another kind is not a Secret",
			mutate: func(gw *gatewayv1.Gateway) {
				gw.Spec.Listeners[1].TLS.CertificateRefs[0].Kind = ptr(gatewayv1.Kind("ConfigMap"))
				gw.Spec.Listeners[1].TLS.CertificateRefs[0].Name = "nowhere"
			},
		},
		{
			name: "a Gateway of another class is not judged",
			mutate: func(gw *gatewayv1.Gateway) {
				gw.Spec.GatewayClassName = "other"
				gw.Spec.Listeners[1].TLS.CertificateRefs[0].Name = "nowhere"
			},
		},
		{
			name: "action warn", policy: "rules:\n  missing-credential: {action: warn}\n", mutate: refs(named("nowhere")),
			want: []want{{rule: MissingCredential, action: Warn, field: certRef}},
		},
	})
}

func TestMissingCredentialListenerSet(t *testing.T) {
	base := func() *gatewayv1.ListenerSet {
		return listenerSet("team", "ls", "shop", "gw", httpsListener("https", 443, "team.example.com", "team-cert"))
	}
	state := append(gatewayCredentialState(), admitAll(kubeGateway("shop", "gw", httpListener("http", 80, ""))),
		kubeGateway("shop", "other-gw"))
	state[len(state)-1].(*gatewayv1.Gateway).Spec.GatewayClassName = "other"
	const certRef = "spec.listeners[0].tls.certificateRefs[0]"
	runMutateCases(t, MissingCredential, base, state, []mutateCase[*gatewayv1.ListenerSet]{
		{name: "Secret beside the ListenerSet"},
		{
			name: "Secret only beside its Gateway",
			mutate: func(ls *gatewayv1.ListenerSet) {
				ls.Spec.Listeners[0].TLS.CertificateRefs[0].Name = "shop-cert"
			},
			want: []want{{MissingCredential, Deny, certRef, certRef + `: Not found: "shop-cert": [missing-credential] ` +
				`Secret "shop-cert" does not exist in namespace team (a certificateRef without a namespace reads the ` +
				`namespace of ListenerSet team/ls, not where the gateway pods run): create it there or fix the ` +
				`certificateRef; until then Istio rejects the certificate, and the listener team/ls/https with it ` +
				`when it has no other`}},
		},
		{
			name: "Gateway not in view yet: still checked",
			mutate: func(ls *gatewayv1.ListenerSet) {
				ls.Spec.ParentRef.Name = "coming-gw"
				ls.Spec.Listeners[0].TLS.CertificateRefs[0].Name = "nowhere"
			},
			want: []want{{rule: MissingCredential, action: Deny, field: certRef}},
		},
		{
			name: "a Gateway of another class is not judged",
			mutate: func(ls *gatewayv1.ListenerSet) {
				ls.Spec.ParentRef.Name = "other-gw"
				ls.Spec.Listeners[0].TLS.CertificateRefs[0].Name = "nowhere"
			},
		},
	})
}

// TestMissingCredentialCertificateRefOutsideTheReadableNamespaces: a
// certificateRef gateguard may not read warns, naming the namespace.
func TestMissingCredentialCertificateRefOutsideTheReadableNamespaces(t *testing.T) {
	snap := scopedSnapshot{Snapshot: snapshotOf(t, gatewayCredentialState()...), readable: []string{"istio-system"}}
	gw := kubeGateway("shop", "gw", httpsListener("https", 443, "shop.example.com", "shop-cert"))
	const certRef = "spec.listeners[0].tls.certificateRefs[0]"
	expectFindings(t, validate(t, DefaultPolicy(), snap, create(gw)), []want{{MissingCredential, Warn, certRef,
		certRef + `: Forbidden: [missing-credential] gateguard may not read Secrets in namespace shop, where Istio ` +
			`reads "shop-cert", so it cannot check that the Secret exists and has its keys: add shop to gateguard's ` +
			`--secret-namespaces (chart value secretNamespaces), with the Role that lets it read them`}})
}
