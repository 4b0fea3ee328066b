package webhook

import (
	"reflect"
	"testing"

	"github.com/gateguard/gateguard/rules"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// storesOf fills one client-go indexer per kind, with the snapshot's
// indexes and the namespace index every controller-runtime informer has,
// as the informers hold them; filed as registerIndexes files them.
func storesOf(t *testing.T, objs ...any) snapshotIndexers {
	t.Helper()
	out := newSnapshotIndexers()
	store := func(obj client.Object) toolscache.Indexer {
		kind := reflect.TypeOf(obj)
		if out.stores[kind] == nil {
			out.stores[kind] = toolscache.NewIndexer(toolscache.MetaNamespaceKeyFunc,
				toolscache.Indexers{toolscache.NamespaceIndex: toolscache.MetaNamespaceIndexFunc})
		}
		return out.stores[kind]
	}
	for _, ix := range rules.Indexes(false) {
		if hostIndexed(ix.Name) {
			out.handlers[reflect.TypeOf(ix.Object)] = newValueIndex(ix)
			out.byValue[ix.Name] = append(out.byValue[ix.Name], valueLookup{out.handlers[reflect.TypeOf(ix.Object)], store(ix.Object)})
			continue
		}
		if err := store(ix.Object).AddIndexers(toolscache.Indexers{string(ix.Name): indexFunc(ix)}); err != nil {
			t.Fatal(err)
		}
		out.byName[ix.Name] = append(out.byName[ix.Name], store(ix.Object))
	}
	for _, obj := range unindexedKinds() {
		store(obj)
	}
	for _, obj := range objs {
		if err := out.stores[reflect.TypeOf(obj)].Add(obj); err != nil {
			t.Fatal(err)
		}
		if index := out.handlers[reflect.TypeOf(obj)]; index != nil {
			index.OnAdd(obj, true)
		}
	}
	return out
}

// TestCacheSnapshotLooksUpTheInformersStores pins the index names, the
// keys the rules look up with and the store's namespace/name keys, all of
// which the snapshot reads from the informers' indexers directly.
func TestCacheSnapshotLooksUpTheInformersStores(t *testing.T) {
	snap := snapshotWithOwner(t) // the Gateway istio-system/public and team-a/shop for shop.example.com
	public := types.NamespacedName{Namespace: "istio-system", Name: "public"}
	gw := snap.Gateway(public)
	owner := snap.VirtualServicesWithHost("shop.example.com")[0]
	s := &cacheSnapshot{snapshotSource: &snapshotSource{indexers: storesOf(t, gw, owner)}, onError: func(err error) { t.Errorf("lookup failed: %v", err) }}

	if got := s.Gateway(public); got != gw {
		t.Errorf("Gateway(istio-system, public) = %v, want the stored object itself", got)
	}
	if got := s.Gateway(types.NamespacedName{Namespace: "istio-system", Name: "absent"}); got != nil {
		t.Errorf("Gateway of an absent name = %v, want nil", got)
	}
	names := func(list []*networkingv1.VirtualService) (out []string) {
		for _, vs := range list {
			out = append(out, vs.Namespace+"/"+vs.Name)
		}
		return out
	}
	for lookup, got := range map[string][]*networkingv1.VirtualService{
		"host shop.example.com":         s.VirtualServicesWithHost("shop.example.com"),
		"domain example.com":            s.VirtualServicesUnderDomain("example.com"),
		"gateway istio-system/public":   s.VirtualServicesForGateway(rules.GatewayRef{Namespace: "istio-system", Name: "public"}),
		"host other.example.com (none)": s.VirtualServicesWithHost("other.example.com"),
	} {
		want := []string{"team-a/shop"}
		if lookup == "host other.example.com (none)" {
			want = nil
		}
		if !reflect.DeepEqual(names(got), want) {
			t.Errorf("%s: %v, want %v", lookup, names(got), want)
		}
	}
	if got := s.GatewaysOnPort(rules.PortKey{Label: "istio=ingressgateway", Port: 80}); len(got) != 1 || got[0] != gw {
		t.Errorf("GatewaysOnPort(ingressgateway, 80) = %v, want the Gateway", got)
	}
}
