package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// sharedFixtures creates the shared cluster state on first use; if that
// failed, every test that needs it fails with the same error, rather than
// running against half a fixture.
var sharedFixtures = sync.OnceValue(createFixtures)

// fixtures makes sure the shared cluster state exists: app namespaces,
// gateway Pods in istio-system for two gateway deployments, their Gateways.
func fixtures(t *testing.T) {
	t.Helper()
	need(t, "shared fixtures", sharedFixtures)
}

// need fails the test unless the fixtures once makes exist.
func need(t *testing.T, what string, once func() error) {
	t.Helper()
	if err := once(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func createFixtures() error {
	objs := []client.Object{
		namespace("istio-system"), namespace("team-a"), namespace("team-b"),
		gatewayPod("istio-ingressgateway-1", map[string]string{"istio": "ingressgateway"}),
		gatewayPod("internal-gateway-1", map[string]string{"istio": "internal-gateway"}),
	}
	// The Gateways must be in gateguard's cache before VirtualServices
	// bind to them: a dry-run duplicate that is denied proves it.
	return seed(objs, []string{gatewaysYAML, vsYAML("team-a", "probe", "probe.example.com", "istio-system/public")},
		vsYAML("team-b", "probe", "probe.example.com", "istio-system/public"),
		func(res kubectlResult) bool { return strings.Contains(res.stderr, "[duplicate-host]") })
}

// seed creates objs as cluster-admin (keeping those that exist), applies
// yamls with kubectl, then dry-runs probe until ready says gateguard's
// cache holds what the tests rely on.
func seed(objs []client.Object, yamls []string, probe string, ready func(kubectlResult) bool) error {
	ctx := context.Background()
	for _, obj := range objs {
		if err := env.Client.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating %T %s: %w", obj, obj.GetName(), err)
		}
	}
	for _, yaml := range yamls {
		if res, err := runKubectl(yaml, "apply", "-f", "-"); err != nil || res.exitCode != 0 {
			return fmt.Errorf("kubectl apply: %v %s", err, res.stderr)
		}
	}
	return wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 15*time.Second, true, func(context.Context) (bool, error) {
		res, err := runKubectl(probe, "apply", "-f", "-", "--dry-run=server")
		return err == nil && ready(res), err
	})
}

func namespace(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

const gatewaysYAML = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*.example.com"]
  - port: {number: 31400, name: tcp, protocol: TCP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: internal, namespace: istio-system}
spec:
  selector: {istio: internal-gateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*.example.com"]
`

// vsYAML is an HTTP VirtualService for host on gateway.
func vsYAML(namespace, name, host, gateway string) string {
	return fmt.Sprintf(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: %s, namespace: %s}
spec:
  hosts: [%q]
  gateways: [%q]
  http:
  - route:
    - destination: {host: %s}
`, name, namespace, host, gateway, name)
}

func gatewayPod(name string, labels map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "istio-system", Labels: labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "istio-proxy", Image: "istio/proxyv2"}}},
	}
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := env.Client.Create(context.Background(), obj); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

// eventually retries fn for up to 15s: gateguard's cache follows the
// apiserver a moment behind, as in any cluster.
func eventually(t *testing.T, fn func() error) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, 15*time.Second, true,
		func(context.Context) (bool, error) { last = fn(); return last == nil, nil })
	if err != nil {
		t.Fatalf("still failing after 15s: %v", last)
	}
}

// eventuallyApply applies until gateguard admits the object: what it
// depends on (a Secret, say) reaches gateguard's cache a moment after the
// apiserver stores it.
func eventuallyApply(t *testing.T, yaml string) {
	t.Helper()
	eventually(t, func() error {
		if res := apply(t, yaml); res.exitCode != 0 {
			return fmt.Errorf("%s", res.stderr)
		}
		return nil
	})
}

// virtualServiceExists reports whether namespace/name is stored.
func virtualServiceExists(t *testing.T, namespace, name string) bool {
	t.Helper()
	err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, &networkingv1.VirtualService{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	return err == nil
}

func key(namespace, name string) client.ObjectKey {
	return client.ObjectKey{Namespace: namespace, Name: name}
}

// unthrottledClient is a cluster-admin client without client-side rate
// limiting, for tests that need requests to arrive together.
func unthrottledClient(t *testing.T) client.Client {
	t.Helper()
	cfg := rest.CopyConfig(env.AdminConfig)
	cfg.QPS, cfg.Burst = -1, 0
	c, err := client.New(cfg, client.Options{Scheme: env.Client.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// tlsSecret is an Opaque Secret with the keys Istio reads.
func tlsSecret(namespace, name string) string {
	return "apiVersion: v1\nkind: Secret\nmetadata: {name: " + name + ", namespace: " + namespace + "}\n" +
		"type: Opaque\ndata: {tls.crt: Y2VydA==, tls.key: a2V5}\n"
}

// httpsGateway serves host over HTTPS with credential on the ingress pods.
func httpsGateway(namespace, name, host, credential string) string {
	return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ` + name + `, namespace: ` + namespace + `}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    tls: {mode: SIMPLE, credentialName: ` + credential + `}
    hosts: ["` + host + `"]
`
}

// selectorlessGateway serves host over HTTP with no selector, for the
// mutating webhook to default.
func selectorlessGateway(namespace, name, host string) string {
	return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ` + name + `, namespace: ` + namespace + `}
spec:
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["` + host + `"]
`
}
