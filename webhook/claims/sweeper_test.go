package claims

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	gateguardv1alpha1 "github.com/gateguard/gateguard/api/v1alpha1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestSweepSettlesEveryClaim sweeps claims served three pages long in
// reverse name order: it keeps the claims their owners hold and one in
// the grace period, hands a stale claim to the object that claims it,
// deletes one nobody claims, backfills the missing keys (a shared one for
// its oldest claimant) and counts what is left held.
func TestSweepSettlesEveryClaim(t *testing.T) {
	w := &sweepWorld{}
	for i := range 1200 {
		host := fmt.Sprintf("kept-%d.example.com", i)
		w.addClaim(host, w.addOwner(fmt.Sprintf("kept-%d", i), 0, host), 0)
	}
	vs := w.addOwner("vs", 0, "a.example.com", "b.example.com", "taken.example.com", "a.example.com")
	w.addOwner("newer", 10*time.Second, "shared.example.com")
	w.addOwner("older", -time.Hour, "shared.example.com", "b.example.com")
	w.addClaim("a.example.com", vs, 0)
	w.addClaim("taken.example.com", ownerOfConfigMap("gone"), 0)
	w.addClaim("orphan.example.com", ownerOfConfigMap("gone"), 0)
	w.addClaim("in-admission.example.com", ownerOfConfigMap("in-admission"), time.Hour-time.Second)
	slices.SortFunc(w.claims, func(a, b gateguardv1alpha1.HostClaim) int { return strings.Compare(b.Name, a.Name) })
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if err := NewSweeper(w.registry(t, time.Hour, m), w, time.Minute).Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantCreated := map[string]string{Name(sweepTable, "b.example.com"): "older", Name(sweepTable, "shared.example.com"): "older"}
	if !maps.Equal(w.created, wantCreated) {
		t.Errorf("backfilled %v, want %v", w.created, wantCreated)
	}
	if want := map[string]string{Name(sweepTable, "taken.example.com"): "vs"}; !maps.Equal(w.updated, want) {
		t.Errorf("took over %v, want %v", w.updated, want)
	}
	if want := []string{Name(sweepTable, "orphan.example.com")}; !slices.Equal(w.deleted, want) {
		t.Errorf("deleted %v, want %v", w.deleted, want)
	}
	// 1200 kept, a, taken, in-admission, and the two backfilled.
	if got := testutil.ToFloat64(m.held); got != 1205 {
		t.Errorf("gateguard_claims_held = %v, want 1205", got)
	}
}

// BenchmarkSweepMemory sweeps the load tool's snapshot in claims (41k
// keys of 21k owners, 500 of them shared) with every claim held, and
// with none (the first install's backfill), and reports the most the
// sweep holds beyond the world itself (live-B/op: the live heap after a
// GC on the last page of claims and on the first backfill, less that
// after a first sweep).
func BenchmarkSweepMemory(b *testing.B) {
	for _, held := range []bool{true, false} {
		b.Run(fmt.Sprintf("held=%v", held), func(b *testing.B) {
			w := loadWorld(20500, held)
			s := NewSweeper(w.registry(b, time.Hour, nil), w, time.Minute)
			sweep := func() {
				w.created = map[string]string{} // each sweep's first create finds none
				if err := s.Sweep(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
			sweep() // what the first sweep leaves is not the sweep's
			w.created = nil
			base, peak := liveHeap(), uint64(0)
			w.sample = func() { peak = max(peak, liveHeap()) }
			b.ReportAllocs()
			for b.Loop() {
				sweep()
			}
			b.ReportMetric(float64(peak-base), "live-B/op")
		})
	}
}

// liveHeap is the heap's live bytes, after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
