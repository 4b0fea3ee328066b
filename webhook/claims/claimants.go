package claims

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// claimant is one cached object's claim of one key: the key's claim name
// as a span of claimants.names, and the object as its index in
// claimants.owners. Twelve bytes and the name's, where a map from name
// to a slice of objects and a map of the names seen cost a sweep about
// 200 bytes per key (their slots, a slice per key, a string per name):
// at the load tool's 41k claims, 8 MB of live heap for the whole sweep,
// and the GC's heap goal raised by as much (BenchmarkSweepMemory).
type claimant struct {
	start, end uint32 // the claim name: names[start:end]
	owner      uint32 // the object: owners[owner]
}

// claimants are the cached objects that claim each key, sorted by claim
// name and then in the order the owners were listed, so that the
// claimants of one name are a run found by binary search, whatever order
// the apiserver lists HostClaims in. A sweep holds them, one pointer per
// object and one name per key, never the owners and keys themselves:
// those are worked out again for the few claims it hands over or
// backfills.
type claimants struct {
	owners []client.Object
	names  string // every claim name, end to end: one allocation, not one per key
	list   []claimant
	// held marks, at each run's first claimant, that the run's claim
	// exists: settled and kept (or not settled, for an error), or
	// backfilled. A run not marked is backfilled.
	held []bool
}

// claimantsOf lists, by claim name, the objects in owners that claim each
// key under rules.
func claimantsOf(ctx context.Context, rules Rules, owners []client.Object) (*claimants, error) {
	c := &claimants{owners: owners}
	var names strings.Builder
	for i, obj := range owners {
		keys, err := rules.ClaimsOf(ctx, obj)
		if err != nil {
			return nil, fmt.Errorf("the claims of %s/%s: %w", obj.GetNamespace(), obj.GetName(), err)
		}
		for _, k := range keys {
			start := names.Len()
			names.WriteString(Name(k.RouteTable, k.Host))
			if uint64(names.Len()) > math.MaxUint32 {
				return nil, fmt.Errorf("the claim names of %d objects exceed 4 GiB", len(owners))
			}
			c.list = append(c.list, claimant{start: uint32(start), end: uint32(names.Len()), owner: uint32(i)})
		}
	}
	c.names = names.String()
	slices.SortFunc(c.list, func(a, b claimant) int {
		return cmp.Or(strings.Compare(c.name(a), c.name(b)), cmp.Compare(a.owner, b.owner))
	})
	// An object that lists a key twice claims it once.
	c.list = slices.CompactFunc(c.list, func(a, b claimant) bool { return a.owner == b.owner && c.name(a) == c.name(b) })
	c.held = make([]bool, len(c.list))
	return c, nil
}

// name is a's claim name.
func (c *claimants) name(a claimant) string { return c.names[a.start:a.end] }

// find is the run of the claimants of the claim name, empty when no
// cached object claims it.
func (c *claimants) find(name string) claimRun {
	lo, _ := slices.BinarySearchFunc(c.list, name, func(a claimant, name string) int { return strings.Compare(c.name(a), name) })
	return c.runFrom(lo, name)
}

// runFrom is the run of the claimants of name that starts at lo.
func (c *claimants) runFrom(lo int, name string) claimRun {
	hi := lo
	for hi < len(c.list) && c.name(c.list[hi]) == name {
		hi++
	}
	return claimRun{c: c, lo: lo, hi: hi}
}

// first is true when list[i] starts a run: the first claimant of its name.
func (c *claimants) first(i int) bool {
	return i == 0 || c.name(c.list[i-1]) != c.name(c.list[i])
}

// countHeld is how many of the claimed keys have their claim.
func (c *claimants) countHeld() int {
	n := 0
	for _, h := range c.held {
		if h {
			n++
		}
	}
	return n
}

// claimRun is the claimants of one claim name: list[lo:hi].
type claimRun struct {
	c      *claimants
	lo, hi int
}

// empty is true when no cached object claims the name.
func (r claimRun) empty() bool { return r.lo == r.hi }

// object is the run's i-th claimant's object.
func (r claimRun) object(i int) client.Object { return r.c.owners[r.c.list[r.lo+i].owner] }

// claimedBy is true when one of the run's objects has uid.
func (r claimRun) claimedBy(uid types.UID) bool {
	for i := range r.hi - r.lo {
		if r.object(i).GetUID() == uid {
			return true
		}
	}
	return false
}

// oldest is the object that keeps a contested key: the oldest, then the
// first by namespace/name, as Istio lets the oldest win; of equals, the
// first listed.
func (r claimRun) oldest() client.Object {
	best := r.object(0)
	for i := 1; i < r.hi-r.lo; i++ {
		if o := r.object(i); older(o, best) < 0 {
			best = o
		}
	}
	return best
}

// older orders objects oldest first, then by namespace/name.
func older(a, b client.Object) int {
	return cmp.Or(a.GetCreationTimestamp().Compare(b.GetCreationTimestamp().Time),
		cmp.Compare(a.GetNamespace(), b.GetNamespace()), cmp.Compare(a.GetName(), b.GetName()))
}
