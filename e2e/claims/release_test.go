package claims

import (
	"context"
	"testing"
	"time"

	"github.com/gateguard/gateguard/webhook/claims"
)

// TestRelease: an owner that drops a host releases that claim and keeps
// the rest; deleted, it releases all; another owner's claims, and a claim
// taken over from it, are left alone.
func TestRelease(t *testing.T) {
	w := newWorld(t, admin)
	a, b, taken, theirs := w.key("a.example.com"), w.key("b.example.com"), w.key("taken.example.com"), w.key("theirs.example.com")
	owner := ghost("vs")
	w.mustClaim(owner, a, b, taken)
	w.mustClaim(ghost("other"), theirs)
	w.clock.advance(grace + time.Second)
	thief := ghost("thief")
	w.mustClaim(thief, taken) // owner, never stored, lost it
	r := w.registry()
	if err := r.Release(context.Background(), owner, []claims.Key{a}); err != nil {
		t.Fatal(err)
	}
	if w.claim(a) == nil || w.claim(b) != nil {
		t.Errorf("after dropping b: a claimed %v, b claimed %v; want a kept and b released", w.claim(a) != nil, w.claim(b) != nil)
	}
	if err := r.Release(context.Background(), owner, nil); err != nil {
		t.Fatal(err)
	}
	if w.claim(a) != nil {
		t.Error("a is still claimed after its owner was deleted")
	}
	if hc := w.claim(taken); hc == nil || hc.Spec.Owner != thief {
		t.Errorf("the claim taken over was released with its former owner: %v", hc)
	}
	if w.claim(theirs) == nil {
		t.Error("another owner's claim was released")
	}
	if got := w.counter("gateguard_claims_releases_total", "reason=released"); got != 2 {
		t.Errorf("releases{released} = %v, want 2", got)
	}
}
