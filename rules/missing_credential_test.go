package rules

import (
	"context"
	"errors"
	"slices"
	"testing"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// recordingSnapshot wraps a Snapshot to see which Secrets the rules read
// key names of (docs/design.md#secrets: only the one referenced Secret, on demand), and
// to make that read fail.
type recordingSnapshot struct {
	Snapshot
	keyReads []string
	fail     error
}

func (s *recordingSnapshot) SecretKeys(ctx context.Context, key types.NamespacedName) ([]string, error) {
	s.keyReads = append(s.keyReads, key.String())
	if s.fail != nil {
		return nil, s.fail
	}
	return s.Snapshot.SecretKeys(ctx, key)
}

func credentialState() []runtime.Object {
	return []runtime.Object{
		pod("istio-system", "ingress-1", ingressSelector),
		pod("istio-system", "ingress-2", ingressSelector),
		pod("istio-edge", "edge-1", map[string]string{"istio": "edge"}),
		pod("istio-edge-eu", "edge-2", map[string]string{"istio": "edge"}),
		secret("shop", "shop-cert", "tls.crt", "tls.key"),
		secret("istio-system", "api-cert", "tls.crt", "tls.key"),
		secret("istio-system", "generic-cert", "cert", "key"),
		secret("istio-system", "pem-only", "cert.pem", "key.pem"),
		secret("istio-system", "half-cert", "tls.crt"),
		secret("istio-system", "ecdsa-cert", "tls.crt", "tls.key"),
		secret("istio-system", "mtls-cert", "tls.crt", "tls.key"),
		secret("istio-system", "mtls-cert-cacert", "ca.crt"),
		secret("istio-system", "bundle", "tls.crt", "tls.key", "cacert"),
		secret("istio-system", "no-ca", "tls.crt", "tls.key"),
		secret("istio-system", "broken-ca", "tls.crt", "tls.key"),
		secret("istio-system", "broken-ca-cacert", "ca.pem"),
		secret("istio-system", "client-ca", "ca.crt"),
		secret("istio-system", "not-a-ca", "tls.crt", "tls.key"),
		secret("istio-edge", "edge-cert", "tls.crt", "tls.key"),
		secret("edge-policy", "policy-cert", "tls.crt", "tls.key"),
		certificate("istio-system", "pending", "pending-tls"),
		certificate("shop", "shop-pending", "shop-pending-tls"),
	}
}

func TestMissingCredential(t *testing.T) {
	withTLS := func(tls *networking.ServerTLSSettings) *networkingv1.Gateway {
		return gateway("shop", "gw", ingressSelector, httpsServer(443, "https", tls, "shop.example.com"))
	}
	mutual := func(mode networking.ServerTLSSettings_TLSmode, name, ca string) *networkingv1.Gateway {
		return withTLS(&networking.ServerTLSSettings{Mode: mode, CredentialName: name, CaCertCredentialName: ca})
	}
	const mtls = networking.ServerTLSSettings_MUTUAL
	tests := []struct {
		name   string
		policy string
		gw     *networkingv1.Gateway
		want   []want
		reads  []string // Secrets whose key names were read, in order
	}{
		{
			name:  "Secret where the pods run",
			gw:    withTLS(simpleTLS("api-cert")),
			reads: []string{"istio-system/api-cert"},
		},
		{
			name: "Secret only beside the Gateway",
			gw:   withTLS(simpleTLS("shop-cert")),
			want: []want{{MissingCredential, Deny, "spec.servers[0].tls.credentialName", `spec.servers[0].tls.credentialName: ` +
				`Not found: "shop-cert": [missing-credential] Secret "shop-cert" does not exist in namespace istio-system, ` +
				`where Istio reads it (the gateway pods selected by {istio=ingressgateway} run there), not the Gateway's ` +
				`namespace: create the Secret in istio-system or fix the name`}},
		},
		{
			name: "pods in two namespaces: the Secret must be in each",
			gw: gateway("shop", "gw", map[string]string{"istio": "edge"},
				httpsServer(443, "https", simpleTLS("edge-cert"), "shop.example.com")),
			want:  []want{{rule: MissingCredential, action: Deny, field: "spec.servers[0].tls.credentialName"}},
			reads: []string{"istio-edge/edge-cert"},
		},
		{
			name: "credentialNames: both present",
			gw: withTLS(&networking.ServerTLSSettings{Mode: networking.ServerTLSSettings_SIMPLE,
				CredentialNames: []string{"api-cert", "ecdsa-cert"}}),
			reads: []string{"istio-system/api-cert", "istio-system/ecdsa-cert"},
		},
		{
			name: "credentialNames: the second is missing",
			gw: withTLS(&networking.ServerTLSSettings{Mode: networking.ServerTLSSettings_SIMPLE,
				CredentialNames: []string{"api-cert", "ecdsa-crt"}}),
			want:  []want{{rule: MissingCredential, action: Deny, field: "spec.servers[0].tls.credentialNames[1]"}},
			reads: []string{"istio-system/api-cert"},
		},
		{
			name: "MUTUAL without a CA",
			gw:   mutual(mtls, "no-ca", ""),
			want: []want{{MissingCredential, Deny, "spec.servers[0].tls.credentialName", `spec.servers[0].tls.credentialName: ` +
				`Invalid value: "no-ca": [missing-credential] mutual TLS needs a CA: add ca.crt (or cacert) to Secret ` +
				`istio-system/no-ca, or create Secret istio-system/no-ca-cacert with it`}},
			reads: []string{"istio-system/no-ca"},
		},
		{
			name:  "OPTIONAL_MUTUAL without a CA",
			gw:    mutual(networking.ServerTLSSettings_OPTIONAL_MUTUAL, "no-ca", ""),
			want:  []want{{rule: MissingCredential, action: Deny, field: "spec.servers[0].tls.credentialName"}},
			reads: []string{"istio-system/no-ca"},
		},
		{
			name:  "MUTUAL with a <name>-cacert Secret",
			gw:    mutual(mtls, "mtls-cert", ""),
			reads: []string{"istio-system/mtls-cert", "istio-system/mtls-cert-cacert"},
		},
		{
			name:  "MUTUAL with a <name>-cacert Secret that lacks the CA key",
			gw:    mutual(mtls, "broken-ca", ""),
			want:  []want{{rule: MissingCredential, action: Deny, field: "spec.servers[0].tls.credentialName"}},
			reads: []string{"istio-system/broken-ca", "istio-system/broken-ca-cacert"},
		},
		{
			name:  "MUTUAL with cacert in the main Secret",
			gw:    mutual(mtls, "bundle", ""),
			reads: []string{"istio-system/bundle"},
		},
		{
			name:  "MUTUAL with caCertCredentialName",
			gw:    mutual(mtls, "no-ca", "client-ca"),
			reads: []string{"istio-system/no-ca", "istio-system/client-ca"},
		},
		{
			name:  "caCertCredentialName missing",
			gw:    mutual(mtls, "no-ca", "client-ca-typo"),
			want:  []want{{rule: MissingCredential, action: Deny, field: "spec.servers[0].tls.caCertCredentialName"}},
			reads: []string{"istio-system/no-ca"},
		},
		{
			name: "caCertCredentialName without a CA key",
			gw:   mutual(mtls, "no-ca", "not-a-ca"),
			want: []want{{MissingCredential, Deny, "spec.servers[0].tls.caCertCredentialName", `spec.servers[0].tls.` +
				`caCertCredentialName: Invalid value: "not-a-ca": [missing-credential] Secret istio-system/not-a-ca has ` +
				`no ca.crt or cacert key`}},
			reads: []string{"istio-system/no-ca", "istio-system/not-a-ca"},
		},
		{name: "sds:// is not a Secret", gw: withTLS(simpleTLS("sds://spire"))},
		{name: "kubernetes-gateway:// is not a Secret", gw: withTLS(simpleTLS("kubernetes-gateway://istio-system/gw-cert"))},
		{name: "builtin:// is not a Secret", gw: withTLS(simpleTLS("builtin://"))},
		{
			name: "Secret with other keys",
			gw:   withTLS(simpleTLS("pem-only")),
			want: []want{{MissingCredential, Deny, "spec.servers[0].tls.credentialName", `spec.servers[0].tls.credentialName: ` +
				`Invalid value: "pem-only": [missing-credential] Secret istio-system/pem-only has neither tls.crt+tls.key ` +
				`nor cert+key, so Istio cannot load it`}},
			reads: []string{"istio-system/pem-only"},
		},
		{
			name:  "Secret with a certificate and no key",
			gw:    withTLS(simpleTLS("half-cert")),
			want:  []want{{rule: MissingCredential, action: Deny, field: "spec.servers[0].tls.credentialName"}},
			reads: []string{"istio-system/half-cert"},
		},
		{
			name:  "generic cert and key",
			gw:    withTLS(simpleTLS("generic-cert")),
			reads: []string{"istio-system/generic-cert"},
		},
		{
			name: "a cert-manager Certificate will issue it",
			gw:   withTLS(simpleTLS("pending-tls")),
			want: []want{{MissingCredential, Warn, "spec.servers[0].tls.credentialName", `spec.servers[0].tls.credentialName: ` +
				`Not found: "pending-tls": [missing-credential] Secret istio-system/pending-tls is not issued yet: ` +
				`cert-manager Certificate istio-system/pending will create it; until then TLS handshakes on this server fail`}},
		},
		{
			name: "a Certificate beside the Gateway does not help",
			gw:   withTLS(simpleTLS("shop-pending-tls")),
			want: []want{{rule: MissingCredential, action: Deny, field: "spec.servers[0].tls.credentialName"}},
		},
		{
			name: "passthrough, ISTIO_MUTUAL and httpsRedirect need no credential",
			gw: gateway("shop", "gw", ingressSelector,
				passthroughServer(9443, "db.example.com"),
				httpsServer(15443, "mesh", &networking.ServerTLSSettings{Mode: networking.ServerTLSSettings_ISTIO_MUTUAL,
					CredentialName: "nowhere"}, "mesh.example.com"),
				func() *networking.Server {
					s := httpServer(80, "shop.example.com")
					s.Tls = &networking.ServerTLSSettings{HttpsRedirect: true}
					return s
				}()),
		},
		{
			name:   "no pods seen: the policy's gatewayNamespaces",
			policy: "gatewayNamespaces:\n- selector: {istio: policy-edge, topology: eu}\n  namespace: edge-policy\n",
			gw: gateway("shop", "gw", map[string]string{"istio": "policy-edge"},
				httpsServer(443, "https", simpleTLS("shop-cert"), "shop.example.com")),
			want: []want{{MissingCredential, Deny, "spec.servers[0].tls.credentialName", `spec.servers[0].tls.credentialName: ` +
				`Not found: "shop-cert": [missing-credential] Secret "shop-cert" does not exist in namespace edge-policy, ` +
				`where Istio reads it (the policy's gatewayNamespaces place the pods selected by {istio=policy-edge} ` +
				`there), not the Gateway's namespace: create the Secret in edge-policy or fix the name`}},
		},
		{
			name:   "no pods seen: the Secret where the policy says",
			policy: "gatewayNamespaces:\n- selector: {istio: policy-edge}\n  namespace: edge-policy\n",
			gw: gateway("shop", "gw", map[string]string{"istio": "policy-edge"},
				httpsServer(443, "https", simpleTLS("policy-cert"), "shop.example.com")),
			reads: []string{"edge-policy/policy-cert"},
		},
		{
			name: "nothing known: the Gateway's namespace is assumed, and said",
			gw: gateway("shop", "gw", map[string]string{"app": "nowhere"},
				httpsServer(443, "https", simpleTLS("api-cert"), "shop.example.com")),
			want: []want{{MissingCredential, Deny, "spec.servers[0].tls.credentialName", `spec.servers[0].tls.credentialName: ` +
				`Not found: "api-cert": [missing-credential] Secret "api-cert" does not exist in namespace shop: no gateway ` +
				`pods selected by {app=nowhere} were found and no gatewayNamespaces entry places them, so the Gateway's own ` +
				`namespace was checked; Istio reads the Secret where those pods run: create it there, or fix the name`}},
		},
		{
			name: "each TLS server is checked, at its own path",
			gw: gateway("shop", "gw", ingressSelector,
				httpsServer(443, "https", simpleTLS("api-cert"), "api.example.com"),
				httpsServer(443, "https-shop", simpleTLS("shop-cert"), "shop.example.com")),
			want:  []want{{rule: MissingCredential, action: Deny, field: "spec.servers[1].tls.credentialName"}},
			reads: []string{"istio-system/api-cert"},
		},
		{
			name:   "action warn",
			policy: "rules:\n  missing-credential: {action: warn}\n",
			gw:     withTLS(simpleTLS("shop-cert")),
			want:   []want{{rule: MissingCredential, action: Warn, field: "spec.servers[0].tls.credentialName"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultPolicy()
			if tc.policy != "" {
				p = mustPolicy(t, tc.policy)
			}
			snap := &recordingSnapshot{Snapshot: snapshotOf(t, credentialState()...)}
			expectFindings(t, validate(t, p, snap, create(tc.gw)), tc.want)
			if !slices.Equal(snap.keyReads, tc.reads) {
				t.Errorf("SecretKeys read %q, want %q", snap.keyReads, tc.reads)
			}
		})
	}
}

// TestMissingCredentialSecretKeysError: a failed read of a Secret's key
// names is an error of Validate (the webhook fails closed and retries),
// never a silent allow or a made-up denial.
func TestMissingCredentialSecretKeysError(t *testing.T) {
	boom := errors.New("apiserver unavailable")
	snap := &recordingSnapshot{Snapshot: snapshotOf(t, credentialState()...), fail: boom}
	gw := gateway("shop", "gw", ingressSelector, httpsServer(443, "https", simpleTLS("api-cert"), "shop.example.com"))
	d, err := Validate(context.Background(), DefaultPolicy(), snap, create(gw))
	if !errors.Is(err, boom) {
		t.Fatalf("Validate error = %v, want it to wrap %v", err, boom)
	}
	const wantMsg = "rule missing-credential: reading key names of Secret istio-system/api-cert: apiserver unavailable"
	if err.Error() != wantMsg {
		t.Errorf("Validate error = %q, want %q", err, wantMsg)
	}
	if len(d.Findings) != 0 {
		t.Errorf("findings with an error: %v", d.Findings)
	}
	if !slices.Equal(snap.keyReads, []string{"istio-system/api-cert"}) {
		t.Errorf("SecretKeys read %q", snap.keyReads)
	}
}

// TestMissingCredentialNoKeyReadForVirtualService: VirtualServices never
// touch Secrets.
func TestMissingCredentialNoKeyReadForVirtualService(t *testing.T) {
	state := append(credentialState(), gateway("istio-system", "public-gw", ingressSelector,
		httpsServer(443, "https", simpleTLS("api-cert"), "shop.example.com")))
	snap := &recordingSnapshot{Snapshot: snapshotOf(t, state...), fail: errors.New("must not be called")}
	vs := httpVS("shop", "shop", []string{"shop.example.com"}, "istio-system/public-gw")
	expectFindings(t, validate(t, DefaultPolicy(), snap, create(vs)), nil)
	if len(snap.keyReads) != 0 {
		t.Errorf("SecretKeys read %q", snap.keyReads)
	}
}

// scopedSnapshot may read Secrets only in the readable namespaces, as a
// gateguard serving with --secret-namespaces.
type scopedSnapshot struct {
	Snapshot
	readable []string
}

func (s scopedSnapshot) SecretsReadable(namespace string) bool {
	return slices.Contains(s.readable, namespace)
}

// TestMissingCredentialOutsideTheReadableNamespaces: a credential read
// from a namespace gateguard may not see is never called missing; it warns,
// naming the namespace and the flag, once per namespace the pods run in,
// and the readable namespaces are still checked in full.
func TestMissingCredentialOutsideTheReadableNamespaces(t *testing.T) {
	snap := scopedSnapshot{Snapshot: snapshotOf(t, credentialState()...), readable: []string{"istio-system"}}
	edge := map[string]string{"istio": "edge"}
	expectFindings(t, validate(t, DefaultPolicy(), snap, create(gateway("shop", "edge-gw", edge,
		httpsServer(443, "https", simpleTLS("no-such-cert"), "shop.example.com")))), []want{
		{rule: MissingCredential, action: Warn, field: "spec.servers[0].tls.credentialName",
			msg: `spec.servers[0].tls.credentialName: Forbidden: [missing-credential] gateguard may not read Secrets in ` +
				`namespace istio-edge, where Istio reads "no-such-cert", so it cannot check that the Secret exists and has ` +
				`its keys: add istio-edge to gateguard's --secret-namespaces (chart value secretNamespaces), with the Role ` +
				`that lets it read them`},
		{rule: MissingCredential, action: Warn, field: "spec.servers[0].tls.credentialName",
			msg: `spec.servers[0].tls.credentialName: Forbidden: [missing-credential] gateguard may not read Secrets in ` +
				`namespace istio-edge-eu, where Istio reads "no-such-cert", so it cannot check that the Secret exists and has ` +
				`its keys: add istio-edge-eu to gateguard's --secret-namespaces (chart value secretNamespaces), with the Role ` +
				`that lets it read them`},
	})
	expectFindings(t, validate(t, DefaultPolicy(), snap, create(gateway("shop", "gw", ingressSelector,
		httpsServer(443, "https", simpleTLS("half-cert"), "shop.example.com")))), []want{
		{rule: MissingCredential, action: Deny, field: "spec.servers[0].tls.credentialName"},
	})
}
