package webhook

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gateguard/gateguard/rules/manifest"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/watch"
	dynamicfake "k8s.io/client-go/dynamic/fake"
)

// corpusDocuments reads every document of the rules corpus
// (rules/testdata); a file it cannot read is a broken corpus.
func corpusDocuments(tb testing.TB) []manifest.Document {
	files, _ := filepath.Glob("../rules/testdata/*.yaml")
	files = slices.DeleteFunc(files, func(f string) bool { return strings.HasSuffix(f, ".policy.yaml") })
	if len(files) == 0 {
		tb.Fatal("no corpus files in ../rules/testdata")
	}
	var out []manifest.Document
	for _, file := range files {
		res, err := manifest.ReadFile(file)
		if err != nil {
			tb.Fatalf("corpus %v", err)
		}
		out = append(out, res.Documents...)
	}
	return out
}

// trimmedJSON is what the cache keeps of vs, as JSON.
func trimmedJSON(t testing.TB, vs *networkingv1.VirtualService) string {
	out, err := newTrimmer().object(vs)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestVirtualServiceDecoderMatchesIstios: for every VirtualService of the
// rules corpus, deployed as a cluster holds it, the informer's generic
// decode keeps exactly what Istio's typed decode and the transform keep.
func TestVirtualServiceDecoderMatchesIstios(t *testing.T) {
	scheme, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	codec := serializer.NewCodecFactory(scheme).UniversalDeserializer()
	compared := 0
	for _, d := range corpusDocuments(t) {
		vs, ok := d.Object.(*networkingv1.VirtualService)
		if !ok {
			continue
		}
		deployed := asDeployed(t, vs).(*networkingv1.VirtualService)
		deployed.APIVersion, deployed.Kind = "networking.istio.io/v1", "VirtualService"
		data, err := json.Marshal(deployed)
		if err != nil {
			t.Fatal(err)
		}
		typed := &networkingv1.VirtualService{}
		if _, _, err := codec.Decode(data, nil, typed); err != nil {
			t.Fatal(err)
		}
		typed.TypeMeta = metav1.TypeMeta{} // a typed list's decoder clears it too; the cache's reads set it
		if want, got := trimmedJSON(t, typed), trimmedJSON(t, viaDecoder(t, deployed)); got != want {
			t.Errorf("%s:%d: decoded generically\n%s\nwant, as Istio's types decode it,\n%s", d.File, d.Line, got, want)
		}
		compared++
	}
	if compared < 30 {
		t.Fatalf("compared only %d VirtualServices", compared)
	}
}

// TestVirtualServiceListWatchIsTyped: the informer's lists and watch
// events carry typed VirtualServices, bookmarks keep their annotations,
// and error events pass unchanged.
func TestVirtualServiceListWatchIsTyped(t *testing.T) {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("networking.istio.io/v1")
	u.SetKind("VirtualService")
	u.SetNamespace("team-a")
	u.SetName("shop")
	u.SetResourceVersion("7")
	if err := unstructured.SetNestedStringSlice(u.Object, []string{"shop.example.com"}, "spec", "hosts"); err != nil {
		t.Fatal(err)
	}
	gvr := networkingv1.SchemeGroupVersion.WithResource("virtualservices")
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{gvr: "VirtualServiceList"}, u)
	lw := virtualServiceListWatch(dyn)
	list, err := lw.ListWithContext(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	items := list.(*networkingv1.VirtualServiceList).Items
	if len(items) != 1 || items[0].Name != "shop" || items[0].ResourceVersion != "7" || items[0].Spec.Hosts[0] != "shop.example.com" {
		t.Fatalf("listed %+v", items)
	}
	bookmark := &unstructured.Unstructured{}
	bookmark.SetAnnotations(map[string]string{metav1.InitialEventsAnnotationKey: "true"})
	bookmark.SetResourceVersion("9")
	status := &unstructured.Unstructured{Object: map[string]any{"kind": "Status", "code": int64(410)}}
	for _, tc := range []struct {
		in   watch.Event
		want func(watch.Event) bool
	}{
		{watch.Event{Type: watch.Added, Object: u}, func(e watch.Event) bool {
			vs, ok := e.Object.(*networkingv1.VirtualService)
			return ok && e.Type == watch.Added && vs.Name == "shop"
		}},
		{watch.Event{Type: watch.Bookmark, Object: bookmark}, func(e watch.Event) bool {
			vs, ok := e.Object.(*networkingv1.VirtualService)
			return ok && vs.ResourceVersion == "9" && vs.Annotations[metav1.InitialEventsAnnotationKey] == "true"
		}},
		{watch.Event{Type: watch.Error, Object: status}, func(e watch.Event) bool { return e.Object == status }},
	} {
		if got, _ := typedEvent(tc.in); !tc.want(got) {
			t.Errorf("%s event became %s %#v", tc.in.Type, got.Type, got.Object)
		}
	}
}

// BenchmarkVirtualServiceDecode compares decoding a realistic
// VirtualService into Istio's type with the informer's generic decode.
func BenchmarkVirtualServiceDecode(b *testing.B) {
	vs := realistic(b, "VirtualService", 7).(*networkingv1.VirtualService)
	vs.APIVersion, vs.Kind = "networking.istio.io/v1", "VirtualService"
	data, err := json.Marshal(asDeployed(b, vs))
	if err != nil {
		b.Fatal(err)
	}
	scheme, err := NewScheme()
	if err != nil {
		b.Fatal(err)
	}
	codec := serializer.NewCodecFactory(scheme).UniversalDeserializer()
	b.Run("istio-types", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := codec.Decode(data, nil, &networkingv1.VirtualService{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("generic-then-typed", func(b *testing.B) {
		for b.Loop() {
			u := &unstructured.Unstructured{}
			if err := u.UnmarshalJSON(data); err != nil {
				b.Fatal(err)
			}
			if _, err := typedVirtualService(u); err != nil {
				b.Fatal(err)
			}
		}
	})
}
