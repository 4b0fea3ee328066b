package rules

import (
	"strings"

	certmanagerv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// IndexName names one of the indexes a Snapshot serves its lookups from.
type IndexName string

// The indexes, one per Snapshot lookup that searches (rather than gets by name).
const (
	IndexHost         IndexName = "gateguard.dev/host"
	IndexDomain       IndexName = "gateguard.dev/domain"
	IndexGateway      IndexName = "gateguard.dev/gateway"
	IndexWorkloadPort IndexName = "gateguard.dev/workload-port"
	IndexCredential   IndexName = "gateguard.dev/credential"
	IndexSecretName   IndexName = "gateguard.dev/secret-name"
)

// Index is one index: the values an object of one kind is found under.
// The cache-backed snapshot registers these on its informers and the
// in-memory one keeps them in maps, so the two find the same objects.
type Index struct {
	Name IndexName
	// Object is an empty object of the indexed kind.
	Object client.Object
	// Values are the index values of one object of that kind.
	Values func(client.Object) []string
}

// Indexes lists every index, Certificates' only when withCertificates
// (cert-manager's CRD may not be served).
func Indexes(withCertificates bool) []Index {
	vs := func(f func(*networkingv1.VirtualService) []string) func(client.Object) []string {
		return func(o client.Object) []string { return f(o.(*networkingv1.VirtualService)) }
	}
	gw := func(f func(*networkingv1.Gateway) []string) func(client.Object) []string {
		return func(o client.Object) []string { return f(o.(*networkingv1.Gateway)) }
	}
	out := []Index{
		{IndexHost, &networkingv1.VirtualService{}, vs(hostIndexValues)},
		{IndexDomain, &networkingv1.VirtualService{}, vs(domainIndexValues)},
		{IndexGateway, &networkingv1.VirtualService{}, vs(gatewayIndexValues)},
		{IndexWorkloadPort, &networkingv1.Gateway{}, gw(workloadPortIndexValues)},
		{IndexCredential, &networkingv1.Gateway{}, gw(credentialIndexValues)},
	}
	out = append(out, gatewayAPIIndexes()...)
	if withCertificates {
		out = append(out, Index{IndexSecretName, &certmanagerv1.Certificate{}, func(o client.Object) []string {
			return []string{o.GetNamespace() + "/" + o.(*certmanagerv1.Certificate).Spec.SecretName}
		}})
	}
	return out
}

// hostIndexValues: each host lower-cased, and a short host also as its
// expanded FQDN, which is what istiod routes on, on the mesh and on
// gateways alike.
func hostIndexValues(vs *networkingv1.VirtualService) []string {
	var keys []string
	for _, h := range vs.Spec.Hosts {
		keys = append(keys, strings.ToLower(h), strings.ToLower(fqdn(h, vs.Namespace)))
	}
	return uniqueSorted(keys)
}

// domainIndexValues: the parent domains of every host value, so that a
// wildcard can find the specific hosts beneath it.
func domainIndexValues(vs *networkingv1.VirtualService) []string {
	var keys []string
	for _, h := range hostIndexValues(vs) {
		keys = append(keys, parentDomains(h)...)
	}
	return uniqueSorted(keys)
}

// gatewayIndexValues: the named gateways a VirtualService references.
func gatewayIndexValues(vs *networkingv1.VirtualService) []string {
	refs, _ := gatewayRefs(vs.Spec.Gateways, vs.Namespace)
	keys := make([]string, 0, len(refs))
	for _, r := range refs {
		keys = append(keys, r.String())
	}
	return uniqueSorted(keys)
}

// workloadPortIndexValues: a PortKey for each pair of the selector (or
// "*") and each server's port, each host of a server with a tls block, and
// each port of a plain-text server that is not HTTP, so that the Gateways
// on some pods and port are a few lookups.
func workloadPortIndexValues(gw *networkingv1.Gateway) []string {
	var keys []string
	for _, label := range selectorIndexValues(gw.Spec.Selector) {
		for _, s := range gw.Spec.Servers {
			if s.GetPort() == nil {
				continue
			}
			port := PortKey{Label: label, Port: s.GetPort().GetNumber()}
			keys = append(keys, port.String())
			if isPlainText(s) && !mergesAsHTTP(s) {
				keys = append(keys, PortKey{Label: label, Port: port.Port, NonHTTP: true}.String())
			}
			if s.GetTls() != nil {
				for _, h := range s.GetHosts() {
					_, port.TLSHost = splitServerHost(h)
					keys = append(keys, port.String())
				}
			}
		}
	}
	return uniqueSorted(keys)
}

// credentialIndexValues: the Secret names a Gateway's TLS-terminating
// servers read (credentialName, credentialNames, caCertCredentialName), as
// missing-credential checks them; values with a scheme (sds://, builtin://,
// kubernetes-gateway://, configmap://) are not Secrets and are left out.
func credentialIndexValues(gw *networkingv1.Gateway) []string {
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
