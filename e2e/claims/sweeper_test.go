package claims

import (
	"context"
	"fmt"
	"testing"
	"time"

	gateguardv1alpha1 "github.com/gateguard/gateguard/api/v1alpha1"
	"github.com/gateguard/gateguard/webhook/claims"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestSweeper: one pass deletes the claim of a deleted owner and the claim
// of one that dropped the host, keeps a claim within the grace period and
// one whose owner still claims it, and gives a host that objects claim
// without a HostClaim (they predate gateguard) to the oldest of them, not
// to the first by name; a stale claim another object shares is handed to
// that object in place (the same HostClaim, one update).
func TestSweeper(t *testing.T) {
	// The sweeper sweeps the whole cluster: start from no claims at all.
	if err := admin.DeleteAllOf(context.Background(), &gateguardv1alpha1.HostClaim{}); err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, admin)
	gone, dropped, fresh, live, backfill, handed :=
		w.key("gone.example.com"), w.key("dropped.example.com"), w.key("fresh.example.com"),
		w.key("live.example.com"), w.key("backfill.example.com"), w.key("split.example.com")
	w.mustClaim(w.owner("sweep-gone", gone, handed), gone, handed)
	sharer := w.owner("sweep-sharer", handed)
	w.mustClaim(sharer, handed)                    // shared: the claim stays sweep-gone's
	w.mustClaim(w.owner("sweep-dropped"), dropped) // its object claims nothing
	w.mustClaim(w.owner("sweep-live", live), live)
	if err := admin.Delete(context.Background(), &corev1.ConfigMap{ObjectMeta: objectMeta("sweep-gone")}); err != nil {
		t.Fatal(err)
	}
	oldest := w.owner("sweep-z-oldest", backfill)
	time.Sleep(1100 * time.Millisecond) // creationTimestamps have seconds
	w.owner("sweep-a-newer", backfill)
	w.clock.advance(grace + time.Second)
	w.mustClaim(ghost("in-admission"), fresh)

	s := claims.NewSweeper(w.registry(), configMapOwners{admin}, time.Minute)
	if !s.NeedLeaderElection() {
		t.Error("the sweeper runs on every replica; want the elected one alone")
	}
	handedBefore := w.claim(handed)
	if handedBefore.Spec.Owner.Name != "sweep-gone" {
		t.Fatalf("the shared claim is %s's before the sweep, want sweep-gone's", handedBefore.Spec.Owner.Name)
	}
	if err := s.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[claims.Key]bool{gone: false, dropped: false, fresh: true, live: true, backfill: true, handed: true} {
		if got := w.claim(k) != nil; got != want {
			t.Errorf("%s claimed after the sweep: %v, want %v", k.Host, got, want)
		}
	}
	if hc := w.claim(backfill); hc != nil && hc.Spec.Owner != oldest {
		t.Errorf("backfilled for %s, want the oldest claimant sweep-z-oldest", hc.Spec.Owner.Name)
	}
	if hc := w.claim(handed); hc.Spec.Owner != sharer || hc.UID != handedBefore.UID {
		t.Errorf("the stale shared claim went to %s (uid %s, was %s); want it handed to sweep-sharer in place",
			hc.Spec.Owner.Name, hc.UID, handedBefore.UID)
	}
	for series, want := range map[[2]string]float64{
		{"gateguard_claims_takeovers_total", ""}:            1,
		{"gateguard_claims_releases_total", "reason=swept"}: 2,
		{"gateguard_claims_backfills_total", ""}:            1,
		{"gateguard_claims_sweeps_total", "result=success"}: 1,
	} {
		if got := w.counter(series[0], series[1]); got != want {
			t.Errorf("%s{%s} = %v, want %v", series[0], series[1], got, want)
		}
	}
	if got, all := w.counter("gateguard_claims_held", ""), len(allClaims(t)); got != float64(all) {
		t.Errorf("gateguard_claims_held = %v, want the %d HostClaims in the cluster", got, all)
	}
}

// allClaims lists every HostClaim in the cluster.
func allClaims(t *testing.T) []gateguardv1alpha1.HostClaim {
	t.Helper()
	list := &gateguardv1alpha1.HostClaimList{}
	if err := admin.List(context.Background(), list); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// claimLists counts the HostClaim lists made through it.
type claimLists struct {
	client.Client
	n int
}

func (c *claimLists) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	if _, ok := list.(*gateguardv1alpha1.HostClaimList); ok {
		c.n++
	}
	return c.Client.List(ctx, list, opts...)
}

// TestSweeperPagesThroughClaims: the sweeper reads the claims 500 at a
// time, never a cluster's every claim in one response, and still settles
// every one of them.
func TestSweeperPagesThroughClaims(t *testing.T) {
	if err := admin.DeleteAllOf(context.Background(), &gateguardv1alpha1.HostClaim{}); err != nil {
		t.Fatal(err)
	}
	lists := &claimLists{Client: admin}
	w := newWorld(t, lists)
	keys := make([]claims.Key, 1001)
	for i := range keys {
		keys[i] = w.key(fmt.Sprintf("page-%d.example.com", i))
	}
	w.mustClaim(ghost("in-admission"), keys...) // within the grace period: every claim stays
	lists.n = 0
	if err := claims.NewSweeper(w.registry(), configMapOwners{admin}, time.Minute).Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if lists.n != 3 {
		t.Errorf("the sweep listed the HostClaims %d times, want 3 pages (500, 500, 1)", lists.n)
	}
	if got := w.counter("gateguard_claims_held", ""); got != 1001 {
		t.Errorf("gateguard_claims_held = %v after the sweep, want all 1001 claims settled and kept", got)
	}
}
