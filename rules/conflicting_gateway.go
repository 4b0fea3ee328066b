package rules

import (
	"fmt"
	"slices"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// checkConflictingGateway: a server with a tls block may not serve a host
// (ns/ prefix stripped) that another Gateway on the same pods, port and bind
// already serves with a tls block, nor one that a manual Gateway API
// Gateway's TLS listener on those pods serves on that port; nor may
// plain-text servers clash.
func checkConflictingGateway(r *request, gw *networkingv1.Gateway) ([]violation, error) {
	out := checkPlainTextClashes(r, gw)
	shared := sharedTLSListeners(r.snapshot, gw)
	for i, s := range gw.Spec.Servers {
		if s.GetTls() == nil || s.GetPort() == nil {
			continue
		}
		for j, sh := range s.GetHosts() {
			path := field.NewPath("spec", "servers").Index(i).Child("hosts").Index(j)
			_, host := splitServerHost(sh)
			for _, other := range otherGatewaysOnPort(r, gw, PortKey{Port: s.GetPort().GetNumber(), TLSHost: host}) {
				if theirs, theirHost, ok := conflictingServer(gw, s, sh, other); ok {
					out = append(out, violation{err: withDetail(field.Duplicate(path, sh),
						conflictDetail(gw, s, sh, other, theirs, theirHost)), id: listenerIdentity(s, host, other)})
				}
			}
			out = append(out, kubeGatewayConflicts(shared, s, sh, path)...)
		}
	}
	return out, nil
}

// otherGatewaysOnPort lists, sorted by namespace/name, the Gateways on the
// listener of the same pods (never the selector text); never the Gateway
// under review.
func otherGatewaysOnPort(r *request, gw *networkingv1.Gateway, listener PortKey) []*networkingv1.Gateway {
	return slices.DeleteFunc(gatewaysOnWorkloads(r, r.workloadsOf(gw.Spec.Selector), listener), func(o *networkingv1.Gateway) bool {
		return o.Namespace == gw.Namespace && o.Name == gw.Name
	})
}

// conflictingServer finds the first server of other (a Gateway on the same
// pods, from the index) with a tls block on the same port and bind as s
// that serves host once both ns/ prefixes are stripped.
func conflictingServer(_ *networkingv1.Gateway, s *networking.Server, host string,
	other *networkingv1.Gateway) (*networking.Server, string, bool) {
	_, mine := splitServerHost(host)
	for _, t := range other.Spec.Servers {
		if t.GetTls() == nil || t.GetPort().GetNumber() != s.GetPort().GetNumber() || t.GetBind() != s.GetBind() {
			continue
		}
		for _, th := range t.GetHosts() {
			if _, theirs := splitServerHost(th); theirs == mine {
				return t, th, true
			}
		}
	}
	return nil, "", false
}

// conflictDetail words the conflict by what Istio and Envoy make of it.
func conflictDetail(gw *networkingv1.Gateway, s *networking.Server, host string, other *networkingv1.Gateway,
	theirs *networking.Server, theirHost string) string {
	owner := other.Namespace + "/" + other.Name
	_, h := splitServerHost(host)
	port := uitoa(s.GetPort().GetNumber())
	where := "port " + port
	if s.GetBind() != "" {
		where += " (bind " + s.GetBind() + ")"
	}
	var effect string
	switch {
	case isHTTPProtocol(s) && isHTTPProtocol(theirs):
		effect = "Istio merges plain-HTTP servers into one route table, so which Gateway's tls settings " +
			"(httpsRedirect) apply to the host is undefined"
	case isHTTPProtocol(s) != isHTTPProtocol(theirs) ||
		istioServerHost(host, gw.Namespace) == istioServerHost(theirHost, other.Namespace):
		effect = "Istio keeps the older server and silently skips the other"
	default:
		effect = fmt.Sprintf("the hosts differ only in their namespace part (%q, %q), so Istio's duplicate "+
			"check misses them and Envoy, given two identical TLS matches, rejects the whole listener, taking "+
			"down every host on port %s of these pods", host, theirHost, port)
	}
	return fmt.Sprintf("Gateway %s already serves host %q with a tls block on %s of the same gateway pods %s; "+
		"%s: serve the host from one Gateway only (remove it here, or agree with the owner of %s), or use "+
		"another port", owner, h, where, selectorString(gw.Spec.Selector), effect, owner)
}

// isHTTPProtocol reports a plain-HTTP server port, where a tls block can
// only ask for httpsRedirect.
func isHTTPProtocol(s *networking.Server) bool {
	return classify(s) == classHTTP
}

// istioServerHost is a server host as Istio compares it when it looks for
// duplicates: "./h" is "<gateway namespace>/h", "*/h" is "h", "*/*" is "*".
func istioServerHost(h, gwNamespace string) string {
	ns, host := splitServerHost(h)
	switch ns {
	case "*":
		return host
	case ".":
		return gwNamespace + "/" + host
	}
	return ns + "/" + host
}
