// Package e2e drives gateguard through a real kube-apiserver and etcd:
// real TLS, the webhook configurations and RBAC rendered from manifests/,
// and real kubectl.
package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

// env is the control plane and gateguard, started once for the package.
var env *environment

func TestMain(m *testing.M) {
	code, err := runSuite(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e setup:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

// runSuite starts everything, runs the tests and always tears down.
func runSuite(m *testing.M) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	var err error
	env, err = startEnvironment(ctx)
	if env != nil {
		defer env.stop()
	}
	if err != nil {
		return 1, err
	}
	return m.Run(), nil
}
