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

// kubectlWarmup creates of each arm are made, untimed, before the timed ones.
const kubectlWarmup = 10

// armLabel routes each kubectl-path create to one arm: to no webhook, to
// gateguard's configurations, or to their copies that call the floor.
const armLabel = "load.gateguard.dev/webhook"

// floorCopies suffixes the names of the configurations that call the floor.
const floorCopies = "-load-floor"

// pathArm is one arm of the kubectl path: the label value that routes a
// create to it, and whom the apiserver then calls.
type pathArm struct {
	name  string // as the report prints it
	label string
	calls webhookState
}

// pathArms are the kubectl path's arms, in the report's order.
func pathArms() []pathArm {
	return []pathArm{{"webhooks off", "none", callsNothing}, {"gateguard registered", "gateguard", callsGateguard},
		{"floor registered", "floor", callsFloor}}
}

// pathResult is the latency of the sequential creates of one arm, and of
// an update of each created object that claims nothing new (a label):
// with claims on, a create writes a HostClaim and an update does not.
type pathResult struct {
	name      string
	latencies []time.Duration
	updates   []time.Duration
	posts     float64 // the HostClaims gateguard's admissions wrote during the creates (claimWritesDuring)
	creates   int     // every create of the arm, warm-ups included
}

// writesPerCreate is gateguard's own POSTs per create of the arm: its
// HostClaims, one per route table a new host lands in.
func (p pathResult) writesPerCreate() float64 {
	if p.creates == 0 {
		return 0
	}
	return p.posts / float64(p.creates)
}

// kubectlPath times o.Creates sequential creates of VirtualServices with
// new hosts through kube-apiserver in three arms at once, in one
// apiserver: no webhook called, gateguard's configurations, and copies of
// them calling the floor server, which allows everything at once; a label
// on each object routes it (armLabel). The creates of the three arms
// alternate, one each in turn, so that whatever the machine is doing at a
// moment falls on all three alike: measured in phases a second long, the
// phases' medians moved by a millisecond or two between phases, more than
// the difference being measured. The floor arm is what the apiserver's
// calling of two webhooks costs on this machine by itself; gateguard's
// own share is the difference. It leaves gateguard's configurations
// registered as the manifests have them, alone.
func kubectlPath(ctx context.Context, c *cluster.Cluster, cl client.Client, fl *floor, o options) ([]pathResult, error) {
	arms := pathArms()
	if err := routeArms(ctx, c, fl); err != nil {
		return nil, fmt.Errorf("kubectl path: %w", err)
	}
	probe, err := newProber(c)
	if err != nil {
		return nil, err
	}
	for _, a := range arms {
		if err := probe.wait(ctx, o, a.label, a.calls); err != nil {
			return nil, err
		}
	}
	out := make([]pathResult, len(arms))
	for i, a := range arms {
		out[i].name = a.name
	}
	var created [][]*networkingv1.VirtualService
	out[1].posts, err = claimWritesDuring(c.Gateguard.MetricsAddr, func() (err error) {
		created, err = timeCreates(ctx, cl, o, arms, out)
		return err
	})
	if err == nil {
		err = timeUpdates(ctx, cl, created, out)
	}
	if err != nil {
		return nil, err
	}
	if err := c.DeleteWebhookCopies(ctx, floorCopies); err != nil {
		return nil, err
	}
	if err := c.UnregisterWebhooks(ctx); err != nil {
		return nil, err
	}
	return out, c.RegisterWebhooks(ctx)
}

// routeArms narrows gateguard's configurations to every object but the
// other arms', and registers their copies calling the floor for the
// floor's.
func routeArms(ctx context.Context, c *cluster.Cluster, fl *floor) error {
	notOthers := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
		{Key: armLabel, Operator: metav1.LabelSelectorOpNotIn, Values: []string{"none", "floor"}}}}
	if err := c.SelectWebhookObjects(ctx, notOthers); err != nil {
		return err
	}
	return c.RegisterWebhookCopies(ctx, floorCopies, strings.TrimPrefix(fl.url, "https://"), fl.ca,
		&metav1.LabelSelector{MatchLabels: map[string]string{armLabel: "floor"}})
}

// timeCreates makes kubectlWarmup untimed creates per arm, then o.Creates
// timed ones per arm: create i of each arm one after another, from a
// different arm each time. It returns each arm's timed objects as stored.
func timeCreates(ctx context.Context, cl client.Client, o options, arms []pathArm, out []pathResult) (
	[][]*networkingv1.VirtualService, error) {
	created := make([][]*networkingv1.VirtualService, len(arms))
	for i := range kubectlWarmup + o.Creates {
		for j := range arms {
			a := (i + j) % len(arms)
			vs := pathVirtualService(o, arms[a].label, i)
			start := time.Now()
			if err := cl.Create(ctx, vs); err != nil {
				return nil, fmt.Errorf("kubectl path, %s: creating %s/%s: %w", arms[a].name, vs.Namespace, vs.Name, err)
			}
			out[a].creates++
			if i >= kubectlWarmup {
				out[a].latencies = append(out[a].latencies, time.Since(start))
				created[a] = append(created[a], vs)
			}
		}
	}
	return created, nil
}

// timeUpdates times one update of each created object, a label added (the
// hosts stay, so the update claims nothing new), the arms alternating as
// their creates did.
func timeUpdates(ctx context.Context, cl client.Client, created [][]*networkingv1.VirtualService, out []pathResult) error {
	for i := range created[0] {
		for j := range created {
			a := (i + j) % len(created)
			vs := created[a][i]
			vs.Labels["load.gateguard.dev/updated"] = "true"
			start := time.Now()
			if err := cl.Update(ctx, vs); err != nil {
				return fmt.Errorf("kubectl path, %s: updating %s/%s: %w", out[a].name, vs.Namespace, vs.Name, err)
			}
			out[a].updates = append(out[a].updates, time.Since(start))
		}
	}
	return nil
}

// pathVirtualService is create i of an arm, labelled for it: a host of
// its own, on the gateway whose wildcard covers it.
func pathVirtualService(o options, arm string, i int) *networkingv1.VirtualService {
	g := (i * 31) % o.Gateways
	ns := teamNamespace(i, o.Namespaces)
	vs := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("path-%s-%d", arm, i),
		Labels: map[string]string{armLabel: arm}}}
	vs.Spec.Hosts = []string{fmt.Sprintf("path-%s-%d.%s", arm, i, gatewayDomain(g))}
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

// pairedOver is the median and p99 of gateguard's latency less the
// floor's, round by round: the arms' requests of one round are made within
// a few milliseconds of each other, so what the machine did then falls on
// both and cancels out, which a difference of the two arms' medians leaves
// in (their medians moved by more than the target between runs).
func pairedOver(gateguard, floor []time.Duration) (time.Duration, time.Duration) {
	over := make([]time.Duration, min(len(gateguard), len(floor)))
	for i := range over {
		over[i] = gateguard[i] - floor[i]
	}
	return medianP99(over)
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
