package webhook

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/gateguard/gateguard/rules"
	"github.com/go-logr/logr"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/types"
)

// reservations closes the race between an admitted VirtualService and the
// informer cache that learns of it a moment later: without it two creates
// of one host that arrive together both see an empty cache and both pass.
// Within one replica, VirtualService decisions are serialised and each
// admitted one is held here until the cache shows it (same UID, same or
// later generation). A claim the cache has not shown after ttl is checked
// against the apiserver: released when the object does not exist (its
// create failed), kept while it does or while the apiserver cannot say, so
// a disconnected cache never forgets a claim. Across replicas a window
// remains; the README says so.
type reservations struct {
	mu      sync.Mutex // held for a whole decide-and-reserve
	ttl     time.Duration
	now     func() time.Time
	pending map[string]reserved
	store   reservationStore
	log     logr.Logger
}

// reservationStore is where reservations look for their objects.
type reservationStore interface {
	// cached returns the cache's version of namespace/name.
	cached(namespace, name string) (uid types.UID, generation int64, ok bool)
	// exists asks the apiserver directly.
	exists(ctx context.Context, namespace, name string) (bool, error)
}

type reserved struct {
	vs      *networkingv1.VirtualService
	expires time.Time
}

func newReservations(ttl time.Duration, store reservationStore, log logr.Logger) *reservations {
	return &reservations{ttl: ttl, now: time.Now, pending: map[string]reserved{}, store: store, log: log}
}

// decide runs fn under the lock with a snapshot that includes the pending
// VirtualServices; when fn admits vs, vs is reserved (never for a dry run).
func (r *reservations) decide(base rules.Snapshot, vs *networkingv1.VirtualService, dryRun bool,
	fn func(rules.Snapshot) (bool, error)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.releaseCaughtUp()
	admitted, err := fn(&overlay{Snapshot: base, pending: r.pending})
	if err == nil && admitted && !dryRun {
		r.pending[vs.Namespace+"/"+vs.Name] = reserved{vs: vs, expires: r.now().Add(r.ttl)}
	}
	return err
}

// releaseCaughtUp drops the claims the cache now shows. A claim without a
// UID (a request that carried none) can only expire.
func (r *reservations) releaseCaughtUp() {
	now := r.now()
	for k, p := range r.pending {
		uid, gen, ok := r.store.cached(p.vs.Namespace, p.vs.Name)
		caughtUp := ok && p.vs.UID != "" && uid == p.vs.UID && gen >= p.vs.Generation
		if caughtUp || (p.vs.UID == "" && now.After(p.expires)) {
			delete(r.pending, k)
		}
	}
}

// Start sweeps expired claims until ctx ends; it is a manager Runnable.
func (r *reservations) Start(ctx context.Context) error {
	t := time.NewTicker(r.ttl / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			r.sweep(ctx)
		}
	}
}

// NeedLeaderElection is false: every replica keeps its own claims.
func (r *reservations) NeedLeaderElection() bool { return false }

// sweep asks the apiserver about claims past their ttl, without holding
// the lock during the calls.
func (r *reservations) sweep(ctx context.Context) {
	r.mu.Lock()
	r.releaseCaughtUp()
	var expired []reserved
	for _, p := range r.pending {
		if r.now().After(p.expires) {
			expired = append(expired, p)
		}
	}
	r.mu.Unlock()
	for _, p := range expired {
		exists, err := r.store.exists(ctx, p.vs.Namespace, p.vs.Name)
		r.mu.Lock()
		key := p.vs.Namespace + "/" + p.vs.Name
		if cur, ok := r.pending[key]; ok && cur.vs == p.vs {
			if err == nil && !exists {
				delete(r.pending, key)
			} else {
				cur.expires = r.now().Add(r.ttl) // the cache is behind, or the apiserver silent: keep it
				r.pending[key] = cur
			}
		}
		r.mu.Unlock()
		if err != nil {
			r.log.Info("keeping a host claim: the apiserver cannot confirm it", "virtualService", key, "error", err.Error())
		}
	}
}

// overlay adds pending VirtualServices to a snapshot's host lookups. A
// pending one replaces the cached object of the same name.
type overlay struct {
	rules.Snapshot
	pending map[string]reserved
}

func (o *overlay) VirtualServicesWithHost(host string) []*networkingv1.VirtualService {
	return o.merge(o.Snapshot.VirtualServicesWithHost(host), rules.HostIndexKeys, host)
}

func (o *overlay) VirtualServicesUnderDomain(domain string) []*networkingv1.VirtualService {
	return o.merge(o.Snapshot.VirtualServicesUnderDomain(domain), rules.DomainIndexKeys, domain)
}

func (o *overlay) VirtualServicesForGateway(ref rules.GatewayRef) []*networkingv1.VirtualService {
	return o.merge(o.Snapshot.VirtualServicesForGateway(ref), rules.GatewayIndexKeys, rules.GatewayRefIndexKey(ref))
}

// merge returns cached results with pending objects swapped in or added.
func (o *overlay) merge(cached []*networkingv1.VirtualService, keys func(*networkingv1.VirtualService) []string,
	key string) []*networkingv1.VirtualService {
	if len(o.pending) == 0 {
		return cached
	}
	out := slices.DeleteFunc(slices.Clone(cached), func(vs *networkingv1.VirtualService) bool {
		_, shadowed := o.pending[vs.Namespace+"/"+vs.Name]
		return shadowed
	})
	for _, p := range o.pending {
		if slices.Contains(keys(p.vs), key) {
			out = append(out, p.vs)
		}
	}
	return out
}
