package webhook

import (
	"context"
	"time"

	"github.com/gateguard/gateguard/rules"
	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
)

// auditGauge re-audits the cluster from the cache every interval and
// exports the count of existing violations per rule and action, so that
// what predates gateguard, or what a policy change invalidated, shows on a
// dashboard.
type auditGauge struct {
	interval time.Duration
	cache    cache.Cache
	policy   *policySource
	snapshot func(context.Context) rules.Snapshot
	kinds    optionalKinds // the Gateway API kinds served, which the audit lists too
	metrics  *metrics
	log      logr.Logger
}

// Start audits until ctx ends; it is a manager Runnable.
func (a *auditGauge) Start(ctx context.Context) error {
	if !a.cache.WaitForCacheSync(ctx) {
		return nil
	}
	a.refresh(ctx)
	every(ctx, a.interval, a.refresh)
	return nil
}

// NeedLeaderElection is false: every replica exports its own view.
func (a *auditGauge) NeedLeaderElection() bool { return false }

func (a *auditGauge) refresh(ctx context.Context) {
	rep, err := audit(ctx, a.policy.Load(), a.snapshot(ctx), a.cache, a.kinds)
	if err != nil {
		a.log.Error(err, "audit of existing objects failed")
		return
	}
	a.metrics.existing.Reset()
	for _, f := range rep.Findings {
		a.metrics.existing.WithLabelValues(string(f.Rule), string(f.Action)).Inc()
	}
}
