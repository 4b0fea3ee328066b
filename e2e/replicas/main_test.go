// Package replicas runs gateguard as the default install does, two
// replicas behind one address that balances per connection, through a
// real kube-apiserver: concurrent creates of one host reach both
// replicas, and the HostClaims (etcd) leave one owner; one replica at a
// time holds the sweeper's Lease.
package replicas

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/gateguard/gateguard/e2e/cluster"
)

// env is this package's control plane; replicas are the two gateguards.
var (
	env      *cluster.Cluster
	replicas [2]*cluster.Gateguard
)

const policy = "apiVersion: gateguard.dev/v1alpha1\nkind: GatewayPolicy\n"

func TestMain(m *testing.M) {
	opts := cluster.Options{SkipGateguard: true, Policy: policy}
	code := cluster.RunSuite(m, "replicas", opts, setup)
	if replicas[0] != nil {
		replicas[0].Stop() // RunSuite stops the last gateguard started
	}
	os.Exit(code)
}

// setup starts two gateguards, each on its own port, a round-robin
// balancer before them, and points the webhooks at it.
func setup(ctx context.Context, c *cluster.Cluster) error {
	env = c
	if err := seed(ctx); err != nil {
		return err
	}
	var addrs []string
	for i := range replicas {
		port, err := freePort()
		if err != nil {
			return err
		}
		if err := env.StartGateguard(ctx, "--port", strconv.Itoa(port)); err != nil {
			return err
		}
		replicas[i] = env.Gateguard
		// Each replica keeps its own log: the next start reuses the name.
		if err := os.Rename(replicas[i].LogPath, filepath.Join(env.Dir, fmt.Sprintf("gateguard-%d.log", i))); err != nil {
			return err
		}
		addrs = append(addrs, "127.0.0.1:"+strconv.Itoa(port))
	}
	lb, err := newBalancer(addrs)
	if err != nil {
		return err
	}
	if err := env.RegisterWebhooks(ctx); err != nil {
		return err
	}
	_, caPEM := env.WebhookURL()
	return env.PointWebhooksAt(ctx, lb.addr, caPEM)
}

// freePort is a loopback port free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
