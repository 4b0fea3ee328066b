package rules

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	networking "istio.io/api/networking/v1alpha3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	benchGateways = 1000
	benchPods     = 2000
)

// benchCluster is a large shared-ingress cluster: n VirtualServices spread
// over benchGateways Gateways that all select the same benchPods pods. Each
// Gateway has an HTTPS server (its own route table) and a plain-HTTP port
// 80 server (one route table shared by all), both for *.gN.example.com: the
// Gateways are the same at every n, so only the number of VirtualServices
// grows.
func benchCluster(b *testing.B, n int) *MemorySnapshot {
	b.Helper()
	snap := NewMemorySnapshot()
	for i := range benchPods {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "istio-system",
			Name:   fmt.Sprintf("istio-ingressgateway-%d", i),
			Labels: map[string]string{"istio": "ingressgateway", "app": "istio-ingressgateway", "pod-template-hash": "6fd6575b8b"}}}
		mustAdd(b, snap, p)
	}
	for g := range benchGateways {
		name := fmt.Sprintf("gw-%d", g)
		domain := fmt.Sprintf("*.g%d.example.com", g)
		mustAdd(b, snap, secret("istio-system", name+"-cert", "tls.crt", "tls.key"))
		mustAdd(b, snap, gateway("istio-system", name, ingressSelector,
			httpsServer(443, "https-"+name, simpleTLS(name+"-cert"), domain),
			server("HTTP", 80, "http", domain)))
	}
	for j := range n {
		g := j % benchGateways
		vs := httpVS(fmt.Sprintf("team-%d", j%500), fmt.Sprintf("app-%d", j),
			[]string{fmt.Sprintf("app-%d.g%d.example.com", j, g)}, fmt.Sprintf("istio-system/gw-%d", g))
		vs.Spec.Http[0].Match = []*networking.HTTPMatchRequest{{Uri: &networking.StringMatch{
			MatchType: &networking.StringMatch_Prefix{Prefix: "/"}}}}
		mustAdd(b, snap, vs)
	}
	return snap
}

func mustAdd(b *testing.B, snap *MemorySnapshot, o k8sruntime.Object) {
	if err := snap.Add(o); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkValidateVirtualService measures one admission of a
// VirtualService in clusters of growing size: the cost must not grow with
// the number of VirtualServices (every lookup is an index hit).
func BenchmarkValidateVirtualService(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("vs=%d", n), func(b *testing.B) {
			snap := benchCluster(b, n)
			p := DefaultPolicy()
			// the common case: a new host, on the gateway that lists it
			unique := httpVS("newcomer", "new", []string{"new.g0.example.com"}, "istio-system/gw-0")
			// a second team claiming app-0's host on the same gateway
			duplicate := httpVS("intruder", "app-0", []string{"app-0.g0.example.com"}, "istio-system/gw-0")
			b.Run("unique", func(b *testing.B) { benchValidate(b, p, snap, unique, 0) })
			b.Run("duplicate", func(b *testing.B) { benchValidate(b, p, snap, duplicate, 2) })
		})
	}
}

// benchValidate checks the decision once, then times it. A duplicate on
// gw-0 is denied twice: in the HTTPS route table of gw-0 and in the shared
// port-80 table. The fixture's garbage is collected first, so that the
// timed loop does not pay for marking it.
func benchValidate(b *testing.B, p *Policy, snap Snapshot, obj client.Object, denials int) {
	ctx := context.Background()
	c := create(obj)
	d, err := Validate(ctx, p, snap, c)
	if err != nil {
		b.Fatal(err)
	}
	if len(d.Findings) != denials || len(d.Denied()) != denials {
		b.Fatalf("got findings %v, want %d denials", d.Findings, denials)
	}
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Validate(ctx, p, snap, c); err != nil {
			b.Fatal(err)
		}
	}
}
