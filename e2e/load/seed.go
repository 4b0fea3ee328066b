package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gateguard/gateguard/webhook"
	"google.golang.org/protobuf/types/known/durationpb"
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

// writer stores the i-th object of a group.
type writer func(ctx context.Context, c client.Client, obj client.Object, i int) error

// seed writes the snapshot with SeedWorkers parallel writers: namespaces
// first, then Secrets, Pods, Gateways and VirtualServices, then the
// Gateway API's credentials, Gateways and HTTPRoutes, each the way it
// reaches a real cluster. It returns how many objects it wrote.
func seed(ctx context.Context, c client.Client, o options, certPEM, keyPEM []byte) (int, error) {
	type group struct {
		objs  []client.Object
		write writer
	}
	groups := []group{
		{namespaces(o), created}, {secrets(o, certPEM, keyPEM), applied}, {pods(o), runningPod},
		{gateways(o), applied}, {virtualServices(o), applied},
	}
	for _, objs := range gatewayAPIGroups(o, certPEM, keyPEM) {
		groups = append(groups, group{objs, applied})
	}
	total := 0
	for _, g := range groups {
		if err := writeAll(ctx, c, g.objs, g.write, o.SeedWorkers); err != nil {
			return total, err
		}
		total += len(g.objs)
	}
	return total, nil
}

// writeAll writes objs with at most workers in flight; the first error
// stops it.
func writeAll(ctx context.Context, c client.Client, objs []client.Object, write writer, workers int) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	type job struct {
		obj client.Object
		i   int
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				if err := write(ctx, c, j.obj, j.i); err != nil {
					cancel(fmt.Errorf("writing %T %s/%s: %w", j.obj, j.obj.GetNamespace(), j.obj.GetName(), err))
				}
			}
		})
	}
	for i, obj := range objs {
		select {
		case jobs <- job{obj, i}:
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
	vs.Spec.Http = []*networking.HTTPRoute{apiRoute(vs.Name), {
		Match: []*networking.HTTPMatchRequest{{Uri: &networking.StringMatch{MatchType: &networking.StringMatch_Prefix{Prefix: "/"}}}},
		Route: []*networking.HTTPRouteDestination{{Destination: &networking.Destination{Host: vs.Name,
			Port: &networking.PortSelector{Number: 8080}}}},
	}}
	return vs
}

// apiRoute is the kind of route real VirtualServices carry before their
// catch-all: a canary split with retries, a timeout and header edits.
func apiRoute(app string) *networking.HTTPRoute {
	dest := func(subset string, weight int32) *networking.HTTPRouteDestination {
		return &networking.HTTPRouteDestination{Weight: weight, Destination: &networking.Destination{Host: app + "-api",
			Subset: subset, Port: &networking.PortSelector{Number: 8080}}}
	}
	return &networking.HTTPRoute{
		Name:    "api",
		Match:   []*networking.HTTPMatchRequest{{Uri: &networking.StringMatch{MatchType: &networking.StringMatch_Prefix{Prefix: "/api/"}}}},
		Route:   []*networking.HTTPRouteDestination{dest("stable", 90), dest("canary", 10)},
		Timeout: durationpb.New(10 * time.Second),
		Retries: &networking.HTTPRetry{Attempts: 3, PerTryTimeout: durationpb.New(2 * time.Second), RetryOn: "5xx,reset,connect-failure"},
		Headers: &networking.Headers{Request: &networking.Headers_HeaderOperations{Set: map[string]string{"x-team": app}}},
	}
}

// seedRate formats a seeding summary.
func seedRate(n int, took time.Duration, workers int) string {
	return fmt.Sprintf("%d objects in %s (%.0f/s, %d workers)", n, took.Round(time.Millisecond), float64(n)/took.Seconds(), workers)
}
