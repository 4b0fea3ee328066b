package rules

import (
	"reflect"
	"strings"
	"testing"
	"time"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// appliedMetadata is metadata as kubectl apply leaves it: the last-applied
// annotation, a managedFields entry, and an annotation that differs from
// the exemption's key only in case.
const appliedMetadata = `"metadata":{
  "name":"edge","namespace":"team-a","uid":"u-1","resourceVersion":"42","generation":3,
  "creationTimestamp":"2026-07-01T10:00:00Z","labels":{"app.kubernetes.io/part-of":"shop"},
  "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"kind\":\"Gateway\"}\n",
    "gateguard.dev/exempt":"wildcard-host","gateguard.dev/Exempt":"all"},
  "managedFields":[{"manager":"kubectl","operation":"Update","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{}}}]}`

// TestDecodeKeepsWhatTheRulesRead: an Istio Gateway and an HTTPRoute as
// kubectl apply sends them decode to their identity, generation, creation
// time, labels and the exemption annotation alone; managedFields,
// kubectl's last-applied annotation and every other annotation are
// dropped, and the spec is whole.
func TestDecodeKeepsWhatTheRulesRead(t *testing.T) {
	want := metav1.ObjectMeta{Name: "edge", Namespace: "team-a", UID: "u-1", ResourceVersion: "42", Generation: 3,
		CreationTimestamp: metav1.NewTime(time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC).Local()), // as metav1.Time decodes it,
		Labels:            map[string]string{"app.kubernetes.io/part-of": "shop"},
		Annotations:       map[string]string{ExemptAnnotation: "wildcard-host"}}
	cases := []struct {
		gvk       schema.GroupVersionKind
		spec      string
		specWhole func(client.Object) bool
	}{
		{schema.GroupVersionKind{Group: IstioNetworkingGroup, Version: "v1", Kind: "Gateway"},
			`{"selector":{"istio":"ingressgateway"},"servers":[{"port":{"number":80,"name":"http","protocol":"HTTP"},"hosts":["*"]}]}`,
			func(o client.Object) bool {
				gw := o.(*networkingv1.Gateway)
				return gw.Spec.Selector["istio"] == "ingressgateway" && len(gw.Spec.Servers) == 1 && gw.Spec.Servers[0].Hosts[0] == "*"
			}},
		{schema.GroupVersionKind{Group: gatewayGroup, Version: "v1", Kind: "HTTPRoute"},
			`{"parentRefs":[{"name":"public","namespace":"istio-system"}],"hostnames":["shop.example.com"]}`,
			func(o client.Object) bool {
				r := o.(*gatewayv1.HTTPRoute)
				return len(r.Spec.ParentRefs) == 1 && r.Spec.ParentRefs[0].Name == "public" &&
					*r.Spec.ParentRefs[0].Namespace == "istio-system" && len(r.Spec.Hostnames) == 1 && r.Spec.Hostnames[0] == "shop.example.com"
			}},
	}
	for _, c := range cases {
		data := []byte(`{"apiVersion":"` + c.gvk.GroupVersion().String() + `","kind":"` + c.gvk.Kind + `",` + appliedMetadata +
			`,"spec":` + c.spec + `}`)
		obj, err := DecodeObjectAs(c.gvk, data)
		if err != nil {
			t.Fatalf("%s: %v", c.gvk.Kind, err)
		}
		if got := metaOf(obj); !reflect.DeepEqual(got, want) {
			t.Errorf("%s metadata\n got: %+v\nwant: %+v", c.gvk.Kind, got, want)
		}
		if gvk := obj.GetObjectKind().GroupVersionKind(); gvk != c.gvk || !c.specWhole(obj) {
			t.Errorf("%s: type or spec lost: %s %+v", c.gvk.Kind, gvk, obj)
		}
	}
}

// TestDecodeExemptionIsCaseSensitive: an annotation that differs from the
// exemption's key only in case is not the exemption, for Istio's kinds and
// the others alike, though the others' spec keys match as encoding/json
// matches them.
func TestDecodeExemptionIsCaseSensitive(t *testing.T) {
	for _, data := range []string{
		`{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"shop",` +
			`"annotations":{"gateguard.dev/EXEMPT":"all"}},"spec":{"hosts":["shop.example.com"]}}`,
		`{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"shop",` +
			`"annotations":{"gateguard.dev/EXEMPT":"all"}},"spec":{"Hostnames":["shop.example.com"]}}`,
	} {
		obj, err := DecodeObject([]byte(data))
		if err != nil {
			t.Fatal(err)
		}
		if a := obj.GetAnnotations(); a != nil {
			t.Errorf("%s: annotations = %v, want none: only %s exempts", obj.GetObjectKind().GroupVersionKind().Kind, a,
				ExemptAnnotation)
		}
		if r, ok := obj.(*gatewayv1.HTTPRoute); ok && (len(r.Spec.Hostnames) != 1 || r.Spec.Hostnames[0] != "shop.example.com") {
			t.Errorf("HTTPRoute hostnames = %v, want [shop.example.com] from \"Hostnames\"", r.Spec.Hostnames)
		}
	}
}

// metaOf is obj's ObjectMeta.
func metaOf(obj client.Object) metav1.ObjectMeta {
	return *obj.(metav1.ObjectMetaAccessor).GetObjectMeta().(*metav1.ObjectMeta)
}

// TestDecodeRefusesWhatIstioAndTheApiserverRefuse: /mutate and gateguard
// check decode objects no schema has checked, so a VirtualService whose
// http is not an array, or a creationTimestamp that is not RFC 3339 (""
// included, as metav1.Time refuses it), is an error naming the field.
func TestDecodeRefusesWhatIstioAndTheApiserverRefuse(t *testing.T) {
	for _, c := range []struct{ data, want string }{
		{`{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"shop"},"spec":{"http":{}}}`,
			`decoding VirtualService: json: cannot unmarshal into Go rules.NonEmptyArray within "/spec/http": want an array, got {`},
		{`{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"shop","creationTimestamp":""},"spec":{}}`,
			`decoding VirtualService: json: cannot unmarshal into Go rules.Timestamp within "/metadata/creationTimestamp": ` +
				`parsing time "" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "2006"`},
	} {
		_, err := DecodeObject([]byte(c.data))
		if err == nil {
			t.Errorf("DecodeObject(%s) = nil error, want %s", c.data, c.want)
			continue
		}
		// The JSON library says "cannot" or "unable to", chosen at random
		// once per process so that nobody depends on either.
		if got := strings.Replace(err.Error(), "json: unable to ", "json: cannot ", 1); got != c.want {
			t.Errorf("DecodeObject(%s)\n got: %s\nwant: %s", c.data, got, c.want)
		}
	}
}
