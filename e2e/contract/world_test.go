package contract

import (
	"context"
	"testing"

	"github.com/gateguard/gateguard/rules"
	"github.com/gateguard/gateguard/webhook"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// world is one scenario's state, held twice: in the apiserver, which the
// cache-backed snapshot watches, and in the in-memory snapshot.
type world struct {
	t       *testing.T
	ctx     context.Context
	api     client.Client // cluster-admin, uncached
	cached  *webhook.ClusterSnapshot
	memory  *rules.MemorySnapshot
	created []client.Object // what clear deletes, in creation order
	// relabelled holds the labels a Namespace document replaced, for clear.
	relabelled map[string]map[string]string
}

// snapshot is the cache-backed view of one decision.
func (w *world) snapshot() rules.Snapshot {
	return w.cached.Snapshot(w.ctx, func(err error) { w.t.Errorf("cache lookup failed: %v", err) })
}

// add stores obj in both worlds and waits until the cache has it.
func (w *world) add(obj client.Object) {
	w.t.Helper()
	if ns, ok := obj.(*corev1.Namespace); ok {
		w.labelNamespace(ns)
		return
	}
	w.ensureNamespace(obj.GetNamespace())
	if err := w.memory.Add(obj.DeepCopyObject()); err != nil {
		w.t.Fatal(err)
	}
	stored := storable(obj)
	err := w.api.Create(w.ctx, stored)
	if apierrors.IsAlreadyExists(err) {
		err = w.replace(stored) // a corpus document may store a name again, as an apply would
	} else if err == nil {
		w.created = append(w.created, stored)
	}
	if err != nil {
		w.t.Fatalf("storing %T %s/%s: %v", obj, obj.GetNamespace(), obj.GetName(), err)
	}
	w.await(stored, true)
}

// replace updates the stored object of obj's name to obj.
func (w *world) replace(obj client.Object) error {
	current := obj.DeepCopyObject().(client.Object)
	if err := w.api.Get(w.ctx, client.ObjectKeyFromObject(obj), current); err != nil {
		return err
	}
	obj.SetResourceVersion(current.GetResourceVersion())
	return w.api.Update(w.ctx, obj)
}

// remove deletes obj from both worlds and waits until the cache has not.
func (w *world) remove(obj client.Object) {
	w.t.Helper()
	if err := w.memory.Delete(obj); err != nil {
		w.t.Fatal(err)
	}
	for i, c := range w.created {
		if c.GetNamespace() == obj.GetNamespace() && c.GetName() == obj.GetName() && sameKind(c, obj) {
			w.delete(c)
			w.created = append(w.created[:i], w.created[i+1:]...)
			return
		}
	}
}

// clear deletes what the scenario created and restores namespace labels,
// so that the next scenario starts from the same empty cluster.
func (w *world) clear() {
	for _, obj := range w.created {
		w.delete(obj)
	}
	for name, labels := range w.relabelled {
		w.setNamespaceLabels(name, labels)
	}
}

func (w *world) delete(obj client.Object) {
	w.t.Helper()
	if err := w.api.Delete(w.ctx, obj, client.GracePeriodSeconds(0)); client.IgnoreNotFound(err) != nil {
		w.t.Fatal(err)
	}
	w.await(obj, false)
}

// ensureNamespace creates a namespace the first time an object needs it.
// Namespaces are never deleted: without a namespace controller they would
// stay Terminating.
func (w *world) ensureNamespace(name string) {
	w.t.Helper()
	if name == "" {
		return // a cluster-scoped object (a GatewayClass)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	err := w.api.Create(w.ctx, ns)
	if apierrors.IsAlreadyExists(err) {
		return
	}
	if err != nil {
		w.t.Fatal(err)
	}
	w.await(ns, true)
	w.syncNamespaces()
}

// labelNamespace gives an existing or new namespace a document's labels.
func (w *world) labelNamespace(doc *corev1.Namespace) {
	w.t.Helper()
	w.ensureNamespace(doc.Name)
	current := &corev1.Namespace{}
	if err := w.api.Get(w.ctx, client.ObjectKeyFromObject(doc), current); err != nil {
		w.t.Fatal(err)
	}
	if w.relabelled == nil {
		w.relabelled = map[string]map[string]string{}
	}
	if _, ok := w.relabelled[doc.Name]; !ok {
		w.relabelled[doc.Name] = current.Labels
	}
	labels := map[string]string{corev1.LabelMetadataName: doc.Name}
	for k, v := range doc.Labels {
		labels[k] = v
	}
	w.setNamespaceLabels(doc.Name, labels)
}

// setNamespaceLabels updates a namespace and waits for the cache to see it.
func (w *world) setNamespaceLabels(name string, labels map[string]string) {
	w.t.Helper()
	ns := &corev1.Namespace{}
	if err := w.api.Get(w.ctx, client.ObjectKey{Name: name}, ns); err != nil {
		w.t.Fatal(err)
	}
	ns.Labels = labels
	if err := w.api.Update(w.ctx, ns); err != nil {
		w.t.Fatal(err)
	}
	w.await(ns, true)
	w.syncNamespaces()
}

// syncNamespaces gives the in-memory snapshot every namespace the
// apiserver has, with its labels (kubernetes.io/metadata.name included),
// as the cache-backed one sees them.
func (w *world) syncNamespaces() {
	w.t.Helper()
	list := &corev1.NamespaceList{}
	if err := w.api.List(w.ctx, list); err != nil {
		w.t.Fatal(err)
	}
	for i := range list.Items {
		if err := w.memory.Add(&list.Items[i]); err != nil {
			w.t.Fatal(err)
		}
	}
}

// seedGatewayClasses gives the in-memory snapshot the GatewayClasses the
// cluster holds before any scenario (the control plane's istio class):
// the cache-backed one sees them, and clear never deletes them.
func (w *world) seedGatewayClasses() {
	w.t.Helper()
	list := &gatewayv1.GatewayClassList{}
	if err := w.api.List(w.ctx, list); err != nil {
		w.t.Fatal(err)
	}
	for i := range list.Items {
		if err := w.memory.Add(&list.Items[i]); err != nil {
			w.t.Fatal(err)
		}
	}
}

// await waits until the cache holds obj at its resourceVersion (present)
// or not at all; for a pod, also until the pod placements know it.
func (w *world) await(obj client.Object, present bool) {
	w.t.Helper()
	err := poll(w.ctx, func() bool {
		rv, found := w.cachedVersion(obj)
		if !present || !found {
			return found == present
		}
		if pod, ok := obj.(*corev1.Pod); ok && len(pod.Labels) > 0 {
			placed := w.snapshot().GatewayPodNamespaces(pod.Labels)
			return rv == obj.GetResourceVersion() && contains(placed, pod.Namespace)
		}
		return rv == obj.GetResourceVersion()
	})
	if err != nil {
		w.t.Fatalf("the cache never showed %T %s/%s present=%v: %v", obj, obj.GetNamespace(), obj.GetName(), present, err)
	}
}

// cachedVersion reads obj's resourceVersion from the cache: as metadata
// for the kinds the cache holds as metadata, else typed.
func (w *world) cachedVersion(obj client.Object) (string, bool) {
	var into client.Object
	switch obj.(type) {
	case *corev1.Secret, *corev1.Pod, *corev1.Namespace:
		m := &metav1.PartialObjectMetadata{}
		m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind(kindName(obj)))
		into = m
	default:
		into = obj.DeepCopyObject().(client.Object)
	}
	if err := w.cached.Reader().Get(w.ctx, client.ObjectKeyFromObject(obj), into); err != nil {
		if !apierrors.IsNotFound(err) {
			w.t.Fatal(err)
		}
		return "", false
	}
	return into.GetResourceVersion(), true
}

func sameKind(a, b client.Object) bool { return kindName(a) == kindName(b) }

// kindName is an object's kind; the core kinds' typed objects may not carry it.
func kindName(o client.Object) string {
	switch o.(type) {
	case *corev1.Secret:
		return "Secret"
	case *corev1.Pod:
		return "Pod"
	case *corev1.Namespace:
		return "Namespace"
	}
	return o.GetObjectKind().GroupVersionKind().Kind
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
