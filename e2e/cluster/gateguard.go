package cluster

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// Gateguard is the real gateguard binary serving the webhook.
type Gateguard struct {
	cmd         *exec.Cmd
	ProbeAddr   string // /healthz, /readyz
	MetricsAddr string // /metrics
	PolicyFile  string // rewrite it to change the policy in force
	Binary      string // the gateguard executable
	LogPath     string
	// ReadyAfter is how long the process took from start to /readyz.
	ReadyAfter time.Duration
	started    time.Time
	done       chan error
	exited     chan struct{} // closed when the process has ended
}

// StartGateguard builds gateguard and runs `gateguard serve` as its
// ServiceAccount on the port and certificate envtest prepared; extraArgs
// are appended (a repeated flag's last value wins).
func (e *Cluster) StartGateguard(ctx context.Context, extraArgs ...string) error {
	return e.StartGateguardWrapped(ctx, nil, extraArgs...)
}

// Wrap turns gateguard's command line (the binary first) into the one to
// run. It lets a test run the very binary and flags the suite uses under
// other constraints (another user, a read-only root), and stage the files
// the flags name where that user can read them, since Dir is root's alone.
type Wrap func(argv []string) ([]string, error)

// StartGateguardWrapped is StartGateguard with the command line passed
// through wrap (nil runs it as is). The build happens before, outside the
// wrapper. PID, Terminate and Stop act on the started command, so a
// wrapper must exec gateguard in place rather than fork it.
func (e *Cluster) StartGateguardWrapped(ctx context.Context, wrap Wrap, extraArgs ...string) error {
	bin, err := e.buildGateguard(ctx)
	if err != nil {
		return err
	}
	p, err := e.newGateguard(bin, "gateguard")
	if err != nil {
		return err
	}
	argv := append(e.serveArgv(p), extraArgs...)
	if wrap != nil {
		if argv, err = wrap(argv); err != nil {
			return fmt.Errorf("wrapping gateguard: %w", err)
		}
	}
	if err := e.launch(p, argv); err != nil {
		return err
	}
	e.Gateguard = p
	return p.becomeReady(ctx)
}

// newGateguard prepares a process of bin named name: its log and policy
// files in Dir, its probe and metrics addresses.
func (e *Cluster) newGateguard(bin, name string) (*Gateguard, error) {
	probe, err := e.ports.freeAddr()
	if err != nil {
		return nil, err
	}
	metrics, err := e.ports.freeAddr()
	if err != nil {
		return nil, err
	}
	p := &Gateguard{Binary: bin, ProbeAddr: probe, MetricsAddr: metrics, LogPath: filepath.Join(e.Dir, name+".log"),
		PolicyFile: filepath.Join(e.Dir, name+"-policy.yaml"), done: make(chan error, 1)}
	if name == "gateguard" {
		p.PolicyFile = filepath.Join(e.Dir, "policy.yaml")
	}
	return p, os.WriteFile(p.PolicyFile, []byte(e.policy), 0o600)
}

// launch starts p as argv, its output in its log.
func (e *Cluster) launch(p *Gateguard, argv []string) error {
	logFile, err := os.Create(p.LogPath)
	if err != nil {
		return err
	}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	if raceBuild() {
		p.cmd.Env = append(os.Environ(), "GORACE=log_path="+filepath.Join(e.Dir, "race"))
	}
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		logFile.Close()
		return err
	}
	p.exited = make(chan struct{})
	go func() { p.done <- p.cmd.Wait(); logFile.Close(); close(p.exited) }()
	return nil
}

// becomeReady waits for p's /readyz and records how long it took.
func (p *Gateguard) becomeReady(ctx context.Context) error {
	if err := p.waitReady(ctx, 60*time.Second); err != nil {
		return err
	}
	p.ReadyAfter = time.Since(p.started)
	return nil
}

// raceBuild: with GATEGUARD_E2E_RACE=1, gateguard is built with the race
// detector, so the suite's real concurrency (informer events, audits,
// reloads and decisions at once) is checked too; each process writes its
// reports to Dir/race.<pid>, which RaceReports reads.
func raceBuild() bool { return os.Getenv("GATEGUARD_E2E_RACE") != "" }

// RaceReports returns the race detector's reports of every gateguard the
// cluster ran; none without a race, or without GATEGUARD_E2E_RACE.
func (e *Cluster) RaceReports() ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(e.Dir, "race.*"))
	var reports []string
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		reports = append(reports, string(data))
	}
	return reports, err
}

// buildGateguard compiles ./cmd/gateguard into Dir, with the race
// detector when raceBuild says so.
func (e *Cluster) buildGateguard(ctx context.Context) (string, error) {
	bin := filepath.Join(e.Dir, "gateguard")
	args := []string{"build", "-o", bin}
	if raceBuild() {
		args = append(args, "-race")
	}
	build := exec.CommandContext(ctx, "go", append(args, "./cmd/gateguard")...)
	build.Dir = e.root
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("building gateguard: %w", err)
	}
	return bin, nil
}

// serveArgv is the suite's `gateguard serve` command line for p.
func (e *Cluster) serveArgv(p *Gateguard) []string {
	return []string{p.Binary, "serve",
		"--kubeconfig", filepath.Join(e.Dir, "gateguard.kubeconfig"),
		"--port", strconv.Itoa(e.webhooks.LocalServingPort),
		"--cert-dir", e.webhooks.LocalServingCertDir,
		"--metrics-bind-address", p.MetricsAddr,
		"--health-probe-bind-address", p.ProbeAddr,
		"--policy", p.PolicyFile, "--policy-poll-interval", "500ms",
		"--shutdown-delay", "1s", "--reservation-ttl", "2s", "--audit-interval", "2s",
		"--leader-election-namespace", "gateguard-system"} // in a pod, the pod's namespace
}

// waitReady polls /readyz until it answers 200.
func (p *Gateguard) waitReady(ctx context.Context, limit time.Duration) error {
	var exited error
	err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, limit, false, func(context.Context) (bool, error) {
		select {
		case err := <-p.done:
			exited = fmt.Errorf("gateguard exited (%v)", err)
			return false, exited
		default:
		}
		code, err := httpGet("http://" + p.ProbeAddr + "/readyz")
		return err == nil && code == 200, nil
	})
	if err == nil {
		return nil
	}
	log, _ := os.ReadFile(p.LogPath)
	return fmt.Errorf("gateguard not ready after %s: %w:\n%s", limit, cmp.Or(exited, err), log)
}

// PID is gateguard's process ID.
func (p *Gateguard) PID() int { return p.cmd.Process.Pid }

// Terminate sends SIGTERM and returns at once; Exited tells when it ends.
func (p *Gateguard) Terminate() error { return p.cmd.Process.Signal(syscall.SIGTERM) }

// Exited receives the exit error once the process ends.
func (p *Gateguard) Exited() <-chan error { return p.done }

// Ready reports whether /readyz answers 200 right now.
func (p *Gateguard) Ready() bool {
	code, err := httpGet("http://" + p.ProbeAddr + "/readyz")
	return err == nil && code == 200
}

// Stop sends SIGTERM and waits for the process to exit.
func (p *Gateguard) Stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
	}
}
