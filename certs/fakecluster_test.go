package certs

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/go-logr/logr/testr"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// writes counts the writing calls made through a fake client.
type writes struct {
	create, update, patch atomic.Int32
}

func (w *writes) reset() {
	w.create.Store(0)
	w.update.Store(0)
	w.patch.Store(0)
}

// assert checks the counts since the last reset.
func (w *writes) assert(t *testing.T, create, update, patch int32) {
	t.Helper()
	if c, u, p := w.create.Load(), w.update.Load(), w.patch.Load(); c != create || u != update || p != patch {
		t.Errorf("writes: create=%d update=%d patch=%d, want %d %d %d", c, u, p, create, update, patch)
	}
}

// newFakeClient returns a fake client holding objs whose Create, Update and
// Patch are counted in w and then handled by hooks (if set) or the fake.
func newFakeClient(w *writes, hooks interceptor.Funcs, objs ...client.Object) client.WithWatch {
	return fake.NewClientBuilder().WithObjects(objs...).WithInterceptorFuncs(interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			w.create.Add(1)
			if hooks.Create != nil {
				return hooks.Create(ctx, c, obj, opts...)
			}
			return c.Create(ctx, obj, opts...)
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			w.update.Add(1)
			if hooks.Update != nil {
				return hooks.Update(ctx, c, obj, opts...)
			}
			return c.Update(ctx, obj, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
			w.patch.Add(1)
			if hooks.Patch != nil {
				return hooks.Patch(ctx, c, obj, p, opts...)
			}
			return c.Patch(ctx, obj, p, opts...)
		},
	}).Build()
}

// webhookConfigs are the two configurations as the manifests install them:
// several webhooks, no caBundle yet.
func webhookConfigs() []client.Object {
	svc := func(path string) admissionregistrationv1.WebhookClientConfig {
		return admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{
			Namespace: testNamespace, Name: testService, Path: &path,
		}}
	}
	return []client.Object{
		&admissionregistrationv1.ValidatingWebhookConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: DefaultWebhookConfigName},
			Webhooks: []admissionregistrationv1.ValidatingWebhook{
				{Name: "validate.gateguard.dev", ClientConfig: svc("/validate")},
				{Name: "secrets.gateguard.dev", ClientConfig: svc("/validate-secret")},
			},
		},
		&admissionregistrationv1.MutatingWebhookConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: DefaultWebhookConfigName},
			Webhooks:   []admissionregistrationv1.MutatingWebhook{{Name: "mutate.gateguard.dev", ClientConfig: svc("/mutate")}},
		},
	}
}

// newBootstrapper returns a Bootstrapper for the test Service with its own
// cert dir and the given clock.
func newBootstrapper(t *testing.T, c client.Client, clk *clock) *Bootstrapper {
	t.Helper()
	b, err := New(c, Options{Namespace: testNamespace, CertDir: t.TempDir(), Now: clk.Now})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return b
}

// testContext carries a logger that writes to the test's log.
func testContext(t *testing.T) context.Context {
	return log.IntoContext(t.Context(), testr.New(t))
}

// getSecret reads the shared Secret.
func getSecret(t *testing.T, c client.Client) *corev1.Secret {
	t.Helper()
	s := &corev1.Secret{}
	if err := c.Get(t.Context(), client.ObjectKey{Namespace: testNamespace, Name: DefaultSecretName}, s); err != nil {
		t.Fatalf("get secret: %v", err)
	}
	return s
}

// caBundles returns the caBundle of every webhook of both configurations.
func caBundles(t *testing.T, c client.Client) [][]byte {
	t.Helper()
	key := client.ObjectKey{Name: DefaultWebhookConfigName}
	v := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	m := &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := c.Get(t.Context(), key, v); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(t.Context(), key, m); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, w := range v.Webhooks {
		out = append(out, w.ClientConfig.CABundle)
	}
	for _, w := range m.Webhooks {
		out = append(out, w.ClientConfig.CABundle)
	}
	return out
}

// assertInPlace checks that b's files hold the Secret's serving pair and
// that every webhook trusts the Secret's CA bundle, which verifies the
// served certificate.
func assertInPlace(t *testing.T, c client.Client, b *Bootstrapper) {
	t.Helper()
	s := getSecret(t, c)
	if s.Type != corev1.SecretTypeTLS {
		t.Errorf("secret type %q, want %q", s.Type, corev1.SecretTypeTLS)
	}
	certPEM := readFile(t, filepath.Join(b.opts.CertDir, "tls.crt"))
	if !bytes.Equal(certPEM, s.Data[corev1.TLSCertKey]) ||
		!bytes.Equal(readFile(t, filepath.Join(b.opts.CertDir, "tls.key")), s.Data[corev1.TLSPrivateKeyKey]) {
		t.Error("files on disk differ from the secret")
	}
	for i, bundle := range caBundles(t, c) {
		if !bytes.Equal(bundle, s.Data[KeyCACert]) {
			t.Errorf("webhook %d: caBundle differs from the secret's ca.crt", i)
		}
	}
	if err := verifyFor(certPEM, s.Data[KeyCACert], "gateguard.gateguard-system.svc", b.opts.Now()); err != nil {
		t.Errorf("served certificate does not verify against caBundle: %v", err)
	}
}

// readFile reads a file or fails the test.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// testContextWithCancel is testContext with a cancel func for Start.
func testContextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithCancel(testContext(t))
}
