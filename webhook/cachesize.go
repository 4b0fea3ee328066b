package webhook

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	certmanagerv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// cachedKind is one kind the cache holds, and what one object of it
// costs at gateguard's memory high-water mark (atHighWater).
type cachedKind struct {
	name  string
	gvk   schema.GroupVersionKind
	obj   client.Object // what the cache watches
	bytes int64
}

// highWaterRatio is the load tool's high-water mark after its runs at 50k
// VirtualServices (the claims' first backfill included), less baseBytes,
// over those objects' sum of BenchmarkCachedObjectBytes: the Go heap
// grows to twice its live size between collections, and decoding,
// requests and the backfill add the rest (README, "Sizing").
const highWaterRatio = 2.87

// atHighWater is what a cached object of objectBytes, its trimmed self
// and its index entries as BenchmarkCachedObjectBytes measures them,
// costs at the high-water mark.
func atHighWater(objectBytes int64) int64 { return int64(float64(objectBytes) * highWaterRatio) }

// baseBytes is gateguard's high-water mark with an empty cluster, after
// serving requests.
const baseBytes = 48 << 20

// headroom is the share of the memory limit the estimate may fill.
const headroom = 0.75

// cachedKinds lists the kinds the cache holds; Certificates only where
// cert-manager's CRD is served, the Gateway API kinds (and Services) only
// where served. The Gateway API's Gateway is named by its group kind, to
// tell it from Istio's.
func cachedKinds(withCertificates bool, optional optionalKinds) []cachedKind {
	core := corev1.SchemeGroupVersion
	kinds := []cachedKind{
		{"VirtualService", networkingv1.SchemeGroupVersion.WithKind("VirtualService"), &networkingv1.VirtualService{}, atHighWater(1110)},
		{"Gateway", networkingv1.SchemeGroupVersion.WithKind("Gateway"), &networkingv1.Gateway{}, atHighWater(2631)},
		{"Secret", core.WithKind("Secret"), metadataOf("Secret"), atHighWater(457)},
		{"Pod", core.WithKind("Pod"), metadataOf("Pod"), atHighWater(1780)},
		{"Namespace", core.WithKind("Namespace"), metadataOf("Namespace"), atHighWater(938)},
	}
	if withCertificates {
		kinds = append(kinds, cachedKind{"Certificate", certmanagerv1.SchemeGroupVersion.WithKind("Certificate"),
			&certmanagerv1.Certificate{}, atHighWater(1275)})
	}
	for _, k := range append(gatewayAPIKinds(), gatewayAPIKind{core.WithKind("Service"), &corev1.Service{}}) {
		if optional[reflect.TypeOf(k.obj)] {
			kinds = append(kinds, cachedKind{gatewayAPIKindName(k.gvk), k.gvk, k.obj, gatewayAPIBytes(k.gvk.Kind)})
		}
	}
	return kinds
}

// gatewayAPIKindName is a kind's name in the gauge and the estimate.
func gatewayAPIKindName(gvk schema.GroupVersionKind) string {
	if gvk.Kind == "Gateway" {
		return gvk.GroupKind().String()
	}
	return gvk.Kind
}

// gatewayAPIBytes is what one cached object of a Gateway API kind, or a
// Service, costs, as cachedKind's bytes: BenchmarkCachedObjectBytes
// measures HTTPRoute (whose figure stands for every route kind), the
// Gateway (for ListenerSets too), ReferenceGrant (for GatewayClasses,
// as small) and Service.
func gatewayAPIBytes(kind string) int64 {
	switch kind {
	case "HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute":
		return atHighWater(989)
	case "Gateway", "ListenerSet":
		return atHighWater(1525)
	case "Service":
		return atHighWater(1475)
	}
	return atHighWater(663)
}

// cachedObjects is the gauge gateguard_cached_objects{kind}: each
// informer's adds less its deletes, which is its store's size, and which
// works for the namespaced Secret informers of a scoped install too.
type cachedObjects struct {
	desc   *prometheus.Desc
	counts map[string]*atomic.Int64
}

func (c *cachedObjects) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *cachedObjects) Collect(ch chan<- prometheus.Metric) {
	for kind, n := range c.counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n.Load()), kind)
	}
}

// newCachedObjects counts the objects of the cache's informers.
func newCachedObjects(ctx context.Context, c cache.Cache, kinds []cachedKind) (*cachedObjects, error) {
	g := &cachedObjects{counts: map[string]*atomic.Int64{}, desc: prometheus.NewDesc("gateguard_cached_objects",
		"Objects in gateguard's cache by kind; memory grows with them (README, Sizing).", []string{"kind"}, nil)}
	for _, k := range kinds {
		informer, err := c.GetInformer(ctx, k.obj, cache.BlockUntilSynced(false))
		if err != nil {
			return nil, fmt.Errorf("informer for %s: %w", k.name, err)
		}
		n := &atomic.Int64{}
		if _, err := informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc: func(any) { n.Add(1) }, DeleteFunc: func(any) { n.Add(-1) },
		}); err != nil {
			return nil, err
		}
		g.counts[k.name] = n
	}
	return g, nil
}

// countInCluster counts each kind in the cluster before the cache fills:
// a one-item metadata list, for which the apiserver reports how many
// items remain; Secrets only in secretNamespaces when those are set, as
// the cache holds them.
func countInCluster(ctx context.Context, api client.Reader, kinds []cachedKind, secretNamespaces []string) (map[string]int64, error) {
	counts := map[string]int64{}
	for _, k := range kinds {
		scopes := []string{metav1.NamespaceAll}
		if k.name == "Secret" && len(secretNamespaces) > 0 {
			scopes = secretNamespaces
		}
		for _, ns := range scopes {
			n, err := countOf(ctx, api, k.gvk, ns)
			if err != nil {
				return nil, fmt.Errorf("counting %s: %w", k.name, err)
			}
			counts[k.name] += n
		}
	}
	return counts, nil
}

// countOf counts gvk's objects in namespace ("" for all) with a one-item list.
func countOf(ctx context.Context, api client.Reader, gvk schema.GroupVersionKind, namespace string) (int64, error) {
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	if err := api.List(ctx, list, client.Limit(1), client.InNamespace(namespace)); err != nil {
		return 0, err
	}
	n := int64(len(list.Items))
	switch {
	case list.RemainingItemCount != nil:
		n += *list.RemainingItemCount
	case list.Continue != "":
		return 0, errors.New("the apiserver did not say how many remain")
	}
	return n, nil
}

// estimatedNeed is the high-water mark the counts lead to.
func estimatedNeed(kinds []cachedKind, counts map[string]int64) int64 {
	need := int64(baseBytes)
	for _, k := range kinds {
		need += counts[k.name] * k.bytes
	}
	return need
}

// memoryLimit is the limit the OOM killer enforces, from the cgroup (v2,
// else v1); 0 when there is none.
func memoryLimit(readFile func(string) ([]byte, error)) int64 {
	for _, path := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		data, err := readFile(path)
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
		if err != nil || n >= math.MaxInt64/2 { // "max", or v1's page-rounded "unlimited"
			return 0
		}
		return n
	}
	return 0
}

// goMemLimit is GOMEMLIMIT, the Go runtime's soft limit; 0 when unset.
func goMemLimit() int64 {
	if n := debug.SetMemoryLimit(-1); n != math.MaxInt64 {
		return n
	}
	return 0
}

// logCacheEstimate says, before the cache fills, how much memory the
// cluster's objects will take, and fails loudly when that does not fit
// the limit with headroom, naming the limit to set: gateguard would
// otherwise be OOM-killed while syncing, over and over.
func logCacheEstimate(log logr.Logger, kinds []cachedKind, counts map[string]int64, limit, goLimit int64) {
	need := estimatedNeed(kinds, counts)
	kv := []any{"objects", counts, "estimatedBytes", need, "memoryLimitBytes", limit, "gomemlimitBytes", goLimit}
	if limit > 0 && float64(need) > headroom*float64(limit) {
		suggest := (int64(float64(need)/headroom) + 64<<20 - 1) / (64 << 20) * 64 // MiB, in steps of 64
		log.Error(errors.New("the cache may not fit the memory limit"), "cache size estimate",
			append(kv, "raise", fmt.Sprintf("resources.limits.memory to at least %dMi (and requests.memory with it)", suggest))...)
		return
	}
	log.Info("cache size estimate", kv...)
}

// reportCacheSize registers gateguard_cached_objects and logs the
// estimate from the cluster's counts; a failed count is logged, never
// fatal: it must not keep the webhook from starting.
func reportCacheSize(ctx context.Context, c cache.Cache, api client.Reader, src *snapshotSource, secretNamespaces []string,
	reg prometheus.Registerer, log logr.Logger) error {
	kinds := cachedKinds(src.certificates, src.optional)
	g, err := newCachedObjects(ctx, c, kinds)
	if err != nil {
		return err
	}
	if err := reg.Register(g); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	counts, err := countInCluster(ctx, api, kinds, secretNamespaces)
	if err != nil {
		log.Error(err, "cache size estimate unavailable")
		return nil
	}
	logCacheEstimate(log, kinds, counts, memoryLimit(os.ReadFile), goMemLimit())
	return nil
}
