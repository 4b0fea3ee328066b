package rules

import (
	"testing"
)

// BenchmarkValidateGateway measures one admission of a Gateway on the
// pods that benchCluster's benchGateways Gateways share, with a plain-HTTP
// port 80 (which they all serve) and an HTTPS host of its own: the
// listener checks must not grow with the Gateways on the port.
func BenchmarkValidateGateway(b *testing.B) {
	snap := benchCluster(b, 1000)
	mustAdd(b, snap, secret("istio-system", "new-cert", "tls.crt", "tls.key"))
	p := DefaultPolicy()
	gw := gateway("istio-system", "new", ingressSelector,
		httpsServer(443, "https-new", simpleTLS("new-cert"), "*.new.example.com"), server("HTTP", 80, "http", "*.new.example.com"))
	b.Run("unique", func(b *testing.B) { benchValidate(b, p, snap, gw, 0) })
	clash := gateway("istio-system", "new-tcp", ingressSelector, tcpServer(80, "*"))
	b.Run("plain-text-clash", func(b *testing.B) { benchValidate(b, p, snap, clash, benchGateways) })
}
