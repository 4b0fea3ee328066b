package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"os"
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
	// Plain HTTP to the TLS port gets Go's 400, never an admission.
	resp, err := http.Post("http://"+addr+"/validate", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("plain HTTP got %d, want 400", resp.StatusCode)
	}
}

// TestBadInputThroughTheRealListener sends malformed bodies to the real
// gateguard over TLS: each gets a decodable refusal with a reason and the
// request UID, and gateguard keeps serving.
func TestBadInputThroughTheRealListener(t *testing.T) {
	requireLocalGateguard(t)
	fixtures(t)
	url, _ := env.WebhookURL()
	c := webhookClient()
	cases := []struct {
		name, body string
		code       int32
		reason     string
	}{
		{"empty body", "", 400, "request body is empty"},
		{"not json", "{nope", 400, "couldn't get version/kind"},
		{"10 MiB", strings.Repeat("x", 10<<20), 413, "request entity is too large"},
		{"object of another kind", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"bad-1",` +
			`"kind":{"group":"networking.istio.io","version":"v1","kind":"Gateway"},"operation":"CREATE","namespace":"a",` +
			`"object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}}}`, 400, "the object is ConfigMap, not Gateway.networking.istio.io"},
	}
	for _, tc := range cases {
		resp, err := c.Post(url+"/validate", "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var review struct {
			Response struct {
				UID     string
				Allowed bool
				Status  struct {
					Code    int32
					Message string
				} `json:"status"`
			}
		}
		err = json.NewDecoder(resp.Body).Decode(&review)
		resp.Body.Close()
		r := review.Response
		if err != nil || r.Allowed || r.Status.Code != tc.code || !strings.Contains(r.Status.Message, tc.reason) {
			t.Errorf("%s: %+v (%v), want code %d with %q", tc.name, r, err, tc.code, tc.reason)
		}
		if strings.Contains(tc.body, `"uid":"bad-1"`) && r.UID != "bad-1" {
			t.Errorf("%s: uid %q not echoed", tc.name, r.UID)
		}
	}
	if err := postReview(c, "after-bad-input.example.com"); err != nil {
		t.Errorf("gateguard stopped serving after bad input: %v", err)
	}
}

// TestLogsHoldNoSecretDataOrObjects drives a Secret with a distinctive
// value through every path that touches Secret data — the key check of a
// TLS Gateway and the DELETE handler, which receives the whole Secret —
// then reads gateguard's log: neither the value nor any whole object may
// appear in it.
func TestLogsHoldNoSecretDataOrObjects(t *testing.T) {
	requireLocalGateguard(t)
	fixtures(t)
	const marker = "GATEGUARD-E2E-SECRET-MARKER"
	encoded := base64.StdEncoding.EncodeToString([]byte(marker))
	mustApply(t, "apiVersion: v1\nkind: Secret\nmetadata: {name: marker-cert, namespace: istio-system}\ntype: Opaque\n"+
		"data: {tls.crt: "+encoded+", tls.key: "+encoded+"}\n")
	eventuallyApply(t, httpsGateway("team-b", "marker", "marker.example.com", "marker-cert"))
	kubectl(t, "", "delete", "secret", "-n", "istio-system", "marker-cert")
	mustDeny(t, httpsGateway("team-b", "marker-2", "marker-2.example.com", "marker-cert"), "[missing-credential]")
	logText, err := os.ReadFile(env.Gateguard.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{marker, encoded, `"spec":`, `"data":`, "apiVersion"} {
		if strings.Contains(string(logText), leak) {
			t.Errorf("gateguard's log contains %q", leak)
		}
	}
}
