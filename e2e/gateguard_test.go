package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// gateguardProcess is the real gateguard binary serving the webhook.
type gateguardProcess struct {
	cmd       *exec.Cmd
	probeAddr string
	metrics   string
	logPath   string
	done      chan error
}

// e2ePolicy is the policy file gateguard serves with in the suite.
const e2ePolicy = `apiVersion: gateguard.dev/v1alpha1
kind: GatewayPolicy
defaults:
  gatewaySelector: {istio: ingressgateway}
  labels: {gateguard.dev/defaulted: "true"}
`

// startGateguard builds gateguard and runs `gateguard serve` as its
// ServiceAccount on the port and certificate envtest prepared.
func (e *environment) startGateguard(ctx context.Context) error {
	bin := filepath.Join(e.dir, "gateguard")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "../cmd/gateguard")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building gateguard: %w", err)
	}
	policy := filepath.Join(e.dir, "policy.yaml")
	if err := os.WriteFile(policy, []byte(e2ePolicy), 0o600); err != nil {
		return err
	}
	p := &gateguardProcess{probeAddr: freeAddr(), metrics: freeAddr(), logPath: filepath.Join(e.dir, "gateguard.log"),
		done: make(chan error, 1)}
	logFile, err := os.Create(p.logPath)
	if err != nil {
		return err
	}
	p.cmd = exec.Command(bin, "serve",
		"--kubeconfig", filepath.Join(e.dir, "gateguard.kubeconfig"),
		"--port", strconv.Itoa(e.webhooks.LocalServingPort),
		"--cert-dir", e.webhooks.LocalServingCertDir,
		"--metrics-bind-address", p.metrics,
		"--health-probe-bind-address", p.probeAddr,
		"--policy", policy, "--policy-poll-interval", "500ms",
		"--shutdown-delay", "1s")
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	if err := p.cmd.Start(); err != nil {
		return err
	}
	go func() { p.done <- p.cmd.Wait(); logFile.Close() }()
	e.gateguard = p
	return p.waitReady(ctx, 60*time.Second)
}

// waitReady polls /readyz until it answers 200.
func (p *gateguardProcess) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			log, _ := os.ReadFile(p.logPath)
			return fmt.Errorf("gateguard exited (%v):\n%s", err, log)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if code, err := get("http://" + p.probeAddr + "/readyz"); err == nil && code == 200 {
			return nil
		}
	}
	log, _ := os.ReadFile(p.logPath)
	return fmt.Errorf("gateguard not ready after %s:\n%s", limit, log)
}

// stop sends SIGTERM and waits for a clean exit.
func (p *gateguardProcess) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
	}
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}
