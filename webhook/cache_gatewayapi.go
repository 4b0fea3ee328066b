package webhook

import (
	"context"
	"fmt"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"
)

// gatewayAPIKind is one Gateway API kind gateguard caches, at the version
// the rules read it (docs/gateway-api.md#kinds-and-versions).
type gatewayAPIKind struct {
	gvk schema.GroupVersionKind
	obj client.Object
}

// gatewayAPIKinds lists the Gateway API kinds gateguard caches.
// ReferenceGrant is read as v1beta1, as Istio reads it: an install that
// stopped serving v1beta1 would be one Istio cannot read grants from either.
func gatewayAPIKinds() []gatewayAPIKind {
	v1 := gatewayv1.SchemeGroupVersion
	return []gatewayAPIKind{
		{v1.WithKind("GatewayClass"), &gatewayv1.GatewayClass{}},
		{v1.WithKind("Gateway"), &gatewayv1.Gateway{}},
		{v1.WithKind("ListenerSet"), &gatewayv1.ListenerSet{}},
		{v1.WithKind("HTTPRoute"), &gatewayv1.HTTPRoute{}},
		{v1.WithKind("GRPCRoute"), &gatewayv1.GRPCRoute{}},
		{v1.WithKind("TLSRoute"), &gatewayv1.TLSRoute{}},
		{v1.WithKind("TCPRoute"), &gatewayv1.TCPRoute{}},
		{gatewayv1beta1.SchemeGroupVersion.WithKind("ReferenceGrant"), &gatewayv1beta1.ReferenceGrant{}},
	}
}

// optionalKinds are the kinds a cluster may not serve, each marked served
// or not: an informer for an absent CRD would never sync, so those kinds
// are not cached and their lookups find nothing.
type optionalKinds map[reflect.Type]bool

// gatewayAPIServed asks the RESTMapper which Gateway API kinds the
// cluster serves, kind by kind: an older install may lack ListenerSet or
// TCPRoute. Services are cached only with Gateways, whose manual
// addresses name them. A discovery failure is an error, not "absent":
// gateguard would otherwise silently stop judging the kind.
func gatewayAPIServed(mapper meta.RESTMapper) (optionalKinds, error) {
	kinds := optionalKinds{}
	for _, k := range gatewayAPIKinds() {
		_, err := mapper.RESTMapping(k.gvk.GroupKind(), k.gvk.Version)
		if err != nil && !meta.IsNoMatchError(err) {
			return nil, fmt.Errorf("is %s served: %w", k.gvk, err)
		}
		kinds[reflect.TypeOf(k.obj)] = err == nil
	}
	kinds[reflect.TypeOf(&corev1.Service{})] = kinds[reflect.TypeOf(&gatewayv1.Gateway{})]
	return kinds, nil
}

// gatewayAPIKindNames lists the Gateway API kinds served, or those not,
// for the startup log: a CRD installed later is cached only once
// gateguard restarts.
func (k optionalKinds) gatewayAPIKindNames(served bool) []string {
	out := []string{}
	for _, g := range gatewayAPIKinds() {
		if k[reflect.TypeOf(g.obj)] == served {
			out = append(out, g.gvk.Kind)
		}
	}
	return out
}

// cached reports whether obj's kind is cached: every kind but an
// optional one the cluster does not serve.
func (k optionalKinds) cached(obj client.Object) bool {
	served, optional := k[reflect.TypeOf(obj)]
	return served || !optional
}

// unindexed are the served kinds the snapshot gets by name or
// namespace but no rules index covers, so registering the indexes does
// not start their informers.
func (k optionalKinds) unindexed() []client.Object {
	var out []client.Object
	for _, obj := range unindexedKinds() {
		if k[reflect.TypeOf(obj)] {
			out = append(out, obj)
		}
	}
	return out
}

// unindexedKinds lists the kinds optionalKinds.unindexed chooses from.
func unindexedKinds() []client.Object {
	return []client.Object{&gatewayv1.GatewayClass{}, &gatewayv1beta1.ReferenceGrant{}}
}

// registerStores starts the informers of the unindexed kinds and files
// their stores with the indexers.
func registerStores(ctx context.Context, c cache.Cache, kinds optionalKinds, indexers snapshotIndexers) error {
	for _, obj := range kinds.unindexed() {
		informer, err := c.GetInformer(ctx, obj, cache.BlockUntilSynced(false))
		if err != nil {
			return fmt.Errorf("informer for %T: %w", obj, err)
		}
		shared, ok := informer.(toolscache.SharedIndexInformer)
		if !ok {
			return fmt.Errorf("%T has no indexer", informer)
		}
		indexers.stores[reflect.TypeOf(obj)] = shared.GetIndexer()
	}
	return nil
}
