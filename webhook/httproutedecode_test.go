package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/runtime/serializer/streaming"
	"k8s.io/apimachinery/pkg/watch"
	restwatch "k8s.io/client-go/rest/watch"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// deployedRouteJSON is r deployed as a cluster holds it (asDeployed), as JSON.
func deployedRouteJSON(t testing.TB, r *gatewayv1.HTTPRoute) []byte {
	deployed := asDeployed(t, r).(*gatewayv1.HTTPRoute)
	deployed.APIVersion, deployed.Kind = "gateway.networking.k8s.io/v1", "HTTPRoute"
	data, err := json.Marshal(deployed)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// keptRouteJSON is what the cache keeps of r, as JSON.
func keptRouteJSON(t testing.TB, r runtime.Object) string {
	kept, ok := trimGatewayAPI(r)
	if !ok {
		t.Fatalf("%T is no Gateway API kind", r)
	}
	data, err := json.Marshal(kept)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// typedCodec decodes JSON into the scheme's Go types, as the cache's
// typed informers do.
func typedCodec(t testing.TB) runtime.Decoder {
	scheme, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	return serializer.NewCodecFactory(scheme).UniversalDeserializer()
}

// typedRoute is data decoded into the Gateway API's type.
func typedRoute(t testing.TB, codec runtime.Decoder, data []byte) *gatewayv1.HTTPRoute {
	r := &gatewayv1.HTTPRoute{}
	if _, _, err := codec.Decode(data, nil, r); err != nil {
		t.Fatal(err)
	}
	r.TypeMeta = metav1.TypeMeta{} // a typed list's decoder clears it too
	return r
}

// TestHTTPRouteDecoderMatchesTyped: every HTTPRoute of the rules corpus
// and realistic ones (cross-namespace backends, mirrors, the exemption,
// a deletion) decode lean to exactly what the typed decode and the
// transform keep.
func TestHTTPRouteDecoderMatchesTyped(t *testing.T) {
	codec := typedCodec(t)
	var routes []*gatewayv1.HTTPRoute
	for _, d := range corpusDocuments(t) {
		if r, ok := d.Object.(*gatewayv1.HTTPRoute); ok {
			routes = append(routes, r)
		}
	}
	if len(routes) < 30 {
		t.Fatalf("only %d HTTPRoutes in the corpus", len(routes))
	}
	for i := range 8 {
		routes = append(routes, variedRoute(i))
	}
	for i, r := range routes {
		data := deployedRouteJSON(t, r)
		lean, err := decodeHTTPRoute(newLeanDecoder(bytes.NewReader(data)))
		if err != nil {
			t.Fatalf("route %d %s/%s: %v", i, r.Namespace, r.Name, err)
		}
		if want, got := keptRouteJSON(t, typedRoute(t, codec, data)), keptRouteJSON(t, lean); got != want {
			t.Errorf("route %d %s/%s: decoded lean\n%s\nwant, as typed,\n%s", i, r.Namespace, r.Name, got, want)
		}
	}
}

// variedRoute is the i-th realistic route, with by i a backend in
// another namespace, a request mirror, the exemption or a deletion mark.
func variedRoute(i int) *gatewayv1.HTTPRoute {
	meta := metav1.ObjectMeta{Namespace: fmt.Sprintf("team-%d", i), Name: fmt.Sprintf("app-%d", i), UID: "4f0c2d1e",
		ResourceVersion: fmt.Sprint(500 + i), Generation: 2, CreationTimestamp: metav1.Unix(1780000000, 0)}
	r := realisticRoute(meta, i)
	if i%2 == 1 {
		r.Spec.Rules[0].BackendRefs[0].Namespace = ptr.To[gatewayv1.Namespace]("shared")
	}
	if i%3 == 1 {
		r.Spec.Rules[1].Filters = []gatewayv1.HTTPRouteFilter{{Type: gatewayv1.HTTPRouteFilterRequestMirror,
			RequestMirror: &gatewayv1.HTTPRequestMirrorFilter{BackendRef: gatewayv1.BackendObjectReference{Name: "shadow",
				Namespace: ptr.To[gatewayv1.Namespace]("mirror"), Port: ptr.To[gatewayv1.PortNumber](80)}, Percent: ptr.To[int32](5)}}}
	}
	if i%4 == 2 {
		r.Annotations = map[string]string{"gateguard.dev/exempt": "wildcard-host"}
	}
	if i%5 == 3 {
		r.DeletionTimestamp = ptr.To(metav1.Unix(1780000100, 0))
	}
	return r
}

// BenchmarkHTTPRouteWatch decodes the initial events of 1000 realistic
// HTTPRoutes, deployed, the way the cache's typed informer did (typed)
// and the lean decoder does; per op is the whole stream.
func BenchmarkHTTPRouteWatch(b *testing.B) {
	const n = 1000
	var stream bytes.Buffer
	for i := range n {
		fmt.Fprintf(&stream, "{\"type\":\"ADDED\",\"object\":%s}\n", deployedRouteJSON(b, variedRoute(i)))
	}
	scheme, err := NewScheme()
	if err != nil {
		b.Fatal(err)
	}
	info, _ := runtime.SerializerInfoForMediaType(serializer.NewCodecFactory(scheme).WithoutConversion().SupportedMediaTypes(),
		runtime.ContentTypeJSON)
	report := apierrors.NewClientErrorReporter(500, "GET", "ClientWatchDecoding")
	for _, tc := range []struct {
		name  string
		watch func(io.ReadCloser) watch.Interface
	}{
		{"typed", func(body io.ReadCloser) watch.Interface {
			events := streaming.NewDecoder(info.StreamSerializer.NewFrameReader(body), info.StreamSerializer.Serializer)
			return watch.NewStreamWatcher(restwatch.NewDecoder(events, info.Serializer), report)
		}},
		{"lean", func(body io.ReadCloser) watch.Interface {
			return watch.NewStreamWatcher(newEventDecoder(body, decodeHTTPRoute), report)
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(stream.Len()))
			for b.Loop() {
				got := 0
				for e := range tc.watch(io.NopCloser(bytes.NewReader(stream.Bytes()))).ResultChan() {
					if _, ok := e.Object.(*gatewayv1.HTTPRoute); !ok {
						b.Fatalf("%s event: %#v", e.Type, e.Object)
					}
					got++
				}
				if got != n {
					b.Fatalf("decoded %d HTTPRoutes, want %d", got, n)
				}
			}
		})
	}
}
