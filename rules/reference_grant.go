package rules

import (
	"slices"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"
)

// checkKubeGatewayGrants: a certificateRef into another namespace is
// permitted by a ReferenceGrant there (docs/gateway-api.md#referencegrant).
func checkKubeGatewayGrants(r *request, gw *gatewayv1.Gateway) ([]violation, error) {
	out := certificateRefGrants(r.snapshot, gw, listenersOf(r.snapshot, gw))
	if !isIstioGateway(r.snapshot, gw) {
		return out, nil
	}
	for _, ref := range gatewayTLSRefs(gw) {
		if ref.to.key.Namespace != gw.Namespace && !referenceGranted(r.snapshot, gw, ref.to, nil) {
			out = append(out, violation{err: field.Forbidden(ref.path, msgReferenceNotGranted(gw, ref.to, ref.effect))})
		}
	}
	return out, nil
}

// tlsRef is a reference of a Gateway's spec.tls.
type tlsRef struct {
	to     grantTarget
	path   *field.Path
	effect string
}

// gatewayTLSRefs lists the frontend CA certificates and the backend client
// certificate of a Gateway's spec.tls, which cross namespaces only by
// grant as certificateRefs do.
func gatewayTLSRefs(gw *gatewayv1.Gateway) []tlsRef {
	tls := gw.Spec.TLS
	if tls == nil {
		return nil
	}
	const caEffect = "Istio rejects the CA certificate (RefNotPermitted) and the TLS listeners it validates with it"
	var out []tlsRef
	if f := tls.Frontend; f != nil {
		frontend := field.NewPath("spec", "tls", "frontend")
		out = append(out, caRefs(f.Default, frontend.Child("default"), gw.Namespace, caEffect)...)
		for i, p := range f.PerPort {
			out = append(out, caRefs(p.TLS, frontend.Child("perPort").Index(i).Child("tls"), gw.Namespace, caEffect)...)
		}
	}
	if b := tls.Backend; b != nil && b.ClientCertificateRef != nil {
		ref := b.ClientCertificateRef
		to := grantTarget{kind: "Secret", key: types.NamespacedName{Namespace: gw.Namespace, Name: string(ref.Name)}}
		if ref.Namespace != nil {
			to.key.Namespace = string(*ref.Namespace)
		}
		out = append(out, tlsRef{to, field.NewPath("spec", "tls", "backend", "clientCertificateRef"),
			"Istio rejects the client certificate (RefNotPermitted)"})
	}
	return out
}

// caRefs lists one TLSConfig's caCertificateRefs.
func caRefs(c gatewayv1.TLSConfig, path *field.Path, namespace, effect string) []tlsRef {
	if c.Validation == nil {
		return nil
	}
	var out []tlsRef
	for i, ref := range c.Validation.CACertificateRefs {
		to := grantTarget{group: string(ref.Group), kind: string(ref.Kind), key: types.NamespacedName{
			Namespace: namespace, Name: string(ref.Name)}}
		if ref.Namespace != nil {
			to.key.Namespace = string(*ref.Namespace)
		}
		out = append(out, tlsRef{to, path.Child("validation", "caCertificateRefs").Index(i), effect})
	}
	return out
}

// checkListenerSetGrants: the same for a ListenerSet, which inherits no
// grant from its Gateway.
func checkListenerSetGrants(r *request, ls *gatewayv1.ListenerSet) ([]violation, error) {
	return certificateRefGrants(r.snapshot, ls, listenersOf(r.snapshot, ls)), nil
}

// checkRouteGrants: a backendRef (or mirror backend) into another
// namespace is permitted by a ReferenceGrant there. Mesh routes are not
// checked, as Istio does not check them.
func checkRouteGrants(r *request, rt route) ([]violation, error) {
	if !routeOnIstio(r.snapshot, rt) {
		return nil, nil
	}
	var out []violation
	for _, b := range rt.backends() {
		to := backendTarget(b.ref, rt.obj.GetNamespace())
		if to.key.Namespace != rt.obj.GetNamespace() && !referenceGranted(r.snapshot, rt.obj, to, nil) {
			out = append(out, violation{err: field.Forbidden(b.path(), msgReferenceNotGranted(rt.obj, to, droppedBackend(rt.kind)))})
		}
	}
	return out, nil
}

// droppedBackend says what becomes of the traffic of a backend Istio drops.
func droppedBackend(kind Kind) string {
	if kind == KindTLSRoute || kind == KindTCPRoute {
		return "Istio drops this backend and the connections it would have taken fail"
	}
	return "Istio drops this backend and answers 500 to the requests it would have taken"
}

// certificateRefGrants reports each certificateRef into another namespace
// that no ReferenceGrant permits.
func certificateRefGrants(snap Snapshot, owner client.Object, listeners []listener) []violation {
	var out []violation
	for _, l := range listeners {
		for _, ref := range secretRefs(l) {
			to := grantTarget{kind: "Secret", key: ref.key}
			if ref.key.Namespace != owner.GetNamespace() && !referenceGranted(snap, owner, to, nil) {
				out = append(out, violation{err: field.Forbidden(ref.path, msgReferenceNotGranted(owner, to,
					"Istio rejects the certificate (RefNotPermitted), and listener "+l.section()+" with it when it has no other"))})
			}
		}
	}
	return out
}

// listenersOf lists the listeners of a Gateway or ListenerSet that Istio
// programs: none for another implementation's.
func listenersOf(snap Snapshot, owner client.Object) []listener {
	switch o := owner.(type) {
	case *gatewayv1.Gateway:
		if isIstioGateway(snap, o) {
			return gatewayListeners(o)
		}
	case *gatewayv1.ListenerSet:
		if judgedListenerSet(snap, o) {
			return listenerSetListeners(o)
		}
	}
	return nil
}

// routeOnIstio reports whether a route has a parent Istio programs, or
// one not in view yet: mesh parents, classic Gateways and other
// implementations' Gateways do not count.
func routeOnIstio(snap Snapshot, rt route) bool {
	for _, ref := range rt.parentRefs {
		key, ok := parentKeyOf(ref, rt.obj.GetNamespace())
		if isMeshParent(ref) || !ok {
			continue
		}
		if gw := parentGateway(snap, key); gw == nil || isIstioGateway(snap, gw) {
			return true
		}
	}
	return false
}

// parentGateway is the Gateway a parent's listeners land on, or nil when
// it is not in view.
func parentGateway(snap Snapshot, key ParentKey) *gatewayv1.Gateway {
	if key.Kind == KindGateway {
		return snap.KubeGateway(key.NamespacedName)
	}
	if ls := snap.ListenerSet(key.NamespacedName); ls != nil {
		return snap.KubeGateway(listenerSetParent(ls))
	}
	return nil
}

// backendTarget resolves a backendRef's defaults: a core Service of the
// route's namespace.
func backendTarget(ref gatewayv1.BackendObjectReference, routeNamespace string) grantTarget {
	t := grantTarget{kind: "Service", key: types.NamespacedName{
		Namespace: backendNamespace(ref, routeNamespace), Name: string(ref.Name)}}
	if ref.Group != nil {
		t.group = string(*ref.Group)
	}
	if ref.Kind != nil {
		t.kind = string(*ref.Kind)
	}
	return t
}

// referenceGranted reports whether a ReferenceGrant of the target's
// namespace, other than except, lets from refer to the target.
func referenceGranted(snap Snapshot, from client.Object, to grantTarget, except *gatewayv1beta1.ReferenceGrant) bool {
	return slices.ContainsFunc(snap.ReferenceGrantsIn(to.key.Namespace), func(g *gatewayv1beta1.ReferenceGrant) bool {
		return (except == nil || g.Name != except.Name) && grantPermits(g, from, to)
	})
}

// grantPermits: one of the grant's from entries names the referrer's
// group, kind and namespace, and one of its to entries the target's
// group and kind, with its name or none.
func grantPermits(g *gatewayv1beta1.ReferenceGrant, from client.Object, to grantTarget) bool {
	kind := kindOf(from)
	return slices.ContainsFunc(g.Spec.From, func(f gatewayv1beta1.ReferenceGrantFrom) bool {
		return string(f.Group) == gatewayGroup && string(f.Kind) == kind && string(f.Namespace) == from.GetNamespace()
	}) && slices.ContainsFunc(g.Spec.To, func(t gatewayv1beta1.ReferenceGrantTo) bool {
		return string(t.Group) == to.group && string(t.Kind) == to.kind && (t.Name == nil || *t.Name == "" ||
			string(*t.Name) == to.key.Name)
	})
}
