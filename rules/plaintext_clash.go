package rules

import (
	"fmt"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// checkPlainTextClashes: a plain-text server may not share a port and bind
// of the same pods with another Gateway's plain-text server when Istio
// cannot merge the two protocols (TCP with HTTP, TCP with TCP), whatever
// their hosts: Istio keeps the older and silently drops the other
// (docs/istio-behaviour.md#conflicting-gateways).
func checkPlainTextClashes(r *request, gw *networkingv1.Gateway) []violation {
	var out []violation
	for i, s := range gw.Spec.Servers {
		if s.GetPort() == nil || !isPlainText(s) {
			continue
		}
		// an HTTP server clashes only with the others' non-HTTP servers
		listener := PortKey{Port: s.GetPort().GetNumber(), NonHTTP: mergesAsHTTP(s)}
		for _, other := range otherGatewaysOnPort(r, gw, listener) {
			if theirs, ok := clashingServer(s, other); ok {
				path := field.NewPath("spec", "servers").Index(i).Child("port")
				out = append(out, violation{err: field.Forbidden(path, msgPlainTextClash(gw, s, other, theirs)),
					id: listenerIdentity(s, "", other)})
			}
		}
	}
	return out
}

// clashingServer finds the first plain-text server of other on s's port
// and bind whose protocol cannot merge with s's.
func clashingServer(s *networking.Server, other *networkingv1.Gateway) (*networking.Server, bool) {
	for _, t := range other.Spec.Servers {
		if isPlainText(t) && t.GetPort().GetNumber() == s.GetPort().GetNumber() && t.GetBind() == s.GetBind() &&
			!(mergesAsHTTP(s) && mergesAsHTTP(t)) {
			return t, true
		}
	}
	return nil, false
}

// isPlainText is Istio's !IsTLSServer: no tls block, or an HTTP protocol,
// where a tls block only asks for httpsRedirect.
func isPlainText(s *networking.Server) bool {
	return s.GetTls() == nil || mergesAsHTTP(s)
}

// mergesAsHTTP reports whether a server's protocol is one of Istio's HTTP ones.
func mergesAsHTTP(s *networking.Server) bool {
	return httpProtocol(s.GetPort().GetProtocol())
}

// httpProtocol is Istio's protocol.IsHTTP: only these plain-text protocols
// merge on one port (canMergeProtocols).
func httpProtocol(protocol string) bool {
	switch strings.ToUpper(protocol) {
	case "HTTP", "HTTP2", "HTTP_PROXY", "GRPC", "GRPC-WEB":
		return true
	}
	return false
}

// msgPlainTextClash words a clash by what Istio makes of it.
func msgPlainTextClash(gw *networkingv1.Gateway, s *networking.Server, other *networkingv1.Gateway,
	theirs *networking.Server) string {
	owner := other.Namespace + "/" + other.Name
	where := "port " + uitoa(s.GetPort().GetNumber())
	if s.GetBind() != "" {
		where += " (bind " + s.GetBind() + ")"
	}
	return fmt.Sprintf("Gateway %s already serves plain-text %s on %s of the same gateway pods %s; Istio cannot "+
		"merge %s with %s on one port and bind, so it keeps the older server and silently drops the other, whatever "+
		"the hosts: use another port or bind, or agree with the owner of %s", owner,
		strings.ToUpper(theirs.GetPort().GetProtocol()), where, selectorString(gw.Spec.Selector),
		strings.ToUpper(s.GetPort().GetProtocol()), strings.ToUpper(theirs.GetPort().GetProtocol()), owner)
}
