package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"testing"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/runtime/serializer/streaming"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	restwatch "k8s.io/client-go/rest/watch"
)

// The informer's decode before the lean decoder, kept here as the
// benchmarks' baseline and a second reference for the tests: client-go's
// dynamic client's watch (JSON framer, WatchEvent, unstructured object),
// then a typed VirtualService built from the unstructured one.

// unstructuredJSON is the dynamic client's JSON decoder.
func unstructuredJSON() runtime.Decoder {
	info, _ := runtime.SerializerInfoForMediaType(dynamic.ConfigFor(&rest.Config{}).NegotiatedSerializer.SupportedMediaTypes(),
		runtime.ContentTypeJSON)
	return info.Serializer
}

// genericWatch reads body as the dynamic client's watch does, handing its
// VirtualServices on typed.
func genericWatch(body io.ReadCloser) watch.Interface {
	info, _ := runtime.SerializerInfoForMediaType(dynamic.ConfigFor(&rest.Config{}).NegotiatedSerializer.SupportedMediaTypes(),
		runtime.ContentTypeJSON)
	events := streaming.NewDecoder(info.StreamSerializer.NewFrameReader(body), info.StreamSerializer.Serializer)
	w := watch.NewStreamWatcher(restwatch.NewDecoder(events, info.Serializer),
		apierrors.NewClientErrorReporter(500, "GET", "ClientWatchDecoding"))
	return watch.Filter(w, func(e watch.Event) (watch.Event, bool) {
		if e.Type == watch.Error {
			return e, true
		}
		vs, err := genericToTyped(e.Object)
		if err != nil {
			status := apierrors.NewInternalError(err).Status()
			return watch.Event{Type: watch.Error, Object: &status}, true
		}
		e.Object = vs
		return e, true
	})
}

// genericToTyped builds a VirtualService of the fields the cache keeps
// from an unstructured one; TLS and TCP routes go through Istio's own
// decoder.
func genericToTyped(obj runtime.Object) (*networkingv1.VirtualService, error) {
	u := obj.(*unstructured.Unstructured)
	vs := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: u.GetName(), Namespace: u.GetNamespace(),
		UID: u.GetUID(), ResourceVersion: u.GetResourceVersion(), Generation: u.GetGeneration(),
		CreationTimestamp: u.GetCreationTimestamp(), DeletionTimestamp: u.GetDeletionTimestamp(),
		Annotations: u.GetAnnotations()}}
	var err error
	for _, f := range []struct {
		into *[]string
		name string
	}{{&vs.Spec.Hosts, "hosts"}, {&vs.Spec.Gateways, "gateways"}, {&vs.Spec.ExportTo, "exportTo"}} {
		if *f.into, _, err = unstructured.NestedStringSlice(u.Object, "spec", f.name); err != nil {
			return nil, err
		}
	}
	if http, _, _ := unstructured.NestedSlice(u.Object, "spec", "http"); len(http) > 0 {
		vs.Spec.Http = []*networking.HTTPRoute{{}}
	}
	routes := map[string]any{}
	for _, name := range []string{"tls", "tcp"} {
		if r, ok, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", name); ok {
			routes[name] = r
		}
	}
	if len(routes) == 0 {
		return vs, nil
	}
	data, err := json.Marshal(routes)
	if err != nil {
		return nil, err
	}
	decoded := &networking.VirtualService{}
	if err := decoded.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	vs.Spec.Tls, vs.Spec.Tcp = decoded.Tls, decoded.Tcp
	return vs, nil
}

// seededStream is a watch stream of the initial events of n seeded
// VirtualServices, closed by the initial events' bookmark.
func seededStream(tb testing.TB, n int) []byte {
	var out bytes.Buffer
	for i := range n {
		fmt.Fprintf(&out, "{\"type\":\"ADDED\",\"object\":%s}\n", seededJSON(tb, i))
	}
	out.WriteString(`{"type":"BOOKMARK","object":{"kind":"VirtualService","apiVersion":"networking.istio.io/v1",` +
		`"metadata":{"resourceVersion":"200000","annotations":{"k8s.io/initial-events-end":"true"}}}}` + "\n")
	return out.Bytes()
}

// drain reads every event of w, failing on an error event; it returns
// how many VirtualServices came.
func drain(b *testing.B, w watch.Interface) int {
	n := 0
	for e := range w.ResultChan() {
		switch e.Object.(type) {
		case *networkingv1.VirtualService:
			n++
		default:
			b.Fatalf("%s event: %#v", e.Type, e.Object)
		}
	}
	return n
}

// BenchmarkVirtualServiceWatch decodes the initial events of 1000 seeded
// VirtualServices, as the load tool writes them (seededJSON), the way the
// informer did (generic) and does (lean); per op is the whole stream.
func BenchmarkVirtualServiceWatch(b *testing.B) {
	const n = 1000
	stream := seededStream(b, n)
	for _, tc := range []struct {
		name  string
		watch func(io.ReadCloser) watch.Interface
	}{
		{"generic", genericWatch},
		{"lean", func(body io.ReadCloser) watch.Interface {
			return watch.NewStreamWatcher(newEventDecoder(body, virtualServiceDecoder(newTrimmer().http)),
				apierrors.NewClientErrorReporter(500, "GET", "ClientWatchDecoding"))
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(stream)))
			for b.Loop() {
				if got := drain(b, tc.watch(io.NopCloser(bytes.NewReader(stream)))); got != n+1 {
					b.Fatalf("decoded %d VirtualServices, want %d and the bookmark", got, n)
				}
			}
		})
	}
}

// BenchmarkVirtualServiceDecode compares decoding one realistic
// VirtualService into Istio's type, generically then typed, and lean.
func BenchmarkVirtualServiceDecode(b *testing.B) {
	data := seededJSON(b, 1)
	scheme, err := NewScheme()
	if err != nil {
		b.Fatal(err)
	}
	codec := serializer.NewCodecFactory(scheme).UniversalDeserializer()
	generic := unstructuredJSON()
	for _, tc := range []struct {
		name   string
		decode func() error
	}{
		{"istio-types", func() error { _, _, err := codec.Decode(data, nil, &networkingv1.VirtualService{}); return err }},
		{"generic-then-typed", func() error {
			obj, err := runtime.Decode(generic, data)
			if err == nil {
				_, err = genericToTyped(obj)
			}
			return err
		}},
		{"lean", func() error {
			_, err := decodeVirtualService(newLeanDecoder(bytes.NewReader(data)), nil)
			return err
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if err := tc.decode(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
