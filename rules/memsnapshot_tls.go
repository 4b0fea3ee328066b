package rules

import (
	"cmp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// ListenersReferencingSecretsIn scans every Gateway and ListenerSet: the
// in-memory snapshot serves tests and offline checks, where a scan is
// cheap, and the certificate-ref index is keyed by Secret, not namespace.
func (s *MemorySnapshot) ListenersReferencingSecretsIn(namespace string) []client.Object {
	var gateways []*gatewayv1.Gateway
	for _, gw := range s.gatewayAPI.gateways {
		if refersInto(namespace, certificateRefValues(gw.Namespace, gatewayListeners(gw))) {
			gateways = append(gateways, gw)
		}
	}
	var sets []*gatewayv1.ListenerSet
	for _, ls := range s.gatewayAPI.listenerSets {
		if refersInto(namespace, certificateRefValues(ls.Namespace, listenerSetListeners(ls))) {
			sets = append(sets, ls)
		}
	}
	sortByName(gateways)
	sortByName(sets)
	out := make([]client.Object, 0, len(gateways)+len(sets))
	for _, gw := range gateways {
		out = append(out, gw)
	}
	for _, ls := range sets {
		out = append(out, ls)
	}
	return out
}

// refersInto reports whether one of the "ns/name" keys is of the namespace.
func refersInto(namespace string, keys []string) bool {
	for _, k := range keys {
		if strings.HasPrefix(k, namespace+"/") {
			return true
		}
	}
	return false
}

// ServicesWithSelector scans the Services, as the snapshot is small.
func (s *MemorySnapshot) ServicesWithSelector(selector map[string]string) []types.NamespacedName {
	want := workloadKey(selector)
	var out []types.NamespacedName
	for key, sel := range s.gatewayAPI.services {
		if len(sel) > 0 && workloadKey(sel) == want {
			out = append(out, key)
		}
	}
	slices.SortFunc(out, func(a, b types.NamespacedName) int { return cmp.Compare(a.String(), b.String()) })
	return out
}
