package webhook

import (
	"context"
	"net/http"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// countingHandler allows everything and counts the calls.
type countingHandler struct{ calls int }

func (h *countingHandler) Handle(context.Context, admission.Request) admission.Response {
	h.calls++
	return admission.Allowed("")
}

// TestSyncGateRefusesUntilTheCachesSync: before the first sync a request
// waits, and is refused with 503 and the reason when its deadline passes,
// never decided on a half-filled cache; once the caches sync, a waiting
// request goes through.
func TestSyncGateRefusesUntilTheCachesSync(t *testing.T) {
	next := &countingHandler{}
	gate := syncGate{synced: &cacheSynced{}, next: next, poll: time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	resp := gate.Handle(ctx, admission.Request{})
	if resp.Allowed || resp.Result == nil || resp.Result.Code != http.StatusServiceUnavailable ||
		resp.Result.Message != "gateguard's caches have not synced yet; it cannot decide without them" || next.calls != 0 {
		t.Fatalf("before the sync: allowed=%v result=%+v, next called %d times", resp.Allowed, resp.Result, next.calls)
	}
	time.AfterFunc(20*time.Millisecond, func() { gate.synced.done.Store(true) })
	if resp := gate.Handle(context.Background(), admission.Request{}); !resp.Allowed || next.calls != 1 {
		t.Fatalf("after the sync: allowed=%v, next called %d times", resp.Allowed, next.calls)
	}
}
