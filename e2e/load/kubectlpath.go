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

// kubectlRounds interleave the phases, in an order reversed every other
// round, so that a drift in the machine's load over the minutes the path
// takes falls on all of them alike, whichever way it goes.
const kubectlRounds = 10

// pathResult is the latency of the sequential creates of one phase, and
// of an update of each created object that claims nothing new (a label):
// with claims on, a create writes a HostClaim and an update does not.
type pathResult struct {
	phase     string
	latencies []time.Duration
	updates   []time.Duration
	posts     float64 // the HostClaims gateguard's admissions wrote during the phase's creates (claimWritesDuring)
	creates   int     // every create of the phase, warm-ups included
}

// writesPerCreate is gateguard's own POSTs per create of the phase: its
// HostClaims, one per route table a new host lands in.
func (p pathResult) writesPerCreate() float64 {
	if p.creates == 0 {
		return 0
	}
	return p.posts / float64(p.creates)
}

// kubectlPath times o.Creates sequential creates of VirtualServices with
// new hosts through kube-apiserver in three phases, interleaved over
// kubectlRounds rounds: with gateguard's webhook configurations deleted,
// registered, and pointed at the floor server, which allows everything at
// once. The floor phase is what the apiserver's calling of two webhooks
// costs on this machine by itself; gateguard's own share is the
// difference. It leaves the configurations registered, calling gateguard.
func kubectlPath(ctx context.Context, c *cluster.Cluster, cl client.Client, fl *floor, o options) ([]pathResult, error) {
	out := []pathResult{{phase: "webhooks off"}, {phase: "gateguard registered"}, {phase: "floor registered"}}
	probe, err := newProber(c)
	if err != nil {
		return nil, err
	}
	phases := []struct {
		name  string
		enter func() error
		state webhookState
	}{
		{"webhooks off", func() error { return c.UnregisterWebhooks(ctx) }, callsNothing},
		{"gateguard registered", func() error { return c.RegisterWebhooks(ctx) }, callsGateguard},
		{"floor registered", func() error { return c.PointWebhooksAt(ctx, strings.TrimPrefix(fl.url, "https://"), fl.ca) }, callsFloor},
	}
	for round := range kubectlRounds {
		for j := range phases {
			i := j
			if round%2 == 1 {
				i = len(phases) - 1 - j
			}
			if err := phases[i].enter(); err != nil {
				return nil, fmt.Errorf("kubectl path, %s: %w", phases[i].name, err)
			}
			if err := probe.wait(ctx, o, phases[i].state); err != nil {
				return nil, err
			}
			if err := out[i].timeRound(ctx, c, cl, o, round); err != nil {
				return nil, err
			}
		}
	}
	if err := c.UnregisterWebhooks(ctx); err != nil {
		return nil, err
	}
	return out, c.RegisterWebhooks(ctx)
}

// timeRound adds one round of the phase's creates, and an update of each,
// to p.
func (p *pathResult) timeRound(ctx context.Context, c *cluster.Cluster, cl client.Client, o options, round int) error {
	var created []*networkingv1.VirtualService
	var lat []time.Duration
	writes, err := claimWritesDuring(c.Gateguard.MetricsAddr, func() (err error) {
		created, lat, err = timeCreates(ctx, cl, o, fmt.Sprintf("%s-%d", strings.Fields(p.phase)[0], round))
		return err
	})
	if err != nil {
		return err
	}
	p.posts += writes
	p.creates += kubectlWarmup + len(lat)
	p.latencies = append(p.latencies, lat...)
	upd, err := timeUpdates(ctx, cl, created)
	p.updates = append(p.updates, upd...)
	return err
}

// timeCreates makes the warm-up creates, then times o.Creates more, one
// at a time, and returns the timed ones as stored.
func timeCreates(ctx context.Context, cl client.Client, o options, phase string) ([]*networkingv1.VirtualService,
	[]time.Duration, error) {
	var created []*networkingv1.VirtualService
	var out []time.Duration
	for i := range kubectlWarmup + max(1, o.Creates/kubectlRounds) {
		vs := pathVirtualService(o, phase, i)
		start := time.Now()
		if err := cl.Create(ctx, vs); err != nil {
			return nil, nil, fmt.Errorf("kubectl path, %s phase: creating %s/%s: %w", phase, vs.Namespace, vs.Name, err)
		}
		if i >= kubectlWarmup {
			out = append(out, time.Since(start))
			created = append(created, vs)
		}
	}
	return created, out, nil
}

// timeUpdates times one update of each object, a label added: the hosts
// stay, so the update claims nothing new.
func timeUpdates(ctx context.Context, cl client.Client, objs []*networkingv1.VirtualService) ([]time.Duration, error) {
	out := make([]time.Duration, 0, len(objs))
	for _, vs := range objs {
		vs.Labels = map[string]string{"load.gateguard.dev/updated": "true"}
		start := time.Now()
		if err := cl.Update(ctx, vs); err != nil {
			return nil, fmt.Errorf("kubectl path: updating %s/%s: %w", vs.Namespace, vs.Name, err)
		}
		out = append(out, time.Since(start))
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

// medianP99 of a set of latencies.
func medianP99(l []time.Duration) (time.Duration, time.Duration) {
	s := slices.Clone(l)
	slices.Sort(s)
	return percentile(s, 50), percentile(s, 99)
}

// claimWritesDuring runs create and returns the HostClaims gateguard's
// admissions wrote meanwhile (scrapeClaimWrites).
func claimWritesDuring(addr string, create func() error) (float64, error) {
	before, err := scrapeClaimWrites(addr)
	if err != nil {
		return 0, fmt.Errorf("kubectl path: gateguard's apiserver requests: %w", err)
	}
	if err := create(); err != nil {
		return 0, err
	}
	after, err := scrapeClaimWrites(addr)
	if err != nil {
		return 0, fmt.Errorf("kubectl path: gateguard's apiserver requests: %w", err)
	}
	return after - before, nil
}
