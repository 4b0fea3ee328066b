package e2e

import (
	"cmp"
	"fmt"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The Gateway API tests' cluster state: the platform's namespace gw-infra
// with Gateway shared, which every namespace may attach routes and
// ListenerSets to, and three teams' namespaces. Hostnames are under
// example.net, which no classic test uses, so the two APIs' tests never
// meet in one route table (managed Gateways have pods of their own anyway).
var gatewayAPIFixtures = sync.OnceValue(createGatewayAPIFixtures)

// gatewayAPI makes sure the Gateway API fixtures exist.
func gatewayAPI(t *testing.T) {
	t.Helper()
	need(t, "Gateway API fixtures", gatewayAPIFixtures)
}

func createGatewayAPIFixtures() error {
	objs := []client.Object{namespace("gw-infra"), namespace("gw-shop"), namespace("gw-ads"), namespace("gw-pay")}
	// Routes judged before Gateway shared reaches gateguard's cache would
	// be warned that it does not exist: wait for a route on it to pass
	// without a word.
	probe := route{namespace: "gw-shop", name: "probe", hostnames: []string{"probe.example.net"}}.yaml()
	return seed(objs, []string{sharedGatewayYAML}, probe,
		func(res kubectlResult) bool { return res.exitCode == 0 && !strings.Contains(res.stderr, "Warning:") })
}

// sharedGatewayYAML is the platform's Gateway of GatewayClass istio: HTTP
// for *.example.net, routes and ListenerSets from every namespace.
const sharedGatewayYAML = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: shared, namespace: gw-infra}
spec:
  gatewayClassName: istio
  allowedListeners: {namespaces: {from: All}}
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    hostname: "*.example.net"
    allowedRoutes: {namespaces: {from: All}}
`

// route is an HTTPRoute with one rule.
type route struct {
	namespace, name string
	parent          string // the parentRef's namespace/name; "" for gw-infra/shared
	hostnames       []string
	path            string // a PathPrefix match; "" for none
	backend         string // the backendRef's namespace/name; "" for the route's name in its namespace
}

// yaml renders the route as kubectl takes it.
func (r route) yaml() string {
	parentNS, parent, _ := strings.Cut(cmp.Or(r.parent, "gw-infra/shared"), "/")
	backendNS, backend, ok := strings.Cut(r.backend, "/")
	if !ok {
		backendNS, backend = r.namespace, cmp.Or(r.backend, r.name)
	}
	hosts := make([]string, len(r.hostnames))
	for i, h := range r.hostnames {
		hosts[i] = fmt.Sprintf("%q", h)
	}
	matches := ""
	if r.path != "" {
		matches = "\n    matches:\n    - path: {type: PathPrefix, value: " + r.path + "}"
	}
	return fmt.Sprintf(`apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: %s, namespace: %s}
spec:
  parentRefs:
  - {name: %s, namespace: %s}
  hostnames: [%s]
  rules:
  - backendRefs:
    - {name: %s, namespace: %s, port: 8080}%s
`, r.name, r.namespace, parent, parentNS, strings.Join(hosts, ", "), backend, backendNS, matches)
}

// httpsKubeGateway is a Gateway of class istio with one HTTPS listener
// for host, terminating TLS with the Secret certificateRef names.
func httpsKubeGateway(namespace, name, host, certificateRef string) string {
	return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: ` + name + `, namespace: ` + namespace + `}
spec:
  gatewayClassName: istio
  listeners:
  - name: https
    port: 443
    protocol: HTTPS
    hostname: "` + host + `"
    tls:
      mode: Terminate
      certificateRefs:
      - {name: ` + certificateRef + `}
`
}
