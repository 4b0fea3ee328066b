package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gateguard/gateguard/e2e/cluster"
)

// policy is the GatewayPolicy gateguard serves with: the built-in rules,
// and a default selector for the /mutate requests.
const policy = `apiVersion: gateguard.dev/v1alpha1
kind: GatewayPolicy
defaults:
  gatewaySelector: {istio: ingressgateway}
`

// run starts the control plane, seeds it, starts gateguard, measures the
// kubectl path and the load, and prints the report.
func run(ctx context.Context, o options) error {
	if os.Getenv("GATEGUARD_E2E_EXISTING_CLUSTER") != "" {
		return errors.New("the load tool starts its own control plane and gateguard; unset GATEGUARD_E2E_EXISTING_CLUSTER")
	}
	certPEM, keyPEM, err := selfSignedCert()
	if err != nil {
		return err
	}
	rep := &report{opts: o}
	prof, err := newProfiler(o.Profile)
	if err != nil {
		return err
	}
	c, err := startSeeded(ctx, o, rep, prof, certPEM, keyPEM)
	if c != nil {
		defer c.Stop()
	}
	if err != nil {
		return err
	}
	fl, err := startFloor(certPEM, keyPEM)
	if err != nil {
		return err
	}
	defer fl.stop()
	rep.loadBefore = loadAverage()
	if rep.path, err = measurePath(ctx, c, fl, o); err != nil {
		return err
	}
	if err := measureLoad(ctx, c, o, rep, prof, fl); err != nil {
		return err
	}
	if err := prof.memory(ctx); err != nil {
		return err
	}
	rep.loadAfter = loadAverage()
	rep.rss, rep.hwm = procMemory(c.Gateguard.PID())
	rep.print(os.Stdout)
	return ctx.Err()
}

// startSeeded starts the control plane without gateguard, seeds the
// snapshot, then starts gateguard, timing it to ready, and registers its
// webhooks.
func startSeeded(ctx context.Context, o options, rep *report, prof *profiler, certPEM, keyPEM []byte) (*cluster.Cluster, error) {
	step("starting kube-apiserver and etcd")
	c, err := cluster.Start(ctx, cluster.Options{SkipGateguard: true, Policy: policy})
	if err != nil {
		return c, err
	}
	if err := prof.attach(c.AdminConfig); err != nil {
		return c, err
	}
	cl, err := fastClient(c.AdminConfig)
	if err != nil {
		return c, err
	}
	step("seeding %d VirtualServices, %d Gateways, %d Secrets, %d Pods, %d HTTPRoutes", o.VirtualServices, o.Gateways, o.Secrets,
		o.Pods, o.HTTPRoutes)
	start := time.Now()
	n, err := seed(ctx, cl, o, certPEM, keyPEM)
	if err != nil {
		return c, fmt.Errorf("seeding: %w", err)
	}
	rep.seeded = seedRate(n, time.Since(start), o.SeedWorkers)
	step("seeded %s; starting gateguard", rep.seeded)
	rep.revision = revision()
	if err := startGateguard(ctx, c, o, rep, prof); err != nil {
		return c, err
	}
	rep.backfill = "off (--claims=false): uniqueness by the one replica's reservations"
	if o.Claims {
		step("waiting for gateguard's first sweep of the host claims")
		if rep.backfill, err = waitForBackfill(ctx, c, 15*time.Minute); err != nil {
			return c, err
		}
	}
	step("host claims %s; registering gateguard's webhooks", rep.backfill)
	return c, c.RegisterWebhooks(ctx)
}

// measurePath times the kubectl path, unless o.Creates is 0.
func measurePath(ctx context.Context, c *cluster.Cluster, fl *floor, o options) ([]pathResult, error) {
	if o.Creates <= 0 {
		return nil, nil
	}
	cl, err := fastClient(c.AdminConfig)
	if err != nil {
		return nil, err
	}
	step("kubectl path: %d sequential creates with the webhooks off, calling gateguard, calling the floor", o.Creates)
	return kubectlPath(ctx, c, cl, fl, o)
}

// measureLoad drives the load and counts gateguard's own apiserver
// requests meanwhile.
func measureLoad(ctx context.Context, c *cluster.Cluster, o options, rep *report, prof *profiler, fl *floor) error {
	before, err := scrapeAPICalls(c.Gateguard.MetricsAddr)
	started := time.Now()
	if err := driveAll(ctx, c, o, rep, prof, fl); err != nil {
		return err
	}
	if after, err2 := scrapeAPICalls(c.Gateguard.MetricsAddr); err == nil && err2 == nil {
		rep.apiCalls = after.since(before, time.Since(started))
	} else {
		rep.apiCalls = fmt.Sprintf("unavailable (%v)", errors.Join(err, err2))
	}
	return nil
}

// driveAll runs, at each concurrency, the floor and then gateguard, each
// after an untimed warm-up.
func driveAll(ctx context.Context, c *cluster.Cluster, o options, rep *report, prof *profiler, fl *floor) error {
	url, ca := c.WebhookURL()
	hc, err := newHTTPClient(slices.Max(o.Concurrency), ca, fl.ca)
	if err != nil {
		return err
	}
	defer hc.CloseIdleConnections()
	pool := buildPool(o)
	rep.poolSummary = poolSummary(pool)
	targets := []target{{name: "floor", url: fl.url, pid: fl.cmd.Process.Pid},
		{name: "gateguard", url: url, decides: true, pid: c.Gateguard.PID()}}
	for _, conc := range o.Concurrency {
		for _, t := range targets {
			step("%s at concurrency %d: %s warm-up, %s timed", t.name, conc, o.Warmup, o.Duration)
			if err := warmUp(ctx, hc, t, pool, conc, o); err != nil {
				return err
			}
			profiled := prof.of(t).cpu(ctx, fmt.Sprintf("cpu-c%d.pprof", conc), o.Duration)
			apiserverProfiled := prof.of(t).apiserverCPU(ctx, fmt.Sprintf("kube-apiserver-cpu-c%d.pprof", conc), o.Duration)
			meter := newCPUMeter(t.pid)
			before := meter.read()
			res := driveSampled(ctx, c, hc, t, pool, conc, o, rep)
			res.cpu = meter.read().since(before)
			rep.runs = append(rep.runs, res)
			if err := errors.Join(profiled(), apiserverProfiled()); err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	rep.closedRSS, _ = procMemory(c.Gateguard.PID())
	if err := driveOpenLoop(ctx, targets, pool, o, rep, prof, ca, fl.ca); err != nil {
		return err
	}
	rep.floorRSS, _ = procMemory(fl.cmd.Process.Pid)
	return nil
}

// warmUp drives t untimed; a warm-up that only errors stops the tool.
func warmUp(ctx context.Context, hc *http.Client, t target, pool []request, conc int, o options) error {
	if o.Warmup <= 0 {
		return nil
	}
	res := drive(ctx, hc, t, pool, conc, o.Warmup, o.MaxRequests)
	if len(res.samples) == 0 && res.errors > 0 {
		return fmt.Errorf("%s: every warm-up request failed, e.g. %s", t.name, strings.Join(res.firstErrors, "; "))
	}
	return nil
}

// poolSummary counts the pool's requests by kind.
func poolSummary(pool []request) string {
	var n [numKinds]int
	for _, r := range pool {
		n[r.kind]++
	}
	parts := make([]string, 0, numKinds)
	for k := range numKinds {
		parts = append(parts, fmt.Sprintf("%s %d", k, n[k]))
	}
	return fmt.Sprintf("%d distinct requests, cycled: %s", len(pool), strings.Join(parts, ", "))
}

// step reports progress on stderr; the report goes to stdout.
func step(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// driveSampled drives one timed run; on gateguard, runs of 30s or more also
// sample its goroutines and memory for the growth line of the report.
func driveSampled(ctx context.Context, c *cluster.Cluster, hc *http.Client, t target, pool []request, conc int,
	o options, rep *report) *result {
	if !t.decides || o.Duration < 30*time.Second {
		return drive(ctx, hc, t, pool, conc, o.Duration, o.MaxRequests)
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan *growth)
	go func() { done <- sampleGrowth(sctx, c.Gateguard.MetricsAddr) }()
	res := drive(ctx, hc, t, pool, conc, o.Duration, o.MaxRequests)
	stop()
	if line := (<-done).summary(conc); line != "" {
		rep.growth = append(rep.growth, line)
	}
	return res
}
