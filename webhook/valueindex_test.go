package webhook

import (
	"slices"
	"strings"
	"testing"

	"github.com/gateguard/gateguard/rules"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// hostVS is a VirtualService ns/name with hosts.
func hostVS(ns, name string, hosts ...string) *networkingv1.VirtualService {
	vs := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	vs.Spec.Hosts = hosts
	return vs
}

// keysUnder lists what x files under value, sorted.
func keysUnder(x *valueIndex, value string) string {
	var keys []string
	x.each(value, func(key string) { keys = append(keys, key) })
	slices.Sort(keys)
	return strings.Join(keys, ",")
}

// TestValueIndexFollowsEvents: adds, updates that move a host, a host
// two objects share and one of them dropping it, deletes, and a delete
// the watch missed (a tombstone) each leave exactly the keys the host
// index of the objects then held would.
func TestValueIndexFollowsEvents(t *testing.T) {
	x := newValueIndex(rules.Index{Name: rules.IndexHost, Values: func(o client.Object) []string {
		return o.(*networkingv1.VirtualService).Spec.Hosts
	}})
	a, b := hostVS("team-a", "shop", "shop.example.com"), hostVS("team-b", "shop", "shop.example.com", "b.example.com")
	x.OnAdd(a, true)
	x.OnAdd(b, true)
	x.OnAdd(b, false) // a relist's replay files nothing twice
	steps := []struct {
		name  string
		event func()
		want  map[string]string
	}{
		{"two share a host", func() {}, map[string]string{"shop.example.com": "team-a/shop,team-b/shop", "b.example.com": "team-b/shop"}},
		{"one drops it", func() { x.OnUpdate(b, hostVS("team-b", "shop", "b.example.com")) },
			map[string]string{"shop.example.com": "team-a/shop", "b.example.com": "team-b/shop"}},
		{"one moves to another", func() { x.OnUpdate(a, hostVS("team-a", "shop", "new.example.com")) },
			map[string]string{"shop.example.com": "", "new.example.com": "team-a/shop"}},
		{"a delete", func() { x.OnDelete(hostVS("team-a", "shop", "new.example.com")) }, map[string]string{"new.example.com": ""}},
		{"a missed delete", func() {
			x.OnDelete(toolscache.DeletedFinalStateUnknown{Key: "team-b/shop", Obj: hostVS("team-b", "shop", "b.example.com")})
		}, map[string]string{"b.example.com": ""}},
	}
	for _, s := range steps {
		s.event()
		for host, want := range s.want {
			if got := keysUnder(x, host); got != want {
				t.Errorf("%s: %s holds %q, want %q", s.name, host, got, want)
			}
		}
	}
	if len(x.one) != 0 || len(x.more) != 0 {
		t.Errorf("after every object went: one %v, more %v; want both empty", x.one, x.more)
	}
}

// TestValueIndexTellsChainedHandlersAfterFiling: a chained handler sees an
// event only once the index holds it, so a reservation released on the
// event is never released while the snapshot cannot find the object.
func TestValueIndexTellsChainedHandlersAfterFiling(t *testing.T) {
	x := newValueIndex(rules.Index{Name: rules.IndexHost, Values: func(o client.Object) []string {
		return o.(*networkingv1.VirtualService).Spec.Hosts
	}})
	var seen []string
	x.then = append(x.then, toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { seen = append(seen, "add: "+keysUnder(x, "shop.example.com")) },
		DeleteFunc: func(any) { seen = append(seen, "delete: "+keysUnder(x, "shop.example.com")) },
	})
	x.OnAdd(hostVS("team-a", "shop", "shop.example.com"), false)
	x.OnDelete(hostVS("team-a", "shop", "shop.example.com"))
	if want := []string{"add: team-a/shop", "delete: "}; !slices.Equal(seen, want) {
		t.Errorf("the chained handler saw %q, want %q", seen, want)
	}
}
