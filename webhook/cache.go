package webhook

import (
	"context"
	"fmt"
	"reflect"

	certmanagerv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	gateguardv1alpha1 "github.com/gateguard/gateguard/api/v1alpha1"
	"github.com/gateguard/gateguard/rules"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"
)

// NewScheme registers the kinds gateguard reads.
func NewScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme, networkingv1.AddToScheme, certmanagerv1.AddToScheme, gateguardv1alpha1.AddToScheme,
		gatewayv1.Install, gatewayv1beta1.Install,
	} {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// metadataOf returns an empty metadata-only object of a core kind: the
// cache then watches metadata alone, so Secret data never reaches it.
func metadataOf(kind string) *metav1.PartialObjectMetadata {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind(kind))
	return m
}

// cacheOptions keeps only what the rules read (transform.go).
func cacheOptions() cache.Options {
	// The rules only read cached objects (mutations work on the request's
	// own copy), so metadata reads skip the deep copy. Not so Gateways and
	// VirtualServices: without a deep copy the cache's Get copies the
	// struct, protobuf state and all, racing the state's lazy setup (the
	// race detector caught it); the snapshot reads them from the informers'
	// indexers instead, uncopied.
	return cache.Options{DefaultTransform: newTrimmer().object, ByObject: trimmedKinds(ptr.To(true))}
}

// indexFunc is a rules index as client-go's indexers take it.
func indexFunc(ix rules.Index) toolscache.IndexFunc {
	return func(obj any) ([]string, error) {
		if o, ok := obj.(client.Object); ok {
			return ix.Values(o), nil
		}
		return nil, fmt.Errorf("%T is not an object", obj)
	}
}

// snapshotIndexers are what the snapshot reads straight from the
// informers: a lookup is one map read, where the cache's List by field
// would build a typed list by reflection for each of the half-dozen
// lookups of a decision, and its Get would copy the object.
type snapshotIndexers struct {
	// byName holds each index's indexers, one per kind it is registered
	// on: the route indexes are on four informers under one name.
	byName map[rules.IndexName][]toolscache.Indexer
	// byValue holds the host indexes (hostIndexed), kept as valueIndexes,
	// each with its kind's store.
	byValue map[rules.IndexName][]valueLookup
	// stores are the informers' stores by Go type, keyed namespace/name
	// (name alone when cluster-scoped), for the kinds read by name.
	stores map[reflect.Type]toolscache.Indexer
	// handlers are the valueIndexes by Go type, for chaining after them.
	handlers map[reflect.Type]*valueIndex
	// synced report whether the event handlers the snapshot reads through
	// (valueIndexes, pod placements) have taken in their informers'
	// initial lists: the cache's own sync covers only the stores.
	synced []toolscache.InformerSynced
}

// valueLookup is a valueIndex and the store its keys are in.
type valueLookup struct {
	index *valueIndex
	store toolscache.Indexer
}

func newSnapshotIndexers() snapshotIndexers {
	return snapshotIndexers{byName: map[rules.IndexName][]toolscache.Indexer{}, byValue: map[rules.IndexName][]valueLookup{},
		stores: map[reflect.Type]toolscache.Indexer{}, handlers: map[reflect.Type]*valueIndex{}}
}

// registerIndexes adds the indexes, and with them the informers, so that
// the first admission never waits for a sync; pod events feed pods. Of
// the optional kinds only the served ones are cached.
func registerIndexes(ctx context.Context, c cache.Cache, withCertificates bool, kinds optionalKinds,
	pods *rules.PodPlacements) (snapshotIndexers, error) {
	indexers := newSnapshotIndexers()
	for _, ix := range rules.Indexes(withCertificates) {
		if !kinds.cached(ix.Object) {
			continue
		}
		if err := indexers.register(ctx, c, ix); err != nil {
			return snapshotIndexers{}, err
		}
	}
	if err := registerStores(ctx, c, kinds, indexers); err != nil {
		return snapshotIndexers{}, err
	}
	podInformer, err := c.GetInformer(ctx, metadataOf("Pod"))
	if err != nil {
		return snapshotIndexers{}, fmt.Errorf("informer for Pod: %w", err)
	}
	reg, err := podInformer.AddEventHandler(podPlacementHandler(pods))
	if err != nil {
		return snapshotIndexers{}, err
	}
	indexers.handlerSynced(reg)
	for _, obj := range []client.Object{metadataOf("Secret"), metadataOf("Namespace")} {
		if _, err := c.GetInformer(ctx, obj); err != nil {
			return snapshotIndexers{}, fmt.Errorf("informer for %s: %w", obj.GetObjectKind().GroupVersionKind().Kind, err)
		}
	}
	return indexers, nil
}

// register adds one rules index to its kind's informer: as a valueIndex
// fed by the informer's events for the host indexes, else as one of the
// informer's indexers.
func (ixs *snapshotIndexers) register(ctx context.Context, c cache.Cache, ix rules.Index) error {
	informer, err := c.GetInformer(ctx, ix.Object, cache.BlockUntilSynced(false))
	if err != nil {
		return fmt.Errorf("informer for index %s: %w", ix.Name, err)
	}
	shared, ok := informer.(toolscache.SharedIndexInformer)
	if !ok {
		return fmt.Errorf("index %s: %T has no indexer", ix.Name, informer)
	}
	kind := reflect.TypeOf(ix.Object)
	ixs.stores[kind] = shared.GetIndexer()
	if !hostIndexed(ix.Name) {
		ixs.byName[ix.Name] = append(ixs.byName[ix.Name], shared.GetIndexer())
		return informer.AddIndexers(toolscache.Indexers{string(ix.Name): indexFunc(ix)})
	}
	if ixs.handlers[kind] != nil { // the reservations chain after one per kind
		return fmt.Errorf("index %s: %s has a host index already", ix.Name, kind)
	}
	values := newValueIndex(ix)
	reg, err := informer.AddEventHandler(values)
	if err != nil {
		return fmt.Errorf("index %s: %w", ix.Name, err)
	}
	ixs.handlerSynced(reg)
	ixs.byValue[ix.Name] = append(ixs.byValue[ix.Name], valueLookup{index: values, store: shared.GetIndexer()})
	ixs.handlers[kind] = values
	return nil
}

// handlerSynced adds an event handler's registration to what readiness
// waits for.
func (ixs *snapshotIndexers) handlerSynced(reg toolscache.ResourceEventHandlerRegistration) {
	if reg != nil { // test informers register nothing
		ixs.synced = append(ixs.synced, reg.HasSynced)
	}
}

// certificatesServed reports whether cert-manager's Certificate CRD exists.
func certificatesServed(mapper meta.RESTMapper) bool {
	_, err := mapper.RESTMapping(certmanagerv1.SchemeGroupVersion.WithKind("Certificate").GroupKind(), "v1")
	return err == nil
}

// podPlacementHandler keeps pods up to date with the pod informer.
func podPlacementHandler(pods *rules.PodPlacements) toolscache.ResourceEventHandlerFuncs {
	set := func(obj any) {
		if m, ok := obj.(metav1.Object); ok {
			pods.Set(m.GetNamespace(), m.GetName(), m.GetLabels())
		}
	}
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc:    set,
		UpdateFunc: func(_, obj any) { set(obj) },
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			if m, ok := obj.(metav1.Object); ok {
				pods.Delete(m.GetNamespace(), m.GetName())
			}
		},
	}
}
