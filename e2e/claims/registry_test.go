package claims

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gateguard/gateguard/webhook/claims"
)

// TestOneWinnerAmongConcurrentClaims: twenty owners claim one host at once,
// each through a registry of its own (twenty replicas sharing only the
// apiserver), half of them creating the claim outright as for a host their
// cache shows no holder of (claims.Key.Unheld), in ten rounds: every round exactly one is granted, the other
// nineteen are denied naming it, and one HostClaim names it.
func TestOneWinnerAmongConcurrentClaims(t *testing.T) {
	w := newWorld(t, admin)
	for round := range 10 {
		k := w.key(fmt.Sprintf("shop-%d.example.com", round))
		granted, denied := race(t, w, k, 20)
		if len(granted) != 1 {
			t.Fatalf("round %d: %d owners granted %s, want exactly 1: %v", round, len(granted), k.Host, granted)
		}
		winner := granted[0]
		for _, d := range denied {
			if d.Owner.UID != winner.UID || !d.Held {
				t.Errorf("round %d: a denial names %s (held %v), want the winner %s, held", round, d.Owner.Name, d.Held, winner.Name)
			}
		}
		if len(denied) != 19 {
			t.Errorf("round %d: %d denials, want 19", round, len(denied))
		}
		if hc := w.claim(k); hc == nil || hc.Spec.Owner != winner {
			t.Errorf("round %d: HostClaim %v, want one owned by %s", round, hc, winner.Name)
		}
	}
	if n := len(w.claimsOf()); n != 10 {
		t.Errorf("%d HostClaims after ten rounds, want 10", n)
	}
}

// race has n owners (not yet stored: in admission) claim k at once, and
// returns the owners granted it and the denials of the others.
func race(t *testing.T, w *world, k claims.Key, n int) (granted []claims.Owner, denied []claims.Denial) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		owner := ghost(fmt.Sprintf("vs-%d", i))
		r := w.registry()
		mine := k
		mine.Unheld = i%2 == 1
		wg.Go(func() {
			<-start
			ds, err := r.Claim(context.Background(), owner, []claims.Key{mine}, false)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				t.Errorf("%s: %v", owner.Name, err)
			case len(ds) == 0:
				granted = append(granted, owner)
			default:
				denied = append(denied, ds...)
			}
		})
	}
	close(start)
	wg.Wait()
	return granted, denied
}

// TestSameOwnerIsIdempotent: claiming again what one holds is granted and
// writes nothing.
func TestSameOwnerIsIdempotent(t *testing.T) {
	w := newWorld(t, admin)
	k1, k2 := w.key("a.example.com"), w.key("b.example.com")
	owner := ghost("vs")
	w.mustClaim(owner, k1, k2)
	before := w.claim(k1).ResourceVersion
	w.mustClaim(owner, k1, k2, k1)
	if after := w.claim(k1).ResourceVersion; after != before {
		t.Errorf("the second claim rewrote HostClaim: resourceVersion %s, then %s", before, after)
	}
	if n := len(w.claimsOf()); n != 2 {
		t.Errorf("%d HostClaims, want 2", n)
	}
}

// TestOwnedClaimDenies: past the grace period, an owner that exists and
// still claims the host keeps it; the denial names it, kind and all.
func TestOwnedClaimDenies(t *testing.T) {
	w := newWorld(t, admin)
	k := w.key("shop.example.com")
	a := w.owner("owned-a", k)
	w.mustClaim(a, k)
	w.clock.advance(grace + time.Second)
	denials, err := w.registry().Claim(context.Background(), ghost("b"), []claims.Key{k}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`"shop.example.com" on %s is claimed by ConfigMap default/owned-a (HostClaim %s)`, k.Where,
		claims.Name(k.RouteTable, k.Host))
	if len(denials) != 1 || denials[0].Held || denials[0].Message() != want {
		t.Fatalf("denials %+v, want one, not held, saying\n%s", denials, want)
	}
	if got := w.claim(k).Spec.Owner; got != a {
		t.Errorf("the claim's owner is %s, want %s", got.Name, a.Name)
	}
}

// TestSharedKey: where the rules let two owners share a host (a split
// pattern, same namespace), the second is granted without a write and the
// claim stays the first's; an owner of another namespace is denied.
func TestSharedKey(t *testing.T) {
	w := newWorld(t, admin)
	k := w.key("split.example.com")
	holder := ghost("first")
	w.mustClaim(holder, k)
	before := w.claim(k)
	w.mustClaim(ghost("second"), k)
	if after := w.claim(k); after.ResourceVersion != before.ResourceVersion || after.Spec.Owner != holder {
		t.Errorf("sharing rewrote the claim: owner %s, resourceVersion %s (was %s)", after.Spec.Owner.Name,
			after.ResourceVersion, before.ResourceVersion)
	}
	denials, err := w.registry().Claim(context.Background(), ghostIn("team-b", "other"), []claims.Key{k}, false)
	if err != nil || len(denials) != 1 || denials[0].Owner != holder {
		t.Errorf("another namespace: %+v, %v; want one denial naming first", denials, err)
	}
}

// TestSharedByProtocol: the held claim's protocol reaches the rules: a
// second HTTP server shares the port an HTTP server holds, a TCP one is
// denied.
func TestSharedByProtocol(t *testing.T) {
	w := newWorld(t, admin)
	port := w.key("")
	httpKey, tcpKey := port, port
	httpKey.Protocol, tcpKey.Protocol = "HTTP", "TCP"
	holder := ghost("gw-http")
	w.mustClaim(holder, httpKey)
	if got := w.claim(port).Spec.Protocol; got != "HTTP" {
		t.Fatalf("the claim's protocol is %q, want HTTP", got)
	}
	w.mustClaim(ghost("gw-http-too"), httpKey)
	denials, err := w.registry().Claim(context.Background(), ghost("gw-tcp"), []claims.Key{tcpKey}, false)
	if err != nil || len(denials) != 1 || denials[0].Owner != holder {
		t.Errorf("a TCP server on the port: %+v, %v; want one denial naming gw-http", denials, err)
	}
}

// TestUnheldKeyDecidesAlike: a key claimed as unheld (created without a
// read first) whose claim is there after all is decided as a read-first
// claim would be: held within the grace period is denied and left as it
// was, a stale one is taken over, a shared one granted without a write.
func TestUnheldKeyDecidesAlike(t *testing.T) {
	w := newWorld(t, admin)
	unheld := func(host string) claims.Key { k := w.key(host); k.Unheld = true; return k }
	stale, held, shared := unheld("stale.example.com"), unheld("held.example.com"), unheld("split.example.com")
	w.mustClaim(ghost("never-stored"), stale)
	w.clock.advance(grace + time.Second)
	holder := ghost("holder")
	w.mustClaim(holder, held, shared)
	before := versions(w)
	denials, err := w.registry().Claim(context.Background(), ghost("late"), []claims.Key{held}, false)
	if err != nil || len(denials) != 1 || denials[0].Owner != holder || !denials[0].Held {
		t.Errorf("a held claim: %+v, %v; want one denial naming holder, held", denials, err)
	}
	w.mustClaim(ghost("sharer"), shared)
	after := versions(w)
	for _, k := range []claims.Key{held, shared} {
		if name := claims.Name(k.RouteTable, k.Host); after[name] != before[name] {
			t.Errorf("HostClaim %s went from resourceVersion %s to %s, want it unchanged", name, before[name], after[name])
		}
	}
	taker := ghost("taker")
	w.mustClaim(taker, stale)
	w.wantOwner(stale, taker)
}
