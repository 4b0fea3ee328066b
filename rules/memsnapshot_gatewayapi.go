package rules

import (
	"cmp"
	"reflect"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"
)

// gatewayAPIObjects holds a MemorySnapshot's Gateway API objects and the
// Services manual Gateways name.
type gatewayAPIObjects struct {
	classes         map[types.NamespacedName]*gatewayv1.GatewayClass
	gateways        map[types.NamespacedName]*gatewayv1.Gateway
	listenerSets    map[types.NamespacedName]*gatewayv1.ListenerSet
	httpRoutes      map[types.NamespacedName]*gatewayv1.HTTPRoute
	grpcRoutes      map[types.NamespacedName]*gatewayv1.GRPCRoute
	tlsRoutes       map[types.NamespacedName]*gatewayv1.TLSRoute
	tcpRoutes       map[types.NamespacedName]*gatewayv1.TCPRoute
	referenceGrants map[types.NamespacedName]*gatewayv1beta1.ReferenceGrant
	services        map[types.NamespacedName]*corev1.Service
}

func newGatewayAPIObjects() gatewayAPIObjects {
	return gatewayAPIObjects{
		classes:         map[types.NamespacedName]*gatewayv1.GatewayClass{},
		gateways:        map[types.NamespacedName]*gatewayv1.Gateway{},
		listenerSets:    map[types.NamespacedName]*gatewayv1.ListenerSet{},
		httpRoutes:      map[types.NamespacedName]*gatewayv1.HTTPRoute{},
		grpcRoutes:      map[types.NamespacedName]*gatewayv1.GRPCRoute{},
		tlsRoutes:       map[types.NamespacedName]*gatewayv1.TLSRoute{},
		tcpRoutes:       map[types.NamespacedName]*gatewayv1.TCPRoute{},
		referenceGrants: map[types.NamespacedName]*gatewayv1beta1.ReferenceGrant{},
		services:        map[types.NamespacedName]*corev1.Service{},
	}
}

// addGatewayAPI stores a Gateway API object or a Service; false for any
// other kind.
func (s *MemorySnapshot) addGatewayAPI(obj runtime.Object) bool {
	g := &s.gatewayAPI
	switch o := obj.(type) {
	case *gatewayv1.GatewayClass:
		store(s, g.classes, o)
	case *gatewayv1.Gateway:
		store(s, g.gateways, o)
	case *gatewayv1.ListenerSet:
		store(s, g.listenerSets, o)
	case *gatewayv1.HTTPRoute:
		store(s, g.httpRoutes, o)
	case *gatewayv1.GRPCRoute:
		store(s, g.grpcRoutes, o)
	case *gatewayv1.TLSRoute:
		store(s, g.tlsRoutes, o)
	case *gatewayv1.TCPRoute:
		store(s, g.tcpRoutes, o)
	case *gatewayv1beta1.ReferenceGrant:
		store(s, g.referenceGrants, o)
	case *corev1.Service:
		store(s, g.services, o)
	default:
		return false
	}
	return true
}

// deleteGatewayAPI forgets a Gateway API object or a Service; false for
// any other kind.
func (s *MemorySnapshot) deleteGatewayAPI(obj runtime.Object) bool {
	g := &s.gatewayAPI
	o, ok := obj.(client.Object)
	if !ok {
		return false
	}
	key := client.ObjectKeyFromObject(o)
	switch obj.(type) {
	case *gatewayv1.GatewayClass:
		unstore(s, g.classes, key)
	case *gatewayv1.Gateway:
		unstore(s, g.gateways, key)
	case *gatewayv1.ListenerSet:
		unstore(s, g.listenerSets, key)
	case *gatewayv1.HTTPRoute:
		unstore(s, g.httpRoutes, key)
	case *gatewayv1.GRPCRoute:
		unstore(s, g.grpcRoutes, key)
	case *gatewayv1.TLSRoute:
		unstore(s, g.tlsRoutes, key)
	case *gatewayv1.TCPRoute:
		unstore(s, g.tcpRoutes, key)
	case *gatewayv1beta1.ReferenceGrant:
		unstore(s, g.referenceGrants, key)
	case *corev1.Service:
		unstore(s, g.services, key)
	default:
		return false
	}
	return true
}

func (s *MemorySnapshot) GatewayClass(name string) *gatewayv1.GatewayClass {
	return s.gatewayAPI.classes[types.NamespacedName{Name: name}]
}

func (s *MemorySnapshot) KubeGateway(key types.NamespacedName) *gatewayv1.Gateway {
	return s.gatewayAPI.gateways[key]
}

func (s *MemorySnapshot) ListenerSet(key types.NamespacedName) *gatewayv1.ListenerSet {
	return s.gatewayAPI.listenerSets[key]
}

func (s *MemorySnapshot) ListenerSetsForGateway(gateway types.NamespacedName) []*gatewayv1.ListenerSet {
	return lookup[*gatewayv1.ListenerSet](s, IndexListenerSetParent, gateway.String())
}

func (s *MemorySnapshot) RoutesForParent(parent ParentKey) []client.Object {
	return s.lookupRoutes(IndexRouteParent, parent.String())
}

func (s *MemorySnapshot) RoutesWithHostname(hostname string) []client.Object {
	return s.lookupRoutes(IndexRouteHostname, hostname)
}

func (s *MemorySnapshot) RoutesUnderDomain(domain string) []client.Object {
	return s.lookupRoutes(IndexRouteDomain, domain)
}

func (s *MemorySnapshot) RoutesWithBackendsIn(namespace string) []client.Object {
	return s.lookupRoutes(IndexRouteBackendNamespace, namespace)
}

func (s *MemorySnapshot) KubeGatewaysOnService(service types.NamespacedName) []*gatewayv1.Gateway {
	return lookup[*gatewayv1.Gateway](s, IndexGatewayService, service.String())
}

func (s *MemorySnapshot) ListenersReferencingSecret(secret types.NamespacedName) []client.Object {
	var out []client.Object
	for _, gw := range lookup[*gatewayv1.Gateway](s, IndexCertificateRef, secret.String()) {
		out = append(out, gw)
	}
	for _, ls := range lookup[*gatewayv1.ListenerSet](s, IndexCertificateRef, secret.String()) {
		out = append(out, ls)
	}
	return out
}

func (s *MemorySnapshot) ReferenceGrantsIn(namespace string) []*gatewayv1beta1.ReferenceGrant {
	var out []*gatewayv1beta1.ReferenceGrant
	for key, g := range s.gatewayAPI.referenceGrants {
		if key.Namespace == namespace {
			out = append(out, g)
		}
	}
	sortByName(out)
	return out
}

func (s *MemorySnapshot) ServiceSelector(key types.NamespacedName) (map[string]string, bool) {
	svc, ok := s.gatewayAPI.services[key]
	if !ok {
		return nil, false
	}
	return svc.Spec.Selector, true
}

// lookupRoutes returns the routes of every kind under one index value.
func (s *MemorySnapshot) lookupRoutes(name IndexName, value string) []client.Object {
	var out []client.Object
	for _, kind := range RouteObjects() {
		for _, e := range s.indexes[indexID{name, reflect.TypeOf(kind)}][value] {
			out = append(out, e.obj)
		}
	}
	return out
}

// sortByName orders objects by namespace, then name.
func sortByName[T client.Object](objs []T) {
	slices.SortFunc(objs, func(a, b T) int {
		return cmp.Or(cmp.Compare(a.GetNamespace(), b.GetNamespace()), cmp.Compare(a.GetName(), b.GetName()))
	})
}
