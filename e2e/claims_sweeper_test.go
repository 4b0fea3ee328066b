package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gateguard/gateguard/e2e/cluster"
	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestClaimsOneReplicaSweeps: of two replicas, the sweeper's Lease has a
// holder and exactly one replica sweeps, the other waiting on the Lease.
func TestClaimsOneReplicaSweeps(t *testing.T) {
	r := startReplicas(t, "--claims-sweep-interval", "2s")
	lease := &coordinationv1.Lease{}
	var last error
	err := wait.PollUntilContextTimeout(context.Background(), 500*time.Millisecond, 45*time.Second, true,
		func(ctx context.Context) (bool, error) {
			key := client.ObjectKey{Namespace: "gateguard-system", Name: "gateguard-claims-sweeper"}
			if err := env.Client.Get(ctx, key, lease); err != nil {
				last = fmt.Errorf("the sweeper's Lease: %w", err)
				return false, nil
			}
			if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
				last = fmt.Errorf("the Lease has no holder: %+v", lease.Spec)
				return false, nil
			}
			swept, err := replicasThatSwept(ctx, r.Procs)
			if err != nil {
				last = err
				return false, nil
			}
			last = fmt.Errorf("%d replicas have swept, want exactly one, under Lease holder %s", swept,
				*lease.Spec.HolderIdentity)
			return swept == 1, nil
		})
	if err != nil {
		t.Fatalf("%v (%v)", last, err)
	}
	// Three more sweep intervals: the other replica must still not sweep.
	time.Sleep(6 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if swept, err := replicasThatSwept(ctx, r.Procs); err != nil || swept != 1 {
		t.Errorf("after three more sweep intervals %d replicas have swept (%v), want exactly one", swept, err)
	}
}

// replicasThatSwept counts the replicas with a successful sweep.
func replicasThatSwept(ctx context.Context, procs []*cluster.Gateguard) (int, error) {
	swept := 0
	for _, p := range procs {
		series, err := p.Metrics(ctx)
		if err != nil {
			return 0, err
		}
		if series.Sum("gateguard_claims_sweeps_total", map[string]string{"result": "success"}) > 0 {
			swept++
		}
	}
	return swept, nil
}
