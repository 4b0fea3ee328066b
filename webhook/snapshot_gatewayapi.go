package webhook

import (
	"cmp"
	"reflect"
	"slices"

	"github.com/gateguard/gateguard/rules"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"
)

// The Gateway API lookups of the cache-backed snapshot. Where the
// cluster does not serve a kind, its informer does not exist and its
// lookups find nothing (cache_gatewayapi.go).

// GatewayClass is cluster-scoped: its store key is its name.
func (s *cacheSnapshot) GatewayClass(name string) *gatewayv1.GatewayClass {
	return byKey[*gatewayv1.GatewayClass](s, name)
}

func (s *cacheSnapshot) KubeGateway(key types.NamespacedName) *gatewayv1.Gateway {
	return byKey[*gatewayv1.Gateway](s, key.String())
}

func (s *cacheSnapshot) ListenerSet(key types.NamespacedName) *gatewayv1.ListenerSet {
	return byKey[*gatewayv1.ListenerSet](s, key.String())
}

func (s *cacheSnapshot) ListenerSetsForGateway(gateway types.NamespacedName) []*gatewayv1.ListenerSet {
	return byIndex[*gatewayv1.ListenerSet](s, rules.IndexListenerSetParent, gateway.String())
}

func (s *cacheSnapshot) RoutesForParent(parent rules.ParentKey) []client.Object {
	return byIndex[client.Object](s, rules.IndexRouteParent, parent.String())
}

func (s *cacheSnapshot) RoutesWithHostname(hostname string) []client.Object {
	return byIndex[client.Object](s, rules.IndexRouteHostname, hostname)
}

func (s *cacheSnapshot) RoutesUnderDomain(domain string) []client.Object {
	return byIndex[client.Object](s, rules.IndexRouteDomain, domain)
}

func (s *cacheSnapshot) RoutesWithBackendsIn(namespace string) []client.Object {
	return byIndex[client.Object](s, rules.IndexRouteBackendNamespace, namespace)
}

func (s *cacheSnapshot) KubeGatewaysOnService(service types.NamespacedName) []*gatewayv1.Gateway {
	return byIndex[*gatewayv1.Gateway](s, rules.IndexGatewayService, service.String())
}

// ListenersReferencingSecret finds Gateways, then ListenerSets, as the
// index is registered on them in that order.
func (s *cacheSnapshot) ListenersReferencingSecret(secret types.NamespacedName) []client.Object {
	return byIndex[client.Object](s, rules.IndexCertificateRef, secret.String())
}

// ReferenceGrantsIn reads the namespace index every controller-runtime
// informer has, sorted by name as the in-memory snapshot sorts them.
func (s *cacheSnapshot) ReferenceGrantsIn(namespace string) []*gatewayv1beta1.ReferenceGrant {
	var zero *gatewayv1beta1.ReferenceGrant
	store := s.indexers.stores[reflect.TypeOf(zero)]
	if store == nil {
		return nil
	}
	items, err := store.ByIndex(toolscache.NamespaceIndex, namespace)
	if err != nil {
		s.onError(err)
	}
	out := make([]*gatewayv1beta1.ReferenceGrant, 0, len(items))
	for _, item := range items {
		if g, ok := item.(*gatewayv1beta1.ReferenceGrant); ok {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, func(a, b *gatewayv1beta1.ReferenceGrant) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// ServiceSelector reads the trimmed Service, which keeps its selector.
func (s *cacheSnapshot) ServiceSelector(key types.NamespacedName) (map[string]string, bool) {
	svc := byKey[*corev1.Service](s, key.String())
	if svc == nil {
		return nil, false
	}
	return svc.Spec.Selector, true
}

// ListenersReferencingSecretsIn finds Gateways, then ListenerSets, as
// ListenersReferencingSecret does.
func (s *cacheSnapshot) ListenersReferencingSecretsIn(namespace string) []client.Object {
	return byIndex[client.Object](s, rules.IndexCertificateNamespace, namespace)
}

// ServicesWithSelector sorts what the index finds, which the informer's
// indexer returns in no order.
func (s *cacheSnapshot) ServicesWithSelector(selector map[string]string) []types.NamespacedName {
	return rules.ServiceNames(byIndex[*corev1.Service](s, rules.IndexServiceSelector, rules.SelectorKey(selector)))
}
