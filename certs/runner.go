package certs

import (
	"context"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/log"
)

// minRetryDelay is the first retry delay after a failed check. Failures are
// usually transient (API server unavailable, webhook configuration not yet
// applied), so retrying soon beats waiting a whole CheckInterval.
const minRetryDelay = 5 * time.Second

// Start runs Ensure at once and then every CheckInterval until ctx ends, so
// certificates are renewed before they expire, rotations by other replicas
// are picked up, and a caBundle reset by a re-applied manifest is repaired.
// A failed check is logged and retried with backoff, never fatal: the
// certificate being served stays valid for at least RenewBefore, which is
// plenty of time to recover. It implements manager.Runnable.
func (b *Bootstrapper) Start(ctx context.Context) error {
	logger := log.FromContext(ctx).WithName("certs")
	ctx = log.IntoContext(ctx, logger)
	timer := time.NewTimer(0)
	defer timer.Stop()
	var retry time.Duration
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		err := b.Ensure(ctx)
		var delay time.Duration
		delay, retry = schedule(err, retry, b.opts.CheckInterval)
		if err != nil && ctx.Err() == nil {
			logger.Error(err, "serving certificate check failed; will retry", "retryIn", delay)
		}
		timer.Reset(delay)
	}
}

// schedule returns the delay before the next check and the retry delay to
// remember: CheckInterval after a success (which resets the backoff), a
// doubling retry delay capped at CheckInterval after a failure.
func schedule(err error, retry, interval time.Duration) (delay, nextRetryDelay time.Duration) {
	if err == nil {
		return interval, 0
	}
	next := nextRetry(retry, interval)
	return next, next
}

// nextRetry doubles the previous retry delay, starting at minRetryDelay
// and never exceeding interval.
func nextRetry(retry, interval time.Duration) time.Duration {
	return min(max(2*retry, minRetryDelay), interval)
}
