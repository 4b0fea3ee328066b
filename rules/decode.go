package rules

import (
	"encoding/json"
	"errors"
	"fmt"

	certmanagerv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
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

// istioObject is an Istio Gateway or VirtualService with its spec left
// raw, decoded by protojson instead of Istio's legacy jsonpb shim: the
// same proto3 JSON mapping, at a fraction of the cost.
type istioObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              json.RawMessage `json:"spec,omitempty"`
}

// decodeInto fills obj from data.
func decodeInto(data []byte, obj client.Object) error {
	gw, isGateway := obj.(*networkingv1.Gateway)
	vs, isVirtualService := obj.(*networkingv1.VirtualService)
	if !isGateway && !isVirtualService {
		return json.Unmarshal(data, obj)
	}
	var raw istioObject
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	var spec proto.Message
	if isGateway {
		gw.TypeMeta, gw.ObjectMeta, spec = raw.TypeMeta, raw.ObjectMeta, &gw.Spec
	} else {
		vs.TypeMeta, vs.ObjectMeta, spec = raw.TypeMeta, raw.ObjectMeta, &vs.Spec
	}
	if len(raw.Spec) == 0 || string(raw.Spec) == "null" {
		return nil
	}
	// Unknown fields are allowed, as Istio's shim allows them.
	return protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(raw.Spec, spec)
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
		}
	case gv == certmanagerv1.SchemeGroupVersion && kind == "Certificate":
		return &certmanagerv1.Certificate{}
	}
	return nil
}
