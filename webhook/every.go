package webhook

import (
	"context"
	"time"
)

// every calls fn each interval until ctx ends: the loop of the periodic
// Runnables (policy reload, claim sweep, audit gauge).
func every(ctx context.Context, interval time.Duration, fn func(context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn(ctx)
		}
	}
}
