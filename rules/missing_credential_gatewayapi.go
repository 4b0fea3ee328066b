package rules

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// tlsTerminateModeOption is Istio's tls.options key for the terminate
// mode; ISTIO_SIMPLE and ISTIO_MUTUAL serve Istio's own workload
// certificate and read no Secret (docs/gateway-api.md#certificate-references).
const tlsTerminateModeOption = "gateway.istio.io/tls-terminate-mode"

// maxCertificateRefs is how many certificates Istio serves on one
// listener; with more it rejects the listener.
const maxCertificateRefs = 2

// checkKubeGatewayCredentials: every certificateRef of a terminating
// listener names a Secret that exists, with its keys, where Istio reads it.
func checkKubeGatewayCredentials(r *request, gw *gatewayv1.Gateway) ([]violation, error) {
	return listenerCredentials(r, listenersOf(r.snapshot, gw))
}

// checkListenerSetCredentials: the same, for a ListenerSet's listeners.
func checkListenerSetCredentials(r *request, ls *gatewayv1.ListenerSet) ([]violation, error) {
	return listenerCredentials(r, listenersOf(r.snapshot, ls))
}

// judgedListenerSet reports whether Istio would program the ListenerSet's
// listeners: its Gateway is Istio's, or not in view yet and so not known
// to be another implementation's.
func judgedListenerSet(snap Snapshot, ls *gatewayv1.ListenerSet) bool {
	gw := snap.KubeGateway(listenerSetParent(ls))
	return gw == nil || isIstioGateway(snap, gw)
}

// listenerCredentials checks the Secrets of each listener in turn.
func listenerCredentials(r *request, listeners []listener) ([]violation, error) {
	var out []violation
	for _, l := range listeners {
		refs := secretRefs(l)
		if len(refs) == 0 {
			continue
		}
		if n := len(l.tls.CertificateRefs); n > maxCertificateRefs {
			out = append(out, violation{err: withDetail(field.TooMany(l.path.Child("tls", "certificateRefs"), n,
				maxCertificateRefs), msgTooManyCertificateRefs(n))})
			continue
		}
		for _, ref := range refs {
			v, err := certificateRefCheck(r, l, ref)
			if err != nil {
				return nil, err
			}
			out = append(out, v...)
		}
	}
	return out, nil
}

// secretRefs lists the Secrets a listener reads: its certificateRefs,
// unless tls.options has Istio serve its own certificate instead.
func secretRefs(l listener) []certRef {
	if l.tls != nil {
		switch l.tls.Options[tlsTerminateModeOption] {
		case "ISTIO_SIMPLE", "ISTIO_MUTUAL":
			return nil
		}
	}
	return l.certificateRefs(l.owner.GetNamespace())
}

// certificateRefCheck reports a Secret gateguard may not read, one that
// is absent (pending when cert-manager will issue it), or one without
// its keys.
func certificateRefCheck(r *request, l listener, ref certRef) ([]violation, error) {
	snap := r.snapshot
	switch {
	case !snap.SecretsReadable(ref.key.Namespace):
		return []violation{{warnOnly: true, err: field.Forbidden(ref.path, msgSecretsUnreadable(ref.key.Name, ref.key.Namespace))}}, nil
	case !snap.SecretExists(ref.key):
		return []violation{certificateRefAbsent(snap, l, ref)}, nil
	}
	keys, err := snap.SecretKeys(r.ctx, ref.key)
	if err != nil {
		return nil, fmt.Errorf("reading key names of Secret %s: %w", ref.key, err)
	}
	if !hasCertKeys(keys) {
		return []violation{{err: field.Invalid(ref.path, ref.key.Name, msgCertificateRefKeys(ref.key))}}, nil
	}
	return nil, nil
}

// certificateRefAbsent denies a missing Secret, but only warns while a
// cert-manager Certificate is there to issue it.
func certificateRefAbsent(snap Snapshot, l listener, ref certRef) violation {
	if cert, ok := snap.CertificateForSecret(ref.key); ok {
		return violation{warnOnly: true, err: withDetail(field.NotFound(ref.path, ref.key.Name),
			msgCertificateRefPending(l, ref.key, cert))}
	}
	return violation{err: withDetail(field.NotFound(ref.path, ref.key.Name), msgCertificateRefAbsent(l, ref.key))}
}
