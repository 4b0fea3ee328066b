package rules

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// FuzzDecodeIstioObject holds the one-pass decode of an Istio object to
// sigs.k8s.io/json, which decoded it before: the same input is refused by
// both or decodes to the same identity, labels, exemption and spec bytes.
// Seeds are the corpus's Istio objects, plus the inputs where decoders
// part ways: repeated keys, keys in another case or escaped, nulls,
// invalid UTF-8, numbers that are not integers.
func FuzzDecodeIstioObject(f *testing.F) {
	for _, seed := range istioCorpus(f) {
		f.Add(seed)
	}
	for _, metadata := range []string{
		`{"name":"a","name":"b","labels":{"x":"1"},"labels":{"y":"2"}}`,
		`{"Name":"a","NAMESPACE":"b","annotations":{"gateguard.dev/Exempt":"all"}}`,
		`{"n\u0061me":"a\u00e9","annotations":{"gateguard.dev/exempt":null}}`,
		`{"name":null,"labels":{"x":null},"annotations":null,"generation":null}`,
		"{\"name\":\"a\xffb\",\"labels\":{\"k\xfe\":\"v\"}}",
		`{"creationTimestamp":""}`, `{"creationTimestamp":"null"}`, `{"creationTimestamp":null}`, `{"creationTimestamp":1}`,
		`{"creationTimestamp":"2026-07-01T10:00:00.5+02:00"}`, `{"generation":1.0}`, `{"generation":1e2}`, `{"generation":-3}`, `{"generation":9223372036854775808}`,
	} {
		f.Add([]byte(`{"apiVersion":"networking.istio.io/v1","kind":"Gateway","metadata":` + metadata + `,"spec":{}}`))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var got, want istioObject[borrowedJSON]
		gotErr := decodeIstioObject(data, &got)
		wantErr := kjson.UnmarshalCaseSensitivePreserveInts(data, &want)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("error %v, sigs.k8s.io/json's %v: %q", gotErr, wantErr, data)
		}
		if gotErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("decoded\n%+v\nsigs.k8s.io/json\n%+v\nfrom %q", got, want, data)
		}
	})
}

// FuzzDecodeVirtualServiceSpec holds the lean VirtualService decode to
// the decoders of the whole spec: protojson, which decoded it at
// admission before, and Istio's own, which reads the TLS and TCP routes
// now. Where both accept the spec, the lean decode accepts the object too
// and reads the same hosts, gateways, exportTo and whether there are HTTP
// routes as protojson, and the same TLS and TCP routes as Istio's decoder:
// all the rules read. Where they refuse, the lean decode may accept: it
// does not read the HTTP routes, which the apiserver's schema checks.
// Seeds are the corpus's VirtualServices, plus specs where the decoders
// could part.
func FuzzDecodeVirtualServiceSpec(f *testing.F) {
	for _, seed := range corpusJSON(f, `"kind":"VirtualService"`) {
		f.Add(seed)
	}
	for _, spec := range []string{`null`, `{}`, `{"http":null,"tls":null,"tcp":null}`, `{"http":[ ]}`, `{"http":[{}]}`,
		`{"hosts":null,"exportTo":[]}`, `{"export_to":["."]}`, `{"hosts":["a"],"Hosts":["b"]}`,
		`{"tls":[{"match":[{"sniHosts":["a.example.com"],"port":443}],"route":[{"destination":{"host":"a"}}]}]}`,
		`{"tls":[{"match":[{"sniHosts":["a.example.com"],"port":4e3}]}]}`, `{"tcp":[{"match":[{"port":31400}]}],"unknown":1}`} {
		f.Add([]byte(`{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"a"},"spec":` + spec + `}`))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var raw istioObject[borrowedJSON]
		want, istio := &networking.VirtualService{}, &networking.VirtualService{}
		if decodeIstioObject(data, &raw) != nil || len(raw.Spec) == 0 || string(raw.Spec) == "null" ||
			(protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(raw.Spec, want) != nil || istio.UnmarshalJSON(raw.Spec) != nil {
			return
		}
		vs := &networkingv1.VirtualService{}
		if err := decodeVirtualService(data, vs); err != nil {
			t.Fatalf("refused what protojson and Istio's decoder accept: %v: %q", err, data)
		}
		got := &vs.Spec
		if !slices.Equal(got.Hosts, want.Hosts) || !slices.Equal(got.Gateways, want.Gateways) ||
			!slices.Equal(got.ExportTo, want.ExportTo) || (len(got.Http) > 0) != (len(want.Http) > 0) ||
			!proto.Equal(&networking.VirtualService{Tls: got.Tls, Tcp: got.Tcp}, &networking.VirtualService{Tls: istio.Tls, Tcp: istio.Tcp}) {
			t.Fatalf("decoded\n%v\nprotojson\n%v\nIstio's decoder\n%v\nfrom %q", got, want, istio, data)
		}
	})
}

// FuzzDecodeTypedObject holds the decode of the other kinds, through
// go-json-experiment/json with encoding/json's options (Go's encoding/json
// as GOEXPERIMENT=jsonv2 builds it), to encoding/json, which decoded them
// before, but for the metadata, which is keptMetadata as sigs.k8s.io/json
// reads it case-sensitively, as FuzzDecodeIstioObject holds Istio's: both
// refuse the input or decode the same object. Where encoding/json refuses
// the metadata by itself, the input is left out: the lean decode skips
// fields encoding/json reads, so which refusal comes first may differ.
// Seeds are the corpus's Gateway API objects, Secrets and Services.
func FuzzDecodeTypedObject(f *testing.F) {
	for _, seed := range corpusJSON(f, "gateway.networking.k8s.io/", `"kind":"Secret"`, `"kind":"Service"`) {
		f.Add(seed)
	}
	for _, o := range []string{
		`{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"NAME":"a","name":"b",` +
			`"creationTimestamp":"2026-07-01T10:00:00Z"},"spec":{"Hostnames":["a\u00e9"],"hostnames":null,"parentRefs":[{"port":80.0}]}}`,
		`{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"a","managedFields":[],` +
			`"annotations":{"gateguard.dev/Exempt":"all","gateguard.dev/exempt":"wildcard-host"}},"spec":{}}`,
		`{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","Metadata":{"name":"a"},"metadata":{"labels":{"x":"1"}}}`,
		`{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"finalizers":1},"spec":1}`,
	} {
		f.Add([]byte(o))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var tm metav1.TypeMeta
		if json.Unmarshal(data, &tm) != nil {
			return
		}
		gv := schema.FromAPIVersionAndKind(tm.APIVersion, tm.Kind).GroupVersion()
		got, want := newObject(gv, tm.Kind), newObject(gv, tm.Kind)
		if got == nil || gv.Group == IstioNetworkingGroup { // FuzzDecodeIstioObject's
			return
		}
		comparable, wantErr := typedWithKeptMetadata(data, want)
		if !comparable {
			return
		}
		gotErr := decodeInto(data, got)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("error %v, encoding/json's %v: %q", gotErr, wantErr, data)
		}
		if gotErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("decoded\n%+v\nencoding/json\n%+v\nfrom %q", got, want, data)
		}
	})
}

// typedWithKeptMetadata decodes data into obj with encoding/json, then
// replaces its metadata with keptMetadata as sigs.k8s.io/json decodes the
// metadata encoding/json found. It is not comparable where encoding/json
// refuses that metadata by itself.
func typedWithKeptMetadata(data []byte, obj client.Object) (comparable bool, err error) {
	var outer struct {
		Metadata json.RawMessage `json:"metadata"`
	}
	if err := json.Unmarshal(data, &outer); err != nil {
		return true, err
	}
	if len(outer.Metadata) > 0 && json.Unmarshal(outer.Metadata, &metav1.ObjectMeta{}) != nil {
		return false, nil
	}
	err = json.Unmarshal(data, obj)
	var kept keptMetadata
	if len(outer.Metadata) > 0 {
		if keptErr := kjson.UnmarshalCaseSensitivePreserveInts(outer.Metadata, &kept); keptErr != nil {
			return true, keptErr
		}
	}
	*obj.(metav1.ObjectMetaAccessor).GetObjectMeta().(*metav1.ObjectMeta) = kept.objectMeta()
	return true, err
}

// istioCorpus is every Gateway and VirtualService of testdata/ as JSON.
func istioCorpus(f *testing.F) [][]byte {
	return corpusJSON(f, `"kind":"Gateway","metadata"`, `"kind":"VirtualService"`)
}

// corpusJSON is every document of testdata/ that holds one of marks, as
// JSON.
func corpusJSON(f *testing.F, marks ...string) [][]byte {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(files) == 0 {
		f.Fatalf("no corpus: %v", err)
	}
	var out [][]byte
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, doc := range bytes.Split(data, []byte("\n---")) {
			j, err := yaml.YAMLToJSON(doc)
			if err == nil && slices.ContainsFunc(marks, func(m string) bool { return bytes.Contains(j, []byte(m)) }) {
				out = append(out, j)
			}
		}
	}
	if len(out) == 0 {
		f.Fatalf("no document of testdata/ holds any of %q", marks)
	}
	return out
}

// BenchmarkDecodeObject decodes an object as kubectl apply sends it (the
// last-applied annotation, a managedFields entry): a VirtualService and
// an HTTPRoute, as the load tool's requests carry them.
func BenchmarkDecodeObject(b *testing.B) {
	meta := `"metadata":{"name":"app","namespace":"team-1","generation":1,"creationTimestamp":"2026-07-01T10:00:00Z",` +
		`"labels":{"app.kubernetes.io/part-of":"shop"},"annotations":{"kubectl.kubernetes.io/last-applied-configuration":` +
		`"{\"apiVersion\":\"x/v1\",\"kind\":\"X\",\"metadata\":{\"annotations\":{},\"name\":\"app\",\"namespace\":\"team-1\"},` +
		`\"spec\":{\"hosts\":[\"app.g1.example.com\"],\"gateways\":[\"istio-system/gw-1\"]}}\n"},` +
		`"managedFields":[{"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"x/v1",` +
		`"time":"2026-07-01T10:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:annotations":{".":{},` +
		`"f:kubectl.kubernetes.io/last-applied-configuration":{}},"f:labels":{".":{},"f:app.kubernetes.io/part-of":{}}},"f:spec":{}}}]}`
	cases := []struct {
		gvk  schema.GroupVersionKind
		spec string
	}{
		{schema.GroupVersionKind{Group: IstioNetworkingGroup, Version: "v1", Kind: "VirtualService"},
			`{"hosts":["app.g1.example.com"],"gateways":["istio-system/gw-1"],"http":[{"match":[{"uri":{"prefix":"/"}}],` +
				`"route":[{"destination":{"host":"app.team-1.svc.cluster.local","port":{"number":8080}}}],"timeout":"10s"}]}`},
		{schema.GroupVersionKind{Group: gatewayGroup, Version: "v1", Kind: "HTTPRoute"},
			`{"parentRefs":[{"name":"gw-1","namespace":"istio-system"}],"hostnames":["app.g1.example.com"],` +
				`"rules":[{"matches":[{"path":{"type":"PathPrefix","value":"/"}}],"backendRefs":[{"name":"app","port":8080}]}]}`},
	}
	for _, c := range cases {
		data := []byte(`{"apiVersion":"` + c.gvk.GroupVersion().String() + `","kind":"` + c.gvk.Kind + `",` + meta + `,"spec":` + c.spec + `}`)
		b.Run(c.gvk.Kind, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodeObjectAs(c.gvk, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
