package rules

import (
	"strings"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// gatewayGroup is the API group of the Gateway API's own kinds.
const gatewayGroup = "gateway.networking.k8s.io"

// route is what the rules read of a route of any of the four kinds: they
// differ in their rules, not in how they bind.
type route struct {
	obj        client.Object
	kind       Kind
	parentRefs []gatewayv1.ParentReference
	hostnames  []gatewayv1.Hostname
}

// backendAt is one backendRef (or mirror backend) and where it is
// written: rule's backendRefs[at], or its filters[at] for a mirror. The
// field path is built only for a violation: routes are viewed by the
// thousand (indexes, audits, host collisions) and few backends are denied.
type backendAt struct {
	ref      gatewayv1.BackendObjectReference
	rule, at int
	mirror   bool
}

// path is where the backend is written.
func (b backendAt) path() *field.Path {
	rule := field.NewPath("spec", "rules").Index(b.rule)
	if b.mirror {
		return rule.Child("filters").Index(b.at).Child("requestMirror", "backendRef")
	}
	return rule.Child("backendRefs").Index(b.at)
}

// routeOf views obj as a route, or reports that it is not one.
func routeOf(obj client.Object) (route, bool) {
	r := route{obj: obj}
	switch o := obj.(type) {
	case *gatewayv1.HTTPRoute:
		r.kind, r.parentRefs, r.hostnames = KindHTTPRoute, o.Spec.ParentRefs, o.Spec.Hostnames
	case *gatewayv1.GRPCRoute:
		r.kind, r.parentRefs, r.hostnames = KindGRPCRoute, o.Spec.ParentRefs, o.Spec.Hostnames
	case *gatewayv1.TLSRoute:
		r.kind, r.parentRefs, r.hostnames = KindTLSRoute, o.Spec.ParentRefs, o.Spec.Hostnames
	case *gatewayv1.TCPRoute:
		r.kind, r.parentRefs = KindTCPRoute, o.Spec.ParentRefs
	default:
		return route{}, false
	}
	return r, true
}

// backends lists the route's backendRefs and mirror backends, built on
// demand: most of the rules that view a route never read them.
func (r route) backends() []backendAt {
	var out []backendAt
	switch o := r.obj.(type) {
	case *gatewayv1.HTTPRoute:
		for i, rule := range o.Spec.Rules {
			for j, b := range rule.BackendRefs {
				out = append(out, backendAt{ref: b.BackendObjectReference, rule: i, at: j})
			}
			out = httpMirrors(out, rule.Filters, i)
		}
	case *gatewayv1.GRPCRoute:
		for i, rule := range o.Spec.Rules {
			for j, b := range rule.BackendRefs {
				out = append(out, backendAt{ref: b.BackendObjectReference, rule: i, at: j})
			}
		}
	case *gatewayv1.TLSRoute:
		for i, rule := range o.Spec.Rules {
			out = plainBackends(out, rule.BackendRefs, i)
		}
	case *gatewayv1.TCPRoute:
		for i, rule := range o.Spec.Rules {
			out = plainBackends(out, rule.BackendRefs, i)
		}
	}
	return out
}

// plainBackends appends the backendRefs of rule i.
func plainBackends(out []backendAt, refs []gatewayv1.BackendRef, i int) []backendAt {
	for j, b := range refs {
		out = append(out, backendAt{ref: b.BackendObjectReference, rule: i, at: j})
	}
	return out
}

// httpMirrors appends the backends of rule i's RequestMirror filters,
// which reach another namespace as a backendRef does.
func httpMirrors(out []backendAt, filters []gatewayv1.HTTPRouteFilter, i int) []backendAt {
	for k, f := range filters {
		if f.RequestMirror != nil {
			out = append(out, backendAt{ref: f.RequestMirror.BackendRef, rule: i, at: k, mirror: true})
		}
	}
	return out
}

// parentKeyOf resolves a parentRef's defaults: group gateway.networking.k8s.io,
// kind Gateway, the route's namespace. ok is false for a parent that is not
// a Gateway or ListenerSet of that group (a Service on the mesh, say).
func parentKeyOf(ref gatewayv1.ParentReference, routeNamespace string) (ParentKey, bool) {
	group, kind := gatewayGroup, string(KindGateway)
	if ref.Group != nil {
		group = string(*ref.Group)
	}
	if ref.Kind != nil {
		kind = string(*ref.Kind)
	}
	ns := routeNamespace
	if ref.Namespace != nil {
		ns = string(*ref.Namespace)
	}
	key := ParentKey{Kind: Kind(kind), NamespacedName: types.NamespacedName{Namespace: ns, Name: string(ref.Name)}}
	return key, group == gatewayGroup && (key.Kind == KindGateway || key.Kind == KindListenerSet)
}

// isMeshParent reports whether a parentRef names a Service or ServiceEntry:
// a mesh (GAMMA) route, which no listener serves.
func isMeshParent(ref gatewayv1.ParentReference) bool {
	if ref.Kind == nil {
		return false
	}
	group := gatewayGroup
	if ref.Group != nil {
		group = string(*ref.Group)
	}
	return (*ref.Kind == "Service" && group == "") || (*ref.Kind == "ServiceEntry" && group == "networking.istio.io")
}

// backendNamespace is where a backendRef points: its namespace, or the route's.
func backendNamespace(ref gatewayv1.BackendObjectReference, routeNamespace string) string {
	if ref.Namespace != nil && *ref.Namespace != "" {
		return string(*ref.Namespace)
	}
	return routeNamespace
}

// lowerHostnames lists the route's hostnames lower-cased (the CRD allows
// lower case only; objects from files may not have passed it).
func (r route) lowerHostnames() []string {
	out := make([]string, len(r.hostnames))
	for i, h := range r.hostnames {
		out[i] = strings.ToLower(string(h))
	}
	return out
}
