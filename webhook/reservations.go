package webhook

import (
	"slices"
	"sync"
	"time"

	"github.com/gateguard/gateguard/rules"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
)

// reservations closes the race between an admitted VirtualService and the
// informer cache that learns of it a moment later: without it two creates
// of one host that arrive together both see an empty cache and both pass.
// Within one replica, VirtualService decisions are serialised and each
// admitted one is held here until it has surely reached the cache (ttl).
// Across replicas a window remains; the README says so.
type reservations struct {
	mu      sync.Mutex // held for a whole decide-and-reserve
	ttl     time.Duration
	now     func() time.Time
	pending map[string]reserved
}

type reserved struct {
	vs      *networkingv1.VirtualService
	expires time.Time
}

func newReservations(ttl time.Duration) *reservations {
	return &reservations{ttl: ttl, now: time.Now, pending: map[string]reserved{}}
}

// decide runs fn under the lock with a snapshot that includes the pending
// VirtualServices; when fn admits vs, vs is reserved (never for a dry run).
func (r *reservations) decide(base rules.Snapshot, vs *networkingv1.VirtualService, dryRun bool,
	fn func(rules.Snapshot) (bool, error)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	for k, p := range r.pending {
		if now.After(p.expires) {
			delete(r.pending, k)
		}
	}
	admitted, err := fn(&overlay{Snapshot: base, pending: r.pending})
	if err == nil && admitted && !dryRun {
		r.pending[vs.Namespace+"/"+vs.Name] = reserved{vs: vs, expires: now.Add(r.ttl)}
	}
	return err
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
