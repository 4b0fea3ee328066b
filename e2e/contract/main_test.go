// Package contract holds the two rules.Snapshot implementations to one
// contract: the cache-backed snapshot of `gateguard serve`, over a real
// kube-apiserver, and the in-memory one of `gateguard check`, given the
// same objects, must reach identical decisions, field paths and messages.
package contract

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/gateguard/gateguard/e2e/cluster"
	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// env is a control plane of this package's own, without gateguard: the
// objects of one scenario at a time are all it holds.
var env *cluster.Cluster

func TestMain(m *testing.M) {
	ctrllog.SetLogger(logr.Discard())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	var err error
	env, err = cluster.Start(ctx, cluster.Options{SkipGateguard: true})
	code := 1
	if err == nil {
		code = m.Run()
	} else {
		fmt.Fprintln(os.Stderr, "contract setup:", err)
	}
	if env != nil {
		env.Stop()
	}
	cancel()
	os.Exit(code)
}
