package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"

	certmanagerv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	"github.com/gateguard/gateguard/rules"
	"github.com/go-logr/logr/funcr"
	"github.com/prometheus/client_golang/prometheus/testutil"
	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllertest"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"
)

// TestCacheEstimateLogLine: with the counts of a large cluster and a limit
// too small, the startup line is an error naming the limit to set; with
// room, an info line; each with the counts, the estimate and the limits.
func TestCacheEstimateLogLine(t *testing.T) {
	kinds := cachedKinds(true, nil)
	counts := map[string]int64{"VirtualService": 50000, "Gateway": 2000, "Secret": 20000, "Pod": 10000, "Namespace": 2500,
		"Certificate": 0}
	need := estimatedNeed(kinds, counts)
	want := int64(baseBytes) + 50000*3185 + 2000*7550 + 20000*1311 + 10000*5108 + 2500*2692
	if need != want {
		t.Fatalf("estimate %d, want %d", need, want)
	}
	objects := map[string]any{"Certificate": 0., "Gateway": 2000., "Namespace": 2500., "Pod": 10000., "Secret": 20000.,
		"VirtualService": 50000.}
	line := func(kv ...any) map[string]any {
		m := map[string]any{"logger": "", "msg": "cache size estimate", "objects": objects, "estimatedBytes": float64(need),
			"gomemlimitBytes": 241591910.}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		limit int64
		want  map[string]any
	}{
		{256 << 20, line("memoryLimitBytes", 268435456., "error", "the cache may not fit the memory limit",
			"raise", "resources.limits.memory to at least 448Mi (and requests.memory with it)")},
		{512 << 20, line("memoryLimitBytes", 536870912., "level", 0.)},
		{0, line("memoryLimitBytes", 0., "level", 0.)},
	} {
		var lines []map[string]any
		log := funcr.NewJSON(func(obj string) {
			m := map[string]any{}
			if err := json.Unmarshal([]byte(obj), &m); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, m)
		}, funcr.Options{})
		logCacheEstimate(log, kinds, counts, tc.limit, 241591910)
		if len(lines) != 1 || !reflect.DeepEqual(lines[0], tc.want) {
			t.Errorf("limit %d: logged %v\nwant %v", tc.limit, lines, tc.want)
		}
	}
}

// TestMemoryLimitFromTheCgroup reads cgroup v2's memory.max, else v1's
// limit; "max" and v1's unlimited value are no limit.
func TestMemoryLimitFromTheCgroup(t *testing.T) {
	for _, tc := range []struct {
		files map[string]string
		want  int64
	}{
		{map[string]string{"/sys/fs/cgroup/memory.max": "268435456\n"}, 256 << 20},
		{map[string]string{"/sys/fs/cgroup/memory.max": "max\n"}, 0},
		{map[string]string{"/sys/fs/cgroup/memory/memory.limit_in_bytes": "536870912\n"}, 512 << 20},
		{map[string]string{"/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n"}, 0},
		{map[string]string{}, 0},
	} {
		read := func(path string) ([]byte, error) {
			if s, ok := tc.files[path]; ok {
				return []byte(s), nil
			}
			return nil, os.ErrNotExist
		}
		if got := memoryLimit(read); got != tc.want {
			t.Errorf("%v: limit %d, want %d", tc.files, got, tc.want)
		}
	}
}

// informerPerKind hands out one fake informer per kind it is asked for.
type informerPerKind struct {
	cache.Cache
	informers map[string]*controllertest.FakeInformer
}

func (c *informerPerKind) GetInformer(_ context.Context, obj client.Object, _ ...cache.InformerGetOption) (cache.Informer, error) {
	kind := fmt.Sprintf("%T", obj)
	if m, ok := obj.(*metav1.PartialObjectMetadata); ok {
		kind = m.Kind
	}
	if c.informers[kind] == nil {
		c.informers[kind] = &controllertest.FakeInformer{}
	}
	return c.informers[kind], nil
}

// TestCachedObjectsGauge exports, by kind, each informer's adds less its
// deletes; updates change nothing.
func TestCachedObjectsGauge(t *testing.T) {
	c := &informerPerKind{informers: map[string]*controllertest.FakeInformer{}}
	g, err := newCachedObjects(t.Context(), c, cachedKinds(false, nil))
	if err != nil {
		t.Fatal(err)
	}
	vs, pods := c.informers["*v1.VirtualService"], c.informers["Pod"]
	for i := range 3 {
		vs.Add(&networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: fmt.Sprint(i)}})
	}
	vs.Update(&networkingv1.VirtualService{}, &networkingv1.VirtualService{})
	vs.Delete(&networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "0"}})
	pods.Add(metadataOf("Pod"))
	want := `# HELP gateguard_cached_objects Objects in gateguard's cache by kind; memory grows with them (README, Sizing).
# TYPE gateguard_cached_objects gauge
gateguard_cached_objects{kind="Gateway"} 0
gateguard_cached_objects{kind="Namespace"} 0
gateguard_cached_objects{kind="Pod"} 1
gateguard_cached_objects{kind="Secret"} 0
gateguard_cached_objects{kind="VirtualService"} 2
`
	if err := testutil.CollectAndCompare(g, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

// realistic returns the i-th of n distinct objects of a kind, as the
// apiserver sends them and the informer decodes them: deployed with
// kubectl's and Argo CD's metadata, Pods, Secrets and Namespaces as
// metadata only; two replicas' Pods share their labels.
func realistic(t testing.TB, kind string, i int) any {
	meta := metav1.ObjectMeta{Namespace: fmt.Sprintf("team-%d", i%500), Name: fmt.Sprintf("app-%d", i),
		UID: "4f0c2d1e-8a2b-4c3d-9e4f-5a6b7c8d9e0f", ResourceVersion: fmt.Sprint(100000 + i), Generation: 1,
		Labels: map[string]string{"app": fmt.Sprintf("app-%d", i/2), "pod-template-hash": fmt.Sprintf("%08x", i/2),
			"version": "v1", "security.istio.io/tlsMode": "istio", "service.istio.io/canonical-name": fmt.Sprintf("app-%d", i/2)}}
	var obj client.Object
	switch kind {
	case "VirtualService":
		vs := &networkingv1.VirtualService{ObjectMeta: meta}
		vs.Spec.Hosts, vs.Spec.Gateways = []string{fmt.Sprintf("app-%d.g%d.example.com", i, i%1000)}, []string{"istio-system/gw-1"}
		route := func(prefix string) *networking.HTTPRoute {
			return &networking.HTTPRoute{Match: []*networking.HTTPMatchRequest{{Uri: &networking.StringMatch{
				MatchType: &networking.StringMatch_Prefix{Prefix: prefix}}}}, Route: []*networking.HTTPRouteDestination{
				{Destination: &networking.Destination{Host: meta.Name, Port: &networking.PortSelector{Number: 8080}}}}}
		}
		vs.Spec.Http = []*networking.HTTPRoute{route("/api/"), route("/")}
		obj = vs
	case "Gateway":
		gw := &networkingv1.Gateway{ObjectMeta: meta}
		gw.Spec.Selector = map[string]string{"istio": "ingressgateway"}
		hosts := []string{fmt.Sprintf("*.g%d.example.com", i)}
		gw.Spec.Servers = []*networking.Server{{Port: &networking.Port{Number: 443, Name: "https", Protocol: "HTTPS"}, Hosts: hosts,
			Tls: &networking.ServerTLSSettings{Mode: networking.ServerTLSSettings_SIMPLE, CredentialName: fmt.Sprintf("gw-%d-cert", i)}},
			{Port: &networking.Port{Number: 80, Name: "http", Protocol: "HTTP"}, Hosts: hosts}}
		obj = gw
	case "HTTPRoute":
		obj = realisticRoute(meta, i)
	case "Gateway.gateway.networking.k8s.io":
		obj = realisticKubeGateway(meta, i)
	case "ReferenceGrant":
		obj = &gatewayv1beta1.ReferenceGrant{ObjectMeta: meta, Spec: gatewayv1beta1.ReferenceGrantSpec{
			From: []gatewayv1beta1.ReferenceGrantFrom{{Group: gatewayv1.GroupName, Kind: "HTTPRoute", Namespace: "frontend"}},
			To:   []gatewayv1beta1.ReferenceGrantTo{{Kind: "Service"}}}}
	case "Service":
		obj = &corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": meta.Name},
			ClusterIP: "10.96.12.34", ClusterIPs: []string{"10.96.12.34"}, Type: corev1.ServiceTypeClusterIP,
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP}}}}
	case "Certificate":
		obj = &certmanagerv1.Certificate{ObjectMeta: meta, Spec: certmanagerv1.CertificateSpec{SecretName: meta.Name + "-cert",
			DNSNames: []string{meta.Name + ".example.com"}}}
	case "Secret":
		obj = &corev1.Secret{ObjectMeta: meta, Data: map[string][]byte{"tls.crt": make([]byte, 1200), "tls.key": make([]byte, 1700)}}
	case "Namespace":
		meta.Namespace = ""
		obj = &corev1.Namespace{ObjectMeta: meta}
	default:
		obj = &corev1.Pod{ObjectMeta: meta}
	}
	data, err := json.Marshal(asDeployed(t, obj))
	if err != nil {
		t.Fatal(err)
	}
	var out any = obj.DeepCopyObject()
	switch kind {
	case "Pod", "Secret", "Namespace":
		out = &metav1.PartialObjectMetadata{}
	}
	if err := json.Unmarshal(data, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// heapInUse is the live heap after a full collection.
func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// BenchmarkCachedObjectBytes measures what one cached object of each kind
// takes once decoded, transformed and stored with the snapshot's indexes
// (Pods also in the pod placements), as B/object. cachedKinds' figures
// are these times the heap's headroom (README, "Sizing").
func BenchmarkCachedObjectBytes(b *testing.B) {
	const n = 5000
	opts := cacheOptions()
	for _, kind := range []string{"VirtualService", "Gateway", "Secret", "Pod", "Namespace", "Certificate", "HTTPRoute",
		"Gateway.gateway.networking.k8s.io", "ReferenceGrant", "Service"} {
		b.Run(kind, func(b *testing.B) {
			typ := reflect.TypeOf(realistic(b, kind, 0))
			transform := opts.DefaultTransform
			for o, by := range opts.ByObject {
				if o.GetObjectKind().GroupVersionKind().Kind == kind || (reflect.TypeOf(o) == typ && by.Transform != nil) {
					transform = by.Transform
				}
			}
			indexers, hostIndexes := toolscache.Indexers{}, []rules.Index{}
			for _, ix := range rules.Indexes(true) {
				switch {
				case reflect.TypeOf(ix.Object) != typ:
				case hostIndexed(ix.Name): // as registerIndexes keeps them
					hostIndexes = append(hostIndexes, ix)
				default:
					indexers[string(ix.Name)] = indexFunc(ix)
				}
			}
			var perObject int64
			for b.Loop() {
				before := heapInUse()
				store, pods := toolscache.NewIndexer(toolscache.MetaNamespaceKeyFunc, indexers), rules.NewPodPlacements()
				var values []*valueIndex
				for _, ix := range hostIndexes {
					values = append(values, newValueIndex(ix))
				}
				for i := range n {
					obj, err := transform(realistic(b, kind, i))
					if err != nil {
						b.Fatal(err)
					}
					if err := store.Add(obj); err != nil {
						b.Fatal(err)
					}
					for _, v := range values {
						v.OnAdd(obj, true)
					}
					if m, ok := obj.(*metav1.PartialObjectMetadata); ok && kind == "Pod" {
						pods.Set(m.Namespace, m.Name, m.Labels)
					}
				}
				perObject = (heapInUse() - before) / n
				runtime.KeepAlive(store)
				runtime.KeepAlive(pods)
				runtime.KeepAlive(values)
			}
			b.ReportMetric(float64(perObject), "B/object")
		})
	}
}

// realisticRoute is an HTTPRoute as a team writes one: a hostname, two
// path rules to its Service, and the status Istio writes.
func realisticRoute(meta metav1.ObjectMeta, i int) *gatewayv1.HTTPRoute {
	r := &gatewayv1.HTTPRoute{ObjectMeta: meta}
	r.Spec.ParentRefs = []gatewayv1.ParentReference{{Name: "gw-1", Namespace: ptr.To[gatewayv1.Namespace]("istio-system")}}
	r.Spec.Hostnames = []gatewayv1.Hostname{gatewayv1.Hostname(fmt.Sprintf("app-%d.g%d.example.com", i, i%1000))}
	rule := func(prefix string) gatewayv1.HTTPRouteRule {
		return gatewayv1.HTTPRouteRule{Matches: []gatewayv1.HTTPRouteMatch{{Path: &gatewayv1.HTTPPathMatch{
			Type: ptr.To(gatewayv1.PathMatchPathPrefix), Value: ptr.To(prefix)}}},
			BackendRefs: []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{
				Name: gatewayv1.ObjectName(meta.Name), Port: ptr.To[gatewayv1.PortNumber](8080)}}}}}
	}
	r.Spec.Rules = []gatewayv1.HTTPRouteRule{rule("/api/"), rule("/")}
	r.Status.Parents = []gatewayv1.RouteParentStatus{{ParentRef: r.Spec.ParentRefs[0], ControllerName: rules.IstioGatewayController,
		Conditions: []metav1.Condition{{Type: "Accepted", Status: "True", Reason: "Accepted"}, {Type: "ResolvedRefs", Status: "True", Reason: "ResolvedRefs"}}}}
	return r
}

// realisticKubeGateway is a shared Gateway API Gateway: an HTTPS listener
// with its certificate and an HTTP one, with status.
func realisticKubeGateway(meta metav1.ObjectMeta, i int) *gatewayv1.Gateway {
	gw := &gatewayv1.Gateway{ObjectMeta: meta}
	gw.Spec.GatewayClassName = "istio"
	host := gatewayv1.Hostname(fmt.Sprintf("*.g%d.example.com", i))
	all := &gatewayv1.AllowedRoutes{Namespaces: &gatewayv1.RouteNamespaces{From: ptr.To(gatewayv1.NamespacesFromAll)}}
	gw.Spec.Listeners = []gatewayv1.Listener{
		{Name: "https", Port: 443, Protocol: gatewayv1.HTTPSProtocolType, Hostname: &host, AllowedRoutes: all,
			TLS: &gatewayv1.ListenerTLSConfig{Mode: ptr.To(gatewayv1.TLSModeTerminate), CertificateRefs: []gatewayv1.SecretObjectReference{
				{Name: gatewayv1.ObjectName(fmt.Sprintf("gw-%d-cert", i))}}}},
		{Name: "http", Port: 80, Protocol: gatewayv1.HTTPProtocolType, Hostname: &host, AllowedRoutes: all},
	}
	gw.Status.Conditions = []metav1.Condition{{Type: "Programmed", Status: "True", Reason: "Programmed"}}
	gw.Status.Listeners = []gatewayv1.ListenerStatus{{Name: "https", AttachedRoutes: 40}, {Name: "http", AttachedRoutes: 40}}
	return gw
}

// TestCachedKindsFollowTheServedGatewayAPI: the gauge and the estimate
// cover exactly the Gateway API kinds served, and Services with Gateways.
func TestCachedKindsFollowTheServedGatewayAPI(t *testing.T) {
	served, err := gatewayAPIServed(mapperServing(gatewayv1.SchemeGroupVersion.WithKind("Gateway"),
		gatewayv1.SchemeGroupVersion.WithKind("HTTPRoute")))
	if err != nil {
		t.Fatal(err)
	}
	kinds := cachedKinds(false, served)
	var names []string
	for _, k := range kinds {
		names = append(names, k.name)
	}
	want := []string{"VirtualService", "Gateway", "Secret", "Pod", "Namespace", "Gateway.gateway.networking.k8s.io", "HTTPRoute", "Service"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("cached kinds %q, want %q", names, want)
	}
	counts := map[string]int64{"HTTPRoute": 1000, "Gateway.gateway.networking.k8s.io": 10, "Service": 10}
	if got, want := estimatedNeed(kinds, counts), int64(baseBytes)+1000*2838+10*4376+10*4233; got != want {
		t.Errorf("estimate %d, want %d", got, want)
	}
}
