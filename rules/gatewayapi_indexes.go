package rules

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Indexes of the Gateway API kinds. The route indexes are registered once
// per route kind, under one name: each kind has its own informer.
const (
	IndexRouteHostname         IndexName = "gateguard.dev/route-hostname"
	IndexRouteDomain           IndexName = "gateguard.dev/route-domain"
	IndexRouteParent           IndexName = "gateguard.dev/route-parent"
	IndexRouteBackendNamespace IndexName = "gateguard.dev/route-backend-namespace"
	IndexListenerSetParent     IndexName = "gateguard.dev/listenerset-parent"
	IndexGatewayService        IndexName = "gateguard.dev/gateway-service"
	IndexCertificateRef        IndexName = "gateguard.dev/certificate-ref"
	IndexCertificateNamespace  IndexName = "gateguard.dev/certificate-namespace"
	IndexServiceSelector       IndexName = "gateguard.dev/service-selector"
)

// RouteObjects lists an empty object of each route kind.
func RouteObjects() []client.Object {
	return []client.Object{&gatewayv1.HTTPRoute{}, &gatewayv1.GRPCRoute{}, &gatewayv1.TLSRoute{}, &gatewayv1.TCPRoute{}}
}

// IsRoute reports whether obj is of a kind RouteObjects lists, without
// building that list: admission asks it of every object.
func IsRoute(obj client.Object) bool {
	switch obj.(type) {
	case *gatewayv1.HTTPRoute, *gatewayv1.GRPCRoute, *gatewayv1.TLSRoute, *gatewayv1.TCPRoute:
		return true
	}
	return false
}

// gatewayAPIIndexes lists the indexes of the Gateway API kinds.
func gatewayAPIIndexes() []Index {
	var out []Index
	for _, obj := range RouteObjects() {
		out = append(out,
			Index{IndexRouteHostname, obj, routeValues(routeHostnameValues)},
			Index{IndexRouteDomain, obj, routeValues(routeDomainValues)},
			Index{IndexRouteParent, obj, routeValues(routeParentValues)},
			Index{IndexRouteBackendNamespace, obj, routeValues(routeBackendNamespaceValues)})
	}
	return append(out,
		Index{IndexListenerSetParent, &gatewayv1.ListenerSet{}, func(o client.Object) []string {
			ls := o.(*gatewayv1.ListenerSet)
			return []string{listenerSetParent(ls).String()}
		}},
		Index{IndexGatewayService, &gatewayv1.Gateway{}, func(o client.Object) []string {
			return serviceKeys(manualServices(o.(*gatewayv1.Gateway)))
		}},
		Index{IndexCertificateRef, &gatewayv1.Gateway{}, func(o client.Object) []string {
			gw := o.(*gatewayv1.Gateway)
			return certificateRefValues(gw.Namespace, gatewayListeners(gw))
		}},
		Index{IndexCertificateRef, &gatewayv1.ListenerSet{}, func(o client.Object) []string {
			ls := o.(*gatewayv1.ListenerSet)
			return certificateRefValues(ls.Namespace, listenerSetListeners(ls))
		}},
		Index{IndexCertificateNamespace, &gatewayv1.Gateway{}, func(o client.Object) []string {
			gw := o.(*gatewayv1.Gateway)
			return namespacesOf(certificateRefValues(gw.Namespace, gatewayListeners(gw)))
		}},
		Index{IndexCertificateNamespace, &gatewayv1.ListenerSet{}, func(o client.Object) []string {
			ls := o.(*gatewayv1.ListenerSet)
			return namespacesOf(certificateRefValues(ls.Namespace, listenerSetListeners(ls)))
		}},
		Index{IndexServiceSelector, &corev1.Service{}, func(o client.Object) []string {
			if sel := o.(*corev1.Service).Spec.Selector; len(sel) > 0 {
				return []string{SelectorKey(sel)}
			}
			return nil
		}})
}

// namespacesOf lists the namespaces of "ns/name" keys.
func namespacesOf(keys []string) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		ns, _, _ := strings.Cut(k, "/")
		out = append(out, ns)
	}
	return uniqueSorted(out)
}

func routeValues(f func(route) []string) func(client.Object) []string {
	return func(o client.Object) []string {
		r, _ := routeOf(o)
		return f(r)
	}
}

// routeHostnameValues: each hostname lower-cased, or "" for a route that
// lists none and so takes its listeners'. TCPRoutes have no hostnames and
// are found by parent instead.
func routeHostnameValues(r route) []string {
	if r.kind == KindTCPRoute {
		return nil
	}
	if len(r.hostnames) == 0 {
		return []string{""}
	}
	return uniqueSorted(r.lowerHostnames())
}

// routeDomainValues: the parent domains of every hostname.
func routeDomainValues(r route) []string {
	var keys []string
	for _, h := range r.lowerHostnames() {
		keys = append(keys, parentDomains(strings.TrimPrefix(h, "*."))...)
		if strings.HasPrefix(h, "*.") {
			keys = append(keys, strings.TrimPrefix(h, "*."))
		}
	}
	return uniqueSorted(keys)
}

// routeParentValues: the Gateways and ListenerSets the parentRefs name.
func routeParentValues(r route) []string {
	var keys []string
	for _, ref := range r.parentRefs {
		if key, ok := parentKeyOf(ref, r.obj.GetNamespace()); ok {
			keys = append(keys, key.String())
		}
	}
	return uniqueSorted(keys)
}

// routeBackendNamespaceValues: the other namespaces backendRefs point into.
func routeBackendNamespaceValues(r route) []string {
	var keys []string
	for _, b := range r.backends() {
		if ns := backendNamespace(b.ref, r.obj.GetNamespace()); ns != r.obj.GetNamespace() {
			keys = append(keys, ns)
		}
	}
	return uniqueSorted(keys)
}

// certificateRefValues: the Secrets ("ns/name") listeners' certificateRefs name.
func certificateRefValues(namespace string, listeners []listener) []string {
	var keys []string
	for _, l := range listeners {
		for _, ref := range l.certificateRefs(namespace) {
			keys = append(keys, ref.key.String())
		}
	}
	return uniqueSorted(keys)
}

// SelectorKey is a selector as IndexServiceSelector files it.
func SelectorKey(selector map[string]string) string { return workloadKey(selector) }
