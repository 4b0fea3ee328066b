package webhook

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/gateguard/gateguard/rules"
	"github.com/gateguard/gateguard/rules/manifest"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"
)

// gatewayAPILookups runs every Gateway API lookup of snap on
// testdata/gatewayapi.yaml's names, rendering what each finds.
func gatewayAPILookups(snap rules.GatewayAPIState) map[string]string {
	infra := func(name string) types.NamespacedName { return types.NamespacedName{Namespace: "infra", Name: name} }
	teamA := types.NamespacedName{Namespace: "team-a", Name: "team-a-listeners"}
	names := func(objs ...client.Object) (out []string) {
		for _, o := range objs {
			if !reflect.ValueOf(o).IsNil() {
				out = append(out, fmt.Sprintf("%T %s/%s", o, o.GetNamespace(), o.GetName()))
			}
		}
		return out
	}
	objects := func(list []client.Object) string { return fmt.Sprint(names(list...)) }
	listenerSets := func(list []*gatewayv1.ListenerSet) string { return fmt.Sprint(len(list), names(asObjects(list)...)) }
	selector, known := snap.ServiceSelector(infra("ingress"))
	return map[string]string{
		"GatewayClass istio":              fmt.Sprint(names(snap.GatewayClass("istio"))),
		"KubeGateway infra/public":        fmt.Sprint(names(snap.KubeGateway(infra("public")))),
		"ListenerSet team-a":              fmt.Sprint(names(snap.ListenerSet(teamA))),
		"ListenerSetsForGateway public":   listenerSets(snap.ListenerSetsForGateway(infra("public"))),
		"RoutesForParent Gateway":         objects(snap.RoutesForParent(rules.ParentKey{Kind: rules.KindGateway, NamespacedName: infra("public")})),
		"RoutesForParent ListenerSet":     objects(snap.RoutesForParent(rules.ParentKey{Kind: rules.KindListenerSet, NamespacedName: teamA})),
		"RoutesWithHostname shop":         objects(snap.RoutesWithHostname("shop.example.com")),
		"RoutesUnderDomain example.com":   objects(snap.RoutesUnderDomain("example.com")),
		"RoutesWithBackendsIn team-b":     objects(snap.RoutesWithBackendsIn("team-b")),
		"KubeGatewaysOnService ingress":   fmt.Sprint(names(asObjects(snap.KubeGatewaysOnService(infra("ingress")))...)),
		"ListenersReferencingSecret cert": objects(snap.ListenersReferencingSecret(infra("wildcard-cert"))),
		"ReferenceGrantsIn team-b":        fmt.Sprint(names(asObjects(snap.ReferenceGrantsIn("team-b"))...)),
		"ServiceSelector infra/ingress":   fmt.Sprint(selector, known),
		"ListenersReferencingSecretsIn":   objects(snap.ListenersReferencingSecretsIn("infra")),
		"ServicesWithSelector":            fmt.Sprint(snap.ServicesWithSelector(map[string]string{"istio": "ingress"})),
	}
}

func asObjects[T client.Object](list []T) []client.Object {
	out := make([]client.Object, len(list))
	for i, o := range list {
		out[i] = o
	}
	return out
}

// gatewayAPITestdata reads testdata/gatewayapi.yaml through the cache's
// transforms, as the informers would hold it, and into a MemorySnapshot.
func gatewayAPITestdata(t *testing.T) (*cacheSnapshot, *rules.MemorySnapshot) {
	t.Helper()
	res, err := manifest.ReadFile("testdata/gatewayapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	mem, cached := rules.NewMemorySnapshot(), []any{}
	opts := cacheOptions()
	for _, doc := range res.Documents {
		if err := mem.Add(doc.Object.DeepCopyObject()); err != nil {
			t.Fatal(err)
		}
		transform := opts.DefaultTransform
		for obj, by := range opts.ByObject {
			if reflect.TypeOf(obj) == reflect.TypeOf(doc.Object) && by.Transform != nil {
				transform = by.Transform
			}
		}
		trimmed, err := transform(doc.Object)
		if err != nil {
			t.Fatal(err)
		}
		cached = append(cached, trimmed)
	}
	return &cacheSnapshot{snapshotSource: &snapshotSource{indexers: storesOf(t, cached...)},
		onError: func(err error) { t.Errorf("lookup failed: %v", err) }}, mem
}

// TestCacheSnapshotGatewayAPILookups: over trimmed objects in the
// informers' stores, every Gateway API lookup finds what the in-memory
// snapshot finds, and what the fixture says it should.
func TestCacheSnapshotGatewayAPILookups(t *testing.T) {
	cached, mem := gatewayAPITestdata(t)
	want := map[string]string{
		"GatewayClass istio":              "[*v1.GatewayClass /istio]",
		"KubeGateway infra/public":        "[*v1.Gateway infra/public]",
		"ListenerSet team-a":              "[*v1.ListenerSet team-a/team-a-listeners]",
		"ListenerSetsForGateway public":   "1 [*v1.ListenerSet team-a/team-a-listeners]",
		"RoutesForParent Gateway":         "[*v1.HTTPRoute team-a/shop *v1.GRPCRoute team-a/api *v1.TCPRoute team-b/raw]",
		"RoutesForParent ListenerSet":     "[*v1.TLSRoute team-b/db]",
		"RoutesWithHostname shop":         "[*v1.HTTPRoute team-a/shop]",
		"RoutesUnderDomain example.com":   "[*v1.HTTPRoute team-a/shop *v1.GRPCRoute team-a/api *v1.TLSRoute team-b/db]",
		"RoutesWithBackendsIn team-b":     "[*v1.HTTPRoute team-a/shop]",
		"KubeGatewaysOnService ingress":   "[*v1.Gateway infra/public]",
		"ListenersReferencingSecret cert": "[*v1.Gateway infra/public *v1.ListenerSet team-a/team-a-listeners]",
		"ReferenceGrantsIn team-b":        "[*v1beta1.ReferenceGrant team-b/from-team-a]",
		"ServiceSelector infra/ingress":   "map[istio:ingress] true",
		"ListenersReferencingSecretsIn":   "[*v1.Gateway infra/public *v1.ListenerSet team-a/team-a-listeners]",
		"ServicesWithSelector":            "[infra/ingress infra/ingress-canary]",
	}
	got, fromMemory := gatewayAPILookups(cached), gatewayAPILookups(mem)
	for lookup, w := range want {
		if got[lookup] != w {
			t.Errorf("cache %s = %s, want %s", lookup, got[lookup], w)
		}
		if fromMemory[lookup] != w {
			t.Errorf("memory %s = %s, want %s", lookup, fromMemory[lookup], w)
		}
	}
}

// askedGatewayAPI lists the Gateway API kinds, and Service, whose
// informers registerIndexes asks for, given the kinds the mapper serves.
func askedGatewayAPI(t *testing.T, served ...schema.GroupVersionKind) (*cacheSnapshot, []string) {
	t.Helper()
	kinds, err := gatewayAPIServed(mapperServing(served...))
	if err != nil {
		t.Fatal(err)
	}
	rc := &recordingCache{}
	indexers, err := registerIndexes(t.Context(), rc, false, kinds, rules.NewPodPlacements())
	if err != nil {
		t.Fatal(err)
	}
	optional := map[reflect.Type]bool{reflect.TypeOf(&corev1.Service{}): true}
	for _, k := range gatewayAPIKinds() {
		optional[reflect.TypeOf(k.obj)] = true
	}
	var asked []string
	for _, typ := range rc.types {
		if optional[typ] && !slices.Contains(asked, typ.String()) {
			asked = append(asked, typ.String())
		}
	}
	slices.Sort(asked)
	return &cacheSnapshot{snapshotSource: &snapshotSource{indexers: indexers},
		onError: func(err error) { t.Errorf("lookup failed: %v", err) }}, asked
}

// TestGatewayAPICachedOnlyWhereServed: with no Gateway API CRD, no
// informer of theirs (nor of Services) is asked for and every lookup
// finds nothing; an older install without ListenerSet, TLSRoute and
// TCPRoute gets informers for exactly the kinds it serves.
func TestGatewayAPICachedOnlyWhereServed(t *testing.T) {
	snap, asked := askedGatewayAPI(t)
	if len(asked) != 0 {
		t.Errorf("informers for unserved kinds: %q", asked)
	}
	for lookup, found := range gatewayAPILookups(snap) {
		if found != "[]" && found != "0 []" && found != "map[] false" {
			t.Errorf("%s found %s with no Gateway API served", lookup, found)
		}
	}
	v1 := gatewayv1.SchemeGroupVersion
	_, asked = askedGatewayAPI(t, v1.WithKind("GatewayClass"), v1.WithKind("Gateway"), v1.WithKind("HTTPRoute"),
		v1.WithKind("GRPCRoute"), gatewayv1beta1.SchemeGroupVersion.WithKind("ReferenceGrant"))
	want := []string{"*v1.GRPCRoute", "*v1.Gateway", "*v1.GatewayClass", "*v1.HTTPRoute", "*v1.Service", "*v1beta1.ReferenceGrant"}
	if !slices.Equal(asked, want) {
		t.Errorf("informers = %q, want %q", asked, want)
	}
	kinds, err := gatewayAPIServed(mapperServing(v1.WithKind("Gateway"), v1.WithKind("HTTPRoute")))
	if err != nil {
		t.Fatal(err)
	}
	if served, absent := kinds.gatewayAPIKindNames(true), kinds.gatewayAPIKindNames(false); !slices.Equal(served, []string{"Gateway", "HTTPRoute"}) ||
		!slices.Equal(absent, []string{"GatewayClass", "ListenerSet", "GRPCRoute", "TLSRoute", "TCPRoute", "ReferenceGrant"}) {
		t.Errorf("logged as served %q, absent %q", served, absent)
	}
}

// mapperServing is a RESTMapper that serves exactly the kinds given.
func mapperServing(served ...schema.GroupVersionKind) meta.RESTMapper {
	mapper := meta.NewDefaultRESTMapper(nil)
	for _, gvk := range served {
		mapper.Add(gvk, meta.RESTScopeNamespace)
	}
	return mapper
}
