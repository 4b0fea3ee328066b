package rules

import (
	"encoding/json"
	"errors"
	"fmt"

	certmanagerv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
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
	gv, err := schema.ParseGroupVersion(tm.APIVersion)
	if err != nil {
		return nil, err
	}
	obj := newObject(gv, tm.Kind)
	if obj == nil {
		return nil, fmt.Errorf("%s %s: %w", tm.APIVersion, tm.Kind, ErrIgnoredKind)
	}
	if err := json.Unmarshal(data, obj); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", tm.Kind, err)
	}
	return obj, nil
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
