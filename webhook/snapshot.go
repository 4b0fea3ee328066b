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
	certificates bool          // cert-manager's CRD is served
	pods         *rules.PodPlacements
	// onError records cache failures; a lookup that fails reports nothing
	// found, and the failure is counted and logged rather than guessed at.
	onError func(error)
}

var _ rules.Snapshot = (*cacheSnapshot)(nil)

// listBy lists objects of an index key without copying them: the rules
// only read.
func listBy[L client.ObjectList](s *cacheSnapshot, list L, index, key string) L {
	if err := s.cache.List(s.ctx, list, client.MatchingFields{index: key}, client.UnsafeDisableDeepCopy); err != nil {
		s.onError(err)
	}
	return list
}

func (s *cacheSnapshot) Gateway(namespace, name string) *networkingv1.Gateway {
	gw := &networkingv1.Gateway{}
	if err := s.cache.Get(s.ctx, types.NamespacedName{Namespace: namespace, Name: name}, gw); err != nil {
		if client.IgnoreNotFound(err) != nil {
			s.onError(err)
		}
		return nil
	}
	return gw
}

func (s *cacheSnapshot) GatewaysOnPort(key string) []*networkingv1.Gateway {
	return listBy(s, &networkingv1.GatewayList{}, indexWorkloadPort, key).Items
}

func (s *cacheSnapshot) GatewaysReferencingCredential(name string) []*networkingv1.Gateway {
	return listBy(s, &networkingv1.GatewayList{}, indexCredential, name).Items
}

func (s *cacheSnapshot) VirtualServicesWithHost(host string) []*networkingv1.VirtualService {
	return listBy(s, &networkingv1.VirtualServiceList{}, indexHost, host).Items
}

func (s *cacheSnapshot) VirtualServicesUnderDomain(domain string) []*networkingv1.VirtualService {
	return listBy(s, &networkingv1.VirtualServiceList{}, indexDomain, domain).Items
}

func (s *cacheSnapshot) VirtualServicesForGateway(ref rules.GatewayRef) []*networkingv1.VirtualService {
	return listBy(s, &networkingv1.VirtualServiceList{}, indexGateway, rules.GatewayRefIndexKey(ref)).Items
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
// only; the Secret value goes out of scope here, unlogged. It reads at
// resourceVersion "0", from the apiserver's watch cache rather than a
// quorum read of etcd: the metadata cache that said the Secret exists is
// fed from that same watch cache, so the read is never older than it, and
// it spares etcd a round trip per TLS Gateway decision.
func (s *cacheSnapshot) SecretKeys(ctx context.Context, namespace, name string) ([]string, error) {
	secret := &corev1.Secret{}
	fromWatchCache := &client.GetOptions{Raw: &metav1.GetOptions{ResourceVersion: "0"}}
	if err := s.api.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, secret, fromWatchCache); err != nil {
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
	items := listBy(s, &certmanagerv1.CertificateList{}, indexSecretName, namespace+"/"+secretName).Items
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
