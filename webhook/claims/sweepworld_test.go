package claims

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gateguardv1alpha1 "github.com/gateguard/gateguard/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

// sweepTable is the route table every key of a sweep world is in.
const sweepTable = "http|pods:istio=ingressgateway|80|"

// sweepEpoch is when a sweep world's objects were created and claimed.
var sweepEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// hostRules has a ConfigMap claim each host its "hosts" entry lists, in
// sweepTable; nothing is shared.
type hostRules struct{}

func (hostRules) ClaimsOf(_ context.Context, obj client.Object) ([]Key, error) {
	cm, ok := obj.(*corev1.ConfigMap)
	if !ok {
		return nil, fmt.Errorf("%T is not a ConfigMap", obj)
	}
	var keys []Key
	for _, h := range strings.Fields(cm.Data["hosts"]) {
		keys = append(keys, Key{RouteTable: sweepTable, Host: h})
	}
	return keys, nil
}

func (hostRules) Shares(Key, Owner, Key, Owner) bool { return false }

// sweepWorld is a cluster for the sweeper without an apiserver: owners in
// memory, HostClaims served a page at a time in the order given (the
// sweeper must not rely on name order), and the writes recorded, not
// stored. sample, when set, is called on the last page's list and on the
// first create: the points where a sweep holds the most.
type sweepWorld struct {
	owners  []client.Object
	claims  []gateguardv1alpha1.HostClaim
	sample  func()
	mu      sync.Mutex
	created map[string]string // claim name → owner name
	updated map[string]string // claim name → owner name
	deleted []string
}

// ListOwners is the sweeper's view of the owners.
func (w *sweepWorld) ListOwners(context.Context) ([]client.Object, error) { return w.owners, nil }

// addOwner adds a ConfigMap created at sweepEpoch+age claiming hosts.
func (w *sweepWorld) addOwner(name string, age time.Duration, hosts ...string) Owner {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: name, UID: types.UID("uid-" + name),
		CreationTimestamp: metav1.NewTime(sweepEpoch.Add(age))}, Data: map[string]string{"hosts": strings.Join(hosts, " ")}}
	w.owners = append(w.owners, cm)
	return ownerOfConfigMap(name)
}

// ownerOfConfigMap is the claim owner of the ConfigMap team/name.
func ownerOfConfigMap(name string) Owner {
	return Owner{APIVersion: "v1", Kind: "ConfigMap", Namespace: "team", Name: name, UID: types.UID("uid-" + name)}
}

// addClaim adds the HostClaim of host for owner, claimed at sweepEpoch+at.
func (w *sweepWorld) addClaim(host string, owner Owner, at time.Duration) {
	name := Name(sweepTable, host)
	w.claims = append(w.claims, gateguardv1alpha1.HostClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("claim-" + name), ResourceVersion: "1"},
		Spec: gateguardv1alpha1.HostClaimSpec{Host: host, RouteTable: sweepTable, Owner: owner,
			ClaimedAt: metav1.NewTime(sweepEpoch.Add(at))}})
}

// registry is a Registry over w whose clock reads sweepEpoch+now.
func (w *sweepWorld) registry(tb testing.TB, now time.Duration, m *Metrics) *Registry {
	scheme := runtime.NewScheme()
	if err := gateguardv1alpha1.AddToScheme(scheme); err != nil {
		tb.Fatal(err)
	}
	if err := corev1.AddToScheme(scheme); err != nil {
		tb.Fatal(err)
	}
	w.created, w.updated = map[string]string{}, map[string]string{}
	c := fake.NewClientBuilder().WithScheme(scheme).WithInterceptorFuncs(interceptor.Funcs{
		List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			if page, ok := list.(*gateguardv1alpha1.HostClaimList); ok {
				return w.page(page, opts)
			}
			return c.List(ctx, list, opts...)
		},
		Create: func(_ context.Context, _ client.WithWatch, obj client.Object, _ ...client.CreateOption) error {
			return w.create(obj.(*gateguardv1alpha1.HostClaim))
		},
		Update: func(_ context.Context, _ client.WithWatch, obj client.Object, _ ...client.UpdateOption) error {
			w.updated[obj.GetName()] = obj.(*gateguardv1alpha1.HostClaim).Spec.Owner.Name // settled one at a time
			return nil
		},
		Delete: func(_ context.Context, _ client.WithWatch, obj client.Object, _ ...client.DeleteOption) error {
			w.deleted = append(w.deleted, obj.GetName()) // the sweeper deletes one claim at a time
			return nil
		},
	}).Build()
	return New(Options{Client: c, Rules: hostRules{}, Now: func() time.Time { return sweepEpoch.Add(now) }, Metrics: m})
}

// page serves the claims the list options ask for; its continue token is
// the index of the next claim.
func (w *sweepWorld) page(page *gateguardv1alpha1.HostClaimList, opts []client.ListOption) error {
	o := client.ListOptions{}
	o.ApplyOptions(opts)
	from := 0
	if o.Continue != "" {
		var err error
		if from, err = strconv.Atoi(o.Continue); err != nil {
			return err
		}
	}
	to := len(w.claims)
	if o.Limit > 0 {
		to = min(to, from+int(o.Limit))
	}
	page.Items = slices.Clone(w.claims[from:to])
	if to < len(w.claims) {
		page.Continue = strconv.Itoa(to)
	} else if w.sample != nil {
		w.sample()
	}
	return nil
}

// create records a backfill.
func (w *sweepWorld) create(hc *gateguardv1alpha1.HostClaim) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.created) == 0 && w.sample != nil {
		w.sample()
	}
	w.created[hc.Name] = hc.Spec.Owner.Name
	return nil
}

// loadWorld is the load tool's snapshot in claims: pairs owners that
// claim two hosts each, and one owner in 41 that shares a host of the
// owner before it, older than it (so that the older one keeps the host).
// held gives every host a claim, held by its first claimant.
func loadWorld(pairs int, held bool) *sweepWorld {
	w := &sweepWorld{}
	for i := range pairs {
		a, b := fmt.Sprintf("h%d-a.example.com", i), fmt.Sprintf("h%d-b.example.com", i)
		owner := w.addOwner(fmt.Sprintf("vs-%d", i), time.Duration(i)*time.Second, a, b)
		if i%41 == 0 {
			w.addOwner(fmt.Sprintf("sharer-%d", i), -time.Hour, a)
		}
		if held {
			w.addClaim(a, owner, 0)
			w.addClaim(b, owner, 0)
		}
	}
	return w
}
