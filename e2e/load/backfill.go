package main

import (
	"context"
	"fmt"
	"time"

	"github.com/gateguard/gateguard/e2e/cluster"
	"k8s.io/apimachinery/pkg/util/wait"
)

// Metric lines the backfill wait reads from gateguard's /metrics.
const (
	sweepsSucceeded = `gateguard_claims_sweeps_total{result="success"}`
	claimsBackfills = "gateguard_claims_backfills_total"
	claimsHeld      = "gateguard_claims_held"
)

// waitForBackfill waits until the serving gateguard has swept the claims
// once. Its first sweep creates a HostClaim for every host the seeded
// objects hold (docs/claims.md), one apiserver write each: the runs must
// not measure that one-off backfill as the cost of admission. It returns
// what the report says of it.
func waitForBackfill(ctx context.Context, c *cluster.Cluster, limit time.Duration) (string, error) {
	started := time.Now()
	var got map[string]float64
	err := wait.PollUntilContextTimeout(ctx, time.Second, limit, true, func(context.Context) (bool, error) {
		m, err := scrapeGauges(c.Gateguard.MetricsAddr, sweepsSucceeded, claimsBackfills, claimsHeld)
		got = m
		return err == nil && m[sweepsSucceeded] >= 1, nil
	})
	if err != nil {
		return "", fmt.Errorf("gateguard had not swept its claims once after %s (metrics %v): %w", limit, got, err)
	}
	return fmt.Sprintf("first sweep done %s after ready: %.0f HostClaims held, %.0f of them backfilled by this start",
		time.Since(started).Round(100*time.Millisecond), got[claimsHeld], got[claimsBackfills]), nil
}
