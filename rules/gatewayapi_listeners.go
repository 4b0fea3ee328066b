package rules

import (
	"strings"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// listener is one listener of a Gateway or of a ListenerSet, as written.
type listener struct {
	// owner is the *gatewayv1.Gateway or *gatewayv1.ListenerSet that lists it.
	owner    client.Object
	name     string
	hostname string // lower-cased; "" matches every hostname
	port     uint32
	protocol gatewayv1.ProtocolType
	tls      *gatewayv1.ListenerTLSConfig
	allowed  *gatewayv1.AllowedRoutes
	path     *field.Path // spec.listeners[i] of owner
}

// gatewayListeners lists a Gateway's own listeners.
func gatewayListeners(gw *gatewayv1.Gateway) []listener {
	return specListeners(gw, gw.Spec.Listeners)
}

// listenerSetListeners lists a ListenerSet's listeners: a ListenerEntry
// has exactly a Listener's fields, so it converts to one.
func listenerSetListeners(ls *gatewayv1.ListenerSet) []listener {
	entries := make([]gatewayv1.Listener, len(ls.Spec.Listeners))
	for i, e := range ls.Spec.Listeners {
		entries[i] = gatewayv1.Listener(e)
	}
	return specListeners(ls, entries)
}

// specListeners lists the listeners owner writes under spec.listeners.
func specListeners(owner client.Object, specs []gatewayv1.Listener) []listener {
	out := make([]listener, len(specs))
	for i, l := range specs {
		out[i] = listener{owner: owner, name: string(l.Name), hostname: lowerHostname(l.Hostname), port: uint32(l.Port),
			protocol: l.Protocol, tls: l.TLS, allowed: l.AllowedRoutes, path: field.NewPath("spec", "listeners").Index(i)}
	}
	return out
}

func lowerHostname(h *gatewayv1.Hostname) string {
	if h == nil {
		return ""
	}
	return strings.ToLower(string(*h))
}

// section names the listener for people: "ns/owner/listener".
func (l listener) section() string {
	return l.owner.GetNamespace() + "/" + l.owner.GetName() + "/" + l.name
}

// terminates reports whether the listener terminates TLS with certificates
// (HTTPS, or TLS in Terminate mode, the default mode).
func (l listener) terminates() bool {
	if l.tls == nil || (l.protocol != gatewayv1.HTTPSProtocolType && l.protocol != gatewayv1.TLSProtocolType) {
		return false
	}
	return l.tls.Mode == nil || *l.tls.Mode == gatewayv1.TLSModeTerminate
}

// certRef is one certificateRef to a Secret, resolved, and where it is written.
type certRef struct {
	key  types.NamespacedName
	path *field.Path
}

// certificateRefs lists the Secrets a terminating listener reads; refs
// default to the namespace of the object that lists the listener, not to
// where the pods run (docs/gateway-api.md#certificate-references).
func (l listener) certificateRefs(namespace string) []certRef {
	if !l.terminates() {
		return nil
	}
	var out []certRef
	for i, ref := range l.tls.CertificateRefs {
		if (ref.Group != nil && *ref.Group != "") || (ref.Kind != nil && *ref.Kind != "Secret") {
			continue
		}
		ns := namespace
		if ref.Namespace != nil {
			ns = string(*ref.Namespace)
		}
		out = append(out, certRef{types.NamespacedName{Namespace: ns, Name: string(ref.Name)},
			l.path.Child("tls", "certificateRefs").Index(i)})
	}
	return out
}

// listenerSetParent is the Gateway a ListenerSet asks to join.
func listenerSetParent(ls *gatewayv1.ListenerSet) types.NamespacedName {
	ns := ls.Namespace
	if ls.Spec.ParentRef.Namespace != nil {
		ns = string(*ls.Spec.ParentRef.Namespace)
	}
	return types.NamespacedName{Namespace: ns, Name: string(ls.Spec.ParentRef.Name)}
}

// manualServices lists the Services a manual Gateway's Hostname addresses
// name; a managed Gateway (no Hostname address) names none and gets pods
// of its own (docs/gateway-api.md#managed-and-manual-gateways).
func manualServices(gw *gatewayv1.Gateway) []types.NamespacedName {
	var out []types.NamespacedName
	for _, a := range gw.Spec.Addresses {
		if a.Type == nil || *a.Type != gatewayv1.HostnameAddressType {
			continue
		}
		name, rest, _ := strings.Cut(a.Value, ".")
		ns, _, _ := strings.Cut(rest, ".")
		if ns == "" {
			ns = gw.Namespace
		}
		if ns == gw.Namespace { // Istio binds only Services in the Gateway's namespace
			out = append(out, types.NamespacedName{Namespace: ns, Name: name})
		}
	}
	return out
}

func serviceKeys(keys []types.NamespacedName) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.String()
	}
	return uniqueSorted(out)
}

// isIstioGateway reports whether Istio programs the Gateway: its class's
// controller is Istio's. A class not in view counts when it is named
// "istio", the class istiod creates itself.
func isIstioGateway(snap Snapshot, gw *gatewayv1.Gateway) bool {
	name := string(gw.Spec.GatewayClassName)
	if class := snap.GatewayClass(name); class != nil {
		return string(class.Spec.ControllerName) == IstioGatewayController
	}
	return name == "istio"
}

// gatewayWorkloadsOf names the route-table owners of a Gateway API
// Gateway's listeners: its own pods when managed; when manual, the pods
// its Services select, keyed as a classic Gateway's are so that the two
// APIs share route tables on shared pods, or the Service while its pods
// are unseen.
func gatewayWorkloadsOf(snap Snapshot, gw *gatewayv1.Gateway) []string {
	services := manualServices(gw)
	if len(services) == 0 {
		return []string{"managed:" + gw.Namespace + "/" + gw.Name}
	}
	var out []string
	for _, svc := range services {
		selector, ok := snap.ServiceSelector(svc)
		sets := snap.GatewayPodLabelSets(selector)
		if !ok || len(selector) == 0 || len(sets) == 0 {
			out = append(out, "service:"+svc.String())
			continue
		}
		for _, s := range sets {
			out = append(out, "pods:"+s)
		}
	}
	return uniqueSorted(out)
}
