package certs

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

func TestEnsureFromNothing(t *testing.T) {
	var w writes
	c := newFakeClient(&w, interceptor.Funcs{}, webhookConfigs()...)
	b := newBootstrapper(t, c, newClock())

	res, err := b.ensure(testContext(t), false)
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	w.assert(t, 1, 0, 2)
	if res.secretAction != "created" || !res.filesWritten || len(res.patched) != 2 {
		t.Errorf("result = %+v, want created, written, both configurations patched", res)
	}
	assertInPlace(t, c, b)
	info, err := os.Stat(filepath.Join(b.opts.CertDir, "tls.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("tls.key: %v, mode %v, want 0600", err, info.Mode())
	}
}

func TestEnsureIsNoOpWhenCurrent(t *testing.T) {
	var w writes
	c := newFakeClient(&w, interceptor.Funcs{}, webhookConfigs()...)
	b := newBootstrapper(t, c, newClock())
	ctx := testContext(t)
	if err := b.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	rv := getSecret(t, c).ResourceVersion
	w.reset()

	res, err := b.ensure(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	w.assert(t, 0, 0, 0)
	if res.secretAction != "" || res.filesWritten || res.patched != nil {
		t.Errorf("result = %+v, want nothing done", res)
	}
	if got := getSecret(t, c).ResourceVersion; got != rv {
		t.Errorf("secret resourceVersion %s → %s", rv, got)
	}
}

func TestEnsureRepairsCABundleDrift(t *testing.T) {
	var w writes
	c := newFakeClient(&w, interceptor.Funcs{}, webhookConfigs()...)
	b := newBootstrapper(t, c, newClock())
	ctx := testContext(t)
	if err := b.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	// A re-applied manifest resets one webhook's caBundle.
	v := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	if err := c.Get(ctx, client.ObjectKey{Name: DefaultWebhookConfigName}, v); err != nil {
		t.Fatal(err)
	}
	v.Webhooks[1].ClientConfig.CABundle = nil
	if err := c.Update(ctx, v); err != nil {
		t.Fatal(err)
	}
	w.reset()

	res, err := b.ensure(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	w.assert(t, 0, 0, 1)
	if !slices.Equal(res.patched, []string{"ValidatingWebhookConfiguration"}) {
		t.Errorf("patched %v, want the validating configuration only", res.patched)
	}
	assertInPlace(t, c, b)
}

func TestEnsureMissingWebhookConfiguration(t *testing.T) {
	var w writes
	configs := webhookConfigs()
	c := newFakeClient(&w, interceptor.Funcs{}, configs[0])
	b := newBootstrapper(t, c, newClock())
	ctx := testContext(t)

	err := b.Ensure(ctx)
	if err == nil || !apierrors.IsNotFound(err) || !strings.Contains(err.Error(), `MutatingWebhookConfiguration "gateguard" not found`) {
		t.Fatalf("Ensure = %v, want the missing mutating configuration named", err)
	}
	// The files are in place regardless, so the webhook server can start,
	// and the configuration that exists is patched.
	if _, err := os.Stat(filepath.Join(b.opts.CertDir, "tls.crt")); err != nil {
		t.Errorf("tls.crt not written: %v", err)
	}
	w.assert(t, 1, 0, 1)

	// Once the manifests catch up, the next check completes the job.
	if err := c.Create(ctx, configs[1]); err != nil {
		t.Fatal(err)
	}
	w.reset()
	if err := b.Ensure(ctx); err != nil {
		t.Fatalf("Ensure after the configuration appeared: %v", err)
	}
	w.assert(t, 0, 0, 1)
	assertInPlace(t, c, b)
}

func TestEnsureRenewsExpiringCertificate(t *testing.T) {
	var w writes
	c := newFakeClient(&w, interceptor.Funcs{}, webhookConfigs()...)
	clk := newClock()
	b := newBootstrapper(t, c, clk)
	ctx := testContext(t)
	if err := b.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	before := getSecret(t, c)
	w.reset()

	clk.Set(testNow().Add(DefaultValidity - DefaultRenewBefore + time.Second))
	res, err := b.ensure(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	w.assert(t, 0, 1, 0) // same CA: caBundle untouched
	after := getSecret(t, c)
	if res.secretAction != "renewed" || !res.filesWritten {
		t.Errorf("result = %+v, want renewed and written", res)
	}
	if bytes.Equal(before.Data[corev1.TLSCertKey], after.Data[corev1.TLSCertKey]) {
		t.Error("serving certificate not renewed")
	}
	if !bytes.Equal(before.Data[KeyCACert], after.Data[KeyCACert]) {
		t.Error("CA changed on a serving renewal")
	}
	if got := mustParse(t, after.Data[corev1.TLSCertKey]).NotAfter; !got.Equal(clk.Now().Add(DefaultValidity)) {
		t.Errorf("renewed NotAfter = %s", got)
	}
	assertInPlace(t, c, b)
}

func TestEnsureRenewsExpiringCA(t *testing.T) {
	var w writes
	c := newFakeClient(&w, interceptor.Funcs{}, webhookConfigs()...)
	clk := newClock()
	b := newBootstrapper(t, c, clk)
	ctx := testContext(t)
	if err := b.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	before := getSecret(t, c)
	w.reset()

	clk.Set(testNow().Add(DefaultCAValidity - DefaultRenewBefore + time.Second))
	if err := b.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	w.assert(t, 0, 1, 2) // new CA: both configurations get the new bundle
	after := getSecret(t, c)
	if bytes.Equal(before.Data[KeyCAKey], after.Data[KeyCAKey]) {
		t.Error("CA not renewed")
	}
	assertInPlace(t, c, b)
}

func TestRotate(t *testing.T) {
	var w writes
	c := newFakeClient(&w, interceptor.Funcs{}, webhookConfigs()...)
	b := newBootstrapper(t, c, newClock())
	ctx := testContext(t)
	if err := b.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	before := getSecret(t, c)
	oldFile := readFile(t, filepath.Join(b.opts.CertDir, "tls.crt"))
	w.reset()

	if err := b.Rotate(ctx); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	w.assert(t, 0, 1, 0)
	after := getSecret(t, c)
	if after.ResourceVersion == before.ResourceVersion || bytes.Equal(oldFile, after.Data[corev1.TLSCertKey]) {
		t.Error("serving certificate not re-issued")
	}
	if !bytes.Equal(before.Data[KeyCACert], after.Data[KeyCACert]) {
		t.Error("Rotate replaced the CA")
	}
	assertInPlace(t, c, b)
}

func TestNewOptions(t *testing.T) {
	c := newFakeClient(&writes{}, interceptor.Funcs{})
	b, err := New(c, Options{Namespace: "ns", CertDir: "/tmp/x"})
	if err != nil {
		t.Fatal(err)
	}
	o := b.opts
	if o.SecretName != "gateguard-serving-cert" || o.ServiceName != "gateguard" || o.WebhookConfigName != "gateguard" ||
		o.Validity != 365*day || o.RenewBefore != 30*day || o.CAValidity != 3650*day || o.CheckInterval != time.Hour || o.Now == nil {
		t.Errorf("defaults = %+v", o)
	}
	if b.NeedLeaderElection() {
		t.Error("NeedLeaderElection = true; every replica needs the files")
	}

	invalid := map[string]Options{
		"no namespace":                {CertDir: "/x"},
		"no cert dir":                 {Namespace: "ns"},
		"renew-before exceeds life":   {Namespace: "ns", CertDir: "/x", Validity: day, RenewBefore: 2 * day},
		"CA shorter than leaf":        {Namespace: "ns", CertDir: "/x", CAValidity: 100 * day},
		"interval beyond renewBefore": {Namespace: "ns", CertDir: "/x", CheckInterval: 31 * day},
	}
	for name, opts := range invalid {
		if _, err := New(c, opts); err == nil {
			t.Errorf("%s: New accepted %+v", name, opts)
		}
	}
	if _, err := New(nil, Options{Namespace: "ns", CertDir: "/x"}); err == nil {
		t.Error("New accepted a nil client")
	}
}
