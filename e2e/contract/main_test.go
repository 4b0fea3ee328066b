// Package contract holds the two rules.Snapshot implementations to one
// contract: the cache-backed snapshot of `gateguard serve`, over a real
// kube-apiserver, and the in-memory one of `gateguard check`, given the
// same objects, must reach identical decisions, field paths and messages.
package contract

import (
	"context"
	"os"
	"testing"

	"github.com/gateguard/gateguard/e2e/cluster"
)

// env is a control plane of this package's own, without gateguard: beside
// what every e2e control plane has (the Gateway API's CRDs, GatewayClass
// istio), the objects of one scenario at a time are all it holds.
var env *cluster.Cluster

func TestMain(m *testing.M) {
	os.Exit(cluster.RunSuite(m, "contract", cluster.Options{SkipGateguard: true}, func(_ context.Context, c *cluster.Cluster) error {
		env = c
		return nil
	}))
}
