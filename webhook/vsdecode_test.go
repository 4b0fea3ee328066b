package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gateguard/gateguard/rules"
	"github.com/gateguard/gateguard/rules/manifest"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/watch"
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

// istioDecoded is data decoded by Istio's own types, as a typed client
// would: the ground truth the lean decoder must keep.
func istioDecoded(t testing.TB, data []byte) *networkingv1.VirtualService {
	scheme, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	typed := &networkingv1.VirtualService{}
	if _, _, err := serializer.NewCodecFactory(scheme).UniversalDeserializer().Decode(data, nil, typed); err != nil {
		t.Fatal(err)
	}
	typed.TypeMeta = metav1.TypeMeta{} // a typed list's decoder clears it too; the cache's reads set it
	return typed
}

// leanDecoded is data decoded by the informer's lean decoder.
func leanDecoded(t testing.TB, data []byte) *networkingv1.VirtualService {
	vs, err := decodeVirtualService(newLeanDecoder(bytes.NewReader(data)), newTrimmer().http)
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

// TestVirtualServiceDecoderMatchesIstios: for every VirtualService of the
// rules corpus, deployed as a cluster holds it, the informer's lean
// decode keeps exactly what Istio's typed decode and the transform keep.
func TestVirtualServiceDecoderMatchesIstios(t *testing.T) {
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
		if want, got := trimmedJSON(t, istioDecoded(t, data)), trimmedJSON(t, leanDecoded(t, data)); got != want {
			t.Errorf("%s:%d: decoded lean\n%s\nwant, as Istio's types decode it,\n%s", d.File, d.Line, got, want)
		}
		compared++
	}
	if compared < 30 {
		t.Fatalf("compared only %d VirtualServices", compared)
	}
}

// TestVirtualServiceDecoderMatchesIstiosOnSeeded: the VirtualServices
// the load tool seeds, as each tool leaves them (seededJSON), decode lean
// to exactly what Istio's typed decode and the generic decode keep, and
// the lean object holds no annotation but the exemption.
func TestVirtualServiceDecoderMatchesIstiosOnSeeded(t *testing.T) {
	for i := range 40 {
		data := seededJSON(t, i)
		lean := leanDecoded(t, data)
		if want, got := trimmedJSON(t, istioDecoded(t, data)), trimmedJSON(t, lean); got != want {
			t.Errorf("seeded %d (%s): decoded lean\n%s\nwant, as Istio's types decode it,\n%s", i, flavours[i%4], got, want)
		}
		if want, got := trimmedJSON(t, genericDecoded(t, data)), trimmedJSON(t, lean); got != want {
			t.Errorf("seeded %d (%s): decoded lean\n%s\nwant, as the generic decode,\n%s", i, flavours[i%4], got, want)
		}
		want := map[string]string(nil)
		if i%7 == 0 {
			want = map[string]string{rules.ExemptAnnotation: "default-labels"}
		}
		if !mapsEqual(lean.Annotations, want) {
			t.Errorf("seeded %d: lean annotations %v, want %v", i, lean.Annotations, want)
		}
	}
}

// mapsEqual reports whether a and b hold the same entries, nil being empty.
func mapsEqual(a, b map[string]string) bool {
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// decodedEvents are the events a stream watcher reads from stream with
// the lean decoder, until it stops.
func decodedEvents(stream string) []watch.Event {
	w := watch.NewStreamWatcher(newEventDecoder(io.NopCloser(strings.NewReader(stream)), virtualServiceDecoder(newTrimmer().http)),
		apierrors.NewClientErrorReporter(500, "GET", "ClientWatchDecoding"))
	var out []watch.Event
	for e := range w.ResultChan() {
		out = append(out, e)
	}
	return out
}

// TestEventDecoderReadsAStream: a watch stream's events reach the
// reflector typed, in order, whatever the order of an event's members;
// the initial events' closing bookmark keeps its annotation and an error
// event its Status.
func TestEventDecoderReadsAStream(t *testing.T) {
	bookmark := `{"type":"BOOKMARK","object":{"kind":"VirtualService","apiVersion":"networking.istio.io/v1",` +
		`"metadata":{"resourceVersion":"200","creationTimestamp":null,"annotations":{"k8s.io/initial-events-end":"true"}}}}`
	status := `{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",` +
		`"message":"too old resource version: 1 (5)","reason":"Expired","code":410}}`
	stream := fmt.Sprintf(`{"type":"ADDED","object":%s}`+"\n"+`{"object":%s,"type":"MODIFIED"}`+"\n"+
		`{"type":"DELETED","object":%s}`+"\n%s\n%s\n", seededJSON(t, 1), seededJSON(t, 2), seededJSON(t, 3), bookmark, status)
	events := decodedEvents(stream)
	var got []string
	for _, e := range events {
		switch o := e.Object.(type) {
		case *networkingv1.VirtualService:
			got = append(got, fmt.Sprintf("%s %s/%s@%s %v", e.Type, o.Namespace, o.Name, o.ResourceVersion, o.Annotations))
		case *metav1.Status:
			got = append(got, fmt.Sprintf("%s %d %s %q resource-expired=%v", e.Type, o.Code, o.Reason, o.Message,
				apierrors.IsResourceExpired(apierrors.FromObject(o))))
		default:
			got = append(got, fmt.Sprintf("%s %T", e.Type, o))
		}
	}
	want := []string{
		"ADDED team-1/app-1@100001 map[]",
		"MODIFIED team-2/app-2@100002 map[]",
		"DELETED team-3/app-3@100003 map[]",
		"BOOKMARK /@200 map[k8s.io/initial-events-end:true]",
		`ERROR 410 Expired "too old resource version: 1 (5)" resource-expired=true`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("events\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if want, got := trimmedJSON(t, istioDecoded(t, seededJSON(t, 2))), trimmedJSON(t, events[1].Object.(*networkingv1.VirtualService)); got != want {
		t.Errorf("object before type: decoded\n%s\nwant\n%s", got, want)
	}
}

// TestEventDecoderReportsMalformedEvents: an event the decoder cannot
// read, valid JSON or not, ends the watch with an error event saying
// why, after the events before it; a stream cut mid-event ends it
// quietly, as client-go's own decoder does, for the reflector to watch
// again.
func TestEventDecoderReportsMalformedEvents(t *testing.T) {
	const first = `{"type":"ADDED","object":{"metadata":{"name":"first"}}}` + "\n"
	for _, tc := range []struct{ name, event, want string }{
		{"hosts not a list", `{"type":"ADDED","object":{"spec":{"hosts":5}}}`,
			"watch event: /object/spec/hosts: want []string, got a JSON number"},
		{"annotation not a string", `{"type":"ADDED","object":{"metadata":{"annotations":{"` + rules.ExemptAnnotation + `":1}}}}`,
			"watch event: /object/metadata/annotations/gateguard.dev~1exempt: want string, got a JSON number"},
		{"annotations not an object", `{"type":"ADDED","object":{"metadata":{"annotations":["a"]}}}`,
			"watch event: /object/metadata/annotations: want an object, got ["},
		{"TLS match not a list", `{"type":"ADDED","object":{"metadata":{"name":"a","namespace":"b"},"spec":{"tls":[{"match":"x"}]}}}`,
			"watch event: VirtualService b/a: routes: json: cannot unmarshal string into Go value of type []json.RawMessage"},
		{"not JSON", `{"type":"ADDED","object":{"metadata":}}`,
			`watch event: jsontext: missing value after object name within "/object/metadata" after offset 93`},
		{"unknown type", `{"type":"CHANGED","object":{}}`, `watch event: type: "CHANGED" is no watch event type`},
		{"no object", `{"type":"ADDED"}`, "watch event: without a type or an object"},
		{"not an object", `["ADDED"]`, "watch event: want {, got ["},
		{"cut mid-event", `{"type":"ADDED","object":{"metadata":{"name":"a"`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			events := decodedEvents(first + tc.event)
			if len(events) == 0 || events[0].Type != watch.Added {
				t.Fatalf("events %v, want the ADDED event first", events)
			}
			if tc.want == "" {
				if len(events) != 1 {
					t.Errorf("events after the cut: %v", events[1:])
				}
				return
			}
			if len(events) != 2 || events[1].Type != watch.Error {
				t.Fatalf("events %v, want ADDED then one ERROR", events)
			}
			want := fmt.Sprintf("an error on the server (%q) has prevented the request from succeeding",
				"unable to decode an event from the watch stream: "+tc.want)
			status, ok := events[1].Object.(*metav1.Status)
			if !ok || status.Code != 500 || status.Reason != metav1.StatusReasonInternalError || status.Message != want {
				t.Errorf("error event %#v, want code 500, InternalError, message %q", events[1].Object, want)
			}
		})
	}
}

// genericDecoded is data decoded as the informer did before the lean
// decoder: generically, then typed from the kept fields.
func genericDecoded(t testing.TB, data []byte) *networkingv1.VirtualService {
	obj, err := runtime.Decode(unstructuredJSON(), data)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := genericToTyped(obj)
	if err != nil {
		t.Fatal(err)
	}
	return vs
}
