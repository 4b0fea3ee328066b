package claims

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the claims' series. A nil *Metrics counts nothing.
type Metrics struct {
	held      prometheus.Gauge
	takeovers prometheus.Counter
	releases  *prometheus.CounterVec
	backfills prometheus.Counter
	sweeps    *prometheus.CounterVec
	errors    *prometheus.CounterVec
}

// NewMetrics creates and registers the series on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		held: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gateguard_claims_held",
			Help: "HostClaims in the cluster at the last sweep (reported by the replica that sweeps).",
		}),
		takeovers: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gateguard_claims_takeovers_total",
			Help: "Claims taken over from an owner that was gone or no longer claimed the host.",
		}),
		releases: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateguard_claims_releases_total",
			Help: "Claims deleted, by reason (released: the owner dropped the host or was deleted; swept: found stale by the sweeper; rollback: made by a request that was then refused).",
		}, []string{"reason"}),
		backfills: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gateguard_claims_backfills_total",
			Help: "Claims the sweeper created for objects that claimed a host without one (objects that predate gateguard).",
		}),
		sweeps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateguard_claims_sweeps_total",
			Help: "Sweeps of the claims, by result (success, failure).",
		}, []string{"result"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateguard_claims_errors_total",
			Help: "Claim operations the apiserver refused or failed, by operation (claim, release, rollback, sweep).",
		}, []string{"operation"}),
	}
	for _, c := range []prometheus.Collector{m.held, m.takeovers, m.releases, m.backfills, m.sweeps, m.errors} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Metrics) tookOver() {
	if m != nil {
		m.takeovers.Inc()
	}
}

func (m *Metrics) released(reason string) {
	if m != nil {
		m.releases.WithLabelValues(reason).Inc()
	}
}

func (m *Metrics) backfilled() {
	if m != nil {
		m.backfills.Inc()
	}
}

func (m *Metrics) errorIn(operation string) {
	if m != nil {
		m.errors.WithLabelValues(operation).Inc()
	}
}

// swept records one sweep: its result and, when it succeeded, how many
// claims it left.
func (m *Metrics) swept(held int, err error) {
	if m == nil {
		return
	}
	if err != nil {
		m.sweeps.WithLabelValues("failure").Inc()
		m.errors.WithLabelValues("sweep").Inc()
		return
	}
	m.sweeps.WithLabelValues("success").Inc()
	m.held.Set(float64(held))
}
