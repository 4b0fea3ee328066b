package cluster

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// prepareWebhooks takes the webhook configurations from the rendered
// manifests, and lets envtest make a serving CA and certificate and point
// the configurations at a local port with that CA.
func (e *Cluster) prepareWebhooks(ctx context.Context) error {
	objs, err := e.renderedManifests(ctx, "manifests/base")
	if err != nil {
		return err
	}
	for _, o := range objs {
		data, _ := o.MarshalJSON()
		switch o.GetKind() {
		case "ValidatingWebhookConfiguration":
			v := &admissionv1.ValidatingWebhookConfiguration{}
			if err := yaml.Unmarshal(data, v); err != nil {
				return err
			}
			e.webhooks.ValidatingWebhooks = append(e.webhooks.ValidatingWebhooks, v)
		case "MutatingWebhookConfiguration":
			m := &admissionv1.MutatingWebhookConfiguration{}
			if err := yaml.Unmarshal(data, m); err != nil {
				return err
			}
			e.webhooks.MutatingWebhooks = append(e.webhooks.MutatingWebhooks, m)
		}
	}
	if len(e.webhooks.ValidatingWebhooks) != 1 || len(e.webhooks.MutatingWebhooks) != 1 {
		return fmt.Errorf("manifests/base must hold one validating and one mutating configuration")
	}
	e.webhooks.LocalServingHost = "127.0.0.1"
	e.webhooks.LocalServingCertDir = filepath.Join(e.Dir, "certs")
	return e.webhooks.PrepWithoutInstalling()
}

// WebhookURL is where gateguard's webhook server listens, with the CA that
// signs its certificate.
func (e *Cluster) WebhookURL() (url string, caPEM []byte) {
	return fmt.Sprintf("https://%s:%d", e.webhooks.LocalServingHost, e.webhooks.LocalServingPort), e.webhooks.LocalServingCAData
}

// UnregisterWebhooks deletes the webhook configurations.
func (e *Cluster) UnregisterWebhooks(ctx context.Context) error {
	for _, v := range e.webhooks.ValidatingWebhooks {
		if err := client.IgnoreNotFound(e.Client.Delete(ctx, v.DeepCopy())); err != nil {
			return err
		}
	}
	for _, m := range e.webhooks.MutatingWebhooks {
		if err := client.IgnoreNotFound(e.Client.Delete(ctx, m.DeepCopy())); err != nil {
			return err
		}
	}
	return nil
}

// PointWebhooks makes every webhook of both configurations call host (on
// gateguard's port) trusting caBundle; nil keeps the current caBundle.
func (e *Cluster) PointWebhooks(ctx context.Context, host string, caBundle []byte) error {
	return e.PointWebhooksAt(ctx, fmt.Sprintf("%s:%d", host, e.webhooks.LocalServingPort), caBundle)
}

// PointWebhooksAt makes every webhook of both configurations call
// host:port, keeping each path, trusting caBundle; nil keeps the current
// caBundle. The load tool points them at its floor server this way.
func (e *Cluster) PointWebhooksAt(ctx context.Context, hostPort string, caBundle []byte) error {
	point := func(cc *admissionv1.WebhookClientConfig) {
		u, _ := url.Parse(*cc.URL)
		u.Host = hostPort
		cc.URL = ptr(u.String())
		if caBundle != nil {
			cc.CABundle = caBundle
		}
	}
	for _, v := range e.webhooks.ValidatingWebhooks {
		cur := &admissionv1.ValidatingWebhookConfiguration{}
		if err := e.Client.Get(ctx, client.ObjectKeyFromObject(v), cur); err != nil {
			return err
		}
		for i := range cur.Webhooks {
			point(&cur.Webhooks[i].ClientConfig)
		}
		if err := e.Client.Update(ctx, cur); err != nil {
			return err
		}
	}
	for _, m := range e.webhooks.MutatingWebhooks {
		cur := &admissionv1.MutatingWebhookConfiguration{}
		if err := e.Client.Get(ctx, client.ObjectKeyFromObject(m), cur); err != nil {
			return err
		}
		for i := range cur.Webhooks {
			point(&cur.Webhooks[i].ClientConfig)
		}
		if err := e.Client.Update(ctx, cur); err != nil {
			return err
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// RegisterWebhooks installs the configurations and waits until they serve.
func (e *Cluster) RegisterWebhooks(context.Context) error {
	// A re-registration after UnregisterWebhooks creates the objects anew:
	// they must not carry the identity of the deleted ones.
	for _, v := range e.webhooks.ValidatingWebhooks {
		v.SetResourceVersion("")
		v.SetUID("")
	}
	for _, m := range e.webhooks.MutatingWebhooks {
		m.SetResourceVersion("")
		m.SetUID("")
	}
	return e.webhooks.Install(e.AdminConfig)
}
