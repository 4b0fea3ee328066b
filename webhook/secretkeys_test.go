package webhook

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllertest"
)

// secretCluster is one Secret as both the metadata cache and the
// apiserver hold it; the apiserver counts the reads and the versions asked.
type secretCluster struct {
	recordingCache
	informer *controllertest.FakeInformer // the Secret metadata informer
	secrets  map[types.NamespacedName]*corev1.Secret
	reads    []string // resourceVersion asked by each apiserver GET
}

// GetInformer hands out the one Secret informer the test fires events on.
func (c *secretCluster) GetInformer(ctx context.Context, obj client.Object, opts ...cache.InformerGetOption) (cache.Informer, error) {
	if m, ok := obj.(*metav1.PartialObjectMetadata); ok && m.Kind == "Secret" {
		return c.informer, nil
	}
	return c.recordingCache.GetInformer(ctx, obj, opts...)
}

// Get is the metadata cache: identity only.
func (c *secretCluster) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	s, ok := c.secrets[key]
	if !ok {
		return apierrors.NewNotFound(corev1.Resource("secrets"), key.Name)
	}
	m := obj.(*metav1.PartialObjectMetadata)
	m.ObjectMeta = metav1.ObjectMeta{Namespace: s.Namespace, Name: s.Name, UID: s.UID, ResourceVersion: s.ResourceVersion}
	return nil
}

// secretAPI is the apiserver side of a secretCluster.
type secretAPI struct{ *secretCluster }

func (a secretAPI) Get(_ context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	get := &client.GetOptions{}
	get.ApplyOptions(opts)
	a.reads = append(a.reads, get.Raw.ResourceVersion)
	s, ok := a.secrets[key]
	if !ok {
		return apierrors.NewNotFound(corev1.Resource("secrets"), key.Name)
	}
	s.DeepCopyInto(obj.(*corev1.Secret))
	return nil
}

func (secretAPI) List(context.Context, client.ObjectList, ...client.ListOption) error {
	return errors.New("the key check never lists")
}

// TestSecretKeyNamesAreReadOncePerVersion: one Secret version is read
// once; a change (the informer's update) is read again, at the new
// version; a deletion (the informer's delete) is forgotten, and a Secret
// recreated under the same name, with a new UID, is read afresh.
func TestSecretKeyNamesAreReadOncePerVersion(t *testing.T) {
	key := types.NamespacedName{Namespace: "istio-system", Name: "edge-cert"}
	v1 := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name, UID: "uid-1", ResourceVersion: "10"},
		Data: map[string][]byte{"tls.crt": []byte("CERT"), "tls.key": []byte("KEY")}}
	c := &secretCluster{informer: &controllertest.FakeInformer{}, secrets: map[types.NamespacedName]*corev1.Secret{key: v1}}
	src, err := newSnapshotSource(context.Background(), c, secretAPI{c}, meta.NewDefaultRESTMapper(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	snap := src.snapshot(context.Background(), func(err error) { t.Errorf("lookup failed: %v", err) })
	keysNow := func(want ...string) {
		t.Helper()
		got, err := snap.SecretKeys(context.Background(), key)
		slices.Sort(got)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("SecretKeys = %q, %v; want %q", got, err, want)
		}
	}

	keysNow("tls.crt", "tls.key")
	keysNow("tls.crt", "tls.key")
	if want := []string{"10"}; !slices.Equal(c.reads, want) {
		t.Fatalf("apiserver reads at versions %q, want %q: one read for one version", c.reads, want)
	}

	v2 := v1.DeepCopy()
	v2.ResourceVersion, v2.Data = "11", map[string][]byte{"tls.crt": []byte("CERT")}
	c.secrets[key] = v2
	c.informer.Update(v1, v2)
	if n := src.keys.entries.Len(); n != 0 {
		t.Errorf("after the update the memo holds %d entries, want the old version evicted", n)
	}
	keysNow("tls.crt")
	keysNow("tls.crt")
	if want := []string{"10", "11"}; !slices.Equal(c.reads, want) {
		t.Fatalf("apiserver reads at versions %q, want %q: the changed Secret read once at its new version", c.reads, want)
	}

	delete(c.secrets, key)
	c.informer.Delete(v2)
	if _, ok := src.keys.get(v2.UID, v2.ResourceVersion); ok || src.keys.entries.Len() != 0 {
		t.Errorf("the deleted Secret is still remembered (%d entries)", src.keys.entries.Len())
	}
	v3 := v1.DeepCopy()
	v3.UID, v3.ResourceVersion = "uid-2", "12"
	c.secrets[key] = v3
	c.informer.Add(v3)
	keysNow("tls.crt", "tls.key")
	if want := []string{"10", "11", "12"}; !slices.Equal(c.reads, want) {
		t.Errorf("apiserver reads at versions %q, want %q: the recreated Secret read afresh", c.reads, want)
	}
}

// TestSecretKeyMemoResyncKeepsTheCurrentVersion: an informer resync
// (an update to the same version) keeps what is remembered.
func TestSecretKeyMemoResyncKeepsTheCurrentVersion(t *testing.T) {
	m := newSecretKeyMemo(8)
	m.put("uid-1", "10", []string{"tls.crt"})
	s := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{UID: "uid-1", ResourceVersion: "10"}}
	m.handler().OnUpdate(s, s)
	if got, ok := m.get("uid-1", "10"); !ok || !slices.Equal(got, []string{"tls.crt"}) {
		t.Errorf("after a resync get = %q, %v; want the remembered names", got, ok)
	}
}

// TestSecretKeyMemoIsBounded: past its size the least recently used
// Secret goes first.
func TestSecretKeyMemoIsBounded(t *testing.T) {
	m := newSecretKeyMemo(2)
	m.put("uid-a", "1", []string{"tls.crt"})
	m.put("uid-b", "1", []string{"tls.crt"})
	m.get("uid-a", "1") // a is now the most recently used
	m.put("uid-c", "1", []string{"tls.crt"})
	if n := m.entries.Len(); n != 2 {
		t.Errorf("the memo holds %d entries, want its bound 2", n)
	}
	for uid, want := range map[types.UID]bool{"uid-a": true, "uid-b": false, "uid-c": true} {
		if _, ok := m.get(uid, "1"); ok != want {
			t.Errorf("%s remembered = %v, want %v", uid, ok, want)
		}
	}
}

// TestSecretKeyMemoHoldsOnlyKeyNames: the remembered type has room for a
// version and key names, nothing else (no []byte, no Secret); and what a
// caller does with the names it is given never changes the memo.
func TestSecretKeyMemoHoldsOnlyKeyNames(t *testing.T) {
	typ := reflect.TypeFor[keyNamesAt]()
	want := map[string]reflect.Type{"resourceVersion": reflect.TypeFor[string](), "names": reflect.TypeFor[[]string]()}
	if typ.NumField() != len(want) {
		t.Fatalf("keyNamesAt has %d fields, want %d", typ.NumField(), len(want))
	}
	for i := range typ.NumField() {
		if f := typ.Field(i); want[f.Name] != f.Type {
			t.Errorf("keyNamesAt.%s is %s, want only key names and a version", f.Name, f.Type)
		}
	}
	m := newSecretKeyMemo(8)
	names := []string{"tls.crt", "tls.key"}
	m.put("uid-1", "10", names)
	names[0] = "changed"
	got, _ := m.get("uid-1", "10")
	got[1] = "changed"
	if again, _ := m.get("uid-1", "10"); !slices.Equal(again, []string{"tls.crt", "tls.key"}) {
		t.Errorf("the memo's names changed with its callers' copies: %q", again)
	}
}
