package e2e

import (
	"strings"
	"testing"
)

// TestConflictingGatewayNamespacePrefixes: ns1/foo vs ns2/foo on one TLS
// port of the same pods, the case Istio's own check misses.
func TestConflictingGatewayNamespacePrefixes(t *testing.T) {
	fixtures(t)
	mustApply(t, tlsSecret("istio-system", "conflict-cert"))
	eventuallyApply(t, httpsGateway("team-a", "conflict-a", "team-a/conflict.example.com", "conflict-cert"))
	mustDeny(t, httpsGateway("team-b", "conflict-b", "team-b/conflict.example.com", "conflict-cert"),
		`spec.servers[0].hosts[0]: Duplicate value: "team-b/conflict.example.com": [conflicting-gateway] Gateway `+
			`team-a/conflict-a already serves host "conflict.example.com" with a tls block on port 443`,
		"Envoy, given two identical TLS matches, rejects the whole listener")
}

// TestBrokenReferencesWarn: a VirtualService bound to a Gateway that does
// not exist, or that does not expose its host, is admitted with a warning.
func TestBrokenReferencesWarn(t *testing.T) {
	fixtures(t)
	res := mustApply(t, vsYAML("team-a", "lost", "lost.example.com", "istio-system/Public"))
	want := `Warning: spec.gateways[0]: Not found: "istio-system/Public": [unknown-gateway] Gateway istio-system/Public ` +
		`does not exist, so Istio binds this VirtualService to nothing there: references are case-sensitive: did you mean istio-system/public?`
	if !strings.Contains(res.stderr, want) {
		t.Errorf("kubectl did not print %q:\n%s", want, res.stderr)
	}
	// internal serves only *.example.com (public's TCP "*" server would
	// expose every host, as Istio's IST0132 ignores the protocol).
	res = mustApply(t, vsYAML("team-a", "elsewhere", "shop.example.org", "istio-system/internal"))
	want = `Warning: spec.gateways[0]: Invalid value: "istio-system/internal": [host-not-in-gateway] Gateway ` +
		`istio-system/internal exposes none of the hosts ["shop.example.org"] to namespace team-a (its server hosts: ` +
		`["*.example.com"])`
	if !strings.Contains(res.stderr, want) {
		t.Errorf("kubectl did not print %q:\n%s", want, res.stderr)
	}
}

// TestDeletingAnInUseSecretWarns: kubectl delete of a Secret a Gateway
// reads succeeds (warn by default) and names the Gateway.
func TestDeletingAnInUseSecretWarns(t *testing.T) {
	fixtures(t)
	mustApply(t, tlsSecret("istio-system", "inuse-cert"))
	eventuallyApply(t, httpsGateway("team-a", "inuse", "inuse.example.com", "inuse-cert"))
	want := `Warning: metadata.name: Forbidden: [secret-in-use] Secret istio-system/inuse-cert is the TLS credential of ` +
		`Gateway team-a/inuse, whose gateway pods read it from istio-system`
	warnedDelete(t, "secret", "istio-system", "inuse-cert", want)
}
