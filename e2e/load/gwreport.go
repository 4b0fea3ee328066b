package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// printSnapshot names what was seeded before gateguard started.
func (r *report) printSnapshot(w io.Writer) {
	o := r.opts
	routes := ""
	if o.HTTPRoutes > 0 {
		routes = fmt.Sprintf(", %d HTTPRoutes on %d managed Gateways of class istio (%d more Secrets)", o.HTTPRoutes, o.Gateways, o.Gateways)
	}
	fmt.Fprintf(w, "snapshot:      %d VirtualServices, %d Gateways, %d Secrets, %d Pods%s; seeded %s\n",
		o.VirtualServices, o.Gateways, o.Secrets, o.Pods, routes, r.seeded)
}

// printRoutes gives gateguard's figures for the HTTPRoute admissions of
// each closed-loop run on their own: their share of its throughput, and
// their latencies beside a new VirtualService's of the same run.
func (r *report) printRoutes(w io.Writer) {
	if !r.opts.Mix.hasRoutes() {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "gateguard, HTTPRoute requests\tconc\trequests\treq/s\tp50\tp99\tp50 / new-vs p50\t")
	for _, res := range r.runs {
		if res.target != "gateguard" {
			continue
		}
		vs := statsOf(samplesOf(res.samples, kindNew), res.elapsed)
		rows := []struct {
			name    string
			samples []sample
		}{
			{kindNewRoute.String(), samplesOf(res.samples, kindNewRoute)},
			{kindDuplicateRoute.String(), samplesOf(res.samples, kindDuplicateRoute)},
			{"all HTTPRoutes", append(samplesOf(res.samples, kindNewRoute), samplesOf(res.samples, kindDuplicateRoute)...)},
		}
		for _, row := range rows {
			st := statsOf(row.samples, res.elapsed)
			fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t\n", row.name, res.concurrency, st.n, st.rps, dur(st.p50), dur(st.p99),
				ratio(float64(st.p50), float64(vs.p50)))
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
}
