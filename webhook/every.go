package webhook

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// every calls fn each interval, the first time one interval from now,
// until ctx ends: the loop of the periodic Runnables (policy reload, claim
// sweep, audit gauge).
func every(ctx context.Context, interval time.Duration, fn func(context.Context)) {
	_ = wait.PollUntilContextCancel(ctx, interval, false, func(ctx context.Context) (bool, error) {
		fn(ctx)
		return false, nil
	})
}
