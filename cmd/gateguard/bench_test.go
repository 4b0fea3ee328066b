package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkCheck10k checks 10,000 objects (1,000 Gateways, 9,000
// VirtualServices with unique hosts, 1 in 100 a duplicate) read from
// files, as `gateguard check -f DIR -o json` does.
func BenchmarkCheck10k(b *testing.B) {
	dir := b.TempDir()
	writeBenchManifests(b, dir, 1000, 9)
	args := []string{"check", "-o", "json", "-f", dir}
	b.ResetTimer()
	for b.Loop() {
		err := run(context.Background(), args, strings.NewReader(""), io.Discard, io.Discard)
		if code := exitCode(err, io.Discard); code != 1 {
			b.Fatalf("exit code %d, want 1 (some duplicates are denied)", code)
		}
	}
}

// writeBenchManifests writes gateways files, each with one Gateway and
// vsPerGateway VirtualServices.
func writeBenchManifests(b *testing.B, dir string, gateways, vsPerGateway int) {
	b.Helper()
	for g := range gateways {
		var sb strings.Builder
		fmt.Fprintf(&sb, `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw-%d, namespace: ns-%d}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*.apps-%d.example.com"]
`, g, g, g)
		for v := range vsPerGateway {
			host := fmt.Sprintf("svc-%d.apps-%d.example.com", v, g)
			if (g*vsPerGateway+v)%100 == 99 {
				host = fmt.Sprintf("svc-0.apps-%d.example.com", g) // a duplicate, denied
			}
			fmt.Fprintf(&sb, `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs-%d, namespace: ns-%d}
spec:
  hosts: [%q]
  gateways: [gw-%d]
  http:
  - route:
    - destination: {host: svc-%d}
`, v, g, host, g, v)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("app-%04d.yaml", g)), []byte(sb.String()), 0o600); err != nil {
			b.Fatal(err)
		}
	}
}
