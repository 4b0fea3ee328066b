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

// BenchmarkClaim measures the registry's cost in apiserver writes, the
// figure claims are designed around: one per newly claimed host, none for
// a host the owner already holds, none for a dry run. Writes are counted
// at a fake client's interceptor and reported per operation; a count
// other than the design's fails the benchmark.
func BenchmarkClaim(b *testing.B) {
	cases := []struct {
		name   string
		fresh  bool // a new host every iteration
		dryRun bool
		writes float64
	}{
		{"new host", true, false, 1},
		{"held by its owner", false, false, 0},
		{"dry run of a new host", true, true, 0},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var writes atomic.Int64
			reg := New(Options{Client: countingClient(b, &writes), Rules: ownRules{}})
			owner := Owner{APIVersion: "networking.istio.io/v1", Kind: "VirtualService", Namespace: "team-a",
				Name: "shop", UID: types.UID("uid-shop")}
			ctx := context.Background()
			held := []Key{{RouteTable: "http|pods:istio=ingressgateway|80|", Host: "shop.example.com"}}
			if _, err := reg.Claim(ctx, owner, held, false); err != nil {
				b.Fatal(err)
			}
			writes.Store(0)
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				keys := held
				if tc.fresh {
					keys = []Key{{RouteTable: held[0].RouteTable, Host: fmt.Sprintf("h%d.example.com", i)}}
				}
				i++
				if denials, err := reg.Claim(ctx, owner, keys, tc.dryRun); err != nil || len(denials) > 0 {
					b.Fatalf("Claim = %v, %v", denials, err)
				}
			}
			perOp := float64(writes.Load()) / float64(i)
			b.ReportMetric(perOp, "writes/op")
			if perOp != tc.writes {
				b.Fatalf("%.2f apiserver writes per claim, want %.0f", perOp, tc.writes)
			}
		})
	}
}

// countingClient is a fake client that counts creates, updates and deletes.
func countingClient(b *testing.B, writes *atomic.Int64) client.Client {
	scheme := runtime.NewScheme()
	if err := gateguardv1alpha1.AddToScheme(scheme); err != nil {
		b.Fatal(err)
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
