package webhook

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gateguard/gateguard/rules"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllertest"
)

// recordingCache notes the Go type and kind of every object gateguard asks
// to watch or index.
type recordingCache struct {
	cache.Cache
	asked []string
	types []reflect.Type
}

func (c *recordingCache) note(obj client.Object) {
	kind := obj.GetObjectKind().GroupVersionKind().Kind
	if kind == "" {
		kind = strings.TrimPrefix(fmt.Sprintf("%T", obj), "*")
	}
	c.asked = append(c.asked, fmt.Sprintf("%T %s", obj, kind))
	c.types = append(c.types, reflect.TypeOf(obj))
}

func (c *recordingCache) IndexField(_ context.Context, obj client.Object, _ string, _ client.IndexerFunc) error {
	c.note(obj)
	return nil
}

func (c *recordingCache) GetInformer(_ context.Context, obj client.Object, _ ...cache.InformerGetOption) (cache.Informer, error) {
	c.note(obj)
	return &controllertest.FakeInformer{}, nil
}

// TestSecretsAreCachedAsMetadataOnly: the only Secret informer gateguard
// starts is metadata-only, and its transform keeps nothing but identity —
// not labels, not annotations (kubectl's last-applied annotation holds a
// Secret's data).
func TestSecretsAreCachedAsMetadataOnly(t *testing.T) {
	rc := &recordingCache{}
	if _, err := registerIndexes(context.Background(), rc, true, optionalKinds{}, rules.NewPodPlacements()); err != nil {
		t.Fatal(err)
	}
	for _, a := range rc.asked {
		if strings.HasSuffix(a, " Secret") && a != "*v1.PartialObjectMetadata Secret" {
			t.Errorf("a Secret informer of another type: %s", a)
		}
	}
	if !slices.Contains(rc.asked, "*v1.PartialObjectMetadata Secret") {
		t.Errorf("no metadata-only Secret informer among %q", rc.asked)
	}
	secret := metadataOf("Secret")
	secret.Name, secret.Namespace, secret.UID, secret.ResourceVersion = "tls", "istio-system", "u1", "7"
	secret.Labels = map[string]string{"team": "a"}
	secret.Annotations = map[string]string{"kubectl.kubernetes.io/last-applied-configuration": `{"data":{"tls.key":"c2VjcmV0"}}`}
	var transform func(any) (any, error)
	for obj, by := range cacheOptions().ByObject {
		if obj.GetObjectKind().GroupVersionKind().Kind == "Secret" {
			transform = by.Transform
		}
	}
	out, err := transform(secret)
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*metav1.PartialObjectMetadata)
	want := metav1.ObjectMeta{Name: "tls", Namespace: "istio-system", UID: "u1", ResourceVersion: "7"}
	if fmt.Sprint(got.ObjectMeta) != fmt.Sprint(want) {
		t.Errorf("cached Secret metadata = %+v, want only %+v", got.ObjectMeta, want)
	}
}
