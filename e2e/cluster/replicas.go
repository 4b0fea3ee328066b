package cluster

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"syscall"
	"time"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Replicas are several `gateguard serve` processes, each on a webhook
// port of its own with the suite's certificate, behind one Proxy that
// balances per connection, round robin, as a Service does: the webhook
// configurations point at the Proxy, so the apiserver spreads its calls
// over the replicas the way it does in a cluster, and nothing but etcd
// is shared between them.
type Replicas struct {
	e      *Cluster
	Procs  []*Gateguard
	Proxy  *Proxy
	argvs  [][]string
	starts []int
}

// StartReplicas starts n replicas with the suite's flags and extraArgs, and points both webhook
// configurations at their Proxy, returning once the apiserver calls
// through it. Stop them with Stop, which points the configurations back
// at the suite's port. The Cluster's own gateguard is left as it is.
func (e *Cluster) StartReplicas(ctx context.Context, n int, extraArgs ...string) (*Replicas, error) {
	bin, err := e.buildGateguard(ctx)
	if err != nil {
		return nil, err
	}
	r := &Replicas{e: e, starts: make([]int, n)}
	var addrs []string
	for i := range n {
		p, err := e.newGateguard(bin, fmt.Sprintf("replica-%d", i))
		if err != nil {
			return nil, err
		}
		addr, err := e.ports.freeAddr()
		if err != nil {
			return nil, err
		}
		addrs = append(addrs, addr)
		_, port, _ := net.SplitHostPort(addr)
		r.argvs = append(r.argvs, append(append(e.serveArgv(p), "--port", port), extraArgs...))
		r.Procs = append(r.Procs, p)
	}
	if r.Proxy, err = newProxy(addrs...); err != nil {
		return nil, err
	}
	for i := range n {
		if err := r.start(ctx, i); err != nil {
			r.Stop(ctx)
			return nil, err
		}
	}
	if err := r.route(ctx); err != nil {
		r.Stop(ctx)
		return nil, err
	}
	return r, nil
}

// start runs replica i with its command line and waits until it is ready.
func (r *Replicas) start(ctx context.Context, i int) error {
	p := r.Procs[i]
	if err := r.e.launch(p, r.argvs[i]); err != nil {
		return err
	}
	r.starts[i]++
	if err := p.becomeReady(ctx); err != nil {
		return fmt.Errorf("replica %d: %w", i, err)
	}
	return nil
}

// route points the webhook configurations at the Proxy and waits until
// the apiserver's calls arrive there: its webhook clients follow a
// configuration change a moment later.
func (r *Replicas) route(ctx context.Context) error {
	if err := r.e.PointWebhooksAt(ctx, r.Proxy.Addr(), nil); err != nil {
		return err
	}
	probe := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: "replicas-probe", Namespace: "default"}}
	probe.Spec.Hosts = []string{"replicas-probe.example.com"}
	return wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		before := r.served()
		_ = r.e.Client.Create(ctx, probe.DeepCopy(), client.DryRunAll)
		return r.served() > before, nil
	})
}

// served is how many connections the Proxy forwarded in all.
func (r *Replicas) served() int64 {
	var n int64
	for i := range r.Procs {
		n += r.Proxy.Served(i)
	}
	return n
}

// Kill sends SIGKILL to replica i and waits until it is gone: no
// graceful shutdown, no lease released, requests in flight cut.
func (r *Replicas) Kill(i int) error {
	p := r.Procs[i]
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	select {
	case <-p.exited:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("replica %d still running 10s after SIGKILL", i)
	}
}

// Restart starts the replicas named (every one when none is) again, on
// the same ports and flags: those still running are first stopped
// gracefully, all of them before any starts, as when a Deployment's pods
// are all replaced.
func (r *Replicas) Restart(ctx context.Context, replicas ...int) error {
	if len(replicas) == 0 {
		for i := range r.Procs {
			replicas = append(replicas, i)
		}
	}
	for _, i := range replicas {
		r.stop(i)
	}
	for _, i := range replicas {
		// The same addresses and files as its command line names; a log
		// of its own, so that what the previous process wrote stays.
		old := r.Procs[i]
		r.Procs[i] = &Gateguard{Binary: old.Binary, ProbeAddr: old.ProbeAddr, MetricsAddr: old.MetricsAddr,
			PolicyFile: old.PolicyFile, LogPath: filepath.Join(r.e.Dir, fmt.Sprintf("replica-%d.%d.log", i, r.starts[i])),
			done: make(chan error, 1)}
		if err := r.start(ctx, i); err != nil {
			return err
		}
	}
	return nil
}

// stop ends replica i gracefully unless it has ended already.
func (r *Replicas) stop(i int) {
	p := r.Procs[i]
	if p.exited == nil {
		return // never started
	}
	select {
	case <-p.exited:
	default:
		p.Stop()
	}
}

// Stop ends every replica still running, closes the Proxy and points the
// webhook configurations back at the suite's port.
func (r *Replicas) Stop(ctx context.Context) error {
	for i := range r.Procs {
		r.stop(i)
	}
	if r.Proxy != nil {
		r.Proxy.Cut()
	}
	return r.e.PointWebhooks(ctx, r.e.webhooks.LocalServingHost, nil)
}
