package certs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

func TestStartKeepsCheckingAndStopsCleanly(t *testing.T) {
	var w writes
	// No webhook configurations: every check fails, which must not stop
	// the loop, and the files are still written.
	c := newFakeClient(&w, interceptor.Funcs{})
	b, err := New(c, Options{Namespace: testNamespace, CertDir: t.TempDir(), CheckInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := testContextWithCancel(t)
	done := make(chan error, 1)
	go func() { done <- b.Start(ctx) }()

	waitFor(t, func() bool {
		_, err := os.Stat(filepath.Join(b.opts.CertDir, "tls.crt"))
		return err == nil
	})
	// The configurations appear: a later check patches them.
	for _, obj := range webhookConfigs() {
		if err := c.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, func() bool { return w.patch.Load() == 2 })

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Start = %v, want nil on shutdown", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Start did not return after cancel")
	}
}

func TestSchedule(t *testing.T) {
	interval := time.Minute
	fail := errors.New("boom")
	tests := []struct {
		name              string
		err               error
		retry             time.Duration
		wantDelay, wantRe time.Duration
	}{
		{"success", nil, 0, interval, 0},
		{"success resets backoff", nil, 40 * time.Second, interval, 0},
		{"first failure", fail, 0, minRetryDelay, minRetryDelay},
		{"doubles", fail, minRetryDelay, 2 * minRetryDelay, 2 * minRetryDelay},
		{"capped at interval", fail, 40 * time.Second, interval, interval},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			delay, retry := schedule(tt.err, tt.retry, interval)
			if delay != tt.wantDelay || retry != tt.wantRe {
				t.Errorf("schedule = %s, %s; want %s, %s", delay, retry, tt.wantDelay, tt.wantRe)
			}
		})
	}
}

// waitFor polls cond for up to five seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 5*time.Millisecond, 5*time.Second, true,
		func(context.Context) (bool, error) { return cond(), nil })
	if err != nil {
		t.Fatal("condition not met in time")
	}
}
