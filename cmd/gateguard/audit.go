package main

import (
	"context"
	"fmt"
	"io"

	"github.com/gateguard/gateguard/rules"
	"github.com/gateguard/gateguard/webhook"
	"k8s.io/client-go/rest"
)

// runAudit reports every existing object that violates the policy, in the
// check formats and with its exit codes.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var kubeconfig, policyFile, output string
	var secretNamespaces []string
	fs := newFlagSet("audit", stderr, `Usage: gateguard audit [--kubeconfig FILE] [--policy FILE] [--secret-namespaces NS,...] [-o text|json|sarif]

Reads the live cluster through the same cache-backed snapshot as the webhook and
judges every Gateway and VirtualService as if it were created now, and every
Gateway API Gateway, ListenerSet and route where the cluster serves those kinds.
Exit code: 0 nothing denied, 1 something denied, 2 usage error or invalid policy.
`)
	fs.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig file; default $KUBECONFIG, then in-cluster")
	fs.StringVar(&policyFile, "policy", "", "GatewayPolicy file; empty for the built-in defaults")
	fs.StringVar(&output, "o", "text", "output format: text, json or sarif")
	secretNamespacesFlag(fs, &secretNamespaces)
	if err := fs.Parse(args); err != nil {
		return usageError(err)
	}
	if fs.NArg() > 0 {
		return usageFailure(fs, stderr, "unexpected arguments %q", fs.Args())
	}
	if err := validOutput(fs, stderr, output); err != nil {
		return err
	}
	if err := namespaceNames("--secret-namespaces", secretNamespaces); err != nil {
		return usageFailure(fs, stderr, "%v", err)
	}
	policy, _, err := rules.LoadPolicyFile(policyFile)
	if err != nil {
		return inputError(stderr, "audit", fmt.Errorf("%s: %w", policyFile, err))
	}
	cfg, err := restConfig(kubeconfig)
	if err != nil {
		return err
	}
	rep, err := webhook.AuditCluster(ctx, rest.CopyConfig(cfg), policy, secretNamespaces)
	if err != nil {
		return err
	}
	if err := writeReport(stdout, output, rep); err != nil {
		return err
	}
	if rep.Denied() {
		return exitError(exitDenied)
	}
	return nil
}
