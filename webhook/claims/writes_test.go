package claims

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	gateguardv1alpha1 "github.com/gateguard/gateguard/api/v1alpha1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

// ownRules is a Rules that shares nothing: the benchmark's owners claim
// distinct hosts, or the very host they already hold.
type ownRules struct{}

func (ownRules) ClaimsOf(context.Context, client.Object) ([]Key, error) { return nil, nil }
func (ownRules) Shares(Key, Owner, Key, Owner) bool                     { return false }

// writeCase is one kind of Claim call and the apiserver writes it costs
// by design: one per newly claimed host, none for a host the owner
// already holds, none for a dry run.
type writeCase struct {
	name   string
	fresh  bool // a new host every call
	dryRun bool
	writes float64
}

var writeCases = []writeCase{
	{"new host", true, false, 1},
	{"held by its owner", false, false, 0},
	{"dry run of a new host", true, true, 0},
}

// TestClaimWrites counts the writes of 50 calls of each kind at a fake
// client's interceptor.
func TestClaimWrites(t *testing.T) {
	for _, tc := range writeCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := claimWrites(t, tc, func(call func()) {
				for range 50 {
					call()
				}
			}); got != tc.writes {
				t.Errorf("%.2f apiserver writes per claim, want %.0f", got, tc.writes)
			}
		})
	}
}

// BenchmarkClaim times the same calls and reports their writes per op.
func BenchmarkClaim(b *testing.B) {
	for _, tc := range writeCases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			perOp := claimWrites(b, tc, func(call func()) {
				b.ResetTimer()
				for b.Loop() {
					call()
				}
			})
			b.ReportMetric(perOp, "writes/op")
		})
	}
}

// claimWrites runs tc's Claim call as often as loop calls it, after
// claiming the held host once, and returns the writes per call.
func claimWrites(tb testing.TB, tc writeCase, loop func(call func())) float64 {
	var writes atomic.Int64
	reg := New(Options{Client: countingClient(tb, &writes), Rules: ownRules{}})
	owner := Owner{APIVersion: "networking.istio.io/v1", Kind: "VirtualService", Namespace: "team-a",
		Name: "shop", UID: types.UID("uid-shop")}
	ctx := context.Background()
	held := []Key{{RouteTable: "http|pods:istio=ingressgateway|80|", Host: "shop.example.com"}}
	if _, err := reg.Claim(ctx, owner, held, false); err != nil {
		tb.Fatal(err)
	}
	writes.Store(0)
	calls := 0
	loop(func() {
		keys := held
		if tc.fresh {
			keys = []Key{{RouteTable: held[0].RouteTable, Host: fmt.Sprintf("h%d.example.com", calls)}}
		}
		calls++
		if denials, err := reg.Claim(ctx, owner, keys, tc.dryRun); err != nil || len(denials) > 0 {
			tb.Fatalf("Claim = %v, %v", denials, err)
		}
	})
	return float64(writes.Load()) / float64(calls)
}

// countingClient is a fake client that counts creates, updates and deletes.
func countingClient(tb testing.TB, writes *atomic.Int64) client.Client {
	scheme := runtime.NewScheme()
	if err := gateguardv1alpha1.AddToScheme(scheme); err != nil {
		tb.Fatal(err)
	}
	count := func() { writes.Add(1) }
	return fake.NewClientBuilder().WithScheme(scheme).WithInterceptorFuncs(interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			count()
			return c.Create(ctx, obj, opts...)
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			count()
			return c.Update(ctx, obj, opts...)
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			count()
			return c.Delete(ctx, obj, opts...)
		},
	}).Build()
}
