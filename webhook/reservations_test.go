package webhook

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gateguard/gateguard/rules"
	"github.com/go-logr/logr"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// absentStore knows of no object anywhere.
type absentStore struct{}

func (absentStore) cached(client.Object) (types.UID, int64, bool) { return "", 0, false }
func (absentStore) stored(context.Context, client.Object) (types.UID, int64, bool, error) {
	return "", 0, false, nil
}

// fakeStore answers from fields a test sets; the apiserver holds
// apiUID/apiGeneration when inAPI.
type fakeStore struct {
	uid           types.UID
	generation    int64
	inCache       bool
	inAPI         bool
	apiUID        types.UID
	apiGeneration int64
	apiErr        error
}

func (s *fakeStore) cached(client.Object) (types.UID, int64, bool) {
	return s.uid, s.generation, s.inCache
}

func (s *fakeStore) stored(context.Context, client.Object) (types.UID, int64, bool, error) {
	return s.apiUID, s.apiGeneration, s.inAPI, s.apiErr
}

// reserve admits one VirtualService with a UID through decide.
func reserve(t *testing.T, r *reservations) *networkingv1.VirtualService {
	t.Helper()
	vs := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "vs", UID: "u1", Generation: 1}}
	vs.Spec.Hosts = []string{"a.example.com"}
	err := r.decide(rules.NewMemorySnapshot(), vs, false, func(rules.Snapshot) (bool, error) { return true, nil })
	if err != nil || len(r.pending) != 1 || len(r.byKey[reservationKey(rules.IndexHost, "a.example.com")]) != 1 {
		t.Fatalf("not reserved: %v", err)
	}
	return vs
}

func TestReservationHeldUntilTheCacheShowsIt(t *testing.T) {
	cases := []struct {
		name        string
		store       fakeStore
		event       *networkingv1.VirtualService // an informer event, if any
		afterTTL    bool
		wantPending int
	}{
		{"informer reports the object", fakeStore{}, vsEvent("u1", 1), false, 0},
		{"informer reports an older object of that name", fakeStore{}, vsEvent("u0", 3), false, 1},
		{"not yet cached, within ttl", fakeStore{}, nil, false, 1},
		{"past ttl, the cache holds it", fakeStore{uid: "u1", generation: 1, inCache: true}, nil, true, 0},
		{"past ttl, the create never happened", fakeStore{}, nil, true, 0},
		{"past ttl, stored but the cache is behind", fakeStore{inAPI: true, apiUID: "u1", apiGeneration: 1}, nil, true, 1},
		{"past ttl, an update refused after admission (older generation)",
			fakeStore{uid: "u1", generation: 0, inCache: true, inAPI: true, apiUID: "u1", apiGeneration: 0}, nil, true, 0},
		{"past ttl, another object of that name", fakeStore{inAPI: true, apiUID: "u9", apiGeneration: 1}, nil, true, 0},
		{"past ttl, apiserver unreachable", fakeStore{apiErr: errors.New("connection refused")}, nil, true, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clock := time.Unix(1000, 0)
			r := newReservations(10*time.Second, &c.store, logr.Discard())
			r.now = func() time.Time { return clock }
			reserve(t, r)
			if c.event != nil {
				r.observe(c.event)
			}
			if c.afterTTL {
				clock = clock.Add(11 * time.Second)
			}
			r.sweep(context.Background())
			if got := len(r.pending); got != c.wantPending {
				t.Errorf("%d claims pending, want %d", got, c.wantPending)
			}
			if c.wantPending == 0 && len(r.byKey) != 0 {
				t.Errorf("released claim still indexed: %v", r.byKey)
			}
		})
	}
}

func vsEvent(uid types.UID, generation int64) *networkingv1.VirtualService {
	return &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "vs", UID: uid, Generation: generation}}
}

func TestDeletedObjectReleasesItsClaim(t *testing.T) {
	r := newReservations(time.Minute, absentStore{}, logr.Discard())
	vs := reserve(t, r)
	r.forget(toolscache.DeletedFinalStateUnknown{Obj: vsEvent("u0", 1)}) // another object of that name
	if len(r.pending) != 1 {
		t.Fatal("a delete of another UID released the claim")
	}
	r.forget(vs)
	if len(r.pending) != 0 || len(r.byKey) != 0 {
		t.Errorf("claim kept after its object was deleted: %v", r.pending)
	}
}

// TestRouteClaimReleasedByItsInformer: a route's claim goes when its own
// kind's informer reports it; a VirtualService of the same name is
// another claim.
func TestRouteClaimReleasedByItsInformer(t *testing.T) {
	r := newReservations(time.Minute, absentStore{}, logr.Discard())
	route := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "vs", UID: "u1", Generation: 1}}
	route.Spec.Hostnames = []gatewayv1.Hostname{"a.example.com"}
	if err := r.decide(rules.NewMemorySnapshot(), route, false, func(rules.Snapshot) (bool, error) { return true, nil }); err != nil {
		t.Fatal(err)
	}
	if len(r.byKey[reservationKey(rules.IndexRouteHostname, "a.example.com")]) != 1 {
		t.Fatalf("the route is not filed under its hostname: %v", r.byKey)
	}
	r.observe(vsEvent("u1", 1))
	if len(r.pending) != 1 {
		t.Fatal("a VirtualService of the same name released the route's claim")
	}
	r.observe(route.DeepCopy())
	if len(r.pending) != 0 || len(r.byKey) != 0 {
		t.Errorf("claim kept after the informer showed the route: %v", r.pending)
	}
}
