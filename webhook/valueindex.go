package webhook

import (
	"slices"
	"sync"

	"github.com/gateguard/gateguard/rules"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// hostIndexed says which indexes are kept as valueIndexes rather than in
// client-go's indexers: those by host, where nearly every value is one
// object's alone.
func hostIndexed(name rules.IndexName) bool {
	return name == rules.IndexHost || name == rules.IndexRouteHostname
}

// valueIndex indexes one kind's objects by the values of one rules index,
// keeping the store key of a value's only object as one string. client-go's
// indexer keeps a set per value, some 300 bytes for a value of a single
// object: at 10k VirtualServices and 10k HTTPRoutes, each with a host of
// its own, 5 MB more live heap, and twice that in RSS (docs/design.md#memory).
//
// It is fed by its informer's events, so it trails the store by the
// handler's queue; handlers chained after it (then) see an event only once
// the index holds it, so that what is released the moment the snapshot
// can find an object (the claim reservations) never is before.
type valueIndex struct {
	values func(client.Object) []string
	then   []toolscache.ResourceEventHandler // chained before the informer starts

	mu   sync.RWMutex
	one  map[string]string   // a value's only object's key
	more map[string][]string // the keys of a value of several objects
}

func newValueIndex(ix rules.Index) *valueIndex {
	return &valueIndex{values: ix.Values, one: map[string]string{}, more: map[string][]string{}}
}

// each calls fn with the key of every object under value.
func (x *valueIndex) each(value string, fn func(key string)) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if key, ok := x.one[value]; ok {
		fn(key)
	}
	for _, key := range x.more[value] {
		fn(key)
	}
}

// add files key under each of values.
func (x *valueIndex) add(key string, values []string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, v := range values {
		switch only, ok := x.one[v]; {
		case ok && only != key:
			delete(x.one, v)
			x.more[v] = []string{only, key}
		case ok:
		case !slices.Contains(x.more[v], key):
			if x.more[v] == nil {
				x.one[v] = key
			} else {
				x.more[v] = append(x.more[v], key)
			}
		}
	}
}

// remove takes key out from under each of values.
func (x *valueIndex) remove(key string, values []string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, v := range values {
		if x.one[v] == key {
			delete(x.one, v)
			continue
		}
		keys := slices.DeleteFunc(x.more[v], func(k string) bool { return k == key })
		switch len(keys) {
		case 0:
		case 1:
			delete(x.more, v)
			x.one[v] = keys[0]
		default:
			x.more[v] = keys
		}
	}
}

// OnAdd files obj, then tells the chained handlers.
func (x *valueIndex) OnAdd(obj any, initial bool) {
	if o, ok := obj.(client.Object); ok {
		x.add(toolscache.ObjectName{Namespace: o.GetNamespace(), Name: o.GetName()}.String(), x.values(o))
	}
	for _, h := range x.then {
		h.OnAdd(obj, initial)
	}
}

// OnUpdate refiles an object whose values changed, then tells the
// chained handlers.
func (x *valueIndex) OnUpdate(oldObj, newObj any) {
	o, okOld := oldObj.(client.Object)
	n, okNew := newObj.(client.Object)
	if okOld && okNew {
		before, after := x.values(o), x.values(n)
		if !slices.Equal(before, after) {
			key := toolscache.ObjectName{Namespace: n.GetNamespace(), Name: n.GetName()}.String()
			x.remove(key, before)
			x.add(key, after)
		}
	}
	for _, h := range x.then {
		h.OnUpdate(oldObj, newObj)
	}
}

// OnDelete forgets obj (its last known state, if the watch missed the
// delete), then tells the chained handlers.
func (x *valueIndex) OnDelete(obj any) {
	last := obj
	if tomb, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		last = tomb.Obj
	}
	if o, ok := last.(client.Object); ok {
		x.remove(toolscache.ObjectName{Namespace: o.GetNamespace(), Name: o.GetName()}.String(), x.values(o))
	}
	for _, h := range x.then {
		h.OnDelete(obj)
	}
}
