package main

import (
	"testing"
)

// TestServeRefusesAnInvalidPolicyWithItsLine: an invalid policy file stops
// startup before any cluster is contacted, naming the line and field.
func TestServeRefusesAnInvalidPolicyWithItsLine(t *testing.T) {
	code, _, stderr := runCLI(t, "", "serve", "--policy", "testdata/bad-policy.yaml", "--kubeconfig", "testdata/nope")
	want := `gateguard: policy testdata/bad-policy.yaml: invalid GatewayPolicy: line 4: rules.wildcard-host.action: ` +
		`Unsupported value: "block": supported values: "deny", "warn", "off"` + "\n"
	if code != 1 || stderr != want {
		t.Errorf("exit %d, stderr\n%q\nwant\n%q", code, stderr, want)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{{}, {"frobnicate"}, {"serve", "extra"}, {"serve", "--no-such-flag"}} {
		if code, _, _ := runCLI(t, "", args...); code != 2 {
			t.Errorf("gateguard %v: exit %d, want 2", args, code)
		}
	}
}
