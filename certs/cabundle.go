package certs

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// patchCABundles sets caBundle on every webhook of the validating and the
// mutating configuration named WebhookConfigName, and returns the kinds it
// patched. Both are attempted even if one fails, so a problem with one
// doesn't leave the other stale.
//
// A configuration that doesn't exist is an error, not something to create:
// the webhook configurations are installed by the same manifests as the
// Deployment, and creating one here would mean inventing its rules and
// failure policy. Until it appears, Ensure fails and Start retries.
func (b *Bootstrapper) patchCABundles(ctx context.Context, bundle []byte) ([]string, error) {
	var patched []string
	var errs []error
	validating := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	mutating := &admissionregistrationv1.MutatingWebhookConfiguration{}
	targets := []struct {
		kind string
		obj  client.Object
		set  func() bool
	}{
		{"ValidatingWebhookConfiguration", validating, func() bool { return setValidating(validating, bundle) }},
		{"MutatingWebhookConfiguration", mutating, func() bool { return setMutating(mutating, bundle) }},
	}
	for _, t := range targets {
		changed, err := b.patchCABundle(ctx, t.kind, t.obj, t.set)
		if err != nil {
			errs = append(errs, err)
		}
		if changed {
			patched = append(patched, t.kind)
		}
	}
	return patched, errors.Join(errs...)
}

// patchCABundle reads one configuration into obj, lets set update its
// webhooks and sends a merge patch only if something changed. The patch
// carries the resourceVersion read (optimistic lock): a merge patch
// replaces the whole webhooks list, so without the lock it could undo a
// concurrent edit, e.g. a re-applied manifest. On conflict it re-reads and
// tries again.
func (b *Bootstrapper) patchCABundle(ctx context.Context, kind string, obj client.Object, set func() bool) (bool, error) {
	name := b.opts.WebhookConfigName
	changed := false
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		changed = false
		if err := b.client.Get(ctx, client.ObjectKey{Name: name}, obj); err != nil {
			return err
		}
		orig := obj.DeepCopyObject().(client.Object)
		if !set() {
			return nil
		}
		patch := client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})
		if err := b.client.Patch(ctx, obj, patch); err != nil {
			return err
		}
		changed = true
		return nil
	})
	switch {
	case apierrors.IsNotFound(err):
		return false, fmt.Errorf("%s %q not found: it is installed with gateguard's manifests, "+
			"and its caBundle will be set once it exists: %w", kind, name, err)
	case err != nil:
		return false, fmt.Errorf("setting caBundle of %s %q: %w", kind, name, err)
	}
	return changed, nil
}

// setValidating points every webhook at bundle, reporting any change.
func setValidating(cfg *admissionregistrationv1.ValidatingWebhookConfiguration, bundle []byte) bool {
	changed := false
	for i := range cfg.Webhooks {
		changed = setBundle(&cfg.Webhooks[i].ClientConfig, bundle) || changed
	}
	return changed
}

// setMutating points every webhook at bundle, reporting any change.
func setMutating(cfg *admissionregistrationv1.MutatingWebhookConfiguration, bundle []byte) bool {
	changed := false
	for i := range cfg.Webhooks {
		changed = setBundle(&cfg.Webhooks[i].ClientConfig, bundle) || changed
	}
	return changed
}

// setBundle sets one webhook's caBundle unless it already holds bundle.
func setBundle(cc *admissionregistrationv1.WebhookClientConfig, bundle []byte) bool {
	if bytes.Equal(cc.CABundle, bundle) {
		return false
	}
	cc.CABundle = bytes.Clone(bundle)
	return true
}
