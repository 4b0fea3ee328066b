package main

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// printTargets judges the performance targets, one verdict line each.
func (r *report) printTargets(w io.Writer) {
	fmt.Fprintf(w, "targets (host claims %s)\n", map[bool]string{true: "on, the default", false: "off: one replica"}[r.opts.Claims])
	verdict := func(name string, got any, ok bool) {
		fmt.Fprintf(w, "  %-46s %-12v %s\n", name, got, map[bool]string{true: "PASS", false: "MISS"}[ok])
	}
	judge := func(name string, conc int, got string, ok bool) {
		if !slices.Contains(r.opts.Concurrency, conc) {
			fmt.Fprintf(w, "  %-46s not run (add %d to --concurrency)\n", name, conc)
			return
		}
		verdict(name, got, ok)
	}
	gg8, fl8 := r.stats("gateguard", 8), r.stats("floor", 8)
	gg1, fl1 := r.stats("gateguard", 1), r.stats("floor", 1)
	judge("c=8 throughput >= 0.5x floor's", 8, ratio(gg8.rps, fl8.rps), fl8.rps > 0 && gg8.rps >= fl8.rps/2 && r.clean(8))
	judge("c=1 p50 <= 2x floor's", 1, ratio(float64(gg1.p50), float64(fl1.p50)), fl1.p50 > 0 && gg1.p50 <= 2*fl1.p50 && r.clean(1))
	judge("c=1 p99 <= 3x floor's", 1, ratio(float64(gg1.p99), float64(fl1.p99)), fl1.p99 > 0 && gg1.p99 <= 3*fl1.p99 && r.clean(1))
	tls, vs := r.kindStats(1, kindGateway), r.kindStats(1, kindNew)
	judge("c=1 TLS-Gateway p50 <= 1.5x new-VS p50", 1, ratio(float64(tls.p50), float64(vs.p50)),
		vs.p50 > 0 && tls.n > 0 && 2*tls.p50 <= 3*vs.p50)
	r.judgeOpenLoop(w, verdict)
	r.judgePath(verdict)
	verdict("RSS after the runs <= 150 MiB", fmt.Sprintf("%.1f MiB", float64(r.rss)/1024), r.rss > 0 && r.rss <= 150*1024)
	verdict("time to ready <= 5s (slowest start)", r.slowestStart().Round(time.Millisecond), r.slowestStart() <= 5*time.Second)
}

// judgePath judges the kubectl path, gateguard's arm against the floor's
// round by round (pairedOver): an update that claims nothing new within
// 0.5ms of the floor's, in the median; a create, which claims its hosts,
// within that plus one apiserver write per HostClaim when gateguard
// claims hosts (gateguard's own POSTs per create, counted), a write
// costing what the webhooks-off create's median does (the apiserver
// storing one object).
func (r *report) judgePath(verdict func(string, any, bool)) {
	if len(r.path) != 3 {
		return
	}
	off, _ := medianP99(r.path[0].latencies)
	createOver, _ := pairedOver(r.path[1].latencies, r.path[2].latencies)
	updateOver, _ := pairedOver(r.path[1].updates, r.path[2].updates)
	const budget = 500 * time.Microsecond
	verdict("kubectl path, updates: median over floor <= 0.5ms", dur(updateOver), updateOver <= budget)
	if !r.opts.Claims {
		verdict("kubectl path, creates: median over floor <= 0.5ms", dur(createOver), createOver <= budget)
		return
	}
	// Each HostClaim is one write: a host on a gateway with HTTP and HTTPS
	// servers is claimed in both route tables.
	writes := r.path[1].writesPerCreate()
	write := time.Duration(writes * float64(off))
	verdict(fmt.Sprintf("kubectl path, creates: <= 0.5ms + %.1f writes (%s)", writes, dur(write)), dur(createOver),
		createOver <= budget+write)
}

// kindStats are gateguard's figures for one kind of request at conc.
func (r *report) kindStats(conc int, k kind) stats {
	for _, res := range r.runs {
		if res.target == "gateguard" && res.concurrency == conc {
			return statsOf(samplesOf(res.samples, k), res.elapsed)
		}
	}
	return stats{}
}

// samplesOf are the samples of kind k.
func samplesOf(samples []sample, k kind) []sample {
	var of []sample
	for _, s := range samples {
		if s.kind == k {
			of = append(of, s)
		}
	}
	return of
}

// clean: gateguard answered every request of the run correctly.
func (r *report) clean(conc int) bool {
	for _, res := range r.runs {
		if res.concurrency == conc && res.errors > 0 {
			return false
		}
	}
	return true
}

// stats of the run of target at conc.
func (r *report) stats(target string, conc int) stats {
	for _, res := range r.runs {
		if res.target == target && res.concurrency == conc {
			return statsOf(res.samples, res.elapsed)
		}
	}
	return stats{}
}

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", a/b)
}
