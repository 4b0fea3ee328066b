package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gateguard/gateguard/e2e/cluster"
)

// start is one gateguard start against the seeded snapshot.
type start struct {
	env      []string      // set for gateguard alone
	ready    time.Duration // process start to /readyz
	rss, hwm int64         // VmRSS and VmHWM at ready, KiB: the initial sync's peak
	heap     float64       // Go heap in use at ready, bytes
	// cpu is the CPU each process spent from gateguard's start to its
	// ready: whether gateguard's own work or the control plane's serving
	// of its initial lists sets the time to ready.
	cpu cpuUse
}

// startGateguard starts gateguard o.Starts times against the seeded
// snapshot, stopping the previous one each time, and keeps the last one
// running. Time to ready is noisy on a shared machine, so one start is a
// sample, not a figure. With --profile, the first start's initial sync is
// profiled (CPU, and the heap at ready).
func startGateguard(ctx context.Context, c *cluster.Cluster, o options, rep *report, prof *profiler) error {
	for i := range o.Starts {
		if i > 0 {
			c.Gateguard.Stop()
		}
		env := o.GateguardEnv[i%len(o.GateguardEnv)]
		profiled := func() error { return nil }
		if i == 0 {
			profiled = prof.startup(ctx)
		}
		meter := newCPUMeter(0) // kube-apiserver and etcd; gateguard is not started yet
		before := meter.read()
		if err := c.StartGateguardWrapped(ctx, envWrap(env), servingArgs(prof.address(), o.Claims)...); err != nil {
			return err
		}
		used := meter.read().since(before)
		_, _, used["gateguard"], _ = readStat(fmt.Sprintf("/proc/%d/stat", c.Gateguard.PID())) // all of it: a new process
		if i == 0 && prof != nil {
			if err := errors.Join(prof.save(ctx, "heap-at-ready.pprof", "heap?gc=1"), profiled()); err != nil {
				return err
			}
		}
		s := start{env: env, ready: c.Gateguard.ReadyAfter, cpu: used}
		s.rss, s.hwm = procMemory(c.Gateguard.PID())
		if m, err := scrapeGauges(c.Gateguard.MetricsAddr, "go_memstats_heap_inuse_bytes"); err == nil {
			s.heap = m["go_memstats_heap_inuse_bytes"]
		}
		rep.starts = append(rep.starts, s)
		step("gateguard (pid %d, env %q) ready after %s, VmHWM %.1f MiB", c.Gateguard.PID(), env, s.ready.Round(time.Millisecond),
			float64(s.hwm)/1024)
	}
	return nil
}

// envWrap runs gateguard under env(1), which execs it in place, with the
// given variables (GOMEMLIMIT, KUBE_FEATURE_WatchListClient) set for it
// alone, not for the load tool; nil when there are none.
func envWrap(env []string) cluster.Wrap {
	if len(env) == 0 {
		return nil
	}
	return func(argv []string) ([]string, error) {
		return append(append([]string{"env"}, env...), argv...), nil
	}
}

// slowestStart is the longest time to ready, which the target judges.
func (r *report) slowestStart() time.Duration {
	var worst time.Duration
	for _, s := range r.starts {
		worst = max(worst, s.ready)
	}
	return worst
}

// printStarts lists every start's time to ready and memory at ready.
func (r *report) printStarts(w io.Writer) {
	ready := make([]time.Duration, 0, len(r.starts))
	var each []string
	for _, s := range r.starts {
		ready = append(ready, s.ready)
		each = append(each, fmt.Sprintf("%s (VmHWM %.1f, VmRSS %.1f, Go heap %.1f MiB; CPU to ready: gateguard %s, "+
			"kube-apiserver %s, etcd %s%s)", s.ready.Round(time.Millisecond), float64(s.hwm)/1024, float64(s.rss)/1024,
			s.heap/(1<<20), s.cpu["gateguard"], s.cpu["kube-apiserver"], s.cpu["etcd"], envNote(s.env)))
	}
	slices.Sort(ready)
	fmt.Fprintf(w, "time to ready: %s to %s over %d starts (gateguard start to /readyz with that snapshot): %s\n",
		ready[0].Round(time.Millisecond), ready[len(ready)-1].Round(time.Millisecond), len(ready), strings.Join(each, ", "))
}

// envNote names a start's environment in the report.
func envNote(env []string) string {
	if len(env) == 0 {
		return ""
	}
	return "; " + strings.Join(env, " ")
}
