package rules

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"
)

// checkSecretDeletion: a Secret is deleted while neither a classic
// Gateway's TLS server nor a Gateway API listener reads it.
func checkSecretDeletion(r *request, sec *corev1.Secret) ([]violation, error) {
	out, err := checkSecretInUse(r, sec)
	if err != nil {
		return nil, err
	}
	return append(out, certificateInUse(r, sec)...), nil
}

// certificateInUse: a Secret that a listener's certificateRef reads is
// not deleted.
func certificateInUse(r *request, sec *corev1.Secret) []violation {
	key := client.ObjectKeyFromObject(sec)
	var users []string
	for _, owner := range r.snapshot.ListenersReferencingSecret(key) {
		for _, l := range listenersOf(r.snapshot, owner) {
			for _, ref := range secretRefs(l) {
				if ref.key == key {
					users = append(users, listenerName(l))
				}
			}
		}
	}
	if len(users) == 0 {
		return nil
	}
	return []violation{{err: field.Forbidden(field.NewPath("metadata", "name"), msgCertificateInUse(key, uniqueSorted(users)))}}
}

// checkGrantInUse: a ReferenceGrant that alone permits a route's
// backendRef or a listener's certificateRef is not deleted.
func checkGrantInUse(r *request, g *gatewayv1beta1.ReferenceGrant) ([]violation, error) {
	users := append(backendsRelyingOn(r.snapshot, g), certificatesRelyingOn(r.snapshot, g)...)
	if len(users) == 0 {
		return nil, nil
	}
	return []violation{{err: field.Forbidden(field.NewPath("metadata", "name"), msgGrantInUse(uniqueSorted(users)))}}, nil
}

// backendsRelyingOn lists the backendRefs into the grant's namespace that
// it permits and no other grant does.
func backendsRelyingOn(snap Snapshot, g *gatewayv1beta1.ReferenceGrant) []string {
	var out []string
	for _, obj := range snap.RoutesWithBackendsIn(g.Namespace) {
		rt, ok := routeOf(obj)
		if !ok || !routeOnIstio(snap, rt) {
			continue
		}
		for _, b := range rt.backends() {
			to := backendTarget(b.ref, obj.GetNamespace())
			if to.key.Namespace == g.Namespace && reliesOn(snap, g, obj, to) {
				out = append(out, fmt.Sprintf("%s (backend %s)", objectName(obj), to))
			}
		}
	}
	return out
}

// certificatesRelyingOn lists the certificateRefs into the grant's
// namespace that it permits and no other grant does.
func certificatesRelyingOn(snap Snapshot, g *gatewayv1beta1.ReferenceGrant) []string {
	var out []string
	for _, owner := range snap.ListenersReferencingSecretsIn(g.Namespace) {
		for _, l := range listenersOf(snap, owner) {
			for _, ref := range secretRefs(l) {
				to := grantTarget{kind: "Secret", key: ref.key}
				if ref.key.Namespace == g.Namespace && reliesOn(snap, g, owner, to) {
					out = append(out, fmt.Sprintf("%s (certificate %s)", listenerName(l), to))
				}
			}
		}
	}
	return out
}

// reliesOn: from refers to to across namespaces by g's leave alone.
func reliesOn(snap Snapshot, g *gatewayv1beta1.ReferenceGrant, from client.Object, to grantTarget) bool {
	return from.GetNamespace() != g.Namespace && grantPermits(g, from, to) && !referenceGranted(snap, from, to, g)
}

// listenerName names a listener and its owner: "Gateway shop/gw listener https".
func listenerName(l listener) string {
	return objectName(l.owner) + " listener " + l.name
}
