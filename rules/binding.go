package rules

import (
	"strconv"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// serverClass is how Istio routes a Gateway server's traffic.
type serverClass int

const (
	classHTTP        serverClass = iota // plain HTTP: one route table per pods+port
	classHTTPS                          // TLS terminated HTTP: a route table per server
	classPassthrough                    // TLS passthrough: SNI routing per pods+port
	classTCP                            // TCP (and TLS terminated to TCP) per pods+port
)

// classify maps a server's protocol and TLS mode to its routing class.
func classify(s *networking.Server) serverClass {
	passthrough := s.GetTls() != nil && (s.GetTls().GetMode() == networking.ServerTLSSettings_PASSTHROUGH ||
		s.GetTls().GetMode() == networking.ServerTLSSettings_AUTO_PASSTHROUGH)
	switch strings.ToUpper(s.GetPort().GetProtocol()) {
	case "HTTP", "HTTP2", "GRPC", "GRPC-WEB":
		return classHTTP
	case "HTTPS":
		if passthrough {
			return classPassthrough
		}
		return classHTTPS
	case "TLS":
		if passthrough {
			return classPassthrough
		}
	}
	return classTCP
}

// claim is one route-table entry a VirtualService would create.
type claim struct {
	scope string      // route table identity; equal scopes share a table
	host  string      // lower-cased virtual host or SNI; "" for TCP
	path  *field.Path // the field that makes the claim
	ref   GatewayRef  // the gateway (zero on the mesh)
	mesh  bool
	class serverClass
	// gw and server made the claim (nil on the mesh and for routes); what
	// is said of them for people and for TCP lookups is derived only when
	// asked, since most claims collide with nothing.
	gw       *networkingv1.Gateway
	server   *networking.Server
	workload workload // the pods of gw the claim is on
	// listener made a Gateway API route's claim on kubeGateway (nil for
	// VirtualServices).
	listener    *listener
	kubeGateway *gatewayv1.Gateway
}

// where names the claim's route table for people.
func (c claim) where() string {
	switch {
	case c.mesh:
		return "the mesh"
	case c.listener != nil:
		return describeListener(c.class, *c.listener)
	}
	return describeScope(c.class, c.gw, c.server)
}

// claimsOf lists the route-table entries vs would create (docs/istio-behaviour.md#route-tables).
func claimsOf(policy *Policy, snap Snapshot, vs *networkingv1.VirtualService) []claim {
	refs, mesh := gatewayRefs(vs.Spec.Gateways, vs.Namespace)
	var out []claim
	seen := map[string]bool{}
	add := func(c claim) {
		if k := c.scope + "|" + c.host; !seen[k] {
			seen[k] = true
			out = append(out, c)
		}
	}
	hostsPath := field.NewPath("spec", "hosts")
	if mesh {
		for i, h := range vs.Spec.Hosts {
			add(claim{scope: meshGateway, host: strings.ToLower(fqdn(h, vs.Namespace)), path: hostsPath.Index(i),
				mesh: true})
		}
	}
	exports := exportSetOf(vs.Spec.ExportTo, vs.Namespace)
	for _, ref := range refs {
		gw := snap.Gateway(ref)
		if gw == nil || !exports.visibleInAny(podNamespaces(policy, snap, gw).namespaces) {
			continue
		}
		for _, w := range gatewayWorkloads(policy, snap, gw.Spec.Selector) {
			for _, s := range gw.Spec.Servers {
				for _, c := range serverClaims(vs, gw, s, w) {
					c.ref = ref
					add(c)
				}
			}
		}
	}
	return out
}

// serverClaims lists what vs claims on one server of gw, on workload.
func serverClaims(vs *networkingv1.VirtualService, gw *networkingv1.Gateway, s *networking.Server, w workload) []claim {
	class := classify(s)
	port := s.GetPort().GetNumber()
	base := claim{class: class, scope: scopeOf(class, gw, s, w.key), gw: gw, server: s, workload: w}
	var out []claim
	bind := func(host string, path *field.Path) {
		for _, sh := range s.GetHosts() {
			nsPart, serverHost := splitServerHost(sh)
			if !serverAdmitsNamespace(nsPart, gw.Namespace, vs.Namespace) {
				continue
			}
			if eff, ok := bindHost(host, serverHost); ok {
				c := base
				c.host, c.path = strings.ToLower(eff), path
				out = append(out, c)
				return
			}
		}
	}
	hostsPath := field.NewPath("spec", "hosts")
	switch {
	case (class == classHTTP || class == classHTTPS) && len(vs.Spec.Http) > 0:
		for i, h := range vs.Spec.Hosts {
			bind(fqdn(h, vs.Namespace), hostsPath.Index(i))
		}
	case class == classPassthrough && len(vs.Spec.Tls) > 0:
		forEachSNIHost(vs, func(h string, p *field.Path) { bind(h, p) })
	case class == classTCP && len(vs.Spec.Tcp) > 0 && tcpMatchesPort(vs, port):
		for i, h := range vs.Spec.Hosts {
			bind(fqdn(h, vs.Namespace), hostsPath.Index(i))
		}
		for i := range out {
			out[i].host, out[i].path = "", field.NewPath("spec", "tcp")
		}
	}
	return out
}

// forEachSNIHost visits the SNI hosts of the TLS routes; a match without
// sniHosts falls back to the VirtualService's hosts (short names expanded,
// as istiod stores them), as in Istio. sniHosts themselves are not expanded.
func forEachSNIHost(vs *networkingv1.VirtualService, visit func(string, *field.Path)) {
	for j, route := range vs.Spec.Tls {
		for k, m := range route.GetMatch() {
			for l, sni := range m.GetSniHosts() {
				visit(sni, field.NewPath("spec", "tls").Index(j).Child("match").Index(k).Child("sniHosts").Index(l))
			}
			if len(m.GetSniHosts()) == 0 {
				for i, h := range vs.Spec.Hosts {
					visit(fqdn(h, vs.Namespace), field.NewPath("spec", "hosts").Index(i))
				}
			}
		}
	}
}

// tcpMatchesPort reports whether some TCP route applies to port: a route
// without a port match applies to every port.
func tcpMatchesPort(vs *networkingv1.VirtualService, port uint32) bool {
	for _, r := range vs.Spec.Tcp {
		if len(r.GetMatch()) == 0 {
			return true
		}
		for _, m := range r.GetMatch() {
			if m.GetPort() == 0 || m.GetPort() == port {
				return true
			}
		}
	}
	return false
}

// scopeOf names the route table a server's routes land in: shared by the
// gateway pods and port for plain HTTP, SNI and TCP; one per server for
// terminated HTTPS.
func scopeOf(class serverClass, gw *networkingv1.Gateway, s *networking.Server, workload string) string {
	port := uitoa(s.GetPort().GetNumber())
	if class == classHTTPS {
		return "https|" + gw.Namespace + "/" + gw.Name + "|" + port + "|" + s.GetPort().GetName()
	}
	return sharedScope(class, workload, port, s.GetBind())
}

// sharedScope names a route table the pods and port share (plain HTTP,
// SNI, TCP), in the one form both APIs key it by, so that a route and a
// VirtualService on the same pods meet in it.
func sharedScope(class serverClass, workload, port, bind string) string {
	shared := workload + "|" + port + "|" + bind
	switch class {
	case classHTTP:
		return "http|" + shared
	case classPassthrough:
		return "tls|" + shared
	}
	return "tcp|" + shared
}

// describeScope renders a route table for messages.
func describeScope(class serverClass, gw *networkingv1.Gateway, s *networking.Server) string {
	port := uitoa(s.GetPort().GetNumber())
	pods := "gateway pods " + selectorString(gw.Spec.Selector)
	if len(gw.Spec.Selector) == 0 {
		pods = "every gateway pod"
	}
	switch class {
	case classHTTP:
		return "HTTP port " + port + " of " + pods
	case classHTTPS:
		return "HTTPS server " + port + "/" + s.GetPort().GetName() // a route table of its own
	case classPassthrough:
		return "TLS passthrough port " + port + " of " + pods
	}
	return "TCP port " + port + " of " + pods
}

func selectorString(sel map[string]string) string {
	if len(sel) == 0 {
		return "(all gateway pods)"
	}
	return "{" + workloadKey(sel) + "}"
}

func uitoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }
