package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/gateguard/gateguard/rules"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// The benchmark snapshot: the load tool's default cluster (e2e/load).
const (
	benchVirtualServices = 10000
	benchGateways        = 1000
	benchPods            = 2000
)

// BenchmarkHandler times one admission through the handlers Serve
// registers (admissionHandler), in process and without a network: decode
// of the AdmissionReview, the rules over a MemorySnapshot of 10k
// VirtualServices on 1k Gateways selecting 2k pods, and the encoded
// response. Each case checks its decision once before the timed loop.
func BenchmarkHandler(b *testing.B) {
	snap := benchSnapshot(b)
	h := newBenchHandlers(b, snap)
	newVS := benchVS("newcomer", "new", "new-0.g0.example.com", 0)
	dupVS := benchVS("intruder", "app-0", "app-0.g0.example.com", 0) // seeded as team-0/app-0
	tlsGW := `{"apiVersion":"networking.istio.io/v1","kind":"Gateway","metadata":{"name":"edge","namespace":"team-1"},
	  "spec":{"selector":{"istio":"ingressgateway"},"servers":[{"port":{"number":443,"name":"https","protocol":"HTTPS"},
	  "hosts":["edge.example.com"],"tls":{"mode":"SIMPLE","credentialName":"gw-7-cert"}}]}}`
	bareGW := `{"apiVersion":"networking.istio.io/v1","kind":"Gateway","metadata":{"name":"bare","namespace":"team-1"},
	  "spec":{"servers":[{"port":{"number":80,"name":"http","protocol":"HTTP"},"hosts":["bare.example.com"]}]}}`
	cases := []struct {
		name, path string
		body       []byte
		allowed    bool
	}{
		{"validate/new-vs-allowed", ValidatePath, review("VirtualService", "virtualservices", "CREATE", "newcomer", "new", newVS, false), true},
		{"validate/duplicate-vs-denied", ValidatePath, review("VirtualService", "virtualservices", "CREATE", "intruder", "app-0", dupVS, false), false},
		{"validate/new-vs-dry-run", ValidatePath, review("VirtualService", "virtualservices", "CREATE", "newcomer", "new", newVS, true), true},
		{"validate/tls-gateway-allowed", ValidatePath, review("Gateway", "gateways", "CREATE", "team-1", "edge", tlsGW, false), true},
		{"mutate/gateway-without-selector", MutatePath, review("Gateway", "gateways", "CREATE", "team-1", "bare", bareGW, false), true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) { benchServe(b, h, c.path, c.body, c.allowed) })
	}
	b.Run("validate/new-vs-allowed-1000-reserved", func(b *testing.B) { benchReserved(b, snap, cases[0].body, 1000) })
	// What reading and answering a review costs alone: decode, allow, encode.
	b.Run("floor/allow-all", func(b *testing.B) { benchServe(b, h, benchFloorPath, cases[0].body, true) })
	b.Run("floor/controller-runtime-allow-all", func(b *testing.B) { benchServe(b, h, benchCRFloorPath, cases[0].body, true) })
}

// benchReserved times the allowed create while n other admitted creates
// are still reserved: what a burst of creates costs every decision after
// it, while the cache has not shown them yet.
func benchReserved(b *testing.B, snap rules.Snapshot, body []byte, n int) {
	h := newBenchHandlers(b, snap)
	for i := range n {
		vs := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Namespace: "burst", Name: fmt.Sprintf("b-%d", i)}}
		vs.Spec.Hosts = []string{fmt.Sprintf("burst-%d.g%d.example.com", i, i%benchGateways)}
		vs.Spec.Gateways = []string{fmt.Sprintf("istio-system/gw-%d", i%benchGateways)}
		h.res.reserve(vs)
	}
	benchServe(b, h, ValidatePath, body, true)
}

// benchFloorPath allows everything, through gateguard's review decoding;
// benchCRFloorPath through controller-runtime's webhook.Admission, which
// Serve registered before.
const (
	benchFloorPath   = "/floor"
	benchCRFloorPath = "/floor-controller-runtime"
)

// benchHandlers is the validating and mutating handlers, as Serve
// registers them (synced caches), over one snapshot.
type benchHandlers struct {
	mux *http.ServeMux
	res *reservations
}

func newBenchHandlers(b *testing.B, snap rules.Snapshot) *benchHandlers {
	b.Helper()
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	src := &policySource{}
	src.current.Store(rules.DefaultPolicy())
	snapshot := func(context.Context) rules.Snapshot { return snap }
	res := newReservations(time.Hour, absentStore{}, logr.Discard())
	synced := &cacheSynced{}
	synced.done.Store(true)
	allowAll := admission.HandlerFunc(func(context.Context, admission.Request) admission.Response { return admission.Allowed("") })
	mux := http.NewServeMux()
	mux.Handle(ValidatePath, admissionHandler("validate",
		synced.gated(&validator{policy: src, snapshot: snapshot, reservations: res, metrics: m}), m, logr.Discard()))
	mux.Handle(MutatePath, admissionHandler("mutate", synced.gated(&mutator{policy: src, snapshot: snapshot}), m, logr.Discard()))
	mux.Handle(benchFloorPath, admissionHandler("floor", allowAll, m, logr.Discard()))
	mux.Handle(benchCRFloorPath, &webhook.Admission{Handler: allowAll, LogConstructor: requestLogger})
	return &benchHandlers{mux: mux, res: res}
}

// benchServe checks the decision once, then times ServeHTTP.
func benchServe(b *testing.B, h *benchHandlers, path string, body []byte, allowed bool) {
	serve := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.mux.ServeHTTP(rec, req)
		return rec
	}
	rec := serve()
	r := &admissionv1.AdmissionReview{}
	if err := json.Unmarshal(rec.Body.Bytes(), r); err != nil || rec.Code != 200 || r.Response == nil {
		b.Fatalf("code %d, err %v: %s", rec.Code, err, rec.Body.Bytes())
	}
	if r.Response.Allowed != allowed {
		b.Fatalf("allowed = %v, want %v: %+v", r.Response.Allowed, allowed, r.Response.Result)
	}
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	start := processCPU(b)
	for b.Loop() {
		if rec := serve(); rec.Code != 200 {
			b.Fatalf("code %d", rec.Code)
		}
	}
	b.ReportMetric(float64(processCPU(b)-start)/float64(b.N), "cpu-ns/op")
}

// processCPU is the CPU the process has spent, the garbage collector's
// included: on a machine shared with other work, a benchmark's wall time
// swings with what else runs, its CPU time much less.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchVS is the JSON of a VirtualService with one HTTP route, bound to
// istio-system/gw-<gateway>.
func benchVS(namespace, name, host string, gateway int) string {
	return fmt.Sprintf(`{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":%q,"namespace":%q},`+
		`"spec":{"hosts":[%q],"gateways":["istio-system/gw-%d"],"http":[{"match":[{"uri":{"prefix":"/"}}],`+
		`"route":[{"destination":{"host":%q,"port":{"number":8080}}}]}]}}`, name, namespace, host, gateway, name)
}

// benchSnapshot is the load tool's default cluster: Gateway gw-g in
// istio-system serves *.g<g>.example.com on an HTTPS server with its own
// credential and on the shared plain-HTTP port 80; VirtualService
// team-<j%500>/app-<j> claims app-<j>.g<j%1000>.example.com on gw-<j%1000>.
func benchSnapshot(b *testing.B) *rules.MemorySnapshot {
	b.Helper()
	snap := rules.NewMemorySnapshot()
	add := func(o k8sruntime.Object) {
		if err := snap.Add(o); err != nil {
			b.Fatal(err)
		}
	}
	labels := map[string]string{"istio": "ingressgateway", "app": "istio-ingressgateway", "pod-template-hash": "6fd6575b8b"}
	for i := range benchPods {
		add(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "istio-system", Name: fmt.Sprintf("ingress-%d", i), Labels: labels}})
	}
	for g := range benchGateways {
		name := fmt.Sprintf("gw-%d", g)
		add(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "istio-system", Name: name + "-cert"},
			Data: map[string][]byte{"tls.crt": []byte("c"), "tls.key": []byte("k")}})
		add(benchGateway(g))
	}
	for j := range benchVirtualServices {
		vs := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Namespace: fmt.Sprintf("team-%d", j%500), Name: fmt.Sprintf("app-%d", j)}}
		vs.Spec.Hosts = []string{fmt.Sprintf("app-%d.g%d.example.com", j, j%benchGateways)}
		vs.Spec.Gateways = []string{fmt.Sprintf("istio-system/gw-%d", j%benchGateways)}
		vs.Spec.Http = []*networking.HTTPRoute{{Route: []*networking.HTTPRouteDestination{{Destination: &networking.Destination{Host: vs.Name}}}}}
		add(vs)
	}
	return snap
}

// benchGateway is gw-<g>: HTTPS with its own credential, and plain HTTP.
func benchGateway(g int) *networkingv1.Gateway {
	name := fmt.Sprintf("gw-%d", g)
	hosts := []string{fmt.Sprintf("*.g%d.example.com", g)}
	gw := &networkingv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "istio-system", Name: name}}
	gw.Spec.Selector = map[string]string{"istio": "ingressgateway"}
	gw.Spec.Servers = []*networking.Server{
		{Port: &networking.Port{Number: 443, Name: "https-" + name, Protocol: "HTTPS"}, Hosts: hosts,
			Tls: &networking.ServerTLSSettings{Mode: networking.ServerTLSSettings_SIMPLE, CredentialName: name + "-cert"}},
		{Port: &networking.Port{Number: 80, Name: "http", Protocol: "HTTP"}, Hosts: hosts},
	}
	return gw
}
