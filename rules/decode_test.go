package rules

import (
	"reflect"
	"testing"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestDecodeKeepsWhatTheRulesRead: a Gateway as kubectl apply sends it
// decodes to its identity, generation, labels and the exemption annotation
// alone; managedFields, kubectl's last-applied annotation and every other
// annotation are dropped, and an annotation that differs from the
// exemption's key only in case is not the exemption.
func TestDecodeKeepsWhatTheRulesRead(t *testing.T) {
	data := []byte(`{"apiVersion":"networking.istio.io/v1","kind":"Gateway","metadata":{
	  "name":"edge","namespace":"team-a","uid":"u-1","resourceVersion":"42","generation":3,
	  "creationTimestamp":"2026-07-01T10:00:00Z","labels":{"app.kubernetes.io/part-of":"shop"},
	  "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"kind\":\"Gateway\"}\n",
	    "gateguard.dev/exempt":"wildcard-host","gateguard.dev/Exempt":"all"},
	  "managedFields":[{"manager":"kubectl","operation":"Update","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{}}}]},
	  "spec":{"selector":{"istio":"ingressgateway"},"servers":[{"port":{"number":80,"name":"http","protocol":"HTTP"},"hosts":["*"]}]}}`)
	obj, err := DecodeObjectAs(schema.GroupVersionKind{Group: IstioNetworkingGroup, Version: "v1", Kind: "Gateway"}, data)
	if err != nil {
		t.Fatal(err)
	}
	gw := obj.(*networkingv1.Gateway)
	want := metav1.ObjectMeta{Name: "edge", Namespace: "team-a", UID: "u-1", ResourceVersion: "42", Generation: 3,
		Labels:      map[string]string{"app.kubernetes.io/part-of": "shop"},
		Annotations: map[string]string{ExemptAnnotation: "wildcard-host"}}
	if !reflect.DeepEqual(gw.ObjectMeta, want) {
		t.Errorf("metadata\n got: %+v\nwant: %+v", gw.ObjectMeta, want)
	}
	if gw.APIVersion != "networking.istio.io/v1" || gw.Kind != "Gateway" || gw.Spec.Selector["istio"] != "ingressgateway" ||
		len(gw.Spec.Servers) != 1 || gw.Spec.Servers[0].Hosts[0] != "*" {
		t.Errorf("type or spec lost: %s %s %v", gw.APIVersion, gw.Kind, &gw.Spec)
	}

	onlyWrongCase := []byte(`{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"shop",` +
		`"annotations":{"gateguard.dev/EXEMPT":"all"}},"spec":{"hosts":["shop.example.com"]}}`)
	obj, err = DecodeObject(onlyWrongCase)
	if err != nil {
		t.Fatal(err)
	}
	if a := obj.GetAnnotations(); a != nil {
		t.Errorf("annotations = %v, want none: only %s exempts", a, ExemptAnnotation)
	}
}
