package claims

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	gateguardv1alpha1 "github.com/gateguard/gateguard/api/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// DefaultSweepInterval is how often the elected replica sweeps.
const DefaultSweepInterval = time.Minute

// Owners lists every object that may claim hosts, as the manager's cache
// has them: the sweeper's view of who claims what.
type Owners interface {
	ListOwners(ctx context.Context) ([]client.Object, error)
}

// Sweeper removes claims nobody holds any more and creates the claims of
// objects that hold a host without one. It is a manager Runnable that runs
// on the elected replica alone.
type Sweeper struct {
	registry *Registry
	owners   Owners
	interval time.Duration
}

// NewSweeper returns a Sweeper that sweeps every interval.
func NewSweeper(r *Registry, owners Owners, interval time.Duration) *Sweeper {
	return &Sweeper{registry: r, owners: owners, interval: interval}
}

// NeedLeaderElection is true: one replica at a time sweeps, so two never
// backfill or sweep the same claim at once.
func (s *Sweeper) NeedLeaderElection() bool { return true }

// Start sweeps at once and then every interval until ctx ends.
func (s *Sweeper) Start(ctx context.Context) error {
	wait.UntilWithContext(ctx, func(ctx context.Context) { _ = s.Sweep(ctx) }, s.interval)
	return nil
}

// Sweep makes one pass: it deletes every claim past the grace period
// whose owner is gone or no longer claims it, then gives every key some
// object claims but no HostClaim has to the oldest such object. It
// returns what failed, after trying everything else.
func (s *Sweeper) Sweep(ctx context.Context) error {
	held, err := s.sweep(ctx)
	s.registry.metrics.swept(held, err)
	if err != nil {
		s.registry.log.Error(err, "sweeping host claims")
	}
	return err
}

// sweep is Sweep's pass; it returns how many claims remain. It keeps
// nothing per HostClaim beyond the page being settled: a claimed key's
// claim is marked at its claimants, and the claims no cached object
// claims that are kept are only counted.
func (s *Sweeper) sweep(ctx context.Context) (int, error) {
	objs, err := s.owners.ListOwners(ctx)
	if err != nil {
		return 0, fmt.Errorf("listing claim owners: %w", err)
	}
	wanted, err := claimantsOf(ctx, s.registry.rules, objs)
	if err != nil {
		return 0, err
	}
	unclaimed := 0 // kept claims of keys no cached object claims
	var errs []error
	err = s.eachClaim(ctx, func(hc *gateguardv1alpha1.HostClaim) {
		run := wanted.find(hc.Name)
		kept, err := s.settle(ctx, hc, run)
		if err != nil {
			errs = append(errs, err)
		}
		if !run.empty() {
			wanted.held[run.lo] = kept || err != nil
		} else if kept || err != nil {
			unclaimed++
		}
	})
	if err != nil {
		return 0, err
	}
	errs = append(errs, s.backfillAll(ctx, wanted)...)
	return wanted.countHeld() + unclaimed, errors.Join(errs...)
}

// claimsPage bounds one list of HostClaims: a sweep reads them a page at
// a time, so that a cluster's every claim is never one response, and one
// decoded list, in memory at once.
const claimsPage = 500

// eachClaim calls settle on every HostClaim, a page at a time.
func (s *Sweeper) eachClaim(ctx context.Context, settle func(*gateguardv1alpha1.HostClaim)) error {
	next := ""
	for {
		page := &gateguardv1alpha1.HostClaimList{}
		if err := s.registry.client.List(ctx, page, client.Limit(claimsPage), client.Continue(next)); err != nil {
			return fmt.Errorf("listing host claims: %w", err)
		}
		for i := range page.Items {
			settle(&page.Items[i])
		}
		if next = page.Continue; next == "" {
			return nil
		}
	}
}

// claimOf is obj as the owner of the claim name, with the key it claims
// there: worked out again, for a handover or a backfill.
func (s *Sweeper) claimOf(ctx context.Context, obj client.Object, name string) (Owner, Key, error) {
	owner, err := s.registry.OwnerOf(obj)
	if err != nil {
		return Owner{}, Key{}, err
	}
	keys, err := s.registry.rules.ClaimsOf(ctx, obj)
	if err != nil {
		return Owner{}, Key{}, fmt.Errorf("the claims of %s: %w", describeOwner(owner), err)
	}
	for _, k := range keys {
		if Name(k.RouteTable, k.Host) == name {
			return owner, k, nil
		}
	}
	return Owner{}, Key{}, fmt.Errorf("%s no longer claims HostClaim %s", describeOwner(owner), name)
}

// settle keeps hc (true) while it is within the grace period, while the
// cache shows its owner claiming it, or, the cache lagging, while the
// apiserver does. A stale claim goes to the oldest object that claims the
// key (one sharing it with the owner, or one that predates the claim), in
// one compare-and-swap update, so that no create slips in between; with
// no claimant left it is deleted.
func (s *Sweeper) settle(ctx context.Context, hc *gateguardv1alpha1.HostClaim, run claimRun) (bool, error) {
	if s.registry.withinGrace(hc) || run.claimedBy(hc.Spec.Owner.UID) {
		return true, nil
	}
	claims, err := s.registry.ownerStillClaims(ctx, hc)
	if err != nil || claims {
		return true, err
	}
	if !run.empty() {
		owner, key, err := s.claimOf(ctx, run.oldest(), hc.Name)
		if err == nil {
			_, _, err = s.registry.takeOver(ctx, hc, owner, key)
		}
		if err != nil && !errLostRace(err) {
			return true, fmt.Errorf("handing the stale HostClaim %s on: %w", hc.Name, err)
		}
		return true, nil // a lost race: someone else holds it now
	}
	if err := s.registry.deleteExactly(ctx, hc); err != nil {
		return true, fmt.Errorf("deleting the stale HostClaim %s: %w", hc.Name, err)
	}
	s.registry.metrics.released("swept")
	s.registry.log.Info("swept a stale host claim", "hostClaim", hc.Name, "owner", describeOwner(hc.Spec.Owner))
	return false, nil
}

// backfillWorkers bounds the creates one sweep makes at once. At first
// install every host in the cluster is backfilled, two writes per
// VirtualService of a gateway with HTTP and HTTPS servers: 41k claims for
// the load tool's 10k VirtualServices and 10k HTTPRoutes, which one at a
// time took over two minutes.
const backfillWorkers = 4

// backfillChunk is how many claimants a backfill worker takes at a time:
// the workers go through every claimant, skipping those whose key is
// held, and a queue of one piece per claimant would itself be a third of
// a megabyte at the load tool's 41k keys (20 kB in chunks of 16), while
// a few keys to backfill that sort together still go to several workers.
const backfillChunk = 16

// backfillAll creates, backfillWorkers at a time, the claim of every key
// claimed but not held, for its oldest claimant, and marks those it made
// (or found made) held.
func (s *Sweeper) backfillAll(ctx context.Context, wanted *claimants) []error {
	var created atomic.Int64
	var mu sync.Mutex
	var errs []error
	workqueue.ParallelizeUntil(ctx, backfillWorkers, len(wanted.list), func(i int) {
		if wanted.held[i] || !wanted.first(i) {
			return
		}
		name := wanted.name(wanted.list[i])
		made, err := s.backfill(ctx, name, wanted.runFrom(i, name).oldest())
		wanted.held[i] = err == nil // each worker writes its own runs' marks alone
		if made {
			created.Add(1)
		}
		if err != nil {
			mu.Lock()
			defer mu.Unlock()
			errs = append(errs, err)
		}
	}, workqueue.WithChunkSize(backfillChunk))
	if n := created.Load(); n > 0 {
		s.registry.log.Info("backfilled host claims", "count", n)
	}
	return append(errs, ctx.Err()) // a sweep cut short fails: the keys it did not try are not known held
}

// backfill creates the claim of a key nobody has claimed yet for obj,
// reporting whether it did; that an admission created it first is no
// error.
func (s *Sweeper) backfill(ctx context.Context, name string, obj client.Object) (bool, error) {
	owner, key, err := s.claimOf(ctx, obj, name)
	if err == nil {
		err = s.registry.client.Create(ctx, s.registry.newClaim(name, owner, key))
	}
	if apierrors.IsAlreadyExists(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("backfilling HostClaim %s: %w", name, err)
	}
	s.registry.metrics.backfilled()
	s.registry.log.V(1).Info("backfilled a host claim", "hostClaim", name, "owner", describeOwner(owner))
	return true, nil
}
