package rules

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	certmanagerv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
	"google.golang.org/protobuf/encoding/protojson"
	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ErrIgnoredKind is returned for a kind the rules do not read.
var ErrIgnoredKind = errors.New("kind not read by the rules")

// IstioNetworkingGroup serves v1, v1beta1 and v1alpha3 with one schema.
const IstioNetworkingGroup = "networking.istio.io"

// DecodeObject decodes one JSON object into the typed object the rules
// read. Gateways and VirtualServices of every served version decode into
// the v1 types: the schemas are identical.
func DecodeObject(data []byte) (client.Object, error) {
	var tm metav1.TypeMeta
	if err := json.Unmarshal(data, &tm); err != nil {
		return nil, err
	}
	return DecodeObjectAs(schema.FromAPIVersionAndKind(tm.APIVersion, tm.Kind), data)
}

// DecodeObjectAs decodes data as gvk, for callers that already know it (an
// AdmissionReview names its kind), sparing a pass over the JSON. The kind
// the object itself states must agree.
func DecodeObjectAs(gvk schema.GroupVersionKind, data []byte) (client.Object, error) {
	obj := newObject(gvk.GroupVersion(), gvk.Kind)
	if obj == nil {
		return nil, fmt.Errorf("%s: %w", gvk, ErrIgnoredKind)
	}
	if err := decodeInto(data, obj); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", gvk.Kind, err)
	}
	if got := obj.GetObjectKind().GroupVersionKind(); got.Kind != gvk.Kind || got.Group != gvk.Group {
		return nil, fmt.Errorf("the object is %s, not %s", got.GroupKind(), gvk.GroupKind())
	}
	return obj, nil
}

// istioObject is an Istio Gateway or VirtualService as the rules read it:
// keptMetadata (identity, generation, creation time, labels, the exemption
// annotation), and the spec: a Gateway's left raw for protojson, which
// decodes it instead of Istio's legacy jsonpb shim (the same proto3 JSON
// mapping, at a fraction of the cost), a VirtualService's as
// VirtualServiceSpec. Nothing else is decoded: managedFields and every
// other annotation — kubectl's last-applied one is a copy of the whole
// object — are scanned past, never allocated.
type istioObject[Spec any] struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Metadata   keptMetadata `json:"metadata"`
	Spec       Spec         `json:"spec"`
}

// borrowedJSON is a JSON value left undecoded, as a slice of the input:
// the spec is handed to protojson before decodeInto returns, so it needs
// no copy of its own (json.RawMessage and jsontext.Value copy it).
type borrowedJSON []byte

func (b *borrowedJSON) UnmarshalJSON(data []byte) error {
	*b = data
	return nil
}

// keptMetadata is the part of metadata the rules and the claim
// reservations read, of every kind: managedFields and every annotation
// but the exemption are skipped.
type keptMetadata struct {
	Name              string            `json:"name"`
	Namespace         string            `json:"namespace"`
	UID               types.UID         `json:"uid"`
	ResourceVersion   string            `json:"resourceVersion"`
	Generation        int64             `json:"generation"`
	CreationTimestamp Timestamp         `json:"creationTimestamp"` // a ListenerSet's merge order
	Labels            map[string]string `json:"labels"`
	Annotations       struct {
		Exempt *string `json:"gateguard.dev/exempt"` // ExemptAnnotation
	} `json:"annotations"`
}

// objectMeta is m as the typed objects carry it.
func (m keptMetadata) objectMeta() metav1.ObjectMeta {
	meta := metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion,
		Generation: m.Generation, CreationTimestamp: m.CreationTimestamp.Time, Labels: m.Labels}
	if m.Annotations.Exempt != nil {
		meta.Annotations = map[string]string{ExemptAnnotation: *m.Annotations.Exempt}
	}
	return meta
}

// Timestamp is a metav1.Time decoded as its UnmarshalJSON does, without
// that method's detour through encoding/json.
type Timestamp struct{ metav1.Time }

// UnmarshalJSONFrom reads an RFC 3339 string, or null, from d.
func (t *Timestamp) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	v, err := d.ReadValue()
	if err != nil || v.Kind() == 'n' {
		return err
	}
	if v.Kind() != '"' {
		return fmt.Errorf("timestamp: want a string, got %s", v)
	}
	var scratch [64]byte
	s, err := jsontext.AppendUnquote(scratch[:0], v)
	if err != nil {
		return err
	}
	parsed, err := time.Parse(time.RFC3339, string(s))
	t.Time = metav1.NewTime(parsed.Local())
	return err
}

// decodeInto fills obj from data. The kinds other than Istio's decode as
// encoding/json decodes them, keys matched case-insensitively and all,
// with go-json-experiment/json's v1 options: encoding/json's rules on the
// one-pass decoder (the encoding/json Go 1.26 builds with
// GOEXPERIMENT=jsonv2), at about half the time and allocations. Their
// metadata is decoded as keptMetadata, as Istio's is, so kubectl's
// last-applied copy of the object and managedFields are skipped.
func decodeInto(data []byte, obj client.Object) error {
	switch o := obj.(type) {
	case *networkingv1.Gateway:
		return decodeGateway(data, o)
	case *networkingv1.VirtualService:
		return decodeVirtualService(data, o)
	}
	return jsonv2.Unmarshal(data, obj, typedDecodeOptions)
}

// decodeGateway decodes an Istio Gateway, its spec with protojson.
func decodeGateway(data []byte, gw *networkingv1.Gateway) error {
	spec, err := decodeIstio[borrowedJSON](data, &gw.TypeMeta, &gw.ObjectMeta)
	if err != nil || len(spec) == 0 || string(spec) == "null" {
		return err
	}
	// Unknown fields are allowed, as Istio's shim allows them.
	return protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(spec, &gw.Spec)
}

// decodeVirtualService decodes an Istio VirtualService as the cache does:
// its HTTP routes stand as one empty route, since the rules only ask
// whether it has some.
func decodeVirtualService(data []byte, vs *networkingv1.VirtualService) error {
	spec, err := decodeIstio[VirtualServiceSpec](data, &vs.TypeMeta, &vs.ObjectMeta)
	if err != nil {
		return err
	}
	return spec.Fill(&vs.Spec, []*networking.HTTPRoute{{}})
}

// decodeIstio decodes an Istio object's type and kept metadata into tm and
// om, and returns its spec as Spec.
func decodeIstio[Spec any](data []byte, tm *metav1.TypeMeta, om *metav1.ObjectMeta) (Spec, error) {
	var raw istioObject[Spec]
	if err := decodeIstioObject(data, &raw); err != nil {
		var none Spec // not what a half-decoded object left
		return none, err
	}
	*tm = metav1.TypeMeta{APIVersion: raw.APIVersion, Kind: raw.Kind}
	*om = raw.Metadata.objectMeta()
	return raw.Spec, nil
}

// typedDecodeOptions are encoding/json's rules, with the metadata of every
// kind decoded by decodeKeptMetadata. They are built once, like a compiled
// regexp, because building them costs 45 allocations, more than the decode.
var typedDecodeOptions = jsonv2.JoinOptions(jsonv1.DefaultOptionsV1(),
	jsonv2.WithUnmarshalers(jsonv2.UnmarshalFromFunc(decodeKeptMetadata)))

// decodeKeptMetadata decodes an object's metadata as keptMetadata, with
// keys matched case-sensitively as the apiserver matches them, where the
// rest of the object is read with encoding/json's rules.
func decodeKeptMetadata(d *jsontext.Decoder, meta *metav1.ObjectMeta) error {
	var kept keptMetadata
	if err := jsonv2.UnmarshalDecode(d, &kept, jsonv2.MatchCaseInsensitiveNames(false)); err != nil {
		return err
	}
	*meta = kept.objectMeta()
	return nil
}

// decodeIstioObject decodes with go-json-experiment/json (Go's
// encoding/json/v2), which validates as it decodes, in one pass, where
// encoding/json and its fork sigs.k8s.io/json scan the input twice; it
// reads as sigs.k8s.io/json did: keys match case-sensitively, as the
// apiserver matches them ("gateguard.dev/Exempt" is not the exemption), a
// repeated key's last value wins, invalid UTF-8 is replaced.
func decodeIstioObject[Spec any](data []byte, raw *istioObject[Spec]) error {
	return jsonv2.Unmarshal(data, raw, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
}

// newObject returns an empty typed object for a group, version and kind.
func newObject(gv schema.GroupVersion, kind string) client.Object {
	switch {
	case gv.Group == IstioNetworkingGroup && (gv.Version == "v1" || gv.Version == "v1beta1" || gv.Version == "v1alpha3"):
		switch kind {
		case string(KindGateway):
			return &networkingv1.Gateway{}
		case string(KindVirtualService):
			return &networkingv1.VirtualService{}
		}
	case gv.Group == "" && gv.Version == "v1":
		switch kind {
		case "Secret":
			return &corev1.Secret{}
		case "Pod":
			return &corev1.Pod{}
		case "Namespace":
			return &corev1.Namespace{}
		case "Service":
			return &corev1.Service{}
		}
	case gv.Group == gatewayGroup:
		return newGatewayAPIObject(gv.Version, kind)
	case gv == certmanagerv1.SchemeGroupVersion && kind == "Certificate":
		return &certmanagerv1.Certificate{}
	}
	return nil
}
