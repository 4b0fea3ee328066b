package claims

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	gateguardv1alpha1 "github.com/gateguard/gateguard/api/v1alpha1"
	"github.com/gateguard/gateguard/webhook/claims"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/uuid"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// configMapRules is the test's stand-in for the policy rules: a ConfigMap
// claims the keys listed in its data["claims"], one "routeTable host" a
// line. The registry reads owners live and asks it what they claim.
type configMapRules struct{}

func (configMapRules) ClaimsOf(_ context.Context, obj client.Object) ([]claims.Key, error) {
	cm, ok := obj.(*corev1.ConfigMap)
	if !ok {
		return nil, nil
	}
	var keys []claims.Key
	for _, line := range strings.Split(cm.Data["claims"], "\n") {
		if rt, host, ok := strings.Cut(line, " "); ok {
			keys = append(keys, claims.Key{RouteTable: rt, Host: host, Where: "table " + rt})
		}
	}
	return keys, nil
}

// Shares lets owners of one namespace share the hosts under "split.",
// and two HTTP claims share a port: the stand-in for the split patterns
// and for plain-text servers.
func (configMapRules) Shares(held claims.Key, holder claims.Owner, want claims.Key, claimant claims.Owner) bool {
	return strings.HasPrefix(held.Host, "split.") && holder.Namespace == claimant.Namespace ||
		held.Protocol == "HTTP" && want.Protocol == "HTTP"
}

// configMapOwners lists the ConfigMaps of the default namespace, live:
// what the webhook's cache would hold.
type configMapOwners struct{ c client.Client }

func (o configMapOwners) ListOwners(ctx context.Context) ([]client.Object, error) {
	list := &corev1.ConfigMapList{}
	if err := o.c.List(ctx, list, client.InNamespace("default")); err != nil {
		return nil, err
	}
	var out []client.Object
	for i := range list.Items {
		if list.Items[i].Data["claims"] != "" {
			out = append(out, &list.Items[i])
		}
	}
	return out, nil
}

// clock is a settable time for the grace period.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// grace is the registries' grace period in these tests.
const grace = 30 * time.Second

// world is one test's registry, its clock and its metrics.
type world struct {
	t       *testing.T
	clock   *clock
	reg     *prometheus.Registry
	metrics *claims.Metrics
	c       client.Client
}

// newWorld is a registry world whose clock starts now, with c as the
// registry's client (admin unless a test needs less).
func newWorld(t *testing.T, c client.Client) *world {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := claims.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, clock: &clock{t: time.Now()}, reg: reg, metrics: m, c: c}
}

// registry is a new Registry of the world: replicas share nothing but the
// apiserver, so each call may stand for another replica.
func (w *world) registry() *claims.Registry {
	return claims.New(claims.Options{Client: w.c, Rules: configMapRules{}, GracePeriod: grace, Now: w.clock.now,
		Metrics: w.metrics, Log: logr.Discard()})
}

// key is a key of this test alone.
func (w *world) key(host string) claims.Key {
	rt := "rt-" + strings.ReplaceAll(w.t.Name(), "/", "-")
	return claims.Key{RouteTable: rt, Host: host, Where: "table " + rt}
}

// owner creates a ConfigMap that claims keys and returns it as an owner.
func (w *world) owner(name string, keys ...claims.Key) claims.Owner {
	w.t.Helper()
	cm := &corev1.ConfigMap{ObjectMeta: objectMeta(name),
		Data: map[string]string{"claims": lines(keys)}}
	if err := admin.Create(context.Background(), cm); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { _ = admin.Delete(context.Background(), cm) })
	return claims.Owner{APIVersion: "v1", Kind: "ConfigMap", Namespace: "default", Name: name, UID: cm.UID}
}

// objectMeta names an object of the default namespace.
func objectMeta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: "default", Name: name}
}

// lines is keys as configMapRules reads them.
func lines(keys []claims.Key) string {
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k.RouteTable + " " + k.Host + "\n")
	}
	return b.String()
}

// ghost is an owner the apiserver does not have: one still in admission,
// or one whose create failed after admission.
func ghost(name string) claims.Owner { return ghostIn("default", name) }

// ghostIn is a ghost in namespace.
func ghostIn(namespace, name string) claims.Owner {
	return claims.Owner{APIVersion: "v1", Kind: "ConfigMap", Namespace: namespace, Name: name, UID: types.UID(uuid.NewUUID())}
}

// claim reads the HostClaim of k; nil when there is none.
func (w *world) claim(k claims.Key) *gateguardv1alpha1.HostClaim {
	w.t.Helper()
	hc := &gateguardv1alpha1.HostClaim{}
	err := admin.Get(context.Background(), client.ObjectKey{Name: claims.Name(k.RouteTable, k.Host)}, hc)
	if client.IgnoreNotFound(err) != nil {
		w.t.Fatal(err)
	}
	if err != nil {
		return nil
	}
	return hc
}

// claimsOf lists this test's HostClaims (those in its route tables).
func (w *world) claimsOf() []gateguardv1alpha1.HostClaim {
	w.t.Helper()
	list := &gateguardv1alpha1.HostClaimList{}
	if err := admin.List(context.Background(), list); err != nil {
		w.t.Fatal(err)
	}
	var out []gateguardv1alpha1.HostClaim
	for _, hc := range list.Items {
		if strings.HasPrefix(hc.Spec.RouteTable, w.key("").RouteTable) {
			out = append(out, hc)
		}
	}
	return out
}

// mustClaim claims keys for owner and fails the test on an error or a
// denial.
func (w *world) mustClaim(owner claims.Owner, keys ...claims.Key) {
	w.t.Helper()
	denials, err := w.registry().Claim(context.Background(), owner, keys, false)
	if err != nil || len(denials) > 0 {
		w.t.Fatalf("Claim(%s, %v) = %v, %v; want it granted", owner.Name, keys, denials, err)
	}
}

// wantOwner fails the test unless k's HostClaim names owner.
func (w *world) wantOwner(k claims.Key, owner claims.Owner) {
	w.t.Helper()
	if hc := w.claim(k); hc == nil || hc.Spec.Owner != owner {
		w.t.Errorf("the claim of %s is %v, want one owned by %s", k.Host, hc, owner.Name)
	}
}

// counter reads a series of the world's metrics, labels given as
// "name=value,name=value" in label-name order ("" for none).
func (w *world) counter(name, labels string) float64 {
	w.t.Helper()
	families, err := w.reg.Gather()
	if err != nil {
		w.t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			var got []string
			for _, l := range m.GetLabel() {
				got = append(got, l.GetName()+"="+l.GetValue())
			}
			if strings.Join(got, ",") != labels {
				continue
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}
