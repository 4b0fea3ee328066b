package rules

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"
)

// certificateUsersState: Gateways and ListenerSets reading Secrets of
// their own namespace and, through ReferenceGrants, of certs; routes
// calling Services of backends.
func certificateUsersState() []runtime.Object {
	shared := httpsListener("https", 443, "shop.example.com")
	shared.TLS.CertificateRefs = []gatewayv1.SecretObjectReference{certRefIn("certs", "shared-cert")}
	teamShared := httpsListener("https", 443, "team.example.com")
	teamShared.TLS.CertificateRefs = []gatewayv1.SecretObjectReference{certRefIn("certs", "shared-cert")}
	passthrough := tlsPassthroughListener("db", 9443, "db.example.com")
	passthrough.TLS.CertificateRefs = []gatewayv1.SecretObjectReference{{Name: "passthrough-cert"}}
	builtin := httpsListener("mesh", 8443, "mesh.example.com", "builtin-cert")
	builtin.TLS.Options = map[gatewayv1.AnnotationKey]gatewayv1.AnnotationValue{tlsTerminateModeOption: "ISTIO_SIMPLE"}
	foreign := kubeGateway("shop", "other-gw", httpsListener("https", 443, "other.example.com", "shop-cert"))
	foreign.Spec.GatewayClassName = "other"
	calls := httpRoute("app", "calls", []string{"app.example.com"}, parentRef("shop", "gw"))
	calls.Spec.Rules[0].BackendRefs[0].Namespace = ptr(gatewayv1.Namespace("backends"))
	mesh := httpRoute("app", "mesh", nil, gatewayv1.ParentReference{Group: ptr(gatewayv1.Group("")),
		Kind: ptr(gatewayv1.Kind("Service")), Name: "app"})
	mesh.Spec.Rules[0].BackendRefs[0].Namespace = ptr(gatewayv1.Namespace("backends"))
	return []runtime.Object{
		istioClass(), otherClass(), foreign,
		admitAll(kubeGateway("shop", "gw", httpsListener("https-shop", 443, "www.example.com", "shop-cert"), shared,
			passthrough, builtin)),
		listenerSet("team", "ls", "shop", "gw", teamShared),
		calls, mesh,
		referenceGrant("certs", "shop-may-read", "Gateway", "shop", "Secret", "shared-cert"),
		referenceGrant("certs", "team-may-read", "ListenerSet", "team", "Secret", ""),
		referenceGrant("backends", "app-may-call", "HTTPRoute", "app", "Service", ""),
	}
}

func deleteGrant(g *gatewayv1beta1.ReferenceGrant) Change {
	return Change{Operation: Delete, OldObject: g, Namespace: g.Namespace}
}

// deletionCase is a change judged against certificateUsersState and state.
type deletionCase struct {
	name   string
	state  []runtime.Object
	change Change
	want   []want
}

func runDeletionCases(t *testing.T, cases []deletionCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			snap := snapshotOf(t, append(certificateUsersState(), tc.state...)...)
			expectFindings(t, validate(t, DefaultPolicy(), snap, tc.change), tc.want)
		})
	}
}

func TestSecretInUseByListeners(t *testing.T) {
	tests := []deletionCase{
		{
			name:   "a Secret of the Gateway's namespace",
			change: deleteSecret("shop", "shop-cert"),
			want: []want{{SecretInUse, Warn, "metadata.name", `metadata.name: Forbidden: [secret-in-use] Secret ` +
				`shop/shop-cert is a certificateRef of Gateway shop/gw listener https-shop; deleting it makes Istio ` +
				`reject the certificate, and each listener with no other: remove the certificateRefs first, or ` +
				`update the Secret in place instead of deleting it`}},
		},
		{
			name:   "read across namespaces by a Gateway and a ListenerSet: one finding naming both",
			change: deleteSecret("certs", "shared-cert"),
			want: []want{{SecretInUse, Warn, "metadata.name", `metadata.name: Forbidden: [secret-in-use] Secret ` +
				`certs/shared-cert is a certificateRef of Gateway shop/gw listener https, ListenerSet team/ls ` +
				`listener https; deleting it makes Istio reject the certificate, and each listener with no other: ` +
				`remove the certificateRefs first, or update the Secret in place instead of deleting it`}},
		},
		{name: "a Passthrough listener reads none", change: deleteSecret("shop", "passthrough-cert")},
		{name: "ISTIO_SIMPLE reads none", change: deleteSecret("shop", "builtin-cert")},
		{name: "the same name in another namespace", change: deleteSecret("team", "shop-cert")},
		{
			name: "a classic Gateway and a listener: a finding each",
			state: []runtime.Object{pod("shop", "ingress-1", ingressSelector),
				gateway("shop", "classic-gw", ingressSelector, httpsServer(443, "https", simpleTLS("shop-cert"), "classic.example.com"))},
			change: deleteSecret("shop", "shop-cert"),
			want: []want{{rule: SecretInUse, action: Warn, field: "metadata.name", msg: `metadata.name: Forbidden: ` +
				`[secret-in-use] Secret shop/shop-cert is the TLS credential of Gateway shop/classic-gw, whose gateway ` +
				`pods read it from shop; deleting it makes TLS handshakes on those servers fail: remove the ` +
				`references from the Gateway first, or update the Secret in place instead of deleting it`},
				{rule: SecretInUse, action: Warn, field: "metadata.name"}},
		},
	}
	runDeletionCases(t, tests)
}

// onlyGrantOf is the warning for deleting the only grant of the references.
func onlyGrantOf(references string) []want {
	return []want{{SecretInUse, Warn, "metadata.name", `metadata.name: Forbidden: [secret-in-use] this ReferenceGrant ` +
		`is the only one that permits ` + references + `; once it is deleted Istio rejects those references (a ` +
		`certificate, and with it a listener that has no other; a backend, whose share of the traffic then fails): ` +
		`keep it, or add a grant that permits them first`}}
}

func TestSecretInUseReferenceGrant(t *testing.T) {
	tests := []deletionCase{
		{
			name:   "the only grant of a Gateway's certificate",
			change: deleteGrant(referenceGrant("certs", "shop-may-read", "Gateway", "shop", "Secret", "shared-cert")),
			want:   onlyGrantOf("Gateway shop/gw listener https (certificate Secret certs/shared-cert)"),
		},
		{
			name:   "the only grant of a ListenerSet's certificate, for every Secret",
			change: deleteGrant(referenceGrant("certs", "team-may-read", "ListenerSet", "team", "Secret", "")),
			want:   onlyGrantOf("ListenerSet team/ls listener https (certificate Secret certs/shared-cert)"),
		},
		{
			name:   "the only grant of a route's backend; the mesh route needs none",
			change: deleteGrant(referenceGrant("backends", "app-may-call", "HTTPRoute", "app", "Service", "")),
			want:   onlyGrantOf("HTTPRoute app/calls (backend Service backends/backend)"),
		},
		{
			name:   "another grant still permits it",
			state:  []runtime.Object{referenceGrant("backends", "app-may-call-backend", "HTTPRoute", "app", "Service", "backend")},
			change: deleteGrant(referenceGrant("backends", "app-may-call", "HTTPRoute", "app", "Service", "")),
		},
		{
			name:   "a grant nothing relies on",
			change: deleteGrant(referenceGrant("backends", "grpc-may-call", "GRPCRoute", "app", "Service", "")),
		},
		{
			name:   "a grant of another name's Secret",
			change: deleteGrant(referenceGrant("certs", "shop-may-read-other", "Gateway", "shop", "Secret", "other-cert")),
		},
		{
			name:   "a ReferenceGrant is judged only when deleted",
			change: create(referenceGrant("certs", "shop-may-read", "Gateway", "shop", "Secret", "shared-cert")),
		},
	}
	runDeletionCases(t, tests)
}
