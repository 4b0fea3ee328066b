package webhook

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gateguard/gateguard/rules"
	"github.com/go-logr/logr"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestDecideAdmitsOneOfConcurrentClaims: n decisions for one host read the
// claims together, each finding the host free; exactly one may commit its
// reservation, and the others, deciding again on what it added, refuse.
func TestDecideAdmitsOneOfConcurrentClaims(t *testing.T) {
	const n, host = 8, "race.example.com"
	r := newReservations(time.Hour, absentStore{}, logr.Discard())
	base := rules.NewMemorySnapshot()
	var allReading sync.WaitGroup
	allReading.Add(n)
	var decisions, held atomic.Int64
	var done sync.WaitGroup
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			vs := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: fmt.Sprintf("vs-%d", i),
				UID: "u", Generation: 1}}
			vs.Spec.Hosts = []string{host}
			first := true
			err := r.decide(base, vs, false, func(snap rules.Snapshot) (bool, error) {
				if decisions.Add(1); first {
					// Every decision reads before any commits.
					first = false
					allReading.Done()
					allReading.Wait()
				}
				free := len(snap.VirtualServicesWithHost(host)) == 0
				if free {
					held.Add(1)
				}
				return free, nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	done.Wait()
	if got := len(r.pending); got != 1 {
		t.Errorf("%d reservations of %s, want exactly 1", got, host)
	}
	// n first readings, all free; n-1 decide again, all refused.
	if got, want := decisions.Load(), int64(2*n-1); got != want {
		t.Errorf("%d decisions, want %d", got, want)
	}
	if got := held.Load(); got != n {
		t.Errorf("%d decisions found %s free, want %d (the first readings)", got, host, n)
	}
}
