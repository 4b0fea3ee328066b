package webhook

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are gateguard's own series; controller-runtime adds the webhook
// latency histogram (controller_runtime_webhook_latency_seconds).
type metrics struct {
	decisions     *prometheus.CounterVec
	policyReloads *prometheus.CounterVec
	// policyFileValid is 1 while the policy file is the policy in force,
	// 0 while a refused version sits in its place: a refusal is counted
	// once, but an alert must last as long as the bad file does.
	policyFileValid prometheus.Gauge
	lookupErrors    prometheus.Counter
	// admissionErrors are the responses that decided nothing (errorcount.go).
	admissionErrors *prometheus.CounterVec
	existing        *prometheus.GaugeVec
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
		policyFileValid: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gateguard_policy_file_valid",
			Help: "1 while the policy file is the policy in force; 0 while a refused version is in its place and the last good policy serves.",
		}),
		admissionErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateguard_admission_errors_total",
			Help: "Admission responses that are errors, not decisions, by webhook and code (400 undecodable object, 500 failed decision, 503 caches not synced).",
		}, []string{"webhook", "code"}),
		lookupErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gateguard_snapshot_errors_total",
			Help: "Cache lookups that failed while deciding.",
		}),
		existing: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gateguard_existing_violations",
			Help: "Violations among the objects already in the cluster, by rule and action, from the last audit.",
		}, []string{"rule", "action"}),
	}
	m.policyFileValid.Set(1) // serve starts only on a valid policy
	for _, c := range []prometheus.Collector{m.decisions, m.policyReloads, m.policyFileValid, m.admissionErrors, m.lookupErrors, m.existing} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
