package rules

import (
	"fmt"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// The messages of the Gateway API's TLS, ReferenceGrant and listener rules.

// msgTooManyCertificateRefs: Istio serves at most two certificates.
func msgTooManyCertificateRefs(n int) string {
	return fmt.Sprintf("Istio serves at most %d certificates on a listener (an RSA and an ECDSA one) and rejects "+
		"the listener with %d: keep at most %d certificateRefs", maxCertificateRefs, n, maxCertificateRefs)
}

// msgCertificateRefAbsent: the Secret is not where the certificateRef points.
func msgCertificateRefAbsent(l listener, key types.NamespacedName) string {
	where := ""
	if key.Namespace == l.owner.GetNamespace() {
		where = fmt.Sprintf(" (a certificateRef without a namespace reads the namespace of %s, not where the "+
			"gateway pods run)", objectName(l.owner))
	}
	return fmt.Sprintf("Secret %q does not exist in namespace %s%s: create it there or fix the certificateRef; until "+
		"then Istio rejects the certificate, and the listener %s with it when it has no other",
		key.Name, key.Namespace, where, l.section())
}

// msgCertificateRefPending: cert-manager has yet to issue the Secret.
func msgCertificateRefPending(l listener, key types.NamespacedName, cert string) string {
	return fmt.Sprintf("Secret %s is not issued yet: cert-manager Certificate %s/%s will create it; until then Istio "+
		"does not program listener %s", key, key.Namespace, cert, l.section())
}

// msgCertificateRefKeys: the Secret has no certificate and key Istio reads.
func msgCertificateRefKeys(key types.NamespacedName) string {
	return fmt.Sprintf("Secret %s has neither tls.crt+tls.key nor cert+key, so Istio cannot load it", key)
}

// grantTarget is what a cross-namespace reference points at.
type grantTarget struct {
	group, kind string
	key         types.NamespacedName
}

func (t grantTarget) String() string {
	if t.group == "" {
		return t.kind + " " + t.key.String()
	}
	return t.kind + "." + t.group + " " + t.key.String()
}

// msgReferenceNotGranted names the missing ReferenceGrant, field by field.
func msgReferenceNotGranted(from client.Object, to grantTarget, effect string) string {
	return fmt.Sprintf("%s refers to %s in another namespace, and no ReferenceGrant in %s permits it, so %s: "+
		"create a ReferenceGrant in namespace %s with from {group: %s, kind: %s, namespace: %s} and to "+
		"{group: %q, kind: %s, name: %s}, or refer to an object of namespace %s",
		objectName(from), to, to.key.Namespace, effect, to.key.Namespace, gatewayGroup, kindOf(from),
		from.GetNamespace(), to.group, to.kind, to.key.Name, from.GetNamespace())
}

// msgGrantInUse names the references that only the deleted grant permits.
func msgGrantInUse(users []string) string {
	return fmt.Sprintf("this ReferenceGrant is the only one that permits %s; once it is deleted Istio rejects "+
		"those references (a certificate, and with it a listener that has no other; a backend, whose share of "+
		"the traffic then fails): keep it, or add a grant that permits them first", strings.Join(users, ", "))
}

// msgCertificateInUse names the listeners that read a Secret about to go.
func msgCertificateInUse(key types.NamespacedName, users []string) string {
	return fmt.Sprintf("Secret %s is a certificateRef of %s; deleting it makes Istio reject the certificate, "+
		"and each listener with no other: remove the certificateRefs first, or update the Secret in place "+
		"instead of deleting it", key, strings.Join(users, ", "))
}

// msgListenerConflict words a conflict among one Gateway's merged
// listeners with the reason Istio gives the listener that loses.
func msgListenerConflict(l, prior listener) string {
	reason := gatewayv1.ListenerReasonHostnameConflict
	if l.protocol != prior.protocol || isLayer4(l.protocol) {
		reason = gatewayv1.ListenerReasonProtocolConflict
	}
	order := ""
	if prior.owner != l.owner {
		order = " (a Gateway's own listeners first, then its ListenerSets, oldest first)"
	}
	return fmt.Sprintf("listener %q (%s) conflicts with %s (%s), merged before it%s: Istio marks this one "+
		"Conflicted (%s) and does not program it: use another port or hostname", l.name, l.describe(),
		listenerName(prior), prior.describe(), order, reason)
}

// msgSharedPodsConflict: two manual Gateways' listeners on one port of
// the same pods, which Istio cannot merge.
func msgSharedPodsConflict(l, other listener, gw *gatewayv1.Gateway) string {
	whose := "whose"
	if _, set := other.owner.(*gatewayv1.ListenerSet); set {
		whose = fmt.Sprintf("merged into Gateway %s/%s, whose", gw.Namespace, gw.Name)
	}
	effect := fmt.Sprintf("already serves hostname %q with TLS on port %d; Istio keeps the older server and skips "+
		"the other (or, when their namespaces differ, Envoy rejects the whole port): serve the hostname from one "+
		"Gateway only, or use another port or hostname", cmpOrStar(other.hostname), other.port)
	if !isTLSListener(l) || !isTLSListener(other) {
		effect = fmt.Sprintf("already serves port %d with %s, which %s cannot share: Istio keeps the older server "+
			"and skips the other: use another port", other.port, other.protocol, l.protocol)
	}
	return fmt.Sprintf("%s (%s), %s Services select the same gateway pods, %s", listenerName(other), other.describe(),
		whose, effect)
}

// msgClassicConflict: a listener and a classic Gateway's TLS server for
// one hostname and port of the same pods.
func msgClassicConflict(l listener, gw *networkingv1.Gateway, host string) string {
	return fmt.Sprintf("classic Gateway %s/%s (networking.istio.io), whose selector %s picks the pods this Gateway's "+
		"Service selects, already serves host %q with a tls block on port %d; Istio merges the two APIs' servers "+
		"on shared pods, keeps the older and skips the other: serve the hostname from one Gateway only, or use "+
		"another port or hostname", gw.Namespace, gw.Name, selectorString(gw.Spec.Selector), host, l.port)
}

// msgKubeGatewayConflict: the classic side of msgClassicConflict.
func msgKubeGatewayConflict(l listener, gw *gatewayv1.Gateway, port uint32) string {
	merged := ""
	if _, set := l.owner.(*gatewayv1.ListenerSet); set {
		merged = fmt.Sprintf(", merged into Gateway %s/%s", gw.Namespace, gw.Name)
	}
	return fmt.Sprintf("Gateway API %s (%s)%s, on a Service selecting the same gateway pods, already serves host "+
		"%q with TLS on port %d; Istio merges the two APIs' servers on shared pods, keeps the older and skips the "+
		"other: serve the host from one Gateway only, or use another port",
		listenerName(l), l.describe(), merged, cmpOrStar(l.hostname), port)
}

// describe is a listener's protocol, port and hostname.
func (l listener) describe() string {
	return fmt.Sprintf("%s, port %d, hostname %q", l.protocol, l.port, cmpOrStar(l.hostname))
}
