package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gateguard/gateguard/e2e/cluster"
	"github.com/gateguard/gateguard/webhook"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
)

// servingArgs are gateguard serve's production defaults for the settings
// the e2e suite shortens to keep its tests quick: measured with a 2 s
// audit interval, every run would include a whole-snapshot audit (and one
// Secret read per TLS Gateway) every 2 s, which no cluster runs. With
// profileAddr set, pprof is served there too.
func servingArgs(profileAddr string, claims bool) []string {
	d := webhook.DefaultOptions()
	args := []string{"--reservation-ttl", d.ReservationTTL.String(), "--audit-interval", d.AuditInterval.String(),
		"--policy-poll-interval", d.PolicyPollInterval.String(), "--shutdown-delay", d.ShutdownDelay.String(),
		fmt.Sprintf("--claims=%t", claims)}
	if profileAddr != "" {
		args = append(args, "--pprof-bind-address", profileAddr)
	}
	return args
}

// profiler saves gateguard's pprof profiles into dir: CPU over a timed run,
// an execution trace of each open-loop warm-up, heap and allocations after
// the runs; and kube-apiserver's CPU over gateguard's timed runs.
type profiler struct {
	dir  string
	addr string
	// apiserver reads kube-apiserver's own /debug/pprof/ as cluster-admin,
	// from attach on: with host claims on, most of the CPU a request costs
	// is spent there, writing and reading the claims.
	apiserver    *http.Client
	apiserverURL string
}

// newProfiler returns nil when dir is empty: no profiling.
func newProfiler(dir string) (*profiler, error) {
	if dir == "" {
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	addr, err := cluster.FreeAddr()
	if err != nil {
		return nil, err
	}
	return &profiler{dir: dir, addr: addr}, nil
}

// of is p for a target that decides (gateguard), nil (no profiling) for
// the floor, which is not profiled.
func (p *profiler) of(t target) *profiler {
	if !t.decides {
		return nil
	}
	return p
}

// attach lets p profile the cluster's kube-apiserver, with admin's
// credentials.
func (p *profiler) attach(admin *rest.Config) error {
	if p == nil {
		return nil
	}
	hc, err := rest.HTTPClientFor(admin)
	if err != nil {
		return err
	}
	p.apiserver, p.apiserverURL = hc, strings.TrimSuffix(admin.Host, "/")+"/debug/pprof/"
	return nil
}

// address is where gateguard serves pprof; "" without profiling.
func (p *profiler) address() string {
	if p == nil {
		return ""
	}
	return p.addr
}

// cpu starts a CPU profile of the next d and returns a wait for it.
func (p *profiler) cpu(ctx context.Context, name string, d time.Duration) func() error {
	return p.over(ctx, name, "profile", d)
}

// trace starts a runtime execution trace (go tool trace) of the next d and
// returns a wait for it.
func (p *profiler) trace(ctx context.Context, name string, d time.Duration) func() error {
	return p.over(ctx, name, "trace", d)
}

// apiserverCPU starts a CPU profile of kube-apiserver over the next d and
// returns a wait for it.
func (p *profiler) apiserverCPU(ctx context.Context, name string, d time.Duration) func() error {
	if p == nil {
		return func() error { return nil }
	}
	return inBackground(func() error { return p.fetch(ctx, p.apiserver, p.apiserverURL+seconds("profile", d), name) })
}

// over saves gateguard's pprof kind of record of the next d.
func (p *profiler) over(ctx context.Context, name, kind string, d time.Duration) func() error {
	if p == nil {
		return func() error { return nil }
	}
	return inBackground(func() error { return p.save(ctx, name, seconds(kind, d)) })
}

// seconds is the pprof query for kind over d, in whole seconds.
func seconds(kind string, d time.Duration) string {
	return fmt.Sprintf("%s?seconds=%d", kind, max(1, int(d.Seconds())))
}

// inBackground runs fn and returns a wait for its error.
func inBackground(fn func() error) func() error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	return func() error { return <-done }
}

// startup profiles gateguard's CPU from the moment its pprof endpoint
// answers, which is when its informers start, for 30s, covering the
// initial sync; it returns a wait for the profile.
func (p *profiler) startup(ctx context.Context) func() error {
	if p == nil {
		return func() error { return nil }
	}
	done := make(chan error, 1)
	go func() {
		up := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
			resp, err := http.Get("http://" + p.addr + "/debug/pprof/")
			if err != nil {
				return false, nil
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK, nil
		})
		if up != nil {
			done <- fmt.Errorf("pprof never answered: %w", up)
			return
		}
		done <- p.save(ctx, "startup-cpu.pprof", "profile?seconds=30")
	}()
	return func() error { return <-done }
}

// memory saves the heap (in use) and allocation profiles.
func (p *profiler) memory(ctx context.Context) error {
	if p == nil {
		return nil
	}
	if err := p.save(ctx, "heap.pprof", "heap?gc=1"); err != nil {
		return err
	}
	return p.save(ctx, "allocs.pprof", "allocs")
}

// save fetches gateguard's /debug/pprof/<query> into dir/name.
func (p *profiler) save(ctx context.Context, name, query string) error {
	return p.fetch(ctx, http.DefaultClient, "http://"+p.addr+"/debug/pprof/"+query, name)
}

// fetch GETs url with hc into dir/name.
func (p *profiler) fetch(ctx context.Context, hc *http.Client, url, name string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.Create(filepath.Join(p.dir, name))
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
