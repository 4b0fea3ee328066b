package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gateguard/gateguard/webhook"
	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// gatewayNamespace is where the seeded Gateways, their credentials and the
// gateway Pods live: Istio reads credentials where the pods run.
const gatewayNamespace = "istio-system"

// gatewayLabels are the labels of every seeded gateway Pod, as a gateway
// Deployment's replicas carry them; the Gateways select istio=ingressgateway.
var gatewayLabels = map[string]string{
	"istio": "ingressgateway", "app": "istio-ingressgateway", "pod-template-hash": "6fd6575b8b",
	"service.istio.io/canonical-name": "istio-ingressgateway", "service.istio.io/canonical-revision": "latest",
	"sidecar.istio.io/inject": "false",
}

// fastClient is a cluster-admin client without client-side rate limiting.
func fastClient(admin *rest.Config) (client.Client, error) {
	cfg := rest.CopyConfig(admin)
	cfg.QPS, cfg.Burst = -1, 0
	scheme, err := webhook.NewScheme()
	if err != nil {
		return nil, err
	}
	return client.New(cfg, client.Options{Scheme: scheme})
}

// Naming of the seeded snapshot, shared with the request pool.
func teamNamespace(i, namespaces int) string { return fmt.Sprintf("team-%d", i%namespaces) }
func gatewayName(g int) string               { return fmt.Sprintf("gw-%d", g) }
func credentialName(g int) string            { return fmt.Sprintf("gw-%d-cert", g) }
func gatewayDomain(g int) string             { return fmt.Sprintf("g%d.example.com", g) }
func seededHost(j, gateways int) string {
	return fmt.Sprintf("app-%d.%s", j, gatewayDomain(j%gateways))
}

// seed creates the snapshot with SeedWorkers parallel creates: namespaces
// first, then Secrets, Pods, Gateways and VirtualServices. It returns how
// many objects it created.
func seed(ctx context.Context, c client.Client, o options, certPEM, keyPEM []byte) (int, error) {
	groups := [][]client.Object{namespaces(o), secrets(o, certPEM, keyPEM), pods(o), gateways(o), virtualServices(o)}
	total := 0
	for _, objs := range groups {
		if err := createAll(ctx, c, objs, o.SeedWorkers); err != nil {
			return total, err
		}
		total += len(objs)
	}
	return total, nil
}

// createAll creates objs with at most workers in flight; the first error
// stops it.
func createAll(ctx context.Context, c client.Client, objs []client.Object, workers int) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan client.Object)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for obj := range jobs {
				if err := c.Create(ctx, obj); err != nil {
					cancel(fmt.Errorf("creating %T %s/%s: %w", obj, obj.GetNamespace(), obj.GetName(), err))
				}
			}
		})
	}
	for _, obj := range objs {
		select {
		case jobs <- obj:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	return context.Cause(ctx)
}

func namespaces(o options) []client.Object {
	out := []client.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: gatewayNamespace}}}
	for i := range o.Namespaces {
		out = append(out, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: teamNamespace(i, o.Namespaces)}})
	}
	return out
}

// secrets are one TLS credential per Gateway in istio-system, and filler
// TLS Secrets in the team namespaces, all with a real certificate and key.
func secrets(o options, certPEM, keyPEM []byte) []client.Object {
	out := make([]client.Object, 0, o.Secrets)
	for i := range o.Secrets {
		s := &corev1.Secret{Type: corev1.SecretTypeTLS, Data: map[string][]byte{"tls.crt": certPEM, "tls.key": keyPEM}}
		if i < o.Gateways {
			s.Namespace, s.Name = gatewayNamespace, credentialName(i)
		} else {
			s.Namespace, s.Name = teamNamespace(i, o.Namespaces), fmt.Sprintf("filler-%d", i)
		}
		out = append(out, s)
	}
	return out
}

// pods are the gateway Deployment's replicas; nothing schedules them.
func pods(o options) []client.Object {
	out := make([]client.Object, 0, o.Pods)
	for i := range o.Pods {
		out = append(out, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: gatewayNamespace, Name: fmt.Sprintf("istio-ingressgateway-6fd6575b8b-%05d", i),
				Labels: gatewayLabels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "istio-proxy", Image: "docker.io/istio/proxyv2:1.31.4",
				Args: []string{"proxy", "router", "--domain", "$(POD_NAMESPACE).svc.cluster.local"}}}},
		})
	}
	return out
}

// gateways: gw-<g> serves *.g<g>.example.com on an HTTPS server with its
// own credential, and on plain HTTP port 80 (one route table shared by all
// Gateways, since they select the same pods).
func gateways(o options) []client.Object {
	out := make([]client.Object, 0, o.Gateways)
	for g := range o.Gateways {
		gw := &networkingv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: gatewayNamespace, Name: gatewayName(g)}}
		hosts := []string{"*." + gatewayDomain(g)}
		gw.Spec.Selector = map[string]string{"istio": "ingressgateway"}
		gw.Spec.Servers = []*networking.Server{
			{Port: &networking.Port{Number: 443, Name: "https-" + gatewayName(g), Protocol: "HTTPS"}, Hosts: hosts,
				Tls: &networking.ServerTLSSettings{Mode: networking.ServerTLSSettings_SIMPLE, CredentialName: credentialName(g)}},
			{Port: &networking.Port{Number: 80, Name: "http", Protocol: "HTTP"}, Hosts: hosts},
		}
		out = append(out, gw)
	}
	return out
}

// virtualServices are the seeded VirtualServices.
func virtualServices(o options) []client.Object {
	out := make([]client.Object, 0, o.VirtualServices)
	for j := range o.VirtualServices {
		out = append(out, seededVirtualService(o, j))
	}
	return out
}

// seededVirtualService j is team-<j%N>/app-<j>, routing
// app-<j>.g<j%G>.example.com on gw-<j%G>.
func seededVirtualService(o options, j int) *networkingv1.VirtualService {
	vs := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Namespace: teamNamespace(j, o.Namespaces),
		Name: fmt.Sprintf("app-%d", j)}}
	vs.Spec.Hosts = []string{seededHost(j, o.Gateways)}
	vs.Spec.Gateways = []string{gatewayNamespace + "/" + gatewayName(j%o.Gateways)}
	vs.Spec.Http = []*networking.HTTPRoute{{
		Match: []*networking.HTTPMatchRequest{{Uri: &networking.StringMatch{MatchType: &networking.StringMatch_Prefix{Prefix: "/"}}}},
		Route: []*networking.HTTPRouteDestination{{Destination: &networking.Destination{Host: vs.Name,
			Port: &networking.PortSelector{Number: 8080}}}},
	}}
	return vs
}

// seedRate formats a seeding summary.
func seedRate(n int, took time.Duration, workers int) string {
	return fmt.Sprintf("%d objects in %s (%.0f/s, %d workers)", n, took.Round(time.Millisecond), float64(n)/took.Seconds(), workers)
}
