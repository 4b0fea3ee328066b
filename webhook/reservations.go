package webhook

import (
	"context"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/gateguard/gateguard/rules"
	"github.com/go-logr/logr"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// reservations closes the race between an admitted VirtualService or
// Gateway API route and the informer cache that learns of it a moment
// later: without it two creates of one host that arrive together both see
// an empty cache and both pass. Within one replica, each admitted claimant
// is held here until the cache shows it (same UID, same or later
// generation), and is admitted only on the claims held when it is added
// (decide). A claim the cache has not shown after ttl is checked
// against the apiserver: released when the object does not exist (its
// create failed), kept while it does or while the apiserver cannot say, so
// a disconnected cache never forgets a claim. Across replicas a window
// remains; the README says so.
type reservations struct {
	// mu is read-held while a decision reads the claims, so decisions run
	// in parallel; write-held to reserve or release one.
	mu sync.RWMutex
	// version counts reservations and releases: a decision that reserves
	// commits only at the version it read, else it decides again alone.
	version uint64
	ttl     time.Duration
	now     func() time.Time
	pending map[string]*reserved            // by claimKey
	byKey   map[string]map[string]*reserved // index key -> claimKey -> claim
	store   reservationStore
	log     logr.Logger
	indexes []rules.Index // the claimants' indexes a claim is filed under
}

// reservationStore is where reservations look for their objects.
type reservationStore interface {
	// cached returns the cache's version of obj's kind and name.
	cached(obj client.Object) (uid types.UID, generation int64, ok bool)
	// stored asks the apiserver directly for its version of obj's kind and name.
	stored(ctx context.Context, obj client.Object) (uid types.UID, generation int64, ok bool, err error)
}

// reserved is one claim, with the index keys it was filed under.
type reserved struct {
	obj     client.Object
	expires time.Time
	keys    []string
}

// claimant reports whether obj's kind claims hosts: a VirtualService or a
// Gateway API route.
func claimant(obj client.Object) bool {
	_, vs := obj.(*networkingv1.VirtualService)
	return vs || rules.IsRoute(obj)
}

// claimKey names a claim by kind and namespace/name: a VirtualService and
// a route may share a name.
func claimKey(obj client.Object) string {
	return reflect.TypeOf(obj).String() + " " + obj.GetNamespace() + "/" + obj.GetName()
}

// newReservations lists the claimants' indexes once: each Index holds an
// empty object of its kind, too big to build for every claim.
func newReservations(ttl time.Duration, store reservationStore, log logr.Logger) *reservations {
	indexes := slices.DeleteFunc(rules.Indexes(false), func(ix rules.Index) bool { return !claimant(ix.Object) })
	return &reservations{ttl: ttl, now: time.Now, pending: map[string]*reserved{},
		byKey: map[string]map[string]*reserved{}, store: store, log: log, indexes: indexes}
}

// reservationKey files a pending claim under one value of a rules index.
func reservationKey(index rules.IndexName, value string) string { return string(index) + "|" + value }

// decide runs fn with a snapshot that includes the pending claimants;
// when fn says to hold obj, obj is reserved (never for a dry run). fn runs
// under the read lock, beside other decisions: it must only read. A
// decision to hold commits under the write lock, and only if no claim came
// or went meanwhile; otherwise fn runs again there, so every reservation
// is decided on exactly the claims it is added to, as if one decision ran
// at a time.
func (r *reservations) decide(base rules.Snapshot, obj client.Object, dryRun bool,
	fn func(rules.Snapshot) (hold bool, err error)) error {
	r.mu.RLock()
	read := r.version
	hold, err := fn(&overlay{Snapshot: base, r: r})
	r.mu.RUnlock()
	if err != nil || !hold || dryRun {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.version != read {
		if hold, err = fn(&overlay{Snapshot: base, r: r}); err != nil || !hold {
			return err
		}
	}
	r.reserve(obj)
	return nil
}

// hold reserves obj once its HostClaims are written: a reservation denies
// the next requests naming obj, so it must not exist before obj has won
// its claims, or a loser of the claims would be named as the owner.
func (r *reservations) hold(obj client.Object) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reserve(obj)
}

// reserve files obj under its keys, replacing a claim of the same name.
func (r *reservations) reserve(obj client.Object) {
	name := claimKey(obj)
	r.release(name)
	// The decided object is gateguard's own copy; a claim needs only its
	// identity and spec, not kubectl's last-applied copy or managedFields,
	// and of a route only what the cache keeps of one (the load tool's
	// pool holds hundreds of pending routes).
	if trimmed, ok := trimGatewayAPI(obj); ok {
		obj = trimmed
	}
	obj.SetManagedFields(nil)
	obj.SetAnnotations(nil)
	obj.SetLabels(nil)
	p := &reserved{obj: obj, expires: r.now().Add(r.ttl)}
	for _, ix := range r.indexes {
		if reflect.TypeOf(ix.Object) != reflect.TypeOf(obj) {
			continue
		}
		for _, v := range ix.Values(obj) {
			p.keys = append(p.keys, reservationKey(ix.Name, v))
		}
	}
	for _, k := range p.keys {
		if r.byKey[k] == nil {
			r.byKey[k] = map[string]*reserved{}
		}
		r.byKey[k][name] = p
	}
	r.pending[name] = p
	r.version++
}

// release drops the claim of namespace/name, if any.
func (r *reservations) release(name string) {
	p, ok := r.pending[name]
	if !ok {
		return
	}
	for _, k := range p.keys {
		if delete(r.byKey[k], name); len(r.byKey[k]) == 0 {
			delete(r.byKey, k)
		}
	}
	delete(r.pending, name)
	r.version++
}

// observe is the claimant informers' event handler: a claim is released
// once the cache holds its object (same UID, same or later generation),
// the moment the cache can answer for it.
func (r *reservations) observe(event any) {
	obj, ok := event.(client.Object)
	if !ok || !claimant(obj) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	name := claimKey(obj)
	if p, ok := r.pending[name]; ok && p.obj.GetUID() != "" && obj.GetUID() == p.obj.GetUID() &&
		obj.GetGeneration() >= p.obj.GetGeneration() {
		r.release(name)
	}
}

// Start sweeps expired claims until ctx ends; it is a manager Runnable.
func (r *reservations) Start(ctx context.Context) error {
	every(ctx, r.ttl/2, r.sweep)
	return nil
}

// NeedLeaderElection is false: every replica keeps its own claims.
func (r *reservations) NeedLeaderElection() bool { return false }

// sweep settles claims past their ttl: released when the cache shows them
// or the apiserver says the object does not exist (its create failed),
// kept while the apiserver has it or cannot answer. A claim without a UID
// (a request that carried none) can only expire. The lock is not held
// during the apiserver calls.
func (r *reservations) sweep(ctx context.Context) {
	r.mu.Lock()
	var expired []*reserved
	for name, p := range r.pending {
		if !r.now().After(p.expires) {
			continue
		}
		uid, gen, cached := r.store.cached(p.obj)
		if p.obj.GetUID() == "" || (cached && uid == p.obj.GetUID() && gen >= p.obj.GetGeneration()) {
			r.release(name)
			continue
		}
		expired = append(expired, p)
	}
	r.mu.Unlock()
	for _, p := range expired {
		r.settle(ctx, p)
	}
}

// settle asks the apiserver about one expired claim: released when the
// admitted write never landed (no such object, another UID, or an older
// generation: a later admission step refused it), kept while the apiserver
// has it but the cache lags, or while the apiserver cannot answer.
func (r *reservations) settle(ctx context.Context, p *reserved) {
	uid, gen, found, err := r.store.stored(ctx, p.obj)
	name := claimKey(p.obj)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pending[name] != p {
		return // released or replaced meanwhile
	}
	if err == nil && (!found || uid != p.obj.GetUID() || gen < p.obj.GetGeneration()) {
		r.release(name)
		return
	}
	p.expires = r.now().Add(r.ttl)
	if err != nil {
		r.log.Info("keeping a host claim: the apiserver cannot confirm it", "object", name, "error", err.Error())
	}
}

// forget is the informer's delete handler: a deleted object's claim goes.
func (r *reservations) forget(obj any) {
	if tomb, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	if o, ok := obj.(client.Object); ok && claimant(o) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if p, ok := r.pending[claimKey(o)]; ok && p.obj.GetUID() == o.GetUID() {
			r.release(claimKey(o))
		}
	}
}

// overlay adds pending claimants to a snapshot's lookups; a pending one
// replaces the cached object of the same kind and name. It is used under the
// reservations' lock, read or write.
type overlay struct {
	rules.Snapshot
	r *reservations
}

func (o *overlay) VirtualServicesWithHost(host string) []*networkingv1.VirtualService {
	return withPending(o, o.Snapshot.VirtualServicesWithHost(host), reservationKey(rules.IndexHost, host))
}

func (o *overlay) VirtualServicesUnderDomain(domain string) []*networkingv1.VirtualService {
	return withPending(o, o.Snapshot.VirtualServicesUnderDomain(domain), reservationKey(rules.IndexDomain, domain))
}

func (o *overlay) VirtualServicesForGateway(ref rules.GatewayRef) []*networkingv1.VirtualService {
	return withPending(o, o.Snapshot.VirtualServicesForGateway(ref), reservationKey(rules.IndexGateway, ref.String()))
}

// withPending returns cached results with pending objects of T swapped in
// or added; its cost is the results', not the number of pending claims.
func withPending[T client.Object](o *overlay, cached []T, key string) []T {
	if len(o.r.pending) == 0 {
		return cached
	}
	out := slices.DeleteFunc(slices.Clone(cached), func(obj T) bool {
		_, shadowed := o.r.pending[claimKey(obj)]
		return shadowed
	})
	for _, p := range o.r.byKey[key] {
		if obj, ok := p.obj.(T); ok {
			out = append(out, obj)
		}
	}
	return out
}
