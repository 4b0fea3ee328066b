package main

import (
	"testing"
	"time"
)

// TestPairedOverTakesEachRoundsDifference: the figures are those of
// gateguard's latency less the floor's in the same round, not of the
// arms' medians (here 20ms less 25ms), and a round one arm lacks is left
// out.
func TestPairedOverTakesEachRoundsDifference(t *testing.T) {
	ms := time.Millisecond
	gateguard := []time.Duration{10 * ms, 20 * ms, 30 * ms, 40 * ms}
	floor := []time.Duration{9 * ms, 25 * ms, 28 * ms} // rounds' differences 1, -5, 2 ms
	median, p99 := pairedOver(gateguard, floor)
	if median != 1*ms || p99 != 2*ms {
		t.Errorf("pairedOver = median %s, p99 %s; want 1ms, 2ms", median, p99)
	}
}

// TestOpenResultAddMergesTurns: the turns' answers, time, errors and CPU
// add up, and at most three errors are kept to print.
func TestOpenResultAddMergesTurns(t *testing.T) {
	merged := &openResult{target: "gateguard", cpu: cpuUse{}}
	for turn := range 2 {
		merged.add(&openResult{rate: 100, elapsed: time.Second, fromIntended: []time.Duration{time.Duration(turn + 1)},
			fromSent: []time.Duration{time.Duration(turn + 3)}, errors: 2, firstErrors: []string{"a", "b"}},
			cpuUse{"target": 10 * time.Millisecond})
	}
	switch {
	case merged.rate != 100 || merged.elapsed != 2*time.Second || merged.errors != 4:
		t.Errorf("rate %v, elapsed %s, errors %d; want 100, 2s, 4", merged.rate, merged.elapsed, merged.errors)
	case len(merged.fromIntended) != 2 || len(merged.fromSent) != 2 || merged.fromSent[1] != 4:
		t.Errorf("latencies %v from intended, %v from sent; want both turns'", merged.fromIntended, merged.fromSent)
	case len(merged.firstErrors) != 3 || merged.cpu["target"] != 20*time.Millisecond:
		t.Errorf("first errors %q, target CPU %s; want three kept and 20ms", merged.firstErrors, merged.cpu["target"])
	}
}
