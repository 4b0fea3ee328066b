package webhook

import (
	"context"
	"reflect"
	"testing"

	"github.com/gateguard/gateguard/report"
	"github.com/gateguard/gateguard/rules"
	"github.com/gateguard/gateguard/rules/manifest"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

// auditWorld is testdata/gatewayapi-claims.yaml plus team-b's later
// HTTPRoute for team-a's hostname, as a cluster reader and a snapshot.
func auditWorld(t *testing.T) (client.Reader, *rules.MemorySnapshot) {
	t.Helper()
	snap := claimsSnapshot(t)
	res, err := manifest.ReadFile("testdata/gatewayapi-claims.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dup, err := rules.DecodeObject([]byte(`{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",
	  "metadata":{"name":"shop","namespace":"team-b","creationTimestamp":"2026-02-01T00:00:00Z"},
	  "spec":{"parentRefs":[{"name":"public","namespace":"istio-system"}],"hostnames":["shop.example.com"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := snap.Add(dup); err != nil {
		t.Fatal(err)
	}
	scheme, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	objs := []client.Object{dup}
	for _, d := range res.Documents {
		objs = append(objs, d.Object)
	}
	return fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build(), snap
}

// allServed marks every Gateway API kind served.
func allServed() optionalKinds {
	kinds := optionalKinds{}
	for _, k := range gatewayAPIKinds() {
		kinds[reflect.TypeOf(k.obj)] = true
	}
	return kinds
}

// TestAuditJudgesTheGatewayAPIKinds: the audit lists the served Gateway
// API kinds and judges each object, naming its kind: each of two routes
// of two namespaces for one hostname is judged as if created now, next to
// the other, and so each is a duplicate. Where the kinds are not served
// they are not listed at all.
func TestAuditJudgesTheGatewayAPIKinds(t *testing.T) {
	r, snap := auditWorld(t)
	rep, err := audit(context.Background(), rules.DefaultPolicy(), snap, r, allServed())
	if err != nil {
		t.Fatal(err)
	}
	finding := func(ns, other string) report.Finding {
		return report.Finding{Rule: rules.DuplicateHost, Action: rules.Deny, Field: "spec.hostnames[0]",
			Object: report.ObjectRef{APIVersion: "gateway.networking.k8s.io/v1", Kind: "HTTPRoute", Namespace: ns, Name: "shop"},
			Message: `hostname "shop.example.com" is already claimed by HTTPRoute ` + other + `/shop on HTTP port 80 of listener ` +
				`istio-system/public/http; Istio merges both into one virtual host, oldest first, and the more specific match ` +
				`wins, so either can take the other's paths: use a different hostname or a listener of your own, or ask the ` +
				`owner of ` + other + `/shop`}
	}
	want := []report.Finding{finding("team-a", "team-b"), finding("team-b", "team-a")}
	if !reflect.DeepEqual(rep.Findings, want) {
		t.Errorf("findings\n%+v\nwant\n%+v", rep.Findings, want)
	}
	// One Gateway, four routes judged; the GatewayClass is not.
	if rep.Summary != (report.Summary{Objects: 5, Denied: 2}) {
		t.Errorf("summary %+v, want 5 objects, 2 denied", rep.Summary)
	}
	none, err := gatewayAPIServed(meta.NewDefaultRESTMapper(nil))
	if err != nil {
		t.Fatal(err)
	}
	rep, err = audit(context.Background(), rules.DefaultPolicy(), snap, r, none)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Summary != (report.Summary{}) {
		t.Errorf("without the Gateway API served the audit judged %+v", rep.Summary)
	}
}

// readerCache is a cache that reads through a client, for the gauge.
type readerCache struct {
	cache.Cache
	r client.Reader
}

func (c readerCache) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	return c.r.List(ctx, list, opts...)
}

// TestExistingViolationsCountTheGatewayAPIKinds: the gauge's audit counts
// the Gateway API duplicates, one per route, under their rule and action.
func TestExistingViolationsCountTheGatewayAPIKinds(t *testing.T) {
	r, snap := auditWorld(t)
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	src := &policySource{}
	src.current.Store(rules.DefaultPolicy())
	g := &auditGauge{cache: readerCache{r: r}, policy: src, snapshot: func(context.Context) rules.Snapshot { return snap },
		kinds: allServed(), metrics: m, log: logr.Discard()}
	g.refresh(context.Background())
	if got := testutil.ToFloat64(m.existing.WithLabelValues(string(rules.DuplicateHost), string(rules.Deny))); got != 2 {
		t.Errorf("gateguard_existing_violations{duplicate-host,deny} = %v, want 2", got)
	}
	if n := testutil.CollectAndCount(m.existing); n != 1 {
		t.Errorf("%d series, want the one", n)
	}
}
