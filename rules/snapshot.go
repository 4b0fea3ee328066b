package rules

import (
	"context"
	"slices"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
)

// Snapshot is the read-only view of cluster state the rules consult. Every
// lookup is an index hit, so validating one object costs the same in a
// cluster of a thousand VirtualServices as in one of a hundred thousand.
type Snapshot interface {
	// Gateway returns the Gateway namespace/name, or nil.
	Gateway(namespace, name string) *networkingv1.Gateway
	// GatewaysOnPort returns Gateways with a server on WorkloadPortKey(selector, port).
	GatewaysOnPort(key string) []*networkingv1.Gateway
	// VirtualServicesWithHost returns VirtualServices indexed under HostIndexKeys.
	VirtualServicesWithHost(host string) []*networkingv1.VirtualService
	// VirtualServicesUnderDomain returns those indexed under DomainIndexKeys.
	VirtualServicesUnderDomain(domain string) []*networkingv1.VirtualService
	// VirtualServicesForGateway returns those indexed under GatewayIndexKeys.
	VirtualServicesForGateway(ref GatewayRef) []*networkingv1.VirtualService
	// GatewaysReferencingCredential returns the Gateways indexed under
	// CredentialIndexKeys: those whose TLS servers name the Secret name.
	GatewaysReferencingCredential(name string) []*networkingv1.Gateway
	// GatewayPodNamespaces lists, sorted, the namespaces of pods whose labels
	// include every pair of a non-empty selector.
	GatewayPodNamespaces(selector map[string]string) []string
	// GatewayPodLabelSets lists, sorted, the distinct label sets of the pods
	// a non-empty selector picks (replicas share one).
	GatewayPodLabelSets(selector map[string]string) []string
	// SecretExists reports whether the Secret exists, from metadata only.
	SecretExists(namespace, name string) bool
	// SecretKeys returns the key names of one Secret, read on demand; its
	// values are never returned, kept or logged.
	SecretKeys(ctx context.Context, namespace, name string) ([]string, error)
	// CertificateForSecret names the cert-manager Certificate whose
	// spec.secretName is secretName in namespace.
	CertificateForSecret(namespace, secretName string) (string, bool)
	// NamespaceLabels returns a namespace's labels, and whether it is known.
	NamespaceLabels(namespace string) (map[string]string, bool)
}

// HostIndexKeys are the keys under which a VirtualService is found by host:
// each host lower-cased, and a short host also as its expanded FQDN, which
// is what istiod routes on, on the mesh and on gateways alike.
func HostIndexKeys(vs *networkingv1.VirtualService) []string {
	var keys []string
	for _, h := range vs.Spec.Hosts {
		keys = append(keys, strings.ToLower(h), strings.ToLower(fqdn(h, vs.Namespace)))
	}
	return uniqueSorted(keys)
}

// DomainIndexKeys are the parent domains of every host key, so that a
// wildcard can find the specific hosts beneath it.
func DomainIndexKeys(vs *networkingv1.VirtualService) []string {
	var keys []string
	for _, h := range HostIndexKeys(vs) {
		keys = append(keys, parentDomains(h)...)
	}
	return uniqueSorted(keys)
}

// GatewayIndexKeys are the named gateways a VirtualService references.
func GatewayIndexKeys(vs *networkingv1.VirtualService) []string {
	refs, _ := gatewayRefs(vs.Spec.Gateways, vs.Namespace)
	keys := make([]string, 0, len(refs))
	for _, r := range refs {
		keys = append(keys, r.String())
	}
	return uniqueSorted(keys)
}

// WorkloadPortIndexKeys are the keys under which GatewaysOnPort finds a
// Gateway: WorkloadPortKey for each server, and WorkloadPortHostKey for
// each host of a server with a tls block, so that a conflict is one lookup.
func WorkloadPortIndexKeys(gw *networkingv1.Gateway) []string {
	var keys []string
	for _, s := range gw.Spec.Servers {
		if s.GetPort() == nil {
			continue
		}
		keys = append(keys, WorkloadPortKey(gw.Spec.Selector, s.GetPort().GetNumber()))
		if s.GetTls() != nil {
			for _, h := range s.GetHosts() {
				_, host := splitServerHost(h)
				keys = append(keys, WorkloadPortHostKey(gw.Spec.Selector, s.GetPort().GetNumber(), host))
			}
		}
	}
	return uniqueSorted(keys)
}

// WorkloadPortHostKey identifies a host (its ns/ part stripped) served with
// a tls block on a port of the gateway pods a selector picks.
func WorkloadPortHostKey(selector map[string]string, port uint32, host string) string {
	return WorkloadPortKey(selector, port) + "|" + host
}

// CredentialIndexKeys are the Secret names a Gateway's TLS-terminating
// servers read (credentialName, credentialNames, caCertCredentialName), as
// missing-credential checks them; values with a scheme (sds://, builtin://,
// kubernetes-gateway://, configmap://) are not Secrets and are left out.
func CredentialIndexKeys(gw *networkingv1.Gateway) []string {
	var keys []string
	for _, s := range gw.Spec.Servers {
		if terminatesTLS(s.GetTls()) {
			for _, ref := range credentialRefs(s.GetTls(), nil) {
				keys = append(keys, ref.name)
			}
		}
	}
	return uniqueSorted(keys)
}

// WorkloadPortKey identifies the gateway pods a selector picks and a port.
// Gateways with equal selectors share pods; the key is the sorted selector.
func WorkloadPortKey(selector map[string]string, port uint32) string {
	return workloadKey(selector) + ":" + uitoa(port)
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
