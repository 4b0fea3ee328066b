package claims

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gateguard/gateguard/webhook/claims"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestTakeoverOfGoneOwner: past the grace period, the claim of a deleted
// owner goes to the next claimant, by an update of the same HostClaim.
func TestTakeoverOfGoneOwner(t *testing.T) {
	w := newWorld(t, admin)
	k := w.key("shop.example.com")
	a := w.owner("gone-a", k)
	w.mustClaim(a, k)
	before := w.claim(k)
	if err := admin.Delete(context.Background(), &corev1.ConfigMap{ObjectMeta: objectMeta("gone-a")}); err != nil {
		t.Fatal(err)
	}
	w.clock.advance(grace + time.Second)
	b := ghost("b")
	w.mustClaim(b, k)
	after := w.claim(k)
	if after.Spec.Owner != b || after.UID != before.UID || after.Labels[claims.OwnerUIDLabel] != string(b.UID) {
		t.Errorf("after the takeover: owner %s, uid %s (was %s), label %q; want owner b in the same object, labelled",
			after.Spec.Owner.Name, after.UID, before.UID, after.Labels[claims.OwnerUIDLabel])
	}
	if !after.Spec.ClaimedAt.Time.Equal(w.clock.now().Truncate(time.Second)) {
		t.Errorf("claimedAt %s, want the takeover's time %s", after.Spec.ClaimedAt, w.clock.now())
	}
	if got := w.counter("gateguard_claims_takeovers_total", ""); got != 1 {
		t.Errorf("gateguard_claims_takeovers_total = %v, want 1", got)
	}
}

// TestTakeoverOfOwnerThatDroppedTheHost: past the grace period, an owner
// that still exists but no longer claims the host (its object changed)
// loses it.
func TestTakeoverOfOwnerThatDroppedTheHost(t *testing.T) {
	w := newWorld(t, admin)
	k, other := w.key("shop.example.com"), w.key("other.example.com")
	a := w.owner("dropped-a", k)
	w.mustClaim(a, k)
	cm := &corev1.ConfigMap{}
	if err := admin.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: "dropped-a"}, cm); err != nil {
		t.Fatal(err)
	}
	cm.Data["claims"] = lines([]claims.Key{other})
	if err := admin.Update(context.Background(), cm); err != nil {
		t.Fatal(err)
	}
	w.clock.advance(grace + time.Second)
	b := w.owner("dropped-b", k)
	w.mustClaim(b, k)
	w.wantOwner(k, b)
}

// TestTakeoverOfRecreatedOwner: an object deleted and created again under
// the same name is another owner (another UID): the new one takes the old
// one's claim at once, within the grace period, since two objects cannot
// share a name and a live read shows the old one gone; while the old one
// exists, the new one (whose create etcd will refuse) is denied.
func TestTakeoverOfRecreatedOwner(t *testing.T) {
	w := newWorld(t, admin)
	k := w.key("shop.example.com")
	old := w.owner("recreated", k)
	w.mustClaim(old, k)
	if err := admin.Delete(context.Background(), &corev1.ConfigMap{ObjectMeta: objectMeta("recreated")}); err != nil {
		t.Fatal(err)
	}
	renewed := w.owner("recreated", k)
	w.mustClaim(renewed, k) // at once: the old UID is gone, whatever the grace period
	if got := w.claim(k).Spec.Owner; got.UID != renewed.UID || got.UID == old.UID {
		t.Errorf("the claim's owner UID is %s, want the new object's %s (the old one was %s)", got.UID, renewed.UID, old.UID)
	}
	sameNameOtherUID := renewed
	sameNameOtherUID.UID = ghost("x").UID
	denials, err := w.registry().Claim(context.Background(), sameNameOtherUID, []claims.Key{k}, false)
	if err != nil || len(denials) != 1 || denials[0].Owner != renewed || denials[0].Held {
		t.Errorf("a create under the name of an existing owner: %+v, %v; want one denial naming it, not held", denials, err)
	}
}

// TestGracePeriodHolds: an owner the apiserver does not show (in
// admission) keeps its claim for the whole grace period, and loses it
// after.
func TestGracePeriodHolds(t *testing.T) {
	w := newWorld(t, admin)
	k := w.key("shop.example.com")
	a := ghost("in-admission")
	w.mustClaim(a, k)
	for _, at := range []time.Duration{0, grace - time.Second} {
		w.clock = &clock{t: w.claim(k).Spec.ClaimedAt.Add(at)}
		denials, err := w.registry().Claim(context.Background(), ghost("b"), []claims.Key{k}, false)
		want := fmt.Sprintf(`"shop.example.com" on %s was claimed moments ago by ConfigMap default/in-admission, which is being admitted or was just deleted (HostClaim %s)`,
			k.Where, claims.Name(k.RouteTable, k.Host))
		if err != nil || len(denials) != 1 || !denials[0].Held || denials[0].Message() != want {
			t.Fatalf("%s into the grace period: %+v, %v; want one held denial saying\n%s", at, denials, err, want)
		}
	}
	w.clock.advance(2 * time.Second)
	b := ghost("b")
	w.mustClaim(b, k)
	w.wantOwner(k, b)
}

// TestConcurrentTakeoversLeaveOneOwner: ten claimants find one stale claim
// at once; the resourceVersion in each update lets one take it, and the
// others, deciding again, find it freshly held by the winner.
func TestConcurrentTakeoversLeaveOneOwner(t *testing.T) {
	w := newWorld(t, admin)
	k := w.key("shop.example.com")
	w.mustClaim(ghost("never-stored"), k)
	w.clock.advance(grace + time.Second)
	granted, denied := race(t, w, k, 10)
	if len(granted) != 1 || len(denied) != 9 {
		t.Fatalf("%d granted, %d denied; want 1 and 9", len(granted), len(denied))
	}
	for _, d := range denied {
		if d.Owner != granted[0] || !d.Held {
			t.Errorf("a denial names %s (held %v), want the winner %s, held", d.Owner.Name, d.Held, granted[0].Name)
		}
	}
	if got := w.claim(k).Spec.Owner; got != granted[0] {
		t.Errorf("the claim's owner is %s, want the winner %s", got.Name, granted[0].Name)
	}
	if got := w.counter("gateguard_claims_takeovers_total", ""); got != 1 {
		t.Errorf("gateguard_claims_takeovers_total = %v, want 1", got)
	}
}
