package rules

import (
	"reflect"
	"testing"

	networking "istio.io/api/networking/v1alpha3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

func secretInUseState() []runtime.Object {
	edge := map[string]string{"istio": "edge"}
	return []runtime.Object{
		pod("istio-system", "ingress-1", ingressSelector),
		pod("istio-edge", "edge-1", edge),
		pod("istio-edge-eu", "edge-2", edge),
		gateway("shop", "shop-gw", ingressSelector, httpsServer(443, "https", simpleTLS("shop-cert"), "shop.example.com")),
		gateway("api", "api-gw", ingressSelector,
			httpsServer(443, "https-api", &networking.ServerTLSSettings{Mode: networking.ServerTLSSettings_SIMPLE,
				CredentialNames: []string{"rsa-cert", "shop-cert"}}, "api.example.com"),
			httpsServer(443, "https-partners", &networking.ServerTLSSettings{Mode: networking.ServerTLSSettings_MUTUAL,
				CredentialName: "rsa-cert", CaCertCredentialName: "client-ca"}, "partners.example.com"),
			func() *networking.Server {
				s := passthroughServer(9443, "db.example.com")
				s.Tls.CredentialName = "passthrough-cert" // ignored by Istio on passthrough
				return s
			}(),
			httpsServer(15443, "mesh", &networking.ServerTLSSettings{Mode: networking.ServerTLSSettings_ISTIO_MUTUAL,
				CredentialName: "istio-mutual-cert"}, "mesh.example.com")),
		gateway("edge", "edge-gw", map[string]string{"istio": "edge"},
			httpsServer(443, "https", simpleTLS("edge-cert"), "edge.example.com")),
		gateway("apps", "unplaced-gw", map[string]string{"app": "nowhere"},
			httpsServer(443, "https", simpleTLS("apps-cert"), "apps.example.com")),
		gateway("policy", "policy-gw", map[string]string{"istio": "policy-edge"},
			httpsServer(443, "https", simpleTLS("policy-cert"), "policy.example.com")),
		gateway("acme", "acme-gw", ingressSelector, httpsServer(443, "https-acme", simpleTLS("acme-tls"), "acme.example.com")),
		certificate("istio-system", "acme", "acme-tls"),
	}
}

func deleteSecret(ns, name string) Change {
	return Change{Operation: Delete, OldObject: secret(ns, name, "tls.crt", "tls.key"), Namespace: ns}
}

func TestSecretInUse(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		change Change
		want   []want
	}{
		{name: "a Secret no Gateway names", change: deleteSecret("istio-system", "unused")},
		{
			name:   "named by two Gateways: one finding listing both, sorted",
			change: deleteSecret("istio-system", "shop-cert"),
			want: []want{{SecretInUse, Warn, "metadata.name", `metadata.name: Forbidden: [secret-in-use] Secret ` +
				`istio-system/shop-cert is the TLS credential of Gateways api/api-gw, shop/shop-gw, whose gateway pods ` +
				`read it from istio-system; deleting it makes TLS handshakes on those servers fail: remove the ` +
				`references from the Gateways first, or update the Secret in place instead of deleting it`}},
		},
		{name: "the same name beside the Gateway is not read", change: deleteSecret("shop", "shop-cert")},
		{
			name:   "credentialName and credentialNames of one Gateway: named once",
			change: deleteSecret("istio-system", "rsa-cert"),
			want: []want{{SecretInUse, Warn, "metadata.name", `metadata.name: Forbidden: [secret-in-use] Secret ` +
				`istio-system/rsa-cert is the TLS credential of Gateway api/api-gw, whose gateway pods read it from ` +
				`istio-system; deleting it makes TLS handshakes on those servers fail: remove the references from the ` +
				`Gateway first, or update the Secret in place instead of deleting it`}},
		},
		{
			name:   "caCertCredentialName",
			change: deleteSecret("istio-system", "client-ca"),
			want:   []want{{rule: SecretInUse, action: Warn, field: "metadata.name"}},
		},
		{name: "passthrough servers read no credential", change: deleteSecret("istio-system", "passthrough-cert")},
		{name: "ISTIO_MUTUAL servers read no credential", change: deleteSecret("istio-system", "istio-mutual-cert")},
		{
			name:   "pods in two namespaces: each copy is in use",
			change: deleteSecret("istio-edge-eu", "edge-cert"),
			want:   []want{{rule: SecretInUse, action: Warn, field: "metadata.name"}},
		},
		{
			name:   "no pods seen: the Gateway's namespace is assumed",
			change: deleteSecret("apps", "apps-cert"),
			want:   []want{{rule: SecretInUse, action: Warn, field: "metadata.name"}},
		},
		{
			name:   "no pods seen: where the policy's gatewayNamespaces place them",
			policy: "gatewayNamespaces:\n- selector: {istio: policy-edge}\n  namespace: edge-policy\n",
			change: deleteSecret("edge-policy", "policy-cert"),
			want:   []want{{rule: SecretInUse, action: Warn, field: "metadata.name"}},
		},
		{
			name:   "no pods seen, placed by the policy: the Gateway's namespace is not read",
			policy: "gatewayNamespaces:\n- selector: {istio: policy-edge}\n  namespace: edge-policy\n",
			change: deleteSecret("policy", "policy-cert"),
		},
		{
			name:   "a cert-manager Secret is issued again, after an outage",
			change: deleteSecret("istio-system", "acme-tls"),
			want: []want{{SecretInUse, Warn, "metadata.name", `metadata.name: Forbidden: [secret-in-use] Secret ` +
				`istio-system/acme-tls is the TLS credential of Gateway acme/acme-gw, whose gateway pods read it from ` +
				`istio-system; deleting it makes TLS handshakes on those servers fail until cert-manager Certificate ` +
				`istio-system/acme issues it again: remove the references from the Gateway first, or update the ` +
				`Secret in place instead of deleting it`}},
		},
		{
			name:   "action deny",
			policy: "rules:\n  secret-in-use: {action: deny}\n",
			change: deleteSecret("istio-system", "shop-cert"),
			want:   []want{{rule: SecretInUse, action: Deny, field: "metadata.name"}},
		},
		{
			name:   "action off",
			policy: "rules:\n  secret-in-use: {action: off}\n",
			change: deleteSecret("istio-system", "shop-cert"),
		},
		{
			name:   "exempt by namespace",
			policy: "exemptions:\n- namespaces: [istio-system]\n  rules: [secret-in-use]\n",
			change: deleteSecret("istio-system", "shop-cert"),
		},
		{
			name:   "a Secret is judged only when deleted: CREATE",
			change: create(secret("istio-system", "shop-cert", "tls.crt")),
		},
		{
			name: "a Secret is judged only when deleted: UPDATE",
			change: update(secret("istio-system", "shop-cert", "tls.crt", "tls.key"),
				secret("istio-system", "shop-cert", "tls.crt")),
		},
		{
			name: "deleting a Gateway is not judged",
			change: Change{Operation: Delete, OldObject: gateway("shop", "shop-gw", ingressSelector,
				httpsServer(443, "https", simpleTLS("shop-cert"), "shop.example.com")), Namespace: "shop"},
		},
		{
			name:   "a DELETE without the old object is not judged",
			change: Change{Operation: Delete, Namespace: "istio-system"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultPolicy()
			if tc.policy != "" {
				p = mustPolicy(t, tc.policy)
			}
			expectFindings(t, validate(t, p, snapshotOf(t, secretInUseState()...), tc.change), tc.want)
		})
	}
}

func TestCredentialIndexValues(t *testing.T) {
	redirect := httpServer(80, "shop.example.com")
	redirect.Tls = &networking.ServerTLSSettings{HttpsRedirect: true, CredentialName: "redirect-cert"}
	gw := gateway("shop", "gw", ingressSelector,
		httpsServer(443, "a", simpleTLS("b-cert"), "a.example.com"),
		httpsServer(443, "b", &networking.ServerTLSSettings{Mode: networking.ServerTLSSettings_OPTIONAL_MUTUAL,
			CredentialNames: []string{"a-cert", "b-cert"}, CaCertCredentialName: "ca"}, "b.example.com"),
		httpsServer(443, "c", simpleTLS("sds://spire"), "c.example.com"),
		httpsServer(443, "d", simpleTLS("kubernetes-gateway://istio-system/d"), "d.example.com"),
		redirect,
		passthroughServer(9443, "db.example.com"))
	if got, want := credentialIndexValues(gw), []string{"a-cert", "b-cert", "ca"}; !reflect.DeepEqual(got, want) {
		t.Errorf("credentialIndexValues = %q, want %q", got, want)
	}
}

// TestMemorySnapshotCredentialIndex: the index follows replacements and
// deletions of Gateways, and Delete forgets every kind it stores.
func TestMemorySnapshotCredentialIndex(t *testing.T) {
	snap := snapshotOf(t, secretInUseState()...)
	names := func(credential string) []string {
		var out []string
		for _, gw := range snap.GatewaysReferencingCredential(credential) {
			out = append(out, gw.Namespace+"/"+gw.Name)
		}
		return out
	}
	if got, want := names("shop-cert"), []string{"shop/shop-gw", "api/api-gw"}; !reflect.DeepEqual(got, want) {
		t.Errorf("shop-cert: %q, want %q", got, want)
	}
	mustDo := func(f func(runtime.Object) error, obj runtime.Object) {
		t.Helper()
		if err := f(obj); err != nil {
			t.Fatal(err)
		}
	}
	mustDo(snap.Add, gateway("shop", "shop-gw", ingressSelector,
		httpsServer(443, "https", simpleTLS("shop-cert-v2"), "shop.example.com")))
	if got, want := names("shop-cert"), []string{"api/api-gw"}; !reflect.DeepEqual(got, want) {
		t.Errorf("shop-cert after the replacement: %q, want %q", got, want)
	}
	if got, want := names("shop-cert-v2"), []string{"shop/shop-gw"}; !reflect.DeepEqual(got, want) {
		t.Errorf("shop-cert-v2: %q, want %q", got, want)
	}
	mustDo(snap.Delete, gateway("api", "api-gw", nil))
	if got := names("shop-cert"); len(got) != 0 {
		t.Errorf("shop-cert after the deletion: %q", got)
	}
	mustDo(snap.Add, secret("istio-system", "shop-cert-v2", "tls.crt", "tls.key"))
	mustDo(snap.Delete, secret("istio-system", "shop-cert-v2"))
	if snap.SecretExists(types.NamespacedName{Namespace: "istio-system", Name: "shop-cert-v2"}) {
		t.Error("a deleted Secret still exists")
	}
	vs := httpVS("shop", "shop", []string{"shop.example.com"}, "shop/shop-gw")
	mustDo(snap.Add, vs)
	mustDo(snap.Delete, vs)
	if got := snap.VirtualServicesWithHost("shop.example.com"); len(got) != 0 {
		t.Errorf("a deleted VirtualService is still indexed: %v", got)
	}
	if err := snap.Delete(&corev1.ConfigMap{}); err == nil {
		t.Error("deleting a kind the rules do not read is not an error")
	}
}
