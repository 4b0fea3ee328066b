package webhook

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// maxSyncWait bounds how long a request waits for the first cache sync;
// kube-apiserver gives a webhook 10 s by default.
const maxSyncWait = 10 * time.Second

// cacheSynced records the cache's first full sync, for readiness and for
// syncGate. The webhook server starts before the caches, and the
// snapshot reads the informers' stores directly, which do not wait: until
// the first sync a lookup would see a half-filled store and admit, say, a
// duplicate of a host the cluster already holds.
type cacheSynced struct {
	done atomic.Bool
	// handlers are the event handlers the snapshot reads through; set
	// before the manager starts.
	handlers []toolscache.InformerSynced
}

// runnable waits for the first sync; the manager runs it with the caches.
func (s *cacheSynced) runnable(c cache.Cache) manager.Runnable {
	return everyReplica{manager.RunnableFunc(func(ctx context.Context) error {
		s.done.Store(c.WaitForCacheSync(ctx) && handlersSynced(ctx, s.handlers))
		<-ctx.Done()
		return nil
	})}
}

// handlersSynced waits until every handler has taken in its informer's
// initial list, which a cache's sync does not wait for; false if ctx ends
// first.
func handlersSynced(ctx context.Context, handlers []toolscache.InformerSynced) bool {
	err := wait.PollUntilContextCancel(ctx, 10*time.Millisecond, true, func(context.Context) (bool, error) {
		return !slices.ContainsFunc(handlers, func(synced toolscache.InformerSynced) bool { return !synced() }), nil
	})
	return err == nil
}

// everyReplica runs a Runnable on every replica, never waiting for the
// claims sweeper's Lease: a Runnable that does not say so waits for it.
type everyReplica struct{ manager.Runnable }

func (everyReplica) NeedLeaderElection() bool { return false }

// syncPoll is how often a waiting request looks at the sync again.
const syncPoll = 50 * time.Millisecond

// gated puts next behind the sync gate.
func (s *cacheSynced) gated(next admission.Handler) syncGate {
	return syncGate{synced: s, next: next, poll: syncPoll}
}

// syncGate lets an admission through once the caches have synced. Before
// that it waits, up to the request's deadline or maxSyncWait, then refuses
// with 503 rather than decide on a half-filled cache: the apiserver then
// applies the webhook's failurePolicy.
type syncGate struct {
	synced *cacheSynced
	next   admission.Handler
	poll   time.Duration
}

func (g syncGate) Handle(ctx context.Context, req admission.Request) admission.Response {
	if !g.synced.done.Load() {
		err := wait.PollUntilContextTimeout(ctx, g.poll, maxSyncWait, false, func(context.Context) (bool, error) {
			return g.synced.done.Load(), nil
		})
		if err != nil {
			return admission.Errored(http.StatusServiceUnavailable,
				errors.New("gateguard's caches have not synced yet; it cannot decide without them"))
		}
	}
	return g.next.Handle(ctx, req)
}
