package cluster

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/rest"
)

// Series are scraped metric families by name.
type Series map[string]*dto.MetricFamily

// Sum adds up the counters or gauges of family name whose labels include
// every pair of match.
func (s Series) Sum(name string, match map[string]string) float64 {
	var sum float64
	f := s[name]
	if f == nil {
		return 0
	}
	for _, m := range f.GetMetric() {
		if labelsMatch(m, match) {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue() + m.GetUntyped().GetValue()
		}
	}
	return sum
}

func labelsMatch(m *dto.Metric, match map[string]string) bool {
	found := 0
	for _, l := range m.GetLabel() {
		if v, ok := match[l.GetName()]; ok {
			if v != l.GetValue() {
				return false
			}
			found++
		}
	}
	return found == len(match)
}

// APIServerMetrics scrapes kube-apiserver's /metrics as cluster-admin:
// apiserver_request_total counts every request it served, by resource,
// verb, code and dry run.
func (e *Cluster) APIServerMetrics(ctx context.Context) (Series, error) {
	hc, err := rest.HTTPClientFor(e.AdminConfig)
	if err != nil {
		return nil, err
	}
	return scrape(ctx, hc, strings.TrimSuffix(e.AdminConfig.Host, "/")+"/metrics")
}

// Metrics scrapes p's /metrics.
func (p *Gateguard) Metrics(ctx context.Context) (Series, error) {
	return scrape(ctx, http.DefaultClient, "http://"+p.MetricsAddr+"/metrics")
}

// scrape reads the Prometheus text exposition at url.
func scrape(ctx context.Context, hc *http.Client, url string) (Series, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(resp.Body)
}
