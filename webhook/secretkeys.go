package webhook

import (
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/lru"
)

// secretKeyMemoSize bounds the memo: a few thousand TLS credentials cover
// the Gateways of a large mesh, at a few hundred bytes of key names each.
const secretKeyMemoSize = 4096

// secretKeyMemo remembers which key names a Secret had at one UID and
// resourceVersion, so that the key check reads one Secret version once,
// not once per admission (docs/design.md, Operations: key names may be
// remembered, values never). It can hold nothing but names: the value of
// a Secret never reaches it. The Secret metadata informer evicts an entry
// when its Secret changes or goes; the LRU bound covers what the events
// cannot (an entry stored after the event that would have evicted it).
type secretKeyMemo struct {
	entries *lru.Cache // types.UID → keyNamesAt
}

// keyNamesAt is the key names of one version of a Secret.
type keyNamesAt struct {
	resourceVersion string
	names           []string
}

func newSecretKeyMemo(size int) *secretKeyMemo {
	return &secretKeyMemo{entries: lru.New(size)}
}

// get returns the key names remembered for uid at resourceVersion; a copy,
// so that no caller can change what the next one is told.
func (m *secretKeyMemo) get(uid types.UID, resourceVersion string) ([]string, bool) {
	if uid == "" || resourceVersion == "" {
		return nil, false
	}
	v, ok := m.entries.Get(uid)
	if at, isNames := v.(keyNamesAt); ok && isNames && at.resourceVersion == resourceVersion {
		return slices.Clone(at.names), true
	}
	return nil, false
}

// put remembers names for uid at resourceVersion.
func (m *secretKeyMemo) put(uid types.UID, resourceVersion string, names []string) {
	if uid == "" || resourceVersion == "" {
		return
	}
	m.entries.Add(uid, keyNamesAt{resourceVersion: resourceVersion, names: slices.Clone(names)})
}

// forget drops what is remembered of obj's Secret unless it is obj's own
// version: the informer says that version is no longer current.
func (m *secretKeyMemo) forget(obj any, keepVersion bool) {
	if tomb, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	o, err := meta.Accessor(obj)
	if err != nil {
		return
	}
	if v, ok := m.entries.Get(o.GetUID()); ok && keepVersion {
		if at, _ := v.(keyNamesAt); at.resourceVersion == o.GetResourceVersion() {
			return
		}
	}
	m.entries.Remove(o.GetUID())
}

// handler evicts on the Secret metadata informer's updates and deletes.
func (m *secretKeyMemo) handler() toolscache.ResourceEventHandlerFuncs {
	return toolscache.ResourceEventHandlerFuncs{
		UpdateFunc: func(_, obj any) { m.forget(obj, true) }, // a resync keeps the current version
		DeleteFunc: func(obj any) { m.forget(obj, false) },
	}
}
