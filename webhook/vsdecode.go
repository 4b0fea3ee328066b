package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
)

// VirtualServices are what a large cluster has most of, and decoding one
// into Istio's Go type goes through golang/protobuf's jsonpb: 31 KB of
// garbage and 2.7 to 6 times the CPU of decoding the same JSON generically
// and building the typed object from it (BenchmarkVirtualServiceDecode).
// At 50k VirtualServices that decode is seconds of CPU on the path to
// ready, in the one goroutine that fills the informer. So the VirtualService
// informer lists and watches them generically and builds the typed object
// from only the fields the cache keeps (transform.go): the rest of
// gateguard still sees *networkingv1.VirtualService, from the same
// informer.

// newInformer is the cache's informer constructor: the stock one, but
// with VirtualServices listed and watched through dyn, in every namespace
// and with no selector, as the cache options ask for them.
func newInformer(dyn dynamic.Interface) func(toolscache.ListerWatcher, runtime.Object, time.Duration,
	toolscache.Indexers) toolscache.SharedIndexInformer {
	return func(lw toolscache.ListerWatcher, obj runtime.Object, resync time.Duration, ix toolscache.Indexers) toolscache.SharedIndexInformer {
		if _, ok := obj.(*networkingv1.VirtualService); ok {
			lw = virtualServiceListWatch(dyn)
		}
		return toolscache.NewSharedIndexInformer(lw, obj, resync, ix)
	}
}

// virtualServiceListWatch lists and watches VirtualServices in every
// namespace as unstructured objects and hands them on typed.
func virtualServiceListWatch(dyn dynamic.Interface) *toolscache.ListWatch {
	res := dyn.Resource(networkingv1.SchemeGroupVersion.WithResource("virtualservices"))
	return &toolscache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			list, err := res.List(ctx, opts)
			if err != nil {
				return nil, err
			}
			out := &networkingv1.VirtualServiceList{ListMeta: metav1.ListMeta{ResourceVersion: list.GetResourceVersion(),
				Continue: list.GetContinue(), RemainingItemCount: list.GetRemainingItemCount()}}
			for i := range list.Items {
				vs, err := typedVirtualService(&list.Items[i])
				if err != nil {
					return nil, err
				}
				out.Items = append(out.Items, vs)
			}
			return out, nil
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			w, err := res.Watch(ctx, opts)
			if err != nil {
				return nil, err
			}
			return watch.Filter(w, typedEvent), nil
		},
	}
}

// typedEvent turns a watch event's VirtualService typed; error events
// (a Status) pass as they are, for the reflector to read.
func typedEvent(e watch.Event) (watch.Event, bool) {
	u, ok := e.Object.(*unstructured.Unstructured)
	if !ok || e.Type == watch.Error {
		return e, true
	}
	vs, err := typedVirtualService(u)
	if err != nil {
		status := apierrors.NewInternalError(err).Status()
		return watch.Event{Type: watch.Error, Object: &status}, true
	}
	e.Object = vs
	return e, true
}

// typedVirtualService builds a VirtualService with the metadata and spec
// fields the cache keeps; a bookmark keeps its annotations, which the
// reflector reads before any transform. TLS and TCP routes, rare, go
// through Istio's own decoder, so that every field of their matches is
// read as Istio reads it.
func typedVirtualService(u *unstructured.Unstructured) (*networkingv1.VirtualService, error) {
	vs := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: u.GetName(), Namespace: u.GetNamespace(),
		UID: u.GetUID(), ResourceVersion: u.GetResourceVersion(), Generation: u.GetGeneration(),
		CreationTimestamp: u.GetCreationTimestamp(), DeletionTimestamp: u.GetDeletionTimestamp(),
		Annotations: u.GetAnnotations()}}
	var err error
	for _, f := range []struct {
		into *[]string
		name string
	}{{&vs.Spec.Hosts, "hosts"}, {&vs.Spec.Gateways, "gateways"}, {&vs.Spec.ExportTo, "exportTo"}} {
		if *f.into, _, err = unstructured.NestedStringSlice(u.Object, "spec", f.name); err != nil {
			return nil, fmt.Errorf("VirtualService %s/%s: %w", vs.Namespace, vs.Name, err)
		}
	}
	if http, _, _ := unstructured.NestedSlice(u.Object, "spec", "http"); len(http) > 0 {
		vs.Spec.Http = []*networking.HTTPRoute{{}}
	}
	routes := map[string]any{}
	for _, name := range []string{"tls", "tcp"} {
		if r, ok, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", name); ok {
			routes[name] = r
		}
	}
	if len(routes) == 0 {
		return vs, nil
	}
	data, err := json.Marshal(routes)
	if err == nil {
		decoded := &networking.VirtualService{}
		if err = decoded.UnmarshalJSON(data); err == nil {
			vs.Spec.Tls, vs.Spec.Tcp = decoded.Tls, decoded.Tcp
		}
	}
	if err != nil {
		return nil, fmt.Errorf("VirtualService %s/%s: routes: %w", vs.Namespace, vs.Name, err)
	}
	return vs, nil
}

// withVirtualServiceDecoder sets opts to build the VirtualService informer
// over a dynamic client of cfg.
func withVirtualServiceDecoder(opts cache.Options, cfg *rest.Config) (cache.Options, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return opts, err
	}
	opts.NewInformer = newInformer(dyn)
	return opts, nil
}
