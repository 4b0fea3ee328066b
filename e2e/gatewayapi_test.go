package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// TestGatewayAPIDuplicateHost: another namespace's HTTPRoute on a hostname
// of the shared listener is denied, naming the owner; the owner's own
// namespace may split the hostname by path; a server dry run decides the
// same and writes nothing.
func TestGatewayAPIDuplicateHost(t *testing.T) {
	gatewayAPI(t)
	mustApply(t, route{namespace: "gw-shop", name: "shop", hostnames: []string{"shop.example.net"}}.yaml())
	hijack := route{namespace: "gw-ads", name: "shop-admin", hostnames: []string{"shop.example.net"}, path: "/admin"}.yaml()
	real := eventuallyDenied(t, hijack, duplicateHostDenial)
	dry := apply(t, hijack, "--dry-run=server")
	if dry.exitCode == 0 || dry.stderr != real.stderr {
		t.Errorf("the dry run decided differently:\n dry: %s\nreal: %s", dry.stderr, real.stderr)
	}
	// v1beta1, which the CRD also serves, reaches the same rules.
	beta := apply(t, strings.Replace(hijack, "gateway.networking.k8s.io/v1\n", "gateway.networking.k8s.io/v1beta1\n", 1))
	if beta.exitCode == 0 || beta.stderr != real.stderr {
		t.Errorf("v1beta1 decided differently:\nv1beta1: %s\n     v1: %s", beta.stderr, real.stderr)
	}
	split := route{namespace: "gw-shop", name: "shop-api", hostnames: []string{"shop.example.net"}, path: "/api"}.yaml()
	if res := apply(t, split, "--dry-run=server"); res.exitCode != 0 ||
		!strings.Contains(res.stdout, "httproute.gateway.networking.k8s.io/shop-api created (server dry run)") {
		t.Errorf("dry run of the same namespace's split: exit %d\n%s%s", res.exitCode, res.stdout, res.stderr)
	}
	for _, name := range []string{"gw-ads/shop-admin", "gw-shop/shop-api"} {
		if kubeObjectExists(t, "httproute", name) {
			t.Errorf("HTTPRoute %s is stored after a denial or a dry run", name)
		}
	}
	mustApply(t, split)
}

// duplicateHostDenial is what kubectl prints for TestGatewayAPIDuplicateHost's hijack.
const duplicateHostDenial = `The HTTPRoute "shop-admin" is invalid: spec.hostnames[0]: Duplicate value: "shop.example.net": ` +
	`[duplicate-host] hostname "shop.example.net" is already claimed by HTTPRoute gw-shop/shop on HTTP port 80 of ` +
	`listener gw-infra/shared/http; Istio merges both into one virtual host, oldest first, and the more specific ` +
	`match wins, so either can take the other's paths: use a different hostname or a listener of your own, or ask ` +
	`the owner of gw-shop/shop`

// TestGatewayAPIConflictingGateway: a ListenerSet listener on the port and
// hostname of its Gateway's own listener, which Istio would drop.
func TestGatewayAPIConflictingGateway(t *testing.T) {
	gatewayAPI(t)
	eventuallyDenied(t, `apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: http-again, namespace: gw-ads}
spec:
  parentRef: {name: shared, namespace: gw-infra}
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    hostname: "*.example.net"
`, `The ListenerSet "http-again" is invalid: spec.listeners[0]: Invalid value: "http": [conflicting-gateway] `+
		`listener "http" (HTTP, port 80, hostname "*.example.net") conflicts with Gateway gw-infra/shared listener `+
		`http (HTTP, port 80, hostname "*.example.net"), merged before it (a Gateway's own listeners first, then its `+
		`ListenerSets, oldest first): Istio marks this one Conflicted (HostnameConflict) and does not program it: `+
		`use another port or hostname`)
}

// TestGatewayAPIMissingCredential: an HTTPS listener whose certificateRef
// names no Secret is denied at that ref; once the Secret exists, admitted.
func TestGatewayAPIMissingCredential(t *testing.T) {
	gatewayAPI(t)
	gateway := httpsKubeGateway("gw-infra", "secure", "secure.example.net", "secure-cert")
	mustDeny(t, gateway, `The Gateway "secure" is invalid: spec.listeners[0].tls.certificateRefs[0]: Not found: `+
		`"secure-cert": [missing-credential] Secret "secure-cert" does not exist in namespace gw-infra (a `+
		`certificateRef without a namespace reads the namespace of Gateway gw-infra/secure, not where the gateway `+
		`pods run): create it there or fix the certificateRef; until then Istio rejects the certificate, and the `+
		`listener gw-infra/secure/https with it when it has no other`)
	mustApply(t, tlsSecret("gw-infra", "secure-cert"))
	eventuallyApply(t, gateway)
}

// TestGatewayAPIReferenceGrant: a backendRef into another namespace is
// denied until a ReferenceGrant there permits it.
func TestGatewayAPIReferenceGrant(t *testing.T) {
	gatewayAPI(t)
	ads := route{namespace: "gw-ads", name: "ads", hostnames: []string{"ads.example.net"}, backend: "gw-shop/catalog"}.yaml()
	mustDeny(t, ads, `The HTTPRoute "ads" is invalid: spec.rules[0].backendRefs[0]: Forbidden: [reference-grant] `+
		`HTTPRoute gw-ads/ads refers to Service gw-shop/catalog in another namespace, and no ReferenceGrant in `+
		`gw-shop permits it, so Istio drops this backend and answers 500 to the requests it would have taken: `+
		`create a ReferenceGrant in namespace gw-shop with from {group: gateway.networking.k8s.io, kind: HTTPRoute, `+
		`namespace: gw-ads} and to {group: "", kind: Service, name: catalog}, or refer to an object of namespace gw-ads`)
	mustApply(t, `apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: ads-to-catalog, namespace: gw-shop}
spec:
  from:
  - {group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: gw-ads}
  to:
  - {group: "", kind: Service, name: catalog}
`)
	eventuallyApply(t, ads)
	// Deleting the grant the route relies on: admitted, with a warning.
	want := `Warning: metadata.name: Forbidden: [secret-in-use] this ReferenceGrant is the only one that permits ` +
		`HTTPRoute gw-ads/ads (backend Service gw-shop/catalog); once it is deleted Istio rejects those references (a ` +
		`certificate, and with it a listener that has no other; a backend, whose share of the traffic then fails): ` +
		`keep it, or add a grant that permits them first`
	warnedDelete(t, "referencegrant", "gw-shop", "ads-to-catalog", want)
}

// TestGatewayAPIUnknownGateway: a parentRef to a Gateway that does not
// exist is admitted with a warning.
func TestGatewayAPIUnknownGateway(t *testing.T) {
	gatewayAPI(t)
	res := mustApply(t, route{namespace: "gw-shop", name: "lost", parent: "gw-infra/sharde", hostnames: []string{"lost.example.net"}}.yaml())
	want := `Warning: spec.parentRefs[0]: Not found: "Gateway/gw-infra/sharde": [unknown-gateway] Gateway gw-infra/sharde does ` +
		`not exist, so Istio attaches this HTTPRoute to nothing there: create it or fix the parentRef`
	if !strings.Contains(res.stderr, want) {
		t.Errorf("kubectl did not print %q:\n%s", want, res.stderr)
	}
}

// TestGatewayAPIHostNotInGateway: a hostname no listener of the parent
// serves is admitted with a warning naming the listeners.
func TestGatewayAPIHostNotInGateway(t *testing.T) {
	gatewayAPI(t)
	res := mustApply(t, route{namespace: "gw-shop", name: "elsewhere", hostnames: []string{"shop.example.org"}}.yaml())
	want := `Warning: spec.parentRefs[0]: Invalid value: "Gateway/gw-infra/shared": [host-not-in-gateway] none of the ` +
		`hostnames ["shop.example.org"] intersects the hostname of a listener of Gateway gw-infra/shared that this ` +
		`parentRef reaches (http port 80 "*.example.net"), so Istio attaches this HTTPRoute to none of them ` +
		`(NoMatchingListenerHostname): use a hostname a listener serves, or have the owner of Gateway ` +
		`gw-infra/shared add a listener for it`
	if !strings.Contains(res.stderr, want) {
		t.Errorf("kubectl did not print %q:\n%s", want, res.stderr)
	}
}

// TestGatewayAPIWildcardHost: a hostname covering a whole public suffix,
// which the CRD's pattern lets through.
func TestGatewayAPIWildcardHost(t *testing.T) {
	gatewayAPI(t)
	mustDeny(t, route{namespace: "gw-shop", name: "all-of-uk", hostnames: []string{"*.co.uk"}}.yaml(),
		`The HTTPRoute "all-of-uk" is invalid: spec.hostnames[0]: Invalid value: "*.co.uk": [wildcard-host] "*.co.uk" `+
			`covers every name under the public suffix "co.uk"; use a wildcard under a domain you own`)
}

// TestGatewayAPIHostOwnership: under a policy that gives pay.example.net
// to namespace gw-pay, another namespace's route on it is denied and
// gw-pay's admitted. The suite's policy has no owners (they would take
// "*" from the classic tests), so this test serves its own for a while.
func TestGatewayAPIHostOwnership(t *testing.T) {
	requireLocalGateguard(t)
	gatewayAPI(t)
	intruder := route{namespace: "gw-ads", name: "pay", hostnames: []string{"pay.example.net"}}.yaml()
	t.Cleanup(func() {
		writePolicy(t, e2ePolicy)
		// Another hostname than gw-pay's, which the suite's policy leaves to anyone.
		probe := route{namespace: "gw-ads", name: "pay", hostnames: []string{"cart.pay.example.net"}}.yaml()
		eventually(t, func() error { // the suite's policy is back in force
			if res := apply(t, probe, "--dry-run=server"); res.exitCode != 0 {
				return fmt.Errorf("the test policy still decides: %s", res.stderr)
			}
			return nil
		})
	})
	writePolicy(t, e2ePolicy+"hostOwnership:\n- namespaces: [gw-pay]\n  domains: [pay.example.net, \"*.pay.example.net\"]\n")
	eventuallyDenied(t, intruder, `The HTTPRoute "pay" is invalid: spec.hostnames[0]: Forbidden: [host-ownership] host `+
		`"pay.example.net" is under "pay.example.net", which the policy gives to namespaces gw-pay; use a host `+
		`of your own, or ask that team`)
	mustApply(t, route{namespace: "gw-pay", name: "pay", hostnames: []string{"pay.example.net"}}.yaml())
}

// TestGatewayAPISecretInUse: deleting the Secret a listener's
// certificateRef names succeeds, with a warning naming the Gateway.
func TestGatewayAPISecretInUse(t *testing.T) {
	gatewayAPI(t)
	mustApply(t, tlsSecret("gw-infra", "inuse-cert"))
	eventuallyApply(t, httpsKubeGateway("gw-infra", "inuse", "inuse.example.net", "inuse-cert"))
	want := `Warning: metadata.name: Forbidden: [secret-in-use] Secret gw-infra/inuse-cert is a certificateRef of ` +
		`Gateway gw-infra/inuse listener https; deleting it makes Istio reject the certificate, and each listener with ` +
		`no other: remove the certificateRefs first, or update the Secret in place instead of deleting it`
	warnedDelete(t, "secret", "gw-infra", "inuse-cert", want)
}

// TestGatewayAPIDefaultLabels: the policy's default label is added to an
// HTTPRoute that lacks it, and a second apply stores nothing new. (kubectl
// says "configured" either way: its JSON merge patch sends every list the
// apiserver defaulted fields into.)
func TestGatewayAPIDefaultLabels(t *testing.T) {
	gatewayAPI(t)
	r := route{namespace: "gw-shop", name: "labelled", hostnames: []string{"labelled.example.net"}}.yaml()
	mustApply(t, r)
	get := func() string {
		return kubectl(t, "", "get", "httproute", "-n", "gw-shop", "labelled", "-o",
			`jsonpath={.metadata.labels} {.metadata.resourceVersion}`).stdout
	}
	first := get()
	labels, _, _ := strings.Cut(first, " ")
	if want := `{"gateguard.dev/defaulted":"true"}`; labels != want {
		t.Errorf("labels = %s, want %s", labels, want)
	}
	mustApply(t, r)
	if again := get(); again != first {
		t.Errorf("the second apply changed the route: labels and resourceVersion %s, then %s", first, again)
	}
}

// kubeObjectExists reports whether kubectl finds the namespace/name of a resource.
func kubeObjectExists(t *testing.T, resource, name string) bool {
	t.Helper()
	ns, n, _ := strings.Cut(name, "/")
	res := kubectl(t, "", "get", resource, "-n", ns, n, "--ignore-not-found", "-o", "name")
	if res.exitCode != 0 {
		t.Fatalf("kubectl get %s %s: %s", resource, name, res.stderr)
	}
	return strings.TrimSpace(res.stdout) != ""
}
