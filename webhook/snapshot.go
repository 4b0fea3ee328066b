package webhook

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"

	certmanagerv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	"github.com/gateguard/gateguard/rules"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// snapshotSource is what every cache-backed snapshot reads: one cache
// with the rules' indexes registered on its informers. serve and audit
// both build theirs with newSnapshotSource.
type snapshotSource struct {
	cache        client.Reader
	api          client.Reader // uncached, for the one Secret the key check reads
	indexers     snapshotIndexers
	certificates bool          // cert-manager's CRD is served
	optional     optionalKinds // which Gateway API kinds are served
	pods         *rules.PodPlacements
	secrets      secretScope // the namespaces whose Secrets may be read
	keys         *secretKeyMemo
}

// newSnapshotSource registers the indexes (and so the informers) on c;
// the snapshots read once c has synced.
func newSnapshotSource(ctx context.Context, c cache.Cache, api client.Reader, mapper meta.RESTMapper,
	secrets secretScope) (*snapshotSource, error) {
	optional, err := gatewayAPIServed(mapper)
	if err != nil {
		return nil, err
	}
	src := &snapshotSource{cache: c, api: api, certificates: certificatesServed(mapper), optional: optional,
		pods: rules.NewPodPlacements(), secrets: secrets, keys: newSecretKeyMemo(secretKeyMemoSize)}
	indexers, err := registerIndexes(ctx, c, src.certificates, optional, src.pods)
	if err != nil {
		return nil, err
	}
	src.indexers = indexers
	secretInformer, err := c.GetInformer(ctx, metadataOf("Secret"))
	if err != nil {
		return nil, fmt.Errorf("informer for Secret: %w", err)
	}
	if _, err := secretInformer.AddEventHandler(src.keys.handler()); err != nil {
		return nil, err
	}
	return src, nil
}

// snapshot is the view of one decision. A lookup that fails reports
// nothing found, and onError records the failure rather than guess at it.
func (src *snapshotSource) snapshot(ctx context.Context, onError func(error)) rules.Snapshot {
	return &cacheSnapshot{snapshotSource: src, ctx: ctx, onError: onError}
}

// cacheSnapshot is the production rules.Snapshot: index lookups in the
// informers' indexers, plus one direct GET for a Secret's key names.
type cacheSnapshot struct {
	*snapshotSource
	ctx     context.Context
	onError func(error)
}

var _ rules.Snapshot = (*cacheSnapshot)(nil)

// byIndex returns the cached objects under an index key, of every kind
// the index is registered on, uncopied: the rules only read. An index of
// a kind the cluster does not serve finds nothing.
func byIndex[T client.Object](s *cacheSnapshot, index rules.IndexName, value string) []T {
	var out []T
	for _, l := range s.indexers.byValue[index] {
		l.index.each(value, func(key string) {
			if obj, ok := stored[T](s, l.store, key); ok {
				out = append(out, obj)
			}
		})
	}
	for _, indexer := range s.indexers.byName[index] {
		items, err := indexer.ByIndex(string(index), value)
		if err != nil {
			s.onError(err)
		}
		for _, item := range items {
			if obj, ok := item.(T); ok {
				out = append(out, obj)
			}
		}
	}
	return out
}

// byKey reads the store of T's informer, uncopied; the zero T when the
// object, or its kind, is absent.
func byKey[T client.Object](s *cacheSnapshot, key string) T {
	var zero T
	store := s.indexers.stores[reflect.TypeOf(zero)]
	if store == nil {
		return zero
	}
	obj, _ := stored[T](s, store, key)
	return obj
}

// stored reads key from store, uncopied; false when it is absent or not a T.
func stored[T client.Object](s *cacheSnapshot, store toolscache.Indexer, key string) (T, bool) {
	item, found, err := store.GetByKey(key)
	if err != nil {
		s.onError(err)
	}
	obj, ok := item.(T)
	return obj, found && ok
}

// Gateway reads the Gateway informer's store, uncopied.
func (s *cacheSnapshot) Gateway(key types.NamespacedName) *networkingv1.Gateway {
	return byKey[*networkingv1.Gateway](s, key.String())
}

func (s *cacheSnapshot) GatewaysOnPort(listener rules.PortKey) []*networkingv1.Gateway {
	return byIndex[*networkingv1.Gateway](s, rules.IndexWorkloadPort, listener.String())
}

func (s *cacheSnapshot) GatewaysReferencingCredential(name string) []*networkingv1.Gateway {
	return byIndex[*networkingv1.Gateway](s, rules.IndexCredential, name)
}

func (s *cacheSnapshot) VirtualServicesWithHost(host string) []*networkingv1.VirtualService {
	return byIndex[*networkingv1.VirtualService](s, rules.IndexHost, host)
}

func (s *cacheSnapshot) VirtualServicesUnderDomain(domain string) []*networkingv1.VirtualService {
	return byIndex[*networkingv1.VirtualService](s, rules.IndexDomain, domain)
}

func (s *cacheSnapshot) VirtualServicesForGateway(ref rules.GatewayRef) []*networkingv1.VirtualService {
	return byIndex[*networkingv1.VirtualService](s, rules.IndexGateway, ref.String())
}

func (s *cacheSnapshot) GatewayPodNamespaces(selector map[string]string) []string {
	return s.pods.Namespaces(selector)
}

func (s *cacheSnapshot) GatewayPodLabelSets(selector map[string]string) []string {
	return s.pods.LabelSets(selector)
}

func (s *cacheSnapshot) SecretsReadable(namespace string) bool { return s.secrets.readable(namespace) }

func (s *cacheSnapshot) SecretExists(key types.NamespacedName) bool {
	err := s.cache.Get(s.ctx, key, metadataOf("Secret"))
	if client.IgnoreNotFound(err) != nil {
		s.onError(err)
	}
	return err == nil
}

// SecretKeys returns one Secret's key names: remembered for the version
// the metadata cache holds, else read from the apiserver, the value going
// out of scope here, unlogged and unkept. It reads at the resourceVersion
// the metadata cache holds, which the apiserver serves from its watch
// cache when that is as new ("not older than"), sparing etcd a quorum
// read, while never answering from older state than the cache that said
// the Secret exists, whichever apiserver replica answers. Without a cached
// version it reads from etcd.
func (s *cacheSnapshot) SecretKeys(ctx context.Context, key types.NamespacedName) ([]string, error) {
	seen := &metav1.GetOptions{}
	if m := metadataOf("Secret"); s.cache.Get(ctx, key, m) == nil {
		if names, ok := s.keys.get(m.UID, m.ResourceVersion); ok {
			return names, nil
		}
		seen.ResourceVersion = m.ResourceVersion
	}
	secret := &corev1.Secret{}
	if err := s.api.Get(ctx, key, secret, &client.GetOptions{Raw: seen}); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	keys := slices.Collect(maps.Keys(secret.Data))
	s.keys.put(secret.UID, secret.ResourceVersion, keys)
	return keys, nil
}

func (s *cacheSnapshot) CertificateForSecret(secret types.NamespacedName) (string, bool) {
	if !s.certificates {
		return "", false
	}
	items := byIndex[*certmanagerv1.Certificate](s, rules.IndexSecretName, secret.String())
	if len(items) == 0 {
		return "", false
	}
	return items[0].Name, true
}

func (s *cacheSnapshot) NamespaceLabels(namespace string) (map[string]string, bool) {
	ns := metadataOf("Namespace")
	if err := s.cache.Get(s.ctx, types.NamespacedName{Name: namespace}, ns); err != nil {
		if client.IgnoreNotFound(err) != nil {
			s.onError(err)
		}
		return nil, false
	}
	return ns.Labels, true
}
