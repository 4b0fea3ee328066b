package webhook

import (
	"context"

	certmanagerv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	"github.com/gateguard/gateguard/rules"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// cacheSnapshot is the production rules.Snapshot: index lookups in the
// manager's cache, plus one direct GET for a Secret's key names.
type cacheSnapshot struct {
	ctx          context.Context
	cache        client.Reader
	api          client.Reader // uncached, for the one Secret the key check reads
	indexers     snapshotIndexers
	certificates bool // cert-manager's CRD is served
	pods         *rules.PodPlacements
	// onError records cache failures; a lookup that fails reports nothing
	// found, and the failure is counted and logged rather than guessed at.
	onError func(error)
}

var _ rules.Snapshot = (*cacheSnapshot)(nil)

// byIndex returns the cached objects under an index key, uncopied: the
// rules only read.
func byIndex[T client.Object](s *cacheSnapshot, index, key string) []T {
	items, err := s.indexers.byName[index].ByIndex(index, key)
	if err != nil {
		s.onError(err)
	}
	out := make([]T, 0, len(items))
	for _, item := range items {
		if obj, ok := item.(T); ok {
			out = append(out, obj)
		}
	}
	return out
}

// Gateway reads the Gateway informer's store, uncopied.
func (s *cacheSnapshot) Gateway(namespace, name string) *networkingv1.Gateway {
	item, found, err := s.indexers.gateways.GetByKey(namespace + "/" + name)
	if err != nil {
		s.onError(err)
	}
	gw, _ := item.(*networkingv1.Gateway)
	if !found {
		return nil
	}
	return gw
}

func (s *cacheSnapshot) GatewaysOnPort(key string) []*networkingv1.Gateway {
	return byIndex[*networkingv1.Gateway](s, indexWorkloadPort, key)
}

func (s *cacheSnapshot) GatewaysReferencingCredential(name string) []*networkingv1.Gateway {
	return byIndex[*networkingv1.Gateway](s, indexCredential, name)
}

func (s *cacheSnapshot) VirtualServicesWithHost(host string) []*networkingv1.VirtualService {
	return byIndex[*networkingv1.VirtualService](s, indexHost, host)
}

func (s *cacheSnapshot) VirtualServicesUnderDomain(domain string) []*networkingv1.VirtualService {
	return byIndex[*networkingv1.VirtualService](s, indexDomain, domain)
}

func (s *cacheSnapshot) VirtualServicesForGateway(ref rules.GatewayRef) []*networkingv1.VirtualService {
	return byIndex[*networkingv1.VirtualService](s, indexGateway, rules.GatewayRefIndexKey(ref))
}

func (s *cacheSnapshot) GatewayPodNamespaces(selector map[string]string) []string {
	return s.pods.Namespaces(selector)
}

func (s *cacheSnapshot) GatewayPodLabelSets(selector map[string]string) []string {
	return s.pods.LabelSets(selector)
}

func (s *cacheSnapshot) SecretExists(namespace, name string) bool {
	err := s.cache.Get(s.ctx, types.NamespacedName{Namespace: namespace, Name: name}, metadataOf("Secret"))
	if client.IgnoreNotFound(err) != nil {
		s.onError(err)
	}
	return err == nil
}

// SecretKeys reads one Secret from the apiserver and returns its key names
// only; the Secret value goes out of scope here, unlogged. It reads at the
// resourceVersion the metadata cache holds, which the apiserver serves
// from its watch cache when that is as new ("not older than"), sparing
// etcd a quorum read per TLS Gateway decision while never answering from
// older state than the cache that said the Secret exists, whichever
// apiserver replica answers. Without a cached version it reads from etcd.
func (s *cacheSnapshot) SecretKeys(ctx context.Context, namespace, name string) ([]string, error) {
	key := types.NamespacedName{Namespace: namespace, Name: name}
	seen := &metav1.GetOptions{}
	if m := metadataOf("Secret"); s.cache.Get(ctx, key, m) == nil {
		seen.ResourceVersion = m.ResourceVersion
	}
	secret := &corev1.Secret{}
	if err := s.api.Get(ctx, key, secret, &client.GetOptions{Raw: seen}); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	keys := make([]string, 0, len(secret.Data))
	for k := range secret.Data {
		keys = append(keys, k)
	}
	return keys, nil
}

func (s *cacheSnapshot) CertificateForSecret(namespace, secretName string) (string, bool) {
	if !s.certificates {
		return "", false
	}
	items := byIndex[*certmanagerv1.Certificate](s, indexSecretName, namespace+"/"+secretName)
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
