package webhook

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/gateguard/gateguard/rules"
	"google.golang.org/protobuf/types/known/durationpb"
	istiometa "istio.io/api/meta/v1alpha1"
	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// flavours are the tools the load tool writes its objects with
// (e2e/load/realistic.go), by i%4.
var flavours = [4]string{"kubectl-client-side-apply", "kubectl", "argocd-controller", "kustomize-controller"}

// seededJSON is the i-th VirtualService the load tool seeds, as the
// apiserver sends it: the tool's labels and annotations (kubectl's
// last-applied copy for client-side applies, Argo CD's tracking, Flux's
// labels), managedFields, Istio's status; some exempt, being deleted,
// exported, with TLS and TCP routes or without HTTP ones.
func seededJSON(t testing.TB, i int) []byte {
	vs := &networkingv1.VirtualService{TypeMeta: metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "VirtualService"},
		ObjectMeta: metav1.ObjectMeta{Namespace: fmt.Sprintf("team-%d", i%2500), Name: fmt.Sprintf("app-%d", i)}}
	vs.Spec.Hosts = []string{fmt.Sprintf("app-%d.g%d.example.com", i, i%2000)}
	vs.Spec.Gateways = []string{fmt.Sprintf("istio-system/gw-%d", i%2000)}
	dest := func(subset string, weight int32) *networking.HTTPRouteDestination {
		return &networking.HTTPRouteDestination{Weight: weight, Destination: &networking.Destination{Host: vs.Name + "-api",
			Subset: subset, Port: &networking.PortSelector{Number: 8080}}}
	}
	prefix := func(p string) []*networking.HTTPMatchRequest {
		return []*networking.HTTPMatchRequest{{Uri: &networking.StringMatch{MatchType: &networking.StringMatch_Prefix{Prefix: p}}}}
	}
	vs.Spec.Http = []*networking.HTTPRoute{{Name: "api", Match: prefix("/api/"), Route: []*networking.HTTPRouteDestination{
		dest("stable", 90), dest("canary", 10)}, Timeout: durationpb.New(10 * time.Second),
		Retries: &networking.HTTPRetry{Attempts: 3, PerTryTimeout: durationpb.New(2 * time.Second), RetryOn: "5xx,reset"},
		Headers: &networking.Headers{Request: &networking.Headers_HeaderOperations{Set: map[string]string{"x-team": vs.Name}}}},
		{Match: prefix("/"), Route: []*networking.HTTPRouteDestination{dest("", 0)}}}
	variant(vs, i)
	decorate(t, vs, i)
	data, err := json.Marshal(vs)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// variant gives some seeded VirtualServices what few real ones carry.
func variant(vs *networkingv1.VirtualService, i int) {
	if i%17 == 0 {
		vs.Spec.ExportTo = []string{".", "istio-system"}
	}
	if i%13 == 0 {
		vs.Spec.Tls = []*networking.TLSRoute{{Match: []*networking.TLSMatchAttributes{{SniHosts: vs.Spec.Hosts, Port: 443,
			SourceLabels: map[string]string{"app": "edge"}}}, Route: []*networking.RouteDestination{{Destination: &networking.Destination{Host: "tls"}}}}}
		vs.Spec.Tcp = []*networking.TCPRoute{{Match: []*networking.L4MatchAttributes{{Port: 5432, DestinationSubnets: []string{"10.0.0.0/8"}}},
			Route: []*networking.RouteDestination{{Destination: &networking.Destination{Host: "db"}}}}}
	}
	if i%19 == 0 {
		vs.Spec.Http = nil
	}
}

// decorate gives vs what the i-th flavour's tool and the apiserver leave
// on it.
func decorate(t testing.TB, vs *networkingv1.VirtualService, i int) {
	labels := map[string]string{"app.kubernetes.io/name": vs.Name, "app.kubernetes.io/part-of": vs.Namespace, "app.kubernetes.io/version": "1.4.2"}
	annotations := map[string]string{}
	switch i % 4 {
	case 2:
		labels["app.kubernetes.io/instance"] = vs.Namespace + "-apps"
		annotations["argocd.argoproj.io/tracking-id"] = vs.Namespace + "-apps:networking.istio.io/VirtualService:" + vs.Namespace + "/" + vs.Name
		annotations["argocd.argoproj.io/sync-wave"] = "1"
	case 3:
		labels["kustomize.toolkit.fluxcd.io/name"], labels["kustomize.toolkit.fluxcd.io/namespace"] = vs.Namespace+"-apps", "flux-system"
	}
	if i%7 == 0 {
		annotations[rules.ExemptAnnotation] = "default-labels"
	}
	vs.Labels, vs.Annotations = labels, annotations
	operation := metav1.ManagedFieldsOperationApply
	if i%4 == 0 || i%4 == 2 {
		manifest, err := json.Marshal(vs)
		if err != nil {
			t.Fatal(err)
		}
		annotations["kubectl.kubernetes.io/last-applied-configuration"] = string(manifest) + "\n"
		operation = metav1.ManagedFieldsOperationUpdate
	}
	created := metav1.NewTime(time.Date(2026, 11, 30, 8, 0, i%60, 0, time.UTC))
	vs.UID, vs.ResourceVersion, vs.Generation, vs.CreationTimestamp = "4f0c2d1e-8a2b-4c3d-9e4f-5a6b7c8d9e0f", fmt.Sprint(100000+i), 1, created
	if i%11 == 0 {
		vs.DeletionTimestamp = &created
	}
	vs.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: flavours[i%4], Operation: operation, APIVersion: "networking.istio.io/v1",
		Time: &created, FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:metadata":{"f:annotations":{".":{}},` +
			`"f:labels":{".":{},"f:app.kubernetes.io/name":{},"f:app.kubernetes.io/part-of":{},"f:app.kubernetes.io/version":{}}},` +
			`"f:spec":{".":{},"f:gateways":{},"f:hosts":{},"f:http":{}}}`)}}}
	vs.Status.ObservedGeneration = 1
	vs.Status.Conditions = []*istiometa.IstioCondition{{Type: "Reconciled", Status: "True"}}
}
