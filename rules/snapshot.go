package rules

import (
	"context"
	"slices"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Snapshot is the read-only view of cluster state the rules consult. Every
// lookup is an index hit, so validating one object costs the same in a
// cluster of a thousand VirtualServices as in one of a hundred thousand.
// Lookups take typed keys; how they are stored is the business of the
// indexes (Indexes), which both implementations share.
type Snapshot interface {
	// Gateway returns the Gateway of that namespace and name, or nil.
	Gateway(key types.NamespacedName) *networkingv1.Gateway
	// GatewaysOnPort returns the Gateways with a server on the listener.
	GatewaysOnPort(listener PortKey) []*networkingv1.Gateway
	// VirtualServicesWithHost returns the VirtualServices claiming a host,
	// lower-cased; a short host is also found by its expanded FQDN.
	VirtualServicesWithHost(host string) []*networkingv1.VirtualService
	// VirtualServicesUnderDomain returns those with a host strictly under
	// domain, so that a wildcard finds the specific hosts beneath it.
	VirtualServicesUnderDomain(domain string) []*networkingv1.VirtualService
	// VirtualServicesForGateway returns those naming the Gateway in spec.gateways.
	VirtualServicesForGateway(ref GatewayRef) []*networkingv1.VirtualService
	// GatewaysReferencingCredential returns the Gateways whose
	// TLS-terminating servers name the Secret name as a credential.
	GatewaysReferencingCredential(name string) []*networkingv1.Gateway
	// GatewayPodNamespaces lists, sorted, the namespaces of pods whose labels
	// include every pair of a non-empty selector (an empty one picks none:
	// the rules decide which pods are gateway pods, podSelectors).
	GatewayPodNamespaces(selector map[string]string) []string
	// GatewayPodLabelSets lists, sorted, the distinct label sets of the pods
	// a non-empty selector picks (replicas share one), less the labels a
	// rollout changes (PodPlacements.LabelSets).
	GatewayPodLabelSets(selector map[string]string) []string
	// SecretsReadable reports whether gateguard may read Secrets in the
	// namespace at all; when it may not, SecretExists says nothing.
	SecretsReadable(namespace string) bool
	// SecretExists reports whether the Secret exists, from metadata only.
	SecretExists(key types.NamespacedName) bool
	// SecretKeys returns the key names of one Secret, read on demand; its
	// values are never returned, kept or logged.
	SecretKeys(ctx context.Context, key types.NamespacedName) ([]string, error)
	// CertificateForSecret names the cert-manager Certificate whose
	// spec.secretName is the Secret's name, in the Secret's namespace.
	CertificateForSecret(secret types.NamespacedName) (string, bool)
	// NamespaceLabels returns a namespace's labels, and whether it is known.
	NamespaceLabels(namespace string) (map[string]string, bool)
	// GatewayAPIState: the Kubernetes Gateway API kinds.
	GatewayAPIState
}

// PortKey is what the workload-port index finds Gateways by: one label of
// the gateway pods, a port on them, and for a server with a tls block one
// of its hosts (its ns/ part stripped). A Gateway is indexed under each
// pair of its selector, or under "*" when it has none, so the Gateways on
// some pods are found through the pods' labels; the rules then keep those
// that pick the same pods (gatewaysOnWorkloads).
type PortKey struct {
	// Label is one "key=value" pair of a selector, or "*".
	Label string
	Port  uint32
	// TLSHost is "" for the port as a whole.
	TLSHost string
	// NonHTTP narrows the port to the Gateways with a plain-text server on
	// it whose protocol is not HTTP, the only ones an HTTP server clashes with.
	NonHTTP bool
}

// String renders the key as the workload-port index stores it.
func (k PortKey) String() string {
	s := k.Label + ":" + uitoa(k.Port)
	switch {
	case k.TLSHost != "":
		s += "|" + k.TLSHost
	case k.NonHTTP:
		s += "!non-http"
	}
	return s
}

func workloadKey(selector map[string]string) string {
	pairs := make([]string, 0, len(selector))
	for k, v := range selector {
		pairs = append(pairs, k+"="+v)
	}
	slices.Sort(pairs)
	return strings.Join(pairs, ",")
}

func uniqueSorted(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}
