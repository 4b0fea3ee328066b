package webhook

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gateguard/gateguard/rules"
	"github.com/gateguard/gateguard/webhook/claims"
	"github.com/go-logr/logr"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// claimsLeaseID names the sweeper's Lease; manifests/ grant get and update
// on it alone.
const claimsLeaseID = "gateguard-claims-sweeper"

// releaseTimeout bounds the release that one informer event makes.
const releaseTimeout = 10 * time.Second

// withClaimsLeaderElection elects one replica, by a Lease, to run the
// runnables that need it (the claims sweeper); the webhook, the caches
// and the rest run on every replica whatever the Lease says. Losing the
// Lease ends the manager (controller-runtime's rule), and the pod
// restarts.
func withClaimsLeaderElection(o *manager.Options, opts Options) {
	if !opts.Claims {
		return
	}
	o.LeaderElection = true
	o.LeaderElectionID = claimsLeaseID
	o.LeaderElectionNamespace = opts.LeaderElectionNamespace
	o.LeaderElectionReleaseOnCancel = true
}

// claimOwnerKinds are the kinds whose objects claim hosts (rules.Claims).
func claimOwnerKinds() []client.Object {
	return []client.Object{&networkingv1.VirtualService{}, &networkingv1.Gateway{}, &gatewayv1.HTTPRoute{},
		&gatewayv1.GRPCRoute{}, &gatewayv1.TLSRoute{}, &gatewayv1.TCPRoute{}}
}

// hostClaims is the webhook's side of the claims: what the rules say
// objects claim, and the registry that records it.
type hostClaims struct {
	registry *claims.Registry
	policy   *policySource
	snapshot func(context.Context) rules.Snapshot
	cache    cache.Cache
	kinds    []client.Object // the owner kinds the cluster serves
	log      logr.Logger
}

// newHostClaims builds the registry over an uncached client (claims and
// their owners are judged as etcd has them), adds the elected sweeper,
// and releases an owner's claims when the cache sees it deleted or
// stored without some of them. served says which owner kinds the
// cluster has.
func newHostClaims(ctx context.Context, mgr manager.Manager, opts ClaimsOptions, src *policySource,
	snapshot func(context.Context) rules.Snapshot, served func(client.Object) bool, log logr.Logger) (*hostClaims, error) {
	api, err := client.New(mgr.GetConfig(), client.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper()})
	if err != nil {
		return nil, err
	}
	m, err := claims.NewMetrics(crmetrics.Registry)
	if err != nil {
		return nil, err
	}
	h := &hostClaims{policy: src, snapshot: snapshot, cache: mgr.GetCache(),
		kinds: slices.DeleteFunc(claimOwnerKinds(), func(o client.Object) bool { return !served(o) }), log: log.WithName("claims")}
	h.registry = claims.New(claims.Options{Client: api, Rules: h, GracePeriod: opts.GracePeriod, Metrics: m, Log: h.log})
	for _, kind := range h.kinds {
		if err := h.watchReleases(ctx, kind); err != nil {
			return nil, err
		}
	}
	return h, mgr.Add(claims.NewSweeper(h.registry, h, opts.SweepInterval))
}

// ListOwners lists every cached object of an owner kind, for the sweeper,
// straight from the informers' stores: the sweeper only reads them, and a
// cache List would deep-copy every VirtualService and route in the
// cluster, once a minute: at 50k objects a peak of its own above the
// cache's size.
func (h *hostClaims) ListOwners(ctx context.Context) ([]client.Object, error) {
	var out []client.Object
	for _, kind := range h.kinds {
		informer, err := h.cache.GetInformer(ctx, kind)
		if err != nil {
			return nil, fmt.Errorf("the informer of %T: %w", kind, err)
		}
		shared, ok := informer.(toolscache.SharedIndexInformer)
		if !ok {
			return nil, fmt.Errorf("%T has no store", informer)
		}
		for _, o := range shared.GetStore().List() {
			if obj, ok := o.(client.Object); ok {
				out = append(out, obj)
			}
		}
	}
	return out, nil
}

// watchReleases releases claims on kind's informer events: all of a
// deleted owner's, and on an update those its new version no longer
// claims (an update that keeps every claim costs no apiserver call).
func (h *hostClaims) watchReleases(ctx context.Context, kind client.Object) error {
	informer, err := h.cache.GetInformer(ctx, kind)
	if err != nil {
		return err
	}
	_, err = informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		UpdateFunc: func(oldObj, newObj any) {
			old, okOld := oldObj.(client.Object)
			obj, okNew := newObj.(client.Object)
			if okOld && okNew && old.GetGeneration() != obj.GetGeneration() {
				h.releaseDropped(old, obj)
			}
		},
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			if o, ok := obj.(client.Object); ok {
				h.release(o, nil)
			}
		},
	})
	return err
}

// releaseDropped releases what obj's old version claimed and it does not.
func (h *hostClaims) releaseDropped(old, obj client.Object) {
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	keep, err := h.ClaimsOf(ctx, obj)
	if err != nil {
		h.log.Error(err, "deciding which claims an update dropped", "namespace", obj.GetNamespace(), "name", obj.GetName())
		return
	}
	before, _ := h.ClaimsOf(ctx, old)
	if !slices.ContainsFunc(before, func(k claims.Key) bool { return !slices.ContainsFunc(keep, sameKey(k)) }) {
		return
	}
	h.release(obj, keep)
}

// release deletes obj's claims but keep; a failure is logged, and the
// sweeper removes what is left once the grace period has passed.
func (h *hostClaims) release(obj client.Object, keep []claims.Key) {
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	owner, err := h.registry.OwnerOf(obj)
	if err == nil {
		err = h.registry.Release(ctx, owner, keep)
	}
	if err != nil {
		h.log.Error(err, "releasing host claims; the sweeper will", "namespace", obj.GetNamespace(), "name", obj.GetName())
	}
}

// sameKey matches a key of the same route table and host as k.
func sameKey(k claims.Key) func(claims.Key) bool {
	return func(o claims.Key) bool { return o.RouteTable == k.RouteTable && o.Host == k.Host }
}

// addHostClaims is newHostClaims when opts turn the claims on, else nil:
// the validator then claims nothing.
func addHostClaims(ctx context.Context, mgr manager.Manager, opts Options, src *policySource,
	snapshot func(context.Context) rules.Snapshot, served func(client.Object) bool, log logr.Logger) (*hostClaims, error) {
	if !opts.Claims {
		return nil, nil
	}
	return newHostClaims(ctx, mgr, opts.ClaimsOptions, src, snapshot, served, log)
}
