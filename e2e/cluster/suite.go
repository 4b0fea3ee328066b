package cluster

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// RunSuite is a test package's TestMain: it starts a control plane with
// opts, hands it to setup (which keeps it for the tests and finishes what
// the package needs), runs the tests, and always stops everything. A race
// the detector reported in any gateguard it ran (GATEGUARD_E2E_RACE=1)
// fails the package, since a race does not stop gateguard. It returns the
// exit code.
func RunSuite(m *testing.M, name string, opts Options, setup func(context.Context, *Cluster) error) int {
	ctrllog.SetLogger(logr.Discard()) // envtest logs through controller-runtime; gateguard's own log is its file
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	env, err := Start(ctx, opts)
	if env != nil {
		defer env.Stop()
	}
	if err == nil {
		err = setup(ctx, env)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s setup: %v\n", name, err)
		return 1
	}
	code := m.Run()
	reports, err := env.RaceReports()
	for _, r := range reports {
		fmt.Fprintln(os.Stderr, "gateguard race detector report:\n"+r)
	}
	if err != nil || len(reports) > 0 {
		fmt.Fprintf(os.Stderr, "%s: race reports: %v\n", name, err)
		return 1
	}
	return code
}
