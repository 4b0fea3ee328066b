package webhook

import (
	"bytes"
	"context"
	"os"
	"sync/atomic"
	"time"

	"github.com/gateguard/gateguard/rules"
	"github.com/go-logr/logr"
)

// policySource holds the policy in force. Readers get a whole policy or
// the previous one, never a half-loaded one.
type policySource struct {
	current atomic.Pointer[rules.Policy]
}

// Load returns the policy in force.
func (s *policySource) Load() *rules.Policy { return s.current.Load() }

// policyReloader polls the policy file: a mounted ConfigMap changes by an
// atomic symlink swap, which polling sees as surely as a watch and more
// simply. An invalid new version is refused, logged and counted; the last
// good one keeps serving.
type policyReloader struct {
	path     string
	interval time.Duration
	source   *policySource
	last     []byte
	metrics  *metrics
	log      logr.Logger
}

// NeedLeaderElection is false: every replica serves the policy file.
func (r *policyReloader) NeedLeaderElection() bool { return false }

// Start polls until ctx ends; it is a manager Runnable.
func (r *policyReloader) Start(ctx context.Context) error {
	every(ctx, r.interval, func(context.Context) { r.reload() })
	return nil
}

// reload applies the file if it changed and is valid.
func (r *policyReloader) reload() {
	data, err := os.ReadFile(r.path)
	if err != nil {
		r.fail(err)
		return
	}
	if bytes.Equal(data, r.last) {
		return
	}
	p, err := rules.ParsePolicy(data)
	if err != nil {
		r.last = data // report a bad version once, not every poll
		r.fail(err)
		return
	}
	r.source.current.Store(p)
	r.last = data
	r.metrics.policyReloads.WithLabelValues("success").Inc()
	r.metrics.policyFileValid.Set(1)
	r.log.Info("policy reloaded", "file", r.path)
}

func (r *policyReloader) fail(err error) {
	r.metrics.policyReloads.WithLabelValues("failure").Inc()
	r.metrics.policyFileValid.Set(0)
	r.log.Error(err, "policy file refused; the last good policy stays in force", "file", r.path)
}
