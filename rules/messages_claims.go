package rules

import (
	"fmt"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// objectName names an object for people: its kind, namespace and name.
func objectName(obj client.Object) string {
	return kindOf(obj) + " " + nsName(obj)
}

func nsName(obj client.Object) string { return obj.GetNamespace() + "/" + obj.GetName() }

// kindOf is the kind of an object the rules read, from its Go type: typed
// objects built in code carry no TypeMeta.
func kindOf(obj client.Object) string {
	switch obj.(type) {
	case *networkingv1.VirtualService:
		return string(KindVirtualService)
	case *networkingv1.Gateway, *gatewayv1.Gateway:
		return string(KindGateway)
	case *gatewayv1.ListenerSet:
		return string(KindListenerSet)
	}
	if r, ok := routeOf(obj); ok {
		return string(r.kind)
	}
	return obj.GetObjectKind().GroupVersionKind().Kind
}

// describeListener renders a route claim's route table for people: the
// listener, and for a shared table what shares it.
func describeListener(class serverClass, l listener) string {
	port := uitoa(l.port)
	switch class {
	case classHTTP:
		return "HTTP port " + port + " of listener " + l.section()
	case classHTTPS:
		return "HTTPS listener " + l.section() // a route table of its own
	case classPassthrough:
		return "TLS port " + port + " of listener " + l.section()
	}
	return "TCP listener " + l.section()
}

// msgRouteDuplicate words a duplicate a Gateway API route makes, by how
// Istio resolves it (docs/gateway-api.md#route-tables).
func msgRouteDuplicate(c collision) string {
	owner, ref := objectName(c.other), nsName(c.other)
	switch c.mine.class {
	case classTCP:
		return fmt.Sprintf("%s already routes TCP to %s; Istio sends the listener's traffic to one route only, while "+
			"both report Accepted: use a listener of your own, or ask the owner of %s", c.mine.where(), owner, ref)
	case classPassthrough:
		return fmt.Sprintf("SNI host %q is already routed by %s %s; Istio silently skips the later one, while both "+
			"report Accepted: use a different hostname, or ask the owner of %s", c.mine.host, owner, c.mine.via(), ref)
	}
	return fmt.Sprintf("hostname %q is already claimed by %s %s; Istio merges both into one virtual host, oldest "+
		"first, and the more specific match wins, so either can take the other's paths: use a different hostname "+
		"or a listener of your own, or ask the owner of %s", c.mine.host, owner, c.mine.via(), ref)
}
