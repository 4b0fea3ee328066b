package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// report is everything the tool measured.
type report struct {
	opts        options
	seeded      string
	poolSummary string
	starts      []start
	runs        []*result
	path        []pathResult
	rss, hwm    int64 // gateguard's VmRSS and VmHWM after the runs, KiB
	floorRSS    int64
	closedRSS   int64  // gateguard's VmRSS after the closed-loop runs, before the open loop, KiB
	loadBefore  string // /proc/loadavg before the runs
	loadAfter   string
	revision    string // what gateguard was built from
	apiCalls    string // gateguard's requests to kube-apiserver during the load runs
	backfill    string // the claims' first sweep, before the runs
	growth      []string
	open        []*openResult
}

// stats are the figures of one set of samples.
type stats struct {
	n                         int
	rps                       float64
	p50, p99, p999, max       time.Duration
	firstQuarter, lastQuarter float64 // req/s in the first and last quarter of the run
}

// statsOf computes the figures of samples over elapsed.
func statsOf(samples []sample, elapsed time.Duration) stats {
	lat := make([]time.Duration, len(samples))
	var first, last int
	for i, s := range samples {
		lat[i] = s.latency
		switch {
		case s.at < elapsed/4:
			first++
		case s.at >= elapsed*3/4:
			last++
		}
	}
	slices.Sort(lat)
	st := stats{n: len(lat), p50: percentile(lat, 50), p99: percentile(lat, 99), p999: percentile(lat, 99.9)}
	if len(lat) > 0 {
		st.max = lat[len(lat)-1]
	}
	if sec := elapsed.Seconds(); sec > 0 {
		st.rps, st.firstQuarter, st.lastQuarter = float64(len(lat))/sec, float64(first)/(sec/4), float64(last)/(sec/4)
	}
	return st
}

// percentile is the nearest-rank percentile of sorted latencies.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// print writes the report as tables.
func (r *report) print(w io.Writer) {
	o := r.opts
	fmt.Fprintf(w, "\ngateguard load\n")
	r.printSnapshot(w)
	r.printStarts(w)
	fmt.Fprintf(w, "host claims:   %s\n", r.backfill)
	fmt.Fprintf(w, "requests:      %s\n", r.poolSummary)
	fmt.Fprintf(w, "runs:          %s timed after %s warm-up, HTTP/1.1 keep-alive over TLS on loopback\n", o.Duration, o.Warmup)
	fmt.Fprintf(w, "gateguard:     built from %s\n", r.revision)
	fmt.Fprintf(w, "machine:       %d CPUs; load average %s before the runs, %s after\n\n", runtime.NumCPU(), r.loadBefore, r.loadAfter)
	r.printRuns(w)
	r.printOpen(w)
	r.printRatios(w)
	r.printCPU(w)
	r.printKinds(w)
	r.printRoutes(w)
	fmt.Fprintf(w, "gateguard's own requests to kube-apiserver during the load runs: %s\n", r.apiCalls)
	for _, g := range r.growth {
		fmt.Fprintln(w, g)
	}
	fmt.Fprintf(w, "gateguard memory after the runs: VmRSS %.1f MiB (%.1f MiB before the open loop), VmHWM %.1f MiB "+
		"(floor VmRSS %.1f MiB)\n\n", float64(r.rss)/1024, float64(r.closedRSS)/1024, float64(r.hwm)/1024, float64(r.floorRSS)/1024)
	r.printPath(w)
	r.printTargets(w)
}

func (r *report) printRuns(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\tconc\trequests\treq/s\tp50\tp99\tp99.9\tmax\terrors\treq/s 1st¼→last¼\t")
	for _, res := range r.runs {
		st := statsOf(res.samples, res.elapsed)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t%d\t%.0f→%.0f\t\n", res.target, res.concurrency, st.n, st.rps,
			dur(st.p50), dur(st.p99), dur(st.p999), dur(st.max), res.errors, st.firstQuarter, st.lastQuarter)
	}
	tw.Flush()
	for _, res := range r.runs {
		for _, e := range res.firstErrors {
			fmt.Fprintf(w, "  error (%s, c=%d): %s\n", res.target, res.concurrency, e)
		}
	}
	fmt.Fprintln(w)
}

func (r *report) printRatios(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "conc\tthroughput gateguard/floor\tp50 gateguard/floor\t")
	for _, conc := range r.opts.Concurrency {
		gg, fl := r.stats("gateguard", conc), r.stats("floor", conc)
		fmt.Fprintf(tw, "%d\t%s\t%s\t\n", conc, ratio(gg.rps, fl.rps), ratio(float64(gg.p50), float64(fl.p50)))
	}
	tw.Flush()
	fmt.Fprintln(w)
}

// printCPU shows where each run's CPU went, per request: the ratio of
// throughputs on shared cores is mostly the ratio of these totals.
func (r *report) printCPU(w io.Writer) {
	roles := []string{"target", "kube-apiserver", "etcd", "load tool", "rest of machine"}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "CPU µs per request\tconc\t%s\ttotal\t\n", strings.Join(roles, "\t"))
	for _, res := range r.runs {
		n := float64(max(1, len(res.samples)))
		fmt.Fprintf(tw, "%s\t%d\t", res.target, res.concurrency)
		var total time.Duration
		for _, role := range roles {
			total += res.cpu[role]
			fmt.Fprintf(tw, "%.0f\t", float64(res.cpu[role].Microseconds())/n)
		}
		fmt.Fprintf(tw, "%.0f\t\n", float64(total.Microseconds())/n)
	}
	tw.Flush()
	fmt.Fprintln(w)
}

// printKinds breaks gateguard's latency down by request kind.
func (r *report) printKinds(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "gateguard by kind\tconc\trequests\tp50\tp99\tp99.9\tmax\t")
	for _, res := range r.runs {
		if res.target != "gateguard" {
			continue
		}
		for k := range numKinds {
			st := statsOf(samplesOf(res.samples, k), res.elapsed)
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t\n", k, res.concurrency, st.n, dur(st.p50), dur(st.p99), dur(st.p999), dur(st.max))
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
}

func (r *report) printPath(w io.Writer) {
	if len(r.path) != 3 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "kubectl path (%d sequential creates per arm via kube-apiserver)\tmedian\tp99\t\n", len(r.path[0].latencies))
	var p50, p99 [3]time.Duration
	for i, arm := range r.path {
		p50[i], p99[i] = medianP99(arm.latencies)
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", arm.name, dur(p50[i]), dur(p99[i]))
	}
	fmt.Fprintf(tw, "added by gateguard (mutate + validate)\t%s\t%s\t\n", dur(p50[1]-p50[0]), dur(p99[1]-p99[0]))
	fmt.Fprintf(tw, "added by the floor (the apiserver calling two webhooks)\t%s\t%s\t\n", dur(p50[2]-p50[0]), dur(p99[2]-p99[0]))
	fmt.Fprintf(tw, "gateguard over the floor\t%s\t%s\t\n", dur(p50[1]-p50[2]), dur(p99[1]-p99[2]))
	over50, over99 := pairedOver(r.path[1].latencies, r.path[2].latencies)
	fmt.Fprintf(tw, "gateguard over the floor, round by round\t%s\t%s\t\n", dur(over50), dur(over99))
	fmt.Fprintf(tw, "gateguard's own apiserver writes per create (HostClaims)\t%.2f\t\t\n", r.path[1].writesPerCreate())
	fmt.Fprintf(tw, "updates that claim nothing new (one per create)\tmedian\tp99\t\n")
	for i, arm := range r.path {
		p50[i], p99[i] = medianP99(arm.updates)
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", arm.name, dur(p50[i]), dur(p99[i]))
	}
	fmt.Fprintf(tw, "update: gateguard over the floor\t%s\t%s\t\n", dur(p50[1]-p50[2]), dur(p99[1]-p99[2]))
	over50, over99 = pairedOver(r.path[1].updates, r.path[2].updates)
	fmt.Fprintf(tw, "update: gateguard over the floor, round by round\t%s\t%s\t\n", dur(over50), dur(over99))
	tw.Flush()
	fmt.Fprintln(w)
}

// dur prints a latency in µs below a millisecond, else in ms.
func dur(d time.Duration) string {
	if d < time.Millisecond && d > -time.Millisecond {
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	}
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}

// revision names the commit gateguard was built from, and the files of
// its packages that differ from it.
func revision() string {
	head, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown (not a git work tree)"
	}
	out := strings.TrimSpace(string(head))
	dirty, _ := exec.Command("git", "status", "--porcelain", "--", "cmd", "webhook", "rules", "certs").Output()
	var changed []string
	files := strings.Fields(string(dirty)) // pairs of status and path
	for i := 1; i < len(files); i += 2 {
		if !strings.HasSuffix(files[i], "_test.go") {
			changed = append(changed, files[i])
		}
	}
	if len(changed) > 0 {
		out += " with uncommitted changes to " + strings.Join(changed, ", ")
	}
	return out
}

// loadAverage is the 1, 5 and 15 minute load average.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(data)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

// procMemory reads VmRSS and VmHWM (KiB) of a process from /proc.
func procMemory(pid int) (rss, hwm int64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, _ := strings.Cut(sc.Text(), ":")
		kib, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		switch name {
		case "VmRSS":
			rss = kib
		case "VmHWM":
			hwm = kib
		}
	}
	return rss, hwm
}
