package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	certmanagerv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	"github.com/gateguard/gateguard/rules"
	"github.com/gateguard/gateguard/rules/manifest"
	istiometa "istio.io/api/meta/v1alpha1"
	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"
)

// corpusExpect marks a judged document of the rules corpus (rules/testdata).
const corpusExpect = "test.gateguard.dev/expect"

// asDeployed gives a copy of obj what a real cluster's copy carries and no
// rule reads: kubectl's last-applied annotation, managedFields, Argo CD's
// label and annotation, and status on Istio kinds, Gateway API Gateways
// and HTTPRoutes.
func asDeployed(t testing.TB, obj client.Object) client.Object {
	obj = obj.DeepCopyObject().(client.Object)
	manifest, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	labels, annotations := obj.GetLabels(), obj.GetAnnotations()
	if labels == nil {
		labels = map[string]string{}
	}
	if annotations == nil {
		annotations = map[string]string{}
	}
	labels["app.kubernetes.io/instance"] = "apps"
	annotations["argocd.argoproj.io/tracking-id"] = "apps:/" + obj.GetName()
	annotations["kubectl.kubernetes.io/last-applied-configuration"] = string(manifest)
	obj.SetLabels(labels)
	obj.SetAnnotations(annotations)
	obj.SetManagedFields([]metav1.ManagedFieldsEntry{{Manager: "kubectl-client-side-apply", Operation: metav1.ManagedFieldsOperationUpdate,
		FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{}}`)}}})
	conditions := []*istiometa.IstioCondition{{Type: "Reconciled", Status: "True"}}
	switch o := obj.(type) {
	case *networkingv1.VirtualService:
		o.Status.ObservedGeneration, o.Status.Conditions = 1, conditions
	case *networkingv1.Gateway:
		o.Status.ObservedGeneration, o.Status.Conditions = 1, conditions
	case *gatewayv1.Gateway:
		o.Status.Conditions = []metav1.Condition{{Type: "Programmed", Status: "True"}}
	case *gatewayv1.HTTPRoute:
		o.Status.Parents = []gatewayv1.RouteParentStatus{{ControllerName: rules.IstioGatewayController,
			Conditions: []metav1.Condition{{Type: "Accepted", Status: "True"}}}}
	}
	return obj
}

// cached is obj as gateguard's cache holds it: deployed, then transformed
// by the cache options' transforms. Pods, Namespaces and Secrets are
// cached as metadata; a Secret keeps its data here only because the key
// check reads it from the apiserver, not from the cache.
func cached(t *testing.T, obj client.Object) client.Object {
	obj = asDeployed(t, obj)
	opts := cacheOptions()
	meta := func(kind string) metav1.ObjectMeta {
		for o, by := range opts.ByObject {
			if o.GetObjectKind().GroupVersionKind().Kind == kind {
				out, err := by.Transform(&metav1.PartialObjectMetadata{ObjectMeta: *obj.(metav1.ObjectMetaAccessor).GetObjectMeta().(*metav1.ObjectMeta)})
				if err != nil {
					t.Fatal(err)
				}
				return out.(*metav1.PartialObjectMetadata).ObjectMeta
			}
		}
		t.Fatalf("no cache settings for %s", kind)
		return metav1.ObjectMeta{}
	}
	switch o := obj.(type) {
	case *corev1.Pod:
		return &corev1.Pod{TypeMeta: o.TypeMeta, ObjectMeta: meta("Pod")}
	case *corev1.Namespace:
		return &corev1.Namespace{TypeMeta: o.TypeMeta, ObjectMeta: meta("Namespace")}
	case *corev1.Secret:
		return &corev1.Secret{TypeMeta: o.TypeMeta, ObjectMeta: meta("Secret"), Data: o.Data}
	case *corev1.Service:
		out, err := opts.ByObject[serviceKey(opts)].Transform(o)
		if err != nil {
			t.Fatal(err)
		}
		return out.(client.Object)
	}
	if vs, ok := obj.(*networkingv1.VirtualService); ok {
		obj = viaDecoder(t, vs)
	}
	out, err := opts.DefaultTransform(obj)
	if err != nil {
		t.Fatal(err)
	}
	return out.(client.Object)
}

// viaDecoder is vs as the VirtualService informer decodes it: from the
// apiserver's JSON, lean (leandecode.go).
func viaDecoder(t testing.TB, vs *networkingv1.VirtualService) *networkingv1.VirtualService {
	vs = vs.DeepCopy()
	vs.APIVersion, vs.Kind = "networking.istio.io/v1", "VirtualService"
	data, err := json.Marshal(vs)
	if err != nil {
		t.Fatal(err)
	}
	out, err := decodeVirtualService(newLeanDecoder(bytes.NewReader(data)), newTrimmer().http)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// findings renders every finding in full: rule, action, field, value and
// message.
func findings(dec rules.Decision) string {
	var out []string
	for _, f := range dec.Findings {
		out = append(out, string(f.Action)+" "+string(f.Rule)+" "+f.Error.Error())
	}
	return strings.Join(out, "\n")
}

// corpusRun judges one corpus file's documents in order, as the rules'
// corpus test does, against a snapshot of the objects as given and one of
// the objects as the cache holds them, and returns each judged document's
// findings three ways: plain, as an admission request over the cached
// state, and as the audit judges a cached object over the cached state.
func corpusRun(t *testing.T, file string) (plain, request, audit []string) {
	policy := rules.DefaultPolicy()
	if data, err := os.ReadFile(strings.TrimSuffix(file, ".yaml") + ".policy.yaml"); err == nil {
		if policy, err = rules.ParsePolicy(data); err != nil {
			t.Fatal(err)
		}
	}
	res, err := manifest.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	marks := corpusMarks(t, file, res.Documents)
	given, fromCache := rules.NewMemorySnapshot(), rules.NewMemorySnapshot()
	judge := func(snap rules.Snapshot, obj client.Object, op string) rules.Decision {
		c := rules.Change{Operation: rules.Create, Object: obj, Namespace: obj.GetNamespace()}
		if op == string(rules.Delete) {
			c = rules.Change{Operation: rules.Delete, OldObject: obj, Namespace: obj.GetNamespace()}
		} else {
			c.Object, _ = rules.Mutate(policy, snap, c)
		}
		dec, err := rules.Validate(context.Background(), policy, snap, c)
		if err != nil {
			t.Fatal(err)
		}
		return dec
	}
	for i, d := range res.Documents {
		if mark := marks[i]; mark.judged {
			dec := judge(given, d.Object.DeepCopyObject().(client.Object), mark.operation)
			plain = append(plain, findings(dec))
			request = append(request, findings(judge(fromCache, d.Object.DeepCopyObject().(client.Object), mark.operation)))
			audit = append(audit, request[len(request)-1])
			if audited(d.Object) {
				audit[len(audit)-1] = findings(judge(fromCache, cached(t, d.Object), mark.operation))
			}
			if len(dec.Denied()) > 0 || mark.operation != "" {
				continue // denied, or a deletion: the corpus test covers what a deletion leaves
			}
		}
		if err := given.Add(d.Object); err != nil {
			t.Fatal(err)
		}
		if err := fromCache.Add(cached(t, d.Object)); err != nil {
			t.Fatal(err)
		}
	}
	return plain, request, audit
}

// corpusMark is what a corpus document's test annotations say.
type corpusMark struct {
	judged    bool
	operation string
}

// corpusMarks reads the test annotations of file's documents from the
// YAML itself: the objects docs holds keep only the annotations gateguard
// reads. It fails unless the documents line up with docs.
func corpusMarks(t *testing.T, file string, docs []manifest.Document) []corpusMark {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	var marks []corpusMark
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if len(u.Object) == 0 {
			continue // a document of comments only
		}
		i := len(marks)
		if i >= len(docs) || docs[i].Object.GetName() != u.GetName() {
			t.Fatalf("%s: document %d (%s) does not line up with what the manifest reader read", file, i, u.GetName())
		}
		_, judged := u.GetAnnotations()[corpusExpect]
		marks = append(marks, corpusMark{judged: judged, operation: u.GetAnnotations()["test.gateguard.dev/operation"]})
	}
	if len(marks) != len(docs) {
		t.Fatalf("%s: %d documents, the manifest reader read %d", file, len(marks), len(docs))
	}
	return marks
}

// audited reports whether the audit judges objects of obj's kind.
func audited(obj client.Object) bool {
	for _, k := range auditedKinds(allServed()) {
		if k.gvk.GroupKind() == obj.GetObjectKind().GroupVersionKind().GroupKind() {
			return true
		}
	}
	return false
}

// TestTransformKeepsDecisions: every judged document of the rules corpus
// gets exactly the same findings — rules, actions, fields, values and
// messages — over the cache's trimmed copies of realistic objects as over
// the objects themselves, as a request and as the audit judges a cached
// object (whose exemption annotation it must honour).
func TestTransformKeepsDecisions(t *testing.T) {
	files, _ := filepath.Glob("../rules/testdata/*.yaml")
	files = slices.DeleteFunc(files, func(f string) bool { return strings.HasSuffix(f, ".policy.yaml") })
	judged, fired := 0, 0
	for _, file := range files {
		plain, request, audit := corpusRun(t, file)
		for i := range plain {
			judged++
			if plain[i] != "" {
				fired++
			}
			if request[i] != plain[i] || audit[i] != plain[i] {
				t.Errorf("%s, judged document %d:\nobjects as given:\n%s\nas a request over the cache:\n%s\nas the audit judges the cache:\n%s",
					filepath.Base(file), i, plain[i], request[i], audit[i])
			}
		}
	}
	if len(files) < 10 || fired < 20 || fired == judged {
		t.Fatalf("the corpus judged %d documents in %d files, %d with findings: too few to show anything", judged, len(files), fired)
	}
}

// TestTransformStripsWhatNoRuleReads pins, for each cached kind, exactly
// what is kept of a realistic object.
func TestTransformStripsWhatNoRuleReads(t *testing.T) {
	meta := metav1.ObjectMeta{Name: "shop", Namespace: "team-a", UID: "u1", ResourceVersion: "7", Generation: 3,
		Labels: map[string]string{"app": "shop"}, Annotations: map[string]string{rules.ExemptAnnotation: "wildcard-host"}}
	vs := &networkingv1.VirtualService{ObjectMeta: meta}
	vs.Spec.Hosts, vs.Spec.Gateways, vs.Spec.ExportTo = []string{"shop.example.com"}, []string{"istio-system/public"}, []string{"."}
	dest := []*networking.RouteDestination{{Destination: &networking.Destination{Host: "shop"}}}
	vs.Spec.Http = []*networking.HTTPRoute{{Name: "api", Route: []*networking.HTTPRouteDestination{{Destination: &networking.Destination{Host: "shop"}}}}, {}}
	vs.Spec.Tls = []*networking.TLSRoute{{Match: []*networking.TLSMatchAttributes{{SniHosts: []string{"a.example.com"}, Port: 443}}, Route: dest}}
	vs.Spec.Tcp = []*networking.TCPRoute{{Match: []*networking.L4MatchAttributes{{Port: 31400}}, Route: dest}}
	gw := &networkingv1.Gateway{ObjectMeta: meta}
	gw.Spec.Selector = map[string]string{"istio": "ingressgateway"}
	gw.Spec.Servers = []*networking.Server{{Port: &networking.Port{Number: 443, Name: "https", Protocol: "HTTPS"}, Hosts: []string{"*"},
		Tls: &networking.ServerTLSSettings{Mode: networking.ServerTLSSettings_SIMPLE, CredentialName: "shop-cert"}}}
	cert := &certmanagerv1.Certificate{ObjectMeta: meta, Spec: certmanagerv1.CertificateSpec{SecretName: "shop-cert", DNSNames: []string{"shop.example.com"}},
		Status: certmanagerv1.CertificateStatus{Conditions: []certmanagerv1.CertificateCondition{{Type: "Ready", Status: "True"}}}}
	kept := `"metadata":{"name":"shop","namespace":"team-a","uid":"u1","resourceVersion":"7","generation":3`
	for _, tc := range []struct {
		obj  client.Object
		want string
	}{
		{vs, `{` + kept + `,"annotations":{"gateguard.dev/exempt":"wildcard-host"}},"spec":{"hosts":["shop.example.com"],` +
			`"gateways":["istio-system/public"],"http":[{}],"tls":[{"match":[{"sniHosts":["a.example.com"],"port":443}]}],` +
			`"tcp":[{"match":[{"port":31400}]}],"exportTo":["."]},"status":{}}`},
		{gw, `{` + kept + `,"annotations":{"gateguard.dev/exempt":"wildcard-host"}},"spec":{"servers":[{"port":{"number":443,` +
			`"protocol":"HTTPS","name":"https"},"hosts":["*"],"tls":{"mode":"SIMPLE","credentialName":"shop-cert"}}],` +
			`"selector":{"istio":"ingressgateway"}},"status":{}}`},
		{cert, `{` + kept + `},"spec":{"secretName":"shop-cert","issuerRef":{"name":""}},"status":{}}`},
		{&corev1.Pod{ObjectMeta: meta}, `{` + kept + `,"labels":{"app":"shop","app.kubernetes.io/instance":"apps"}},"spec":{"containers":null},"status":{}}`},
		{&corev1.Namespace{ObjectMeta: meta}, `{` + kept + `,"labels":{"app":"shop","app.kubernetes.io/instance":"apps"}},"spec":{},"status":{}}`},
		{&corev1.Secret{ObjectMeta: meta}, `{` + kept + `}}`},
		{&corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{Selector: map[string]string{"istio": "ingress"}, ClusterIP: "10.0.0.1",
			Ports: []corev1.ServicePort{{Port: 443}}}}, `{` + kept + `},"spec":{"selector":{"istio":"ingress"}},"status":{"loadBalancer":{}}}`},
		{routeWithStatus(meta), `{` + kept + `,"annotations":{"gateguard.dev/exempt":"wildcard-host"}},"spec":{"parentRefs":[{"name":"public"}],` +
			`"hostnames":["shop.example.com"],"rules":[{"filters":[{"type":"RequestMirror","requestMirror":{"backendRef":` +
			`{"name":"audit","namespace":"audit"}}}],"backendRefs":[{"name":"shop","port":80}]}]},"status":{"parents":null}}`},
		{inNamespaceRoute(meta), `{` + kept + `,"annotations":{"gateguard.dev/exempt":"wildcard-host"}},"spec":{"parentRefs":[{"name":"public"}],` +
			`"hostnames":["shop.example.com"]},"status":{"parents":null}}`},
		{&gatewayv1beta1.ReferenceGrant{ObjectMeta: meta, Spec: gatewayv1beta1.ReferenceGrantSpec{
			From: []gatewayv1beta1.ReferenceGrantFrom{{Kind: "HTTPRoute", Namespace: "team-b"}}, To: []gatewayv1beta1.ReferenceGrantTo{{Kind: "Service"}}}},
			`{` + kept + `,"annotations":{"gateguard.dev/exempt":"wildcard-host"}},"spec":{"from":[{"group":"","kind":"HTTPRoute",` +
				`"namespace":"team-b"}],"to":[{"group":"","kind":"Service"}]}}`},
	} {
		got, err := json.Marshal(cached(t, tc.obj))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("%T cached as\n%s\nwant\n%s", tc.obj, got, tc.want)
		}
	}
}

// serviceKey is the cache settings' key for Services.
func serviceKey(opts cache.Options) client.Object {
	for obj := range opts.ByObject {
		if _, ok := obj.(*corev1.Service); ok {
			return obj
		}
	}
	return nil
}

// inNamespaceRoute is routeWithStatus with its mirror in its own
// namespace, named: no backend crosses a namespace, so none is cached.
func inNamespaceRoute(meta metav1.ObjectMeta) *gatewayv1.HTTPRoute {
	r := routeWithStatus(meta)
	r.Spec.Rules[0].Filters[1].RequestMirror.BackendRef.Namespace = ptr.To(gatewayv1.Namespace(meta.Namespace))
	return r
}

// routeWithStatus is an HTTPRoute as a controller leaves it: matches,
// filters and timeouts, and status for its parent; the cache keeps only
// the backends and the mirror.
func routeWithStatus(meta metav1.ObjectMeta) *gatewayv1.HTTPRoute {
	r := &gatewayv1.HTTPRoute{ObjectMeta: meta}
	r.Spec.ParentRefs = []gatewayv1.ParentReference{{Name: "public"}}
	r.Spec.Hostnames = []gatewayv1.Hostname{"shop.example.com"}
	headers := gatewayv1.HTTPRouteFilter{Type: gatewayv1.HTTPRouteFilterRequestHeaderModifier,
		RequestHeaderModifier: &gatewayv1.HTTPHeaderFilter{Set: []gatewayv1.HTTPHeader{{Name: "x-team", Value: "a"}}}}
	mirror := gatewayv1.HTTPRouteFilter{Type: gatewayv1.HTTPRouteFilterRequestMirror, RequestMirror: &gatewayv1.HTTPRequestMirrorFilter{
		BackendRef: gatewayv1.BackendObjectReference{Name: "audit", Namespace: ptr.To[gatewayv1.Namespace]("audit")}}}
	r.Spec.Rules = []gatewayv1.HTTPRouteRule{{Matches: []gatewayv1.HTTPRouteMatch{{Path: &gatewayv1.HTTPPathMatch{Value: ptr.To("/")}}},
		Filters: []gatewayv1.HTTPRouteFilter{headers, mirror},
		BackendRefs: []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{
			Name: "shop", Port: ptr.To[gatewayv1.PortNumber](80)}}, Filters: []gatewayv1.HTTPRouteFilter{headers}}},
		Timeouts: &gatewayv1.HTTPRouteTimeouts{Request: ptr.To[gatewayv1.Duration]("10s")}}}
	r.Status.Parents = []gatewayv1.RouteParentStatus{{ParentRef: gatewayv1.ParentReference{Name: "public"},
		ControllerName: rules.IstioGatewayController, Conditions: []metav1.Condition{{Type: "Accepted", Status: "True"}}}}
	return r
}
