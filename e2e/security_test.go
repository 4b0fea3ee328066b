package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"strings"
	"testing"
	"time"
)

// TestTLSListenerRefusesOldVersionsAndHTTP2 dials gateguard's webhook
// port: TLS 1.1 is refused, TLS 1.2 is served, and a client offering h2
// gets HTTP/1.1, since HTTP/2 is off unless --enable-http2.
func TestTLSListenerRefusesOldVersionsAndHTTP2(t *testing.T) {
	requireLocalGateguard(t)
	url, caPEM := env.WebhookURL()
	addr := strings.TrimPrefix(url, "https://")
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	dial := func(cfg *tls.Config) (*tls.Conn, error) {
		cfg.RootCAs, cfg.ServerName = pool, "127.0.0.1"
		return tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	}
	if conn, err := dial(&tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}); err == nil {
		conn.Close()
		t.Error("a TLS 1.1 handshake succeeded")
	}
	conn, err := dial(&tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}})
	if err != nil {
		t.Fatalf("TLS 1.2 handshake: %v", err)
	}
	defer conn.Close()
	if proto := conn.ConnectionState().NegotiatedProtocol; proto == "h2" {
		t.Errorf("negotiated %q; HTTP/2 must be off by default", proto)
	}
}
