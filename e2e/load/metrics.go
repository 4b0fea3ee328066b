package main

import (
	"bufio"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// apiCalls counts gateguard's own requests to kube-apiserver by method,
// from controller-runtime's rest_client_requests_total on its metrics
// endpoint: informer LISTs and WATCHes, and the direct GETs some decisions
// make.
type apiCalls map[string]float64

// scrapeAPICalls reads rest_client_requests_total from
// http://addr/metrics, summed over code and host.
func scrapeAPICalls(addr string) (apiCalls, error) {
	out := apiCalls{}
	err := scrape(addr, func(name, labels string, v float64) {
		if name == "rest_client_requests_total" {
			out[labelValue(labels, "method")] += v
		}
	})
	return out, err
}

// scrapeClaimWrites is gateguard's POSTs to kube-apiserver less the
// claims its sweeper backfilled: the HostClaims its admissions created
// (the load tool's objects claim nothing else), not those of objects
// another arm left unclaimed.
func scrapeClaimWrites(addr string) (float64, error) {
	posts, backfills := 0.0, 0.0
	err := scrape(addr, func(name, labels string, v float64) {
		switch {
		case name == "rest_client_requests_total" && labelValue(labels, "method") == "POST":
			posts += v
		case name == "gateguard_claims_backfills_total":
			backfills += v
		}
	})
	return posts - backfills, err
}

// scrape calls sample with every sample of http://addr/metrics.
func scrape(addr string, sample func(name, labels string, v float64)) error {
	hc := http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Get("http://" + addr + "/metrics")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		series, value, _ := strings.Cut(line, " ")
		name, labels, _ := strings.Cut(series, "{")
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			continue
		}
		sample(name, strings.TrimSuffix(labels, "}"), v)
	}
	return sc.Err()
}

// labelValue extracts name="value" from a Prometheus label list.
func labelValue(labels, name string) string {
	for _, pair := range strings.Split(labels, ",") {
		if k, v, ok := strings.Cut(pair, "="); ok && k == name {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

// since is what was counted after before, as "GET 120 (6.0/s), ...".
func (after apiCalls) since(before apiCalls, took time.Duration) string {
	var parts []string
	for method, n := range after {
		if d := n - before[method]; d > 0 {
			parts = append(parts, fmt.Sprintf("%s %.0f (%.1f/s)", method, d, d/took.Seconds()))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
