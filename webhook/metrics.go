package webhook

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are gateguard's own series; controller-runtime adds the webhook
// latency histogram (controller_runtime_webhook_latency_seconds).
type metrics struct {
	decisions     *prometheus.CounterVec
	policyReloads *prometheus.CounterVec
	lookupErrors  prometheus.Counter
	existing      *prometheus.GaugeVec
}

// newMetrics creates and registers the series on reg.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateguard_decisions_total",
			Help: "Admission findings by kind, operation, rule and outcome (allow when no rule fired).",
		}, []string{"kind", "operation", "rule", "outcome"}),
		policyReloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateguard_policy_reloads_total",
			Help: "Policy file reloads by result (success, failure).",
		}, []string{"result"}),
		lookupErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gateguard_snapshot_errors_total",
			Help: "Cache lookups that failed while deciding.",
		}),
		existing: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gateguard_existing_violations",
			Help: "Violations among the objects already in the cluster, by rule and action, from the last audit.",
		}, []string{"rule", "action"}),
	}
	for _, c := range []prometheus.Collector{m.decisions, m.policyReloads, m.lookupErrors, m.existing} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
