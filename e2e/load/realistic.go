package main

import (
	"context"
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// lastApplied is kubectl's copy of the whole applied manifest.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// flavour is how an object reached the cluster. Real objects carry what
// their tool left on them: kubectl's client-side apply stores the whole
// manifest again in an annotation, server-side apply records its fields in
// managedFields, and GitOps controllers add tracking labels and
// annotations; an informer decodes all of it before any transform runs.
type flavour int

const (
	kubectlClientSide flavour = iota // kubectl apply
	kubectlServerSide                // kubectl apply --server-side
	argoCD                           // an Argo CD sync (client-side apply)
	flux                             // Flux's kustomize-controller (server-side apply)
	numFlavours
)

// flavourOf spreads the flavours evenly over the seeded objects.
func flavourOf(i int) flavour { return flavour(i % int(numFlavours)) }

// manager is the field manager each flavour's writes are recorded under.
func (f flavour) manager() string {
	return [numFlavours]string{"kubectl-client-side-apply", "kubectl", "argocd-controller", "kustomize-controller"}[f]
}

// serverSide reports whether the flavour writes with server-side apply.
func (f flavour) serverSide() bool { return f == kubectlServerSide || f == flux }

// decorate adds the labels and annotations the flavour's tool sets, and
// the common app.kubernetes.io labels most manifests carry.
func (f flavour) decorate(obj client.Object, kind string) {
	labels := map[string]string{"app.kubernetes.io/name": obj.GetName(), "app.kubernetes.io/part-of": obj.GetNamespace(),
		"app.kubernetes.io/version": "1.4.2"}
	annotations := map[string]string{}
	app := obj.GetNamespace() + "-apps"
	switch f {
	case argoCD:
		labels["app.kubernetes.io/instance"] = app
		annotations["argocd.argoproj.io/tracking-id"] = fmt.Sprintf("%s:%s/%s:%s/%s",
			app, obj.GetObjectKind().GroupVersionKind().Group, kind, obj.GetNamespace(), obj.GetName())
		annotations["argocd.argoproj.io/sync-wave"] = "1"
	case flux:
		labels["kustomize.toolkit.fluxcd.io/name"] = app
		labels["kustomize.toolkit.fluxcd.io/namespace"] = "flux-system"
	}
	for k, v := range obj.GetLabels() {
		labels[k] = v
	}
	obj.SetLabels(labels)
	obj.SetAnnotations(annotations)
}

// write stores obj as the flavour's tool would: a server-side apply patch
// of the manifest, or a create carrying kubectl's last-applied copy.
func (f flavour) write(ctx context.Context, c client.Client, obj client.Object) error {
	gvk, err := apiutil.GVKForObject(obj, c.Scheme())
	if err != nil {
		return err
	}
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	f.decorate(obj, gvk.Kind)
	manifest, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	if f.serverSide() {
		return c.Patch(ctx, obj, client.RawPatch(types.ApplyPatchType, manifest), client.FieldOwner(f.manager()), client.ForceOwnership)
	}
	annotations := obj.GetAnnotations()
	annotations[lastApplied] = string(manifest) + "\n"
	obj.SetAnnotations(annotations)
	return c.Create(ctx, obj, client.FieldOwner(f.manager()))
}

// applied writes the i-th seeded object with its flavour.
func applied(ctx context.Context, c client.Client, obj client.Object, i int) error {
	return flavourOf(i).write(ctx, c, obj)
}

// created writes an object the way a controller does: a plain create.
func created(ctx context.Context, c client.Client, obj client.Object, _ int) error {
	return c.Create(ctx, obj)
}
