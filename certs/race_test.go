package certs

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

// TestEnsureCreateRace: both replicas find no Secret; the other one creates
// it between our Get and Create, so ours fails with AlreadyExists, and we
// adopt theirs.
func TestEnsureCreateRace(t *testing.T) {
	var w writes
	clk := newClock()
	var other *Bootstrapper
	c := newFakeClient(&w, interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			if other == nil {
				other = newBootstrapper(t, c, clk)
				if err := other.Ensure(ctx); err != nil {
					t.Errorf("other replica: %v", err)
				}
			}
			return c.Create(ctx, obj, opts...)
		},
	}, webhookConfigs()...)
	b := newBootstrapper(t, c, clk)

	res, err := b.ensure(testContext(t), false)
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	if res.secretAction != "adopted" {
		t.Errorf("secret action %q, want adopted", res.secretAction)
	}
	w.assert(t, 1, 0, 0) // our failed Create; the other replica patched caBundle
	assertInPlace(t, c, b)
	assertInPlace(t, c, other)
}

// TestEnsureSecondReplica: replicas starting one after the other share the
// first one's Secret.
func TestEnsureSecondReplica(t *testing.T) {
	var w writes
	c := newFakeClient(&w, interceptor.Funcs{}, webhookConfigs()...)
	clk := newClock()
	first, second := newBootstrapper(t, c, clk), newBootstrapper(t, c, clk)
	ctx := testContext(t)
	if err := first.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	w.reset()
	if err := second.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	w.assert(t, 0, 0, 0)
	assertInPlace(t, c, first)
	assertInPlace(t, c, second)
}

// TestEnsureUpdateConflict: both replicas decide to renew; the other one's
// Update lands first, ours gets Conflict, and we adopt its certificate.
func TestEnsureUpdateConflict(t *testing.T) {
	var w writes
	clk := newClock()
	var other *Bootstrapper
	c := newFakeClient(&w, interceptor.Funcs{
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			if other == nil {
				other = newBootstrapper(t, c, clk)
				if err := other.Ensure(ctx); err != nil {
					t.Errorf("other replica: %v", err)
				}
			}
			return c.Update(ctx, obj, opts...)
		},
	}, webhookConfigs()...)
	b := newBootstrapper(t, c, clk)
	ctx := testContext(t)
	if err := b.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	w.reset()

	clk.Set(testNow().Add(DefaultValidity - DefaultRenewBefore + time.Second))
	res, err := b.ensure(ctx, false)
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	if res.secretAction != "adopted" {
		t.Errorf("secret action %q, want adopted", res.secretAction)
	}
	w.assert(t, 0, 1, 0) // our conflicting Update only
	assertInPlace(t, c, b)
	assertInPlace(t, c, other)
	if renew, why := NeedsRenewal(readFile(t, filepath.Join(b.opts.CertDir, "tls.crt")),
		getSecret(t, c).Data[KeyCACert], testNames(), clk.Now(), DefaultRenewBefore); renew {
		t.Errorf("adopted certificate needs renewal: %s", why)
	}
}

// TestEnsureCABundlePatchConflict: someone edits the configuration between
// our Get and Patch; the optimistic lock makes the patch fail rather than
// undo their edit, and the retry keeps both.
func TestEnsureCABundlePatchConflict(t *testing.T) {
	var w writes
	edited := false
	c := newFakeClient(&w, interceptor.Funcs{
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
			if v, ok := obj.(*admissionregistrationv1.ValidatingWebhookConfiguration); ok && !edited {
				edited = true
				current := &admissionregistrationv1.ValidatingWebhookConfiguration{}
				if err := c.Get(ctx, client.ObjectKeyFromObject(v), current); err != nil {
					return err
				}
				current.Labels = map[string]string{"edited": "true"}
				if err := c.Update(ctx, current); err != nil {
					return err
				}
			}
			return c.Patch(ctx, obj, p, opts...)
		},
	}, webhookConfigs()...)
	b := newBootstrapper(t, c, newClock())
	ctx := testContext(t)
	if err := b.Ensure(ctx); err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	w.assert(t, 1, 0, 3) // the validating patch conflicted once
	v := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	if err := c.Get(ctx, client.ObjectKey{Name: DefaultWebhookConfigName}, v); err != nil {
		t.Fatal(err)
	}
	if v.Labels["edited"] != "true" {
		t.Error("the concurrent edit was lost")
	}
	assertInPlace(t, c, b)
}
