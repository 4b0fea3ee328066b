package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gateguard/gateguard/e2e/cluster"
	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// kubectlWarmup creates are made, untimed, before each timed phase.
const kubectlWarmup = 10

// pathResult is the latency of the sequential creates of one phase.
type pathResult struct {
	phase     string
	latencies []time.Duration
}

// kubectlPath times o.Creates sequential creates of VirtualServices with
// new hosts through kube-apiserver: first with gateguard's webhook
// configurations deleted, then with them registered again.
func kubectlPath(ctx context.Context, c *cluster.Cluster, cl client.Client, o options) ([]pathResult, error) {
	if err := c.UnregisterWebhooks(ctx); err != nil {
		return nil, fmt.Errorf("unregistering the webhooks: %w", err)
	}
	if err := waitWebhooks(ctx, cl, o, false); err != nil {
		return nil, err
	}
	off, err := timeCreates(ctx, cl, o, "off")
	if err != nil {
		return nil, err
	}
	if err := c.RegisterWebhooks(ctx); err != nil {
		return nil, fmt.Errorf("registering the webhooks again after unregistering them: %w", err)
	}
	if err := waitWebhooks(ctx, cl, o, true); err != nil {
		return nil, err
	}
	on, err := timeCreates(ctx, cl, o, "on")
	if err != nil {
		return nil, err
	}
	return []pathResult{{"webhooks off", off}, {"webhooks on", on}}, nil
}

// timeCreates makes the warm-up creates, then times o.Creates more, one
// at a time.
func timeCreates(ctx context.Context, cl client.Client, o options, phase string) ([]time.Duration, error) {
	var out []time.Duration
	for i := range kubectlWarmup + o.Creates {
		vs := pathVirtualService(o, phase, i)
		start := time.Now()
		if err := cl.Create(ctx, vs); err != nil {
			return nil, fmt.Errorf("kubectl path, webhooks %s: creating %s/%s: %w", phase, vs.Namespace, vs.Name, err)
		}
		if i >= kubectlWarmup {
			out = append(out, time.Since(start))
		}
	}
	return out, nil
}

// pathVirtualService is create i of a phase: a host of its own, on the
// gateway whose wildcard covers it.
func pathVirtualService(o options, phase string, i int) *networkingv1.VirtualService {
	g := (i * 31) % o.Gateways
	ns := teamNamespace(i, o.Namespaces)
	vs := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("path-%s-%d", phase, i)}}
	vs.Spec.Hosts = []string{fmt.Sprintf("path-%s-%d.%s", phase, i, gatewayDomain(g))}
	vs.Spec.Gateways = []string{gatewayNamespace + "/" + gatewayName(g)}
	vs.Spec.Http = []*networking.HTTPRoute{{Route: []*networking.HTTPRouteDestination{{
		Destination: &networking.Destination{Host: vs.Name, Port: &networking.PortSelector{Number: 8080}}}}}}
	return vs
}

// waitWebhooks waits, for at most 20s, until a server-side dry-run create
// of a duplicate host is denied by gateguard (on) or admitted (off): the
// apiserver's view of the webhook configurations has caught up.
func waitWebhooks(ctx context.Context, cl client.Client, o options, on bool) error {
	deadline := time.Now().Add(20 * time.Second)
	for attempt := 0; time.Now().Before(deadline); attempt++ {
		dup := seededVirtualService(o, 0) // owned by team-0
		dup.Namespace, dup.Name = teamNamespace(1, o.Namespaces), fmt.Sprintf("probe-%d", attempt)
		err := cl.Create(ctx, dup, client.DryRunAll)
		denied := err != nil && strings.Contains(err.Error(), "duplicate-host")
		if err != nil && !denied {
			return fmt.Errorf("webhook probe: %w", err)
		}
		if denied == on {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("the apiserver did not turn gateguard's webhooks %s within 20s", map[bool]string{true: "on", false: "off"}[on])
}

// medianP99 of a set of latencies.
func medianP99(l []time.Duration) (time.Duration, time.Duration) {
	s := slices.Clone(l)
	slices.Sort(s)
	return percentile(s, 50), percentile(s, 99)
}
