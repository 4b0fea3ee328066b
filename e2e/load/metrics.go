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
	hc := http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := apiCalls{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "rest_client_requests_total{") {
			continue
		}
		_, labels, _ := strings.Cut(line, "{")
		labels, value, _ := strings.Cut(labels, "} ")
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			continue
		}
		out[labelValue(labels, "method")] += v
	}
	return out, sc.Err()
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
