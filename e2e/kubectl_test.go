package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// kubectlResult is what one kubectl run printed.
type kubectlResult struct {
	stdout, stderr string
	exitCode       int
}

// kubectl runs the real kubectl as cluster-admin with stdin.
func kubectl(t *testing.T, stdin string, args ...string) kubectlResult {
	t.Helper()
	res, err := runKubectl(stdin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// runKubectl runs kubectl; a kubectl that exits non-zero is a result, one
// that cannot run at all an error.
func runKubectl(stdin string, args ...string) (kubectlResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.Kubectl, append([]string{"--kubeconfig", env.Kubeconfig}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	res := kubectlResult{stdout: out.String(), stderr: errOut.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		res.exitCode = ee.ExitCode()
	} else if err != nil {
		return res, fmt.Errorf("kubectl %v: %w", args, err)
	}
	return res, nil
}

// apply runs kubectl apply -f - with extra args.
func apply(t *testing.T, yaml string, args ...string) kubectlResult {
	t.Helper()
	return kubectl(t, yaml, append([]string{"apply", "-f", "-"}, args...)...)
}

// mustApply applies and fails the test unless kubectl succeeds.
func mustApply(t *testing.T, yaml string) kubectlResult {
	t.Helper()
	res := apply(t, yaml)
	if res.exitCode != 0 {
		t.Fatalf("kubectl apply failed (%d):\n%s%s", res.exitCode, res.stdout, res.stderr)
	}
	return res
}

// mustDeny applies and fails the test unless kubectl is refused with
// every one of wants in its error output.
func mustDeny(t *testing.T, yaml string, wants ...string) kubectlResult {
	t.Helper()
	res := apply(t, yaml)
	if res.exitCode == 0 {
		t.Fatalf("kubectl apply succeeded, want a denial:\n%s%s", res.stdout, res.stderr)
	}
	for _, w := range wants {
		if !strings.Contains(res.stderr, w) {
			t.Errorf("denial lacks %q:\n%s", w, res.stderr)
		}
	}
	return res
}

// eventuallyDenied dry-runs the object until gateguard denies it with
// every one of wants, as what the denial rests on reaches its cache a
// moment after the apiserver stores it; then applies it for real, which
// must be denied with the same words. (Retrying the real apply instead
// would store the object if admitted once too early.)
func eventuallyDenied(t *testing.T, yaml string, wants ...string) kubectlResult {
	t.Helper()
	var dry kubectlResult
	eventually(t, func() error {
		dry = apply(t, yaml, "--dry-run=server")
		if dry.exitCode == 0 {
			return fmt.Errorf("admitted: %s%s", dry.stdout, dry.stderr)
		}
		for _, w := range wants {
			if !strings.Contains(dry.stderr, w) {
				return fmt.Errorf("denial lacks %q:\n%s", w, dry.stderr)
			}
		}
		return nil
	})
	real := apply(t, yaml)
	if real.exitCode == 0 || real.stderr != dry.stderr {
		t.Errorf("the real apply decided otherwise than the dry run:\nreal: exit %d %s%s\n dry: %s", real.exitCode,
			real.stdout, real.stderr, dry.stderr)
	}
	return real
}

// warnedDelete dry-runs kubectl delete until gateguard warns with want,
// as the objects the warning names reach its cache a moment late, then
// deletes for real and fails unless that is admitted with want too.
func warnedDelete(t *testing.T, resource, namespace, name, want string) {
	t.Helper()
	eventually(t, func() error {
		if res := kubectl(t, "", "delete", resource, "-n", namespace, name, "--dry-run=server"); !strings.Contains(res.stderr, want) {
			return fmt.Errorf("no warning %q yet: %s", want, res.stderr)
		}
		return nil
	})
	res := kubectl(t, "", "delete", resource, "-n", namespace, name)
	if res.exitCode != 0 || !strings.Contains(res.stderr, want) || !strings.Contains(res.stdout, fmt.Sprintf("%q deleted", name)) {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s\nwant deleted with the warning %q", res.exitCode, res.stdout, res.stderr, want)
	}
}
