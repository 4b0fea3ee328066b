package webhook

import (
	"fmt"

	"github.com/gateguard/gateguard/rules"
	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// A VirtualService's or an HTTPRoute's JSON is decoded in one pass
// straight into the fields the cache keeps (transform.go,
// transform_gatewayapi.go): the JSON v2 decoder skips every other member
// — kubectl's last-applied copy of the whole object, managedFields,
// labels, status, a VirtualService's HTTP routes — without allocating it,
// where a generic or typed decode builds all of it first.

// leanVirtualService is what is decoded of a VirtualService.
type leanVirtualService struct {
	Metadata leanMeta                 `json:"metadata"`
	Spec     rules.VirtualServiceSpec `json:"spec"`
}

// leanMeta is the metadata the cache keeps (keptMeta), and of the
// annotations the exemption and, on a bookmark, the end of the initial
// events, which the reflector reads before any transform.
type leanMeta struct {
	Name              string           `json:"name"`
	Namespace         string           `json:"namespace"`
	UID               types.UID        `json:"uid"`
	ResourceVersion   string           `json:"resourceVersion"`
	Generation        int64            `json:"generation"`
	CreationTimestamp rules.Timestamp  `json:"creationTimestamp"`
	DeletionTimestamp *rules.Timestamp `json:"deletionTimestamp"`
	Annotations       keptAnnotations  `json:"annotations"`
}

// objectMeta is the metadata decoded.
func (m *leanMeta) objectMeta() metav1.ObjectMeta {
	out := metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion,
		Generation: m.Generation, CreationTimestamp: m.CreationTimestamp.Time, Annotations: m.Annotations}
	if m.DeletionTimestamp != nil {
		out.DeletionTimestamp = &m.DeletionTimestamp.Time
	}
	return out
}

// keptAnnotations decodes an annotations object keeping only the
// annotations gateguard or the reflector read; the others are skipped
// unallocated.
type keptAnnotations map[string]string

// UnmarshalJSONFrom reads the annotations object from d.
func (a *keptAnnotations) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	tok, err := d.ReadToken()
	if err != nil || tok.Kind() == 'n' {
		return err
	}
	if tok.Kind() != '{' {
		return fmt.Errorf("want an object, got %v", tok.Kind())
	}
	var scratch [128]byte
	for d.PeekKind() != '}' {
		name, err := d.ReadValue()
		if err != nil {
			return err
		}
		key, err := jsontext.AppendUnquote(scratch[:0], name)
		if err != nil {
			return err
		}
		if string(key) != rules.ExemptAnnotation && string(key) != metav1.InitialEventsAnnotationKey {
			if err := d.SkipValue(); err != nil {
				return err
			}
			continue
		}
		var v string
		if err := json.UnmarshalDecode(d, &v); err != nil {
			return err
		}
		if *a == nil {
			*a = keptAnnotations{}
		}
		(*a)[string(key)] = v
	}
	_, err = d.ReadToken()
	return err
}

// virtualServiceDecoder reads VirtualServices lean; they share http, one
// empty route, as their HTTP routes.
func virtualServiceDecoder(http []*networking.HTTPRoute) objectDecoder {
	return func(dec *jsontext.Decoder) (runtime.Object, error) { return decodeVirtualService(dec, http) }
}

// decodeVirtualService reads one VirtualService from dec.
func decodeVirtualService(dec *jsontext.Decoder, http []*networking.HTTPRoute) (*networkingv1.VirtualService, error) {
	var lean leanVirtualService
	if err := json.UnmarshalDecode(dec, &lean); err != nil {
		return nil, err
	}
	return lean.typed(http)
}

// typed is the VirtualService decoded; it shares http, one empty route,
// for "has HTTP routes", as the trimmer does.
func (l *leanVirtualService) typed(http []*networking.HTTPRoute) (*networkingv1.VirtualService, error) {
	vs := &networkingv1.VirtualService{ObjectMeta: l.Metadata.objectMeta()}
	if err := l.Spec.Fill(&vs.Spec, http); err != nil {
		return nil, fmt.Errorf("VirtualService %s/%s: %w", vs.Namespace, vs.Name, err)
	}
	return vs, nil
}

// leanHTTPRoute is what is decoded of an HTTPRoute: the kept metadata and
// the spec, whose rules the transform trims (trimGatewayAPI).
type leanHTTPRoute struct {
	Metadata leanMeta                `json:"metadata"`
	Spec     gatewayv1.HTTPRouteSpec `json:"spec"`
}

// decodeHTTPRoute reads one HTTPRoute from dec.
func decodeHTTPRoute(dec *jsontext.Decoder) (runtime.Object, error) {
	var lean leanHTTPRoute
	if err := json.UnmarshalDecode(dec, &lean); err != nil {
		return nil, err
	}
	return &gatewayv1.HTTPRoute{ObjectMeta: lean.Metadata.objectMeta(), Spec: lean.Spec}, nil
}
