// Command demo runs gateguard for real on this machine: it starts a local
// kube-apiserver and etcd with Istio's CRDs, registers gateguard from
// manifests/, and applies the bundled examples with kubectl, printing
// kubectl's own output: allowed, mutated and denied objects.
//
//	go run ./e2e/demo          # run the examples, then stop
//	go run ./e2e/demo --keep   # and keep the cluster until Ctrl-C
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/gateguard/gateguard/e2e/cluster"
)

const policy = `apiVersion: gateguard.dev/v1alpha1
kind: GatewayPolicy
defaults:
  gatewaySelector: {istio: ingressgateway}
  labels: {gateguard.dev/defaulted: "true"}
`

func main() {
	keep := flag.Bool("keep", false, "keep the cluster running until Ctrl-C, and print its kubeconfig")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, keep bool) error {
	fmt.Println("Starting kube-apiserver and etcd, installing Istio's CRDs and gateguard ...")
	c, err := cluster.Start(ctx, cluster.Options{Policy: policy})
	if c != nil {
		defer c.Stop()
	}
	if err != nil {
		return err
	}
	files, err := filepath.Glob("examples/*.yaml")
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no examples/*.yaml here; run from the repository root")
	}
	for _, f := range files {
		kubectl(ctx, c, "apply", "-f", f)
	}
	// Qualified: beside the Gateway API's CRDs, "gateway" may name theirs.
	kubectl(ctx, c, "get", "gateways.networking.istio.io", "-n", "blog", "blog", "-o", "jsonpath={.spec.selector}{\"\\n\"}{.metadata.labels}{\"\\n\"}")
	if keep {
		fmt.Printf("\nThe cluster stays up until Ctrl-C:\n  export KUBECONFIG=%s\n  kubectl get virtualservices -A\n", c.Kubeconfig)
		<-ctx.Done()
	}
	return nil
}

// kubectl prints the command and what kubectl says, errors included: a
// denial is what the demo is here to show.
func kubectl(ctx context.Context, c *cluster.Cluster, args ...string) {
	fmt.Printf("\n$ kubectl %s\n", joinArgs(args))
	cmd := exec.CommandContext(ctx, c.Kubectl, append([]string{"--kubeconfig", c.Kubeconfig}, args...)...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stdout
	if err := cmd.Run(); err != nil {
		fmt.Printf("(kubectl exited: %v)\n", err)
	}
}

func joinArgs(args []string) string {
	out := ""
	for i, a := range args {
		if i > 0 {
			out += " "
		}
		out += a
	}
	return out
}
