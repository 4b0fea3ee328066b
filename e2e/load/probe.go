package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gateguard/gateguard/e2e/cluster"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// floorWarning prefixes the warning the floor adds to every answer, with
// the path it was called on, so that the kubectl path can tell "calling
// the floor" from "calling nothing", which both admit.
const floorWarning = "answered by the load tool's floor on "

// webhookState is whom the apiserver calls for a VirtualService create.
type webhookState int

const (
	callsNothing webhookState = iota
	callsGateguard
	callsFloor
	callsSome // switching: one configuration calls the floor, the other not yet
)

func (s webhookState) String() string {
	return [...]string{"nothing", "gateguard", "the floor", "the floor from one configuration only"}[s]
}

// prober dry-runs a create of a duplicate host through the apiserver and
// reads the answer: gateguard denies it; the floor admits it with its
// warnings from both /validate and /mutate; with no webhook it is admitted
// without them.
type prober struct {
	cl       client.Client
	mu       sync.Mutex
	warnings []string
}

func newProber(c *cluster.Cluster) (*prober, error) {
	p := &prober{}
	cfg := rest.CopyConfig(c.AdminConfig)
	cfg.WarningHandler = p
	cl, err := fastClient(cfg)
	p.cl = cl
	return p, err
}

// HandleWarningHeader records the apiserver's warnings: a rest.WarningHandler.
func (p *prober) HandleWarningHeader(_ int, _ string, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.warnings = append(p.warnings, text)
}

// state makes one probe, labelled for arm, and tells who answered it.
func (p *prober) state(ctx context.Context, o options, arm string, attempt int) (webhookState, error) {
	p.mu.Lock()
	p.warnings = nil
	p.mu.Unlock()
	dup := seededVirtualService(o, 0) // owned by team-0
	dup.Namespace, dup.Name = teamNamespace(1, o.Namespaces), fmt.Sprintf("probe-%s-%d", arm, attempt)
	dup.Labels = map[string]string{armLabel: arm}
	err := p.cl.Create(ctx, dup, client.DryRunAll)
	if err != nil && strings.Contains(err.Error(), "duplicate-host") {
		return callsGateguard, nil
	}
	if err != nil {
		return 0, fmt.Errorf("webhook probe: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	floor := func(path string) bool { return slices.Contains(p.warnings, floorWarning+path) }
	switch {
	case floor("/validate") && floor("/mutate"):
		return callsFloor, nil
	case !slices.ContainsFunc(p.warnings, func(w string) bool { return strings.HasPrefix(w, floorWarning) }):
		return callsNothing, nil
	}
	return callsSome, nil
}

// wait probes, for at most 20s, until the apiserver's view of the webhook
// configurations has caught up with want for the objects of arm.
func (p *prober) wait(ctx context.Context, o options, arm string, want webhookState) error {
	deadline := time.Now().Add(20 * time.Second)
	for attempt := 0; time.Now().Before(deadline); attempt++ {
		got, err := p.state(ctx, o, arm, attempt)
		if err != nil || got == want {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("the apiserver did not call %s for the %s arm's objects within 20s", want, arm)
}
