package rules

import (
	"cmp"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// ListenersReferencingSecretsIn returns the Gateways, then the
// ListenerSets, whose certificateRefs name a Secret of the namespace.
func (s *MemorySnapshot) ListenersReferencingSecretsIn(namespace string) []client.Object {
	var out []client.Object
	for _, gw := range lookup[*gatewayv1.Gateway](s, IndexCertificateNamespace, namespace) {
		out = append(out, gw)
	}
	for _, ls := range lookup[*gatewayv1.ListenerSet](s, IndexCertificateNamespace, namespace) {
		out = append(out, ls)
	}
	return out
}

// ServicesWithSelector returns the Services whose selector equals selector.
func (s *MemorySnapshot) ServicesWithSelector(selector map[string]string) []types.NamespacedName {
	return ServiceNames(lookup[*corev1.Service](s, IndexServiceSelector, SelectorKey(selector)))
}

// ServiceNames lists the Services' keys sorted, as ServicesWithSelector
// returns them from either snapshot.
func ServiceNames(svcs []*corev1.Service) []types.NamespacedName {
	out := make([]types.NamespacedName, 0, len(svcs))
	for _, svc := range svcs {
		out = append(out, types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name})
	}
	slices.SortFunc(out, func(a, b types.NamespacedName) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}
