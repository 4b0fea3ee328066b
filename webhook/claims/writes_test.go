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

// writeCase is one kind of Claim call and the apiserver requests it
// costs by design (docs/claims.md#writes): a newly claimed host no cached
// object holds one write and nothing else; one a cached object holds
// (a hostname split within a namespace finds its claim there) a read
// first, so a held claim costs no refused create; a host the owner
// already holds one read, or a refused create and a read when the cache
// did not show it; a dry run one read.
type writeCase struct {
	name     string
	fresh    bool // a new host every call
	unheld   bool // no cached object claims it (Key.Unheld)
	dryRun   bool
	writes   float64
	requests float64
}

var writeCases = []writeCase{
	{"new host, no cached holder", true, true, false, 1, 1},
	{"new host a cached object claims too", true, false, false, 1, 2},
	{"held by its owner", false, false, false, 0, 1},
	{"held by its owner, not in the cache", false, true, false, 0, 2},
	{"dry run of a new host", true, true, true, 0, 1},
}

// apiserverCalls counts a client's requests, and of them the writes that
// changed something.
type apiserverCalls struct{ writes, requests atomic.Int64 }

// TestClaimWrites counts the requests and writes of 50 calls of each kind
// at a fake client's interceptor.
func TestClaimWrites(t *testing.T) {
	for _, tc := range writeCases {
		t.Run(tc.name, func(t *testing.T) {
			writes, requests := claimCalls(t, tc, func(call func()) {
				for range 50 {
					call()
				}
			})
			if writes != tc.writes || requests != tc.requests {
				t.Errorf("%.2f apiserver writes and %.2f requests per claim, want %.0f and %.0f", writes, requests,
					tc.writes, tc.requests)
			}
		})
	}
}

// BenchmarkClaim times the same calls and reports their writes and
// requests per op.
func BenchmarkClaim(b *testing.B) {
	for _, tc := range writeCases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			writes, requests := claimCalls(b, tc, func(call func()) {
				b.ResetTimer()
				for b.Loop() {
					call()
				}
			})
			b.ReportMetric(writes, "writes/op")
			b.ReportMetric(requests, "requests/op")
		})
	}
}

// claimCalls runs tc's Claim call as often as loop calls it, after
// claiming the held host once, and returns the writes and requests per
// call.
func claimCalls(tb testing.TB, tc writeCase, loop func(call func())) (writes, requests float64) {
	calls := &apiserverCalls{}
	reg := New(Options{Client: countingClient(tb, calls), Rules: ownRules{}})
	owner := Owner{APIVersion: "networking.istio.io/v1", Kind: "VirtualService", Namespace: "team-a",
		Name: "shop", UID: types.UID("uid-shop")}
	ctx := context.Background()
	held := []Key{{RouteTable: "http|pods:istio=ingressgateway|80|", Host: "shop.example.com"}}
	if _, err := reg.Claim(ctx, owner, held, false); err != nil {
		tb.Fatal(err)
	}
	calls.writes.Store(0)
	calls.requests.Store(0)
	n := 0
	loop(func() {
		keys := []Key{{RouteTable: held[0].RouteTable, Host: held[0].Host, Unheld: tc.unheld}}
		if tc.fresh {
			keys[0].Host = fmt.Sprintf("h%d.example.com", n)
		}
		n++
		if denials, err := reg.Claim(ctx, owner, keys, tc.dryRun); err != nil || len(denials) > 0 {
			tb.Fatalf("Claim = %v, %v", denials, err)
		}
	})
	return float64(calls.writes.Load()) / float64(n), float64(calls.requests.Load()) / float64(n)
}

// countingClient is a fake client that counts every request, and the
// creates, updates and deletes that succeed.
func countingClient(tb testing.TB, calls *apiserverCalls) client.Client {
	scheme := runtime.NewScheme()
	if err := gateguardv1alpha1.AddToScheme(scheme); err != nil {
		tb.Fatal(err)
	}
	write := func(err error) error {
		calls.requests.Add(1)
		if err == nil {
			calls.writes.Add(1)
		}
		return err
	}
	return fake.NewClientBuilder().WithScheme(scheme).WithInterceptorFuncs(interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			calls.requests.Add(1)
			return c.Get(ctx, key, obj, opts...)
		},
		List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			calls.requests.Add(1)
			return c.List(ctx, list, opts...)
		},
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			return write(c.Create(ctx, obj, opts...))
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			return write(c.Update(ctx, obj, opts...))
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			return write(c.Delete(ctx, obj, opts...))
		},
	}).Build()
}
