package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync/atomic"
	"text/tabwriter"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	admissionv1 "k8s.io/api/admission/v1"
)

// openResult is one target's open loop at one rate, or one turn of it:
// requests sent at a fixed arrival rate whatever the answers' pace, so
// that a slow answer delays no later request and queueing shows in the
// latencies instead of hiding in a lower rate (coordinated omission).
type openResult struct {
	target  string
	percent int           // of the floor's c=1 throughput
	rate    float64       // requests per second asked of the pacer
	elapsed time.Duration // each turn's, from its start to its last answer, summed
	// latency from each request's intended send time, and from its actual
	// one (vegeta's own figure), of the correct answers.
	fromIntended, fromSent []time.Duration
	errors                 int
	firstErrors            []string
	cpu                    cpuUse // CPU time by process, summed over the turns
}

// openConnections bounds the open loop's requests in flight and sizes its
// connection pool to match, so that no connection is closed for want of
// an idle slot and none costs a later request a handshake.
const openConnections = 64

// keptErrors is how many of a run's wrong answers, closed or open loop,
// are kept to print.
const keptErrors = 3

// driveOpenLoop runs, at each of o.OpenLoop percentages of the floor's
// c=1 throughput, the floor and gateguard at the same rate.
func driveOpenLoop(ctx context.Context, targets []target, pool []request, o options, rep *report, prof *profiler,
	caPEMs ...[]byte) error {
	capacity := rep.stats("floor", 1).rps
	if len(o.OpenLoop) == 0 || capacity == 0 {
		return nil
	}
	hc, err := newHTTPClient(openConnections, caPEMs...)
	if err != nil {
		return err
	}
	defer hc.CloseIdleConnections()
	for _, pct := range o.OpenLoop {
		runs, err := openLoopAt(ctx, hc, targets, pool, o, pct, capacity*float64(pct)/100, prof)
		if err != nil {
			return err
		}
		rep.open = append(rep.open, runs...)
	}
	return nil
}

// openLoopAt warms every target up at rate, untimed, then gives each
// o.OpenDuration in o.OpenTurns turns, taking turns in alternating order:
// whatever else the shared machine does for a moment (another process's
// garbage collection, the apiserver's) then falls on one turn of one
// target, as likely the one as the other, instead of on whichever target
// ran for the whole of that stretch, and no target always goes first.
// gateguard's warm-up is traced (the runtime's execution trace shows what
// its goroutines and the garbage collector did when, which a CPU profile
// cannot), its CPU profiled over all the turns (it idles in the floor's).
func openLoopAt(ctx context.Context, hc *http.Client, targets []target, pool []request, o options, pct int, rate float64,
	prof *profiler) ([]*openResult, error) {
	turnLength := o.OpenDuration / time.Duration(o.OpenTurns)
	step("open loop at %d%% of the floor's c=1 throughput (%.0f req/s): %s warm-up per target, then %d turns of %s each",
		pct, rate, o.Warmup, o.OpenTurns, turnLength)
	runs := make([]*openResult, len(targets))
	for i, t := range targets {
		if o.Warmup > 0 {
			traced := prof.of(t).trace(ctx, fmt.Sprintf("trace-open%d.out", pct), o.Warmup)
			attack(hc, t, pool, rate, o.Warmup)
			if err := traced(); err != nil {
				return nil, err
			}
		}
		runs[i] = &openResult{target: t.name, percent: pct, cpu: cpuUse{}}
	}
	// A second more than the turns' sum: each turn also drains its
	// requests in flight.
	profiled := prof.cpu(ctx, fmt.Sprintf("cpu-open%d.pprof", pct), time.Duration(len(targets))*o.OpenDuration+time.Second)
	for n := range o.OpenTurns {
		for k := range targets {
			if err := ctx.Err(); err != nil {
				return nil, errors.Join(err, profiled())
			}
			i := (n + k) % len(targets)
			meter := newCPUMeter(targets[i].pid)
			before := meter.read()
			runs[i].add(attack(hc, targets[i], pool, rate, turnLength), meter.read().since(before))
		}
	}
	for _, r := range runs {
		slices.Sort(r.fromIntended)
		slices.Sort(r.fromSent)
	}
	return runs, errors.Join(profiled(), ctx.Err())
}

// add merges one turn's answers and CPU use into r.
func (r *openResult) add(turn *openResult, cpu cpuUse) {
	r.rate, r.elapsed = turn.rate, r.elapsed+turn.elapsed
	r.fromIntended = append(r.fromIntended, turn.fromIntended...)
	r.fromSent = append(r.fromSent, turn.fromSent...)
	r.errors += turn.errors
	r.firstErrors = append(r.firstErrors, turn.firstErrors[:min(len(turn.firstErrors), keptErrors-len(r.firstErrors))]...)
	for role, d := range cpu {
		r.cpu[role] += d
	}
}

// attack sends the pool's requests, cycled, at rate for duration with
// vegeta's constant pacer, and checks every answer afterwards. Its
// latencies are unsorted.
func attack(hc *http.Client, t target, pool []request, rate float64, duration time.Duration) *openResult {
	pacer := vegeta.ConstantPacer{Freq: max(1, int(rate+0.5)), Per: time.Second}
	interval := time.Duration(pacer.Per.Nanoseconds() / int64(pacer.Freq))
	// At most openConnections in flight: past that the pacer waits, and the
	// wait still counts, as latency from the intended send time, while an
	// unbounded attacker would open a connection, a TLS handshake, per
	// request once the target falls behind, and measure that instead.
	atk := vegeta.NewAttacker(vegeta.Client(hc), vegeta.Workers(8), vegeta.MaxWorkers(openConnections), vegeta.MaxBody(1<<20))
	// Attack takes its own start a moment later; from this one the
	// latencies are, if anything, a little longer than they were.
	start := time.Now()
	var results []*vegeta.Result
	for r := range atk.Attack(poolTargeter(t.url, pool), pacer, duration, t.name) {
		results = append(results, r)
	}
	res := &openResult{target: t.name, rate: float64(pacer.Freq), elapsed: time.Since(start)}
	byUID := map[string]*request{}
	for i := range pool {
		byUID[pool[i].uid] = &pool[i]
	}
	for _, r := range results {
		if err := checkResult(r, byUID, t.decides); err != nil {
			if res.errors++; len(res.firstErrors) < keptErrors {
				res.firstErrors = append(res.firstErrors, err.Error())
			}
			continue
		}
		// vegeta's constant pacer sends request n (from 0) at
		// start + (n+1)·interval: that is when it was meant to leave.
		intended := start.Add(time.Duration(r.Seq+1) * interval)
		res.fromIntended = append(res.fromIntended, r.End().Sub(intended))
		res.fromSent = append(res.fromSent, r.Latency)
	}
	return res
}

// poolTargeter cycles the pool's requests.
func poolTargeter(url string, pool []request) vegeta.Targeter {
	var next atomic.Int64
	header := http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json, */*"}}
	return func(tgt *vegeta.Target) error {
		r := &pool[(next.Add(1)-1)%int64(len(pool))]
		tgt.Method, tgt.URL, tgt.Body, tgt.Header = http.MethodPost, url+r.path, r.body, header
		return nil
	}
}

// checkResult finds the request an answer is for by the UID it echoes and
// checks it as the closed loop does.
func checkResult(r *vegeta.Result, byUID map[string]*request, decides bool) error {
	if r.Code != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s %.200s", r.Code, r.Error, r.Body)
	}
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(r.Body, &review); err != nil || review.Response == nil {
		return fmt.Errorf("not an AdmissionReview (%v): %.200s", err, r.Body)
	}
	req, ok := byUID[string(review.Response.UID)]
	if !ok {
		return fmt.Errorf("answered an unknown UID %q", review.Response.UID)
	}
	if err := check(req, decides, int(r.Code), r.Body); err != nil {
		return fmt.Errorf("%s %s: %w", req.kind, req.uid, err)
	}
	return nil
}

// printOpen writes the open-loop runs, floor and gateguard side by side
// at each rate.
func (r *report) printOpen(w io.Writer) {
	if len(r.open) == 0 {
		return
	}
	fmt.Fprintf(w, "open loop: vegeta's constant pacer for %s per target and rate, in %d turns taken in alternating order; "+
		"latency from each request's intended send time (from its actual send time in the last column)\n",
		r.opts.OpenDuration, r.opts.OpenTurns)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\t% of floor c=1\treq/s asked\tanswered/s\tp50\tp99\tp99.9\tmax\terrors\tp99 from sent\t"+
		"CPU µs/req: target\tload tool\tmachine\t")
	for _, res := range r.open {
		lat := res.fromIntended
		n := float64(max(1, len(lat)))
		var machine time.Duration
		for _, t := range res.cpu {
			machine += t
		}
		fmt.Fprintf(tw, "%s\t%d%%\t%.0f\t%.0f\t%s\t%s\t%s\t%s\t%d\t%s\t%.0f\t%.0f\t%.0f\t\n", res.target, res.percent, res.rate,
			float64(len(lat))/res.elapsed.Seconds(), dur(percentile(lat, 50)), dur(percentile(lat, 99)),
			dur(percentile(lat, 99.9)), dur(percentile(lat, 100)), res.errors, dur(percentile(res.fromSent, 99)),
			float64(res.cpu["target"].Microseconds())/n, float64(res.cpu["load tool"].Microseconds())/n,
			float64(machine.Microseconds())/n)
	}
	tw.Flush()
	for _, res := range r.open {
		for _, e := range res.firstErrors {
			fmt.Fprintf(w, "  error (%s, open loop %d%%): %s\n", res.target, res.percent, e)
		}
	}
	fmt.Fprintln(w)
}

// openRun is the open-loop run of target at pct, or nil.
func (r *report) openRun(target string, pct int) *openResult {
	for _, res := range r.open {
		if res.target == target && res.percent == pct {
			return res
		}
	}
	return nil
}

// judgeOpenLoop: at half the floor's c=1 throughput, gateguard's p99 is at
// most 3x the floor's at the same rate, with every answer correct.
func (r *report) judgeOpenLoop(w io.Writer, verdict func(name string, got any, ok bool)) {
	const name = "open loop at 50% of floor c=1: p99 <= 3x floor's"
	gg, fl := r.openRun("gateguard", 50), r.openRun("floor", 50)
	if gg == nil || fl == nil {
		fmt.Fprintf(w, "  %-46s not run (add 50 to --open-loop)\n", name)
		return
	}
	p99, floor99 := percentile(gg.fromIntended, 99), percentile(fl.fromIntended, 99)
	got := ratio(float64(p99), float64(floor99))
	if gg.errors > 0 {
		got += fmt.Sprintf(", %d errors", gg.errors)
	}
	verdict(name, got, floor99 > 0 && len(gg.fromIntended) > 0 && p99 <= 3*floor99 && gg.errors == 0)
}
