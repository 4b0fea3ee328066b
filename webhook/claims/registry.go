package claims

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	gateguardv1alpha1 "github.com/gateguard/gateguard/api/v1alpha1"
	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// OwnerUIDLabel carries a claim's owner UID, so that an owner's claims
// are one label-selected list away.
const OwnerUIDLabel = "gateguard.dev/owner-uid"

// DefaultGracePeriod is how long a claim is held for an owner the
// apiserver does not show: the webhook sees an object's UID before etcd
// stores it, so it must outlast the webhook timeout (at most 30s, 5s in
// manifests/) plus the write that follows admission.
const DefaultGracePeriod = 30 * time.Second

// attempts bounds how often one claim is decided again after losing a
// race (another replica created or took it over between a read and a
// write).
const attempts = 5

// Owner is the object a claim belongs to.
type Owner = gateguardv1alpha1.HostClaimOwner

// Key is one entry an object would add to a route table, as the rules
// key it: the table and the host, and how to name the table for people.
type Key struct {
	RouteTable string
	Host       string
	Where      string
	// Protocol is a plain-text server's, for Rules.Shares; "" elsewhere.
	Protocol string
	// Unheld says no object the caller has cached claims it too: the
	// claim is then created without reading it first, and read only when
	// that create finds it there (docs/claims.md#writes).
	Unheld bool
}

// Rules says what an object claims under the policy in force; the
// registry asks it whether a claim's owner still claims the claim.
type Rules interface {
	ClaimsOf(ctx context.Context, obj client.Object) ([]Key, error)
	// Shares is true when claimant may add want to the route table where
	// holder has held (the same route table and host): where Istio merges
	// the two by design (HTTPRoutes of one namespace splitting a hostname;
	// VirtualServices of one namespace under allowSameNamespaceMerge;
	// plain-text HTTP servers on one port). The claim stays holder's.
	Shares(held Key, holder Owner, want Key, claimant Owner) bool
}

// Registry claims and releases hosts for their owners.
type Registry struct {
	client  client.Client // uncached: claims and owners are read live
	rules   Rules
	grace   time.Duration
	now     func() time.Time
	metrics *Metrics
	log     logr.Logger
}

// Options configure a Registry.
type Options struct {
	// Client must read from the apiserver, not a cache: a claim's owner
	// and the claim itself are judged as etcd has them now. Its scheme
	// must know HostClaim and the owners' kinds.
	Client      client.Client
	Rules       Rules
	GracePeriod time.Duration    // DefaultGracePeriod when zero
	Now         func() time.Time // time.Now when nil
	Metrics     *Metrics         // nil counts nothing
	Log         logr.Logger
}

// New returns a Registry.
func New(opts Options) *Registry {
	r := &Registry{client: opts.Client, rules: opts.Rules, grace: opts.GracePeriod, now: opts.Now,
		metrics: opts.Metrics, log: opts.Log}
	if r.grace == 0 {
		r.grace = DefaultGracePeriod
	}
	if r.now == nil {
		r.now = time.Now
	}
	return r
}

// OwnerOf identifies obj as a claim owner, its kind from the scheme when
// the object does not carry it.
func (r *Registry) OwnerOf(obj client.Object) (Owner, error) {
	gvk, err := apiutil.GVKForObject(obj, r.client.Scheme())
	if err != nil {
		return Owner{}, err
	}
	return Owner{APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind, Namespace: obj.GetNamespace(),
		Name: obj.GetName(), UID: obj.GetUID()}, nil
}

// Claim claims every key for owner. It returns a Denial per key another
// owner holds and then writes nothing (the claims this call made are
// deleted again), or an error when the apiserver refused or failed a
// write (again with nothing left claimed). A dry run reads the same
// claims, decides alike, and writes nothing.
func (r *Registry) Claim(ctx context.Context, owner Owner, keys []Key, dryRun bool) ([]Denial, error) {
	var made []*gateguardv1alpha1.HostClaim
	var denials []Denial
	for _, k := range sortedKeys(keys) {
		// After a denial the object will not be admitted: the rest are
		// only read, to name every owner it collides with.
		got, denial, err := r.claimOne(ctx, owner, k, dryRun || len(denials) > 0)
		if err != nil {
			r.metrics.errorIn("claim")
			r.rollback(ctx, made)
			return nil, err
		}
		if denial != nil {
			denials = append(denials, *denial)
		}
		if got != nil {
			made = append(made, got)
		}
	}
	if len(denials) > 0 {
		r.rollback(ctx, made)
	}
	return denials, nil
}

// sortedKeys orders keys by claim name, without repeats: two objects that
// claim the same hosts then contend for them in the same order, and one
// of them gets all of them instead of each getting some.
func sortedKeys(keys []Key) []Key {
	out := slices.Clone(keys)
	slices.SortFunc(out, func(a, b Key) int { return strings.Compare(Name(a.RouteTable, a.Host), Name(b.RouteTable, b.Host)) })
	return slices.CompactFunc(out, func(a, b Key) bool { return a.RouteTable == b.RouteTable && a.Host == b.Host })
}

// claimOne claims one key, deciding again (bounded) when another writer
// changed the claim between this call's read and its write. It returns
// the claim it created or took over, if any.
func (r *Registry) claimOne(ctx context.Context, owner Owner, k Key, dryRun bool) (*gateguardv1alpha1.HostClaim, *Denial, error) {
	made, denial, err := r.decide(ctx, owner, k, dryRun)
	if err != nil {
		return nil, nil, fmt.Errorf("claiming %s (HostClaim %s): %w", describe(k), Name(k.RouteTable, k.Host), err)
	}
	return made, denial, nil
}

// decide creates an unheld key's claim outright; when that finds the
// claim there, or for any other key, it reads, decides and writes, again
// on a lost race.
func (r *Registry) decide(ctx context.Context, owner Owner, k Key, dryRun bool) (*gateguardv1alpha1.HostClaim, *Denial, error) {
	if k.Unheld && !dryRun {
		hc := r.newClaim(Name(k.RouteTable, k.Host), owner, k)
		if err := r.client.Create(ctx, hc); !apierrors.IsAlreadyExists(err) {
			return hc, nil, err
		}
	}
	var made *gateguardv1alpha1.HostClaim
	var denial *Denial
	backoff := wait.Backoff{Steps: attempts, Duration: 5 * time.Millisecond, Factor: 2, Jitter: 1}
	err := wait.ExponentialBackoffWithContext(ctx, backoff, func(ctx context.Context) (bool, error) {
		var err error
		made, denial, err = r.attempt(ctx, owner, k, dryRun)
		if errLostRace(err) {
			return false, nil
		}
		return true, err
	})
	if wait.Interrupted(err) && ctx.Err() == nil {
		err = fmt.Errorf("the claim changed hands %d times while being decided", attempts)
	}
	return made, denial, err
}

// errClaimGone is a takeover's update finding the claim deleted since it
// was read.
var errClaimGone = errors.New("the claim was deleted while being taken over")

// errLostRace is true for the answers that mean another writer got there
// between a read and a write: decide again on a fresh read.
func errLostRace(err error) bool {
	return apierrors.IsAlreadyExists(err) || apierrors.IsConflict(err) || errors.Is(err, errClaimGone)
}

// attempt is one read-decide-write of a claim: create it when absent;
// when present keep it (ours), refuse (another's), or take it over with
// the resourceVersion read (stale).
func (r *Registry) attempt(ctx context.Context, owner Owner, k Key, dryRun bool) (*gateguardv1alpha1.HostClaim, *Denial, error) {
	name := Name(k.RouteTable, k.Host)
	hc := &gateguardv1alpha1.HostClaim{}
	err := r.client.Get(ctx, client.ObjectKey{Name: name}, hc)
	if apierrors.IsNotFound(err) {
		if dryRun {
			return nil, nil, nil
		}
		hc = r.newClaim(name, owner, k)
		if err := r.client.Create(ctx, hc); err != nil {
			return nil, nil, err
		}
		return hc, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	v, err := r.judge(ctx, hc, owner, k)
	if err != nil || v == ours || dryRun && v == stale {
		return nil, nil, err
	}
	if v != stale {
		return nil, &Denial{Key: k, Name: name, Owner: hc.Spec.Owner, Held: v == held}, nil
	}
	return r.takeOver(ctx, hc, owner, k)
}

// newClaim is the claim of k by owner, claimed now.
func (r *Registry) newClaim(name string, owner Owner, k Key) *gateguardv1alpha1.HostClaim {
	hc := &gateguardv1alpha1.HostClaim{ObjectMeta: metav1.ObjectMeta{Name: name}}
	r.assign(hc, owner, k)
	return hc
}

// assign gives hc to owner, now.
func (r *Registry) assign(hc *gateguardv1alpha1.HostClaim, owner Owner, k Key) {
	hc.Spec = gateguardv1alpha1.HostClaimSpec{Host: k.Host, RouteTable: k.RouteTable, Where: k.Where,
		Protocol: k.Protocol, Owner: owner, ClaimedAt: metav1.NewTime(r.now())}
	labels := hc.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[OwnerUIDLabel] = string(owner.UID)
	hc.SetLabels(labels)
}

// takeOver moves a stale claim to owner by an update that carries the
// resourceVersion it was judged at: if anyone changed it since, the
// apiserver answers Conflict and the claim is decided again.
func (r *Registry) takeOver(ctx context.Context, hc *gateguardv1alpha1.HostClaim, owner Owner, k Key) (*gateguardv1alpha1.HostClaim, *Denial, error) {
	previous := hc.Spec.Owner
	r.assign(hc, owner, k)
	if err := r.client.Update(ctx, hc); apierrors.IsNotFound(err) {
		return nil, nil, errClaimGone
	} else if err != nil {
		return nil, nil, err
	}
	r.metrics.tookOver()
	r.log.Info("took over a stale host claim", "hostClaim", hc.Name, "from", describeOwner(previous),
		"to", describeOwner(owner))
	return hc, nil, nil
}

// rollback deletes the claims a refused or failed request made, each only
// as this request left it (UID and resourceVersion preconditions). It
// outlives the request's context: a timed-out request must not leave
// claims behind. What it cannot delete, the sweeper removes once the
// grace period has passed.
func (r *Registry) rollback(ctx context.Context, made []*gateguardv1alpha1.HostClaim) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for _, hc := range made {
		if err := r.deleteExactly(ctx, hc); err != nil {
			r.metrics.errorIn("rollback")
			r.log.Error(err, "could not delete a host claim of a refused request; the sweeper will", "hostClaim", hc.Name)
			continue
		}
		r.metrics.released("rollback")
	}
}

// deleteExactly deletes hc only if it is still the version given: never
// a claim someone took over or re-created meanwhile. That it is gone or
// changed already is no error.
func (r *Registry) deleteExactly(ctx context.Context, hc *gateguardv1alpha1.HostClaim) error {
	uid, rv := hc.UID, hc.ResourceVersion
	err := r.client.Delete(ctx, hc, client.Preconditions{UID: &uid, ResourceVersion: &rv})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return err
}
