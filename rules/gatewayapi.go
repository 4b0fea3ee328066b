package rules

import (
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"
)

// IstioGatewayController is the controllerName of Istio's GatewayClass;
// Gateways of other classes are another implementation's, and left alone
// (docs/gateway-api.md#istios-gatewayclass).
const IstioGatewayController = "istio.io/gateway-controller"

// Gateway API kinds the rules judge (docs/gateway-api.md#kinds-and-versions).
// A gateway.networking.k8s.io Gateway is told from Istio's by its group.
const (
	KindHTTPRoute      Kind = "HTTPRoute"
	KindGRPCRoute      Kind = "GRPCRoute"
	KindTLSRoute       Kind = "TLSRoute"
	KindTCPRoute       Kind = "TCPRoute"
	KindListenerSet    Kind = "ListenerSet"
	KindReferenceGrant Kind = "ReferenceGrant"
)

// GatewayAPIState is what the Snapshot knows of the Kubernetes Gateway
// API. Routes are *gatewayv1.HTTPRoute, GRPCRoute, TLSRoute or TCPRoute.
type GatewayAPIState interface {
	// GatewayClass returns the cluster-scoped GatewayClass, or nil.
	GatewayClass(name string) *gatewayv1.GatewayClass
	// KubeGateway returns the gateway.networking.k8s.io Gateway, or nil.
	KubeGateway(key types.NamespacedName) *gatewayv1.Gateway
	// ListenerSet returns the ListenerSet, or nil.
	ListenerSet(key types.NamespacedName) *gatewayv1.ListenerSet
	// ListenerSetsForGateway returns the ListenerSets whose parentRef
	// names the Gateway, admitted or not.
	ListenerSetsForGateway(gateway types.NamespacedName) []*gatewayv1.ListenerSet
	// RoutesForParent returns the routes with a parentRef to the parent.
	RoutesForParent(parent ParentKey) []client.Object
	// RoutesWithHostname returns the routes listing the hostname in
	// spec.hostnames; "" finds the routes that list none.
	RoutesWithHostname(hostname string) []client.Object
	// RoutesUnderDomain returns the routes with a hostname strictly under
	// domain, so that a wildcard finds the specific hostnames beneath it.
	RoutesUnderDomain(domain string) []client.Object
	// RoutesWithBackendsIn returns the routes with a backendRef into the
	// namespace, from another one.
	RoutesWithBackendsIn(namespace string) []client.Object
	// KubeGatewaysOnService returns the manual Gateways whose addresses
	// name the Service, in its namespace.
	KubeGatewaysOnService(service types.NamespacedName) []*gatewayv1.Gateway
	// ListenersReferencingSecret returns the Gateways and ListenerSets
	// whose listeners' certificateRefs name the Secret.
	ListenersReferencingSecret(secret types.NamespacedName) []client.Object
	// ListenersReferencingSecretsIn returns the Gateways and ListenerSets
	// whose listeners' certificateRefs name a Secret of the namespace,
	// for a ReferenceGrant that permits them all.
	ListenersReferencingSecretsIn(namespace string) []client.Object
	// ReferenceGrantsIn returns the ReferenceGrants of one namespace.
	ReferenceGrantsIn(namespace string) []*gatewayv1beta1.ReferenceGrant
	// ServiceSelector returns a Service's pod selector, and whether the
	// Service is known.
	ServiceSelector(key types.NamespacedName) (map[string]string, bool)
	// ServicesWithSelector returns the Services whose pod selector equals
	// selector (as a classic Gateway's), sorted: the manual Gateways on
	// them share the classic Gateway's pods.
	ServicesWithSelector(selector map[string]string) []types.NamespacedName
}

// ParentKey names a route's parent: a Gateway or a ListenerSet.
type ParentKey struct {
	Kind Kind // KindGateway or KindListenerSet
	types.NamespacedName
}

// String renders the key as the route-parent index stores it.
func (k ParentKey) String() string { return string(k.Kind) + "/" + k.NamespacedName.String() }

// newGatewayAPIObject returns an empty object of a Gateway API kind, for
// the versions Istio reads: v1 for all but ReferenceGrant, read as
// v1beta1 (its v1 has the same schema). v1beta1 Gateways and HTTPRoutes
// are served with the v1 schema too.
func newGatewayAPIObject(version, kind string) client.Object {
	if kind == string(KindReferenceGrant) && (version == "v1beta1" || version == "v1") {
		return &gatewayv1beta1.ReferenceGrant{}
	}
	if version != "v1" && (version != "v1beta1" || (kind != string(KindGateway) && kind != string(KindHTTPRoute))) {
		return nil
	}
	switch Kind(kind) {
	case KindGateway:
		return &gatewayv1.Gateway{}
	case "GatewayClass":
		return &gatewayv1.GatewayClass{}
	case KindListenerSet:
		return &gatewayv1.ListenerSet{}
	case KindHTTPRoute:
		return &gatewayv1.HTTPRoute{}
	case KindGRPCRoute:
		return &gatewayv1.GRPCRoute{}
	case KindTLSRoute:
		return &gatewayv1.TLSRoute{}
	case KindTCPRoute:
		return &gatewayv1.TCPRoute{}
	}
	return nil
}
