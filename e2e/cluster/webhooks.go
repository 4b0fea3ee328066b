package cluster

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
// caBundle.
func (e *Cluster) PointWebhooksAt(ctx context.Context, hostPort string, caBundle []byte) error {
	objs, hooks, err := e.registered(ctx)
	if err != nil {
		return err
	}
	for _, h := range hooks {
		h.point(hostPort, caBundle)
	}
	return e.updateAll(ctx, objs)
}

// SelectWebhookObjects makes every webhook of both configurations call
// only for the objects sel selects. RegisterWebhooks after
// UnregisterWebhooks restores the manifests' selectors.
func (e *Cluster) SelectWebhookObjects(ctx context.Context, sel *metav1.LabelSelector) error {
	objs, hooks, err := e.registered(ctx)
	if err != nil {
		return err
	}
	for _, h := range hooks {
		*h.selector = sel
	}
	return e.updateAll(ctx, objs)
}

// RegisterWebhookCopies registers, beside gateguard's, a copy of both
// configurations named with suffix, whose webhooks call hostPort (paths
// kept) trusting caBundle, for the objects sel selects. The load tool
// calls its floor server this way, beside gateguard, in one apiserver.
func (e *Cluster) RegisterWebhookCopies(ctx context.Context, suffix, hostPort string, caBundle []byte,
	sel *metav1.LabelSelector) error {
	objs, hooks, err := e.registered(ctx)
	if err != nil {
		return err
	}
	for _, h := range hooks {
		h.point(hostPort, caBundle)
		*h.selector = sel
	}
	for _, o := range objs {
		o.SetName(o.GetName() + suffix)
		o.SetResourceVersion("")
		o.SetUID("")
		if err := e.Client.Create(ctx, o); err != nil {
			return err
		}
	}
	return nil
}

// DeleteWebhookCopies deletes the copies RegisterWebhookCopies made with
// suffix.
func (e *Cluster) DeleteWebhookCopies(ctx context.Context, suffix string) error {
	for _, v := range e.webhooks.ValidatingWebhooks {
		c := &admissionv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: v.Name + suffix}}
		if err := client.IgnoreNotFound(e.Client.Delete(ctx, c)); err != nil {
			return err
		}
	}
	for _, m := range e.webhooks.MutatingWebhooks {
		c := &admissionv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: m.Name + suffix}}
		if err := client.IgnoreNotFound(e.Client.Delete(ctx, c)); err != nil {
			return err
		}
	}
	return nil
}

// webhookFields are the fields of one registered webhook that the load
// tool changes: whom it calls, and for which objects.
type webhookFields struct {
	clientConfig *admissionv1.WebhookClientConfig
	selector     **metav1.LabelSelector
}

// point makes the webhook call hostPort, keeping its path, trusting
// caBundle; nil keeps the current caBundle.
func (h webhookFields) point(hostPort string, caBundle []byte) {
	u, _ := url.Parse(*h.clientConfig.URL)
	u.Host = hostPort
	h.clientConfig.URL = ptr(u.String())
	if caBundle != nil {
		h.clientConfig.CABundle = caBundle
	}
}

// registered reads both configurations as the apiserver holds them, with
// the fields of each of their webhooks, for the caller to change.
func (e *Cluster) registered(ctx context.Context) ([]client.Object, []webhookFields, error) {
	var objs []client.Object
	var hooks []webhookFields
	for _, v := range e.webhooks.ValidatingWebhooks {
		cur := &admissionv1.ValidatingWebhookConfiguration{}
		if err := e.Client.Get(ctx, client.ObjectKeyFromObject(v), cur); err != nil {
			return nil, nil, err
		}
		for i := range cur.Webhooks {
			hooks = append(hooks, webhookFields{&cur.Webhooks[i].ClientConfig, &cur.Webhooks[i].ObjectSelector})
		}
		objs = append(objs, cur)
	}
	for _, m := range e.webhooks.MutatingWebhooks {
		cur := &admissionv1.MutatingWebhookConfiguration{}
		if err := e.Client.Get(ctx, client.ObjectKeyFromObject(m), cur); err != nil {
			return nil, nil, err
		}
		for i := range cur.Webhooks {
			hooks = append(hooks, webhookFields{&cur.Webhooks[i].ClientConfig, &cur.Webhooks[i].ObjectSelector})
		}
		objs = append(objs, cur)
	}
	return objs, hooks, nil
}

// updateAll writes objs back.
func (e *Cluster) updateAll(ctx context.Context, objs []client.Object) error {
	for _, o := range objs {
		if err := e.Client.Update(ctx, o); err != nil {
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
