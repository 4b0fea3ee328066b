package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/gateguard/gateguard/webhook"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// runServe parses and validates serve's flags, then runs the webhook. A
// bad flag is refused here, before the kubeconfig is read.
func runServe(ctx context.Context, args []string, stderr io.Writer) error {
	var opts serveOptions
	fs := newFlagSet("serve", stderr, "Usage: gateguard serve [flags]\n\nRuns the admission webhook.\n")
	opts.bind(fs)
	if err := fs.Parse(args); err != nil {
		return usageError(err)
	}
	if fs.NArg() > 0 {
		return usageFailure(fs, stderr, "unexpected arguments %q", fs.Args())
	}
	if err := opts.validate(); err != nil {
		return usageFailure(fs, stderr, "%v", err)
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts.zap)))
	return webhook.Serve(ctx, func() (*rest.Config, error) { return restConfig(opts.kubeconfig) }, opts.webhookOptions())
}

// restConfig loads a kubeconfig file when given, else controller-runtime's
// usual chain ($KUBECONFIG, in-cluster, ~/.kube/config). Client-side rate
// limiting is off either way, as ctrl.GetConfig sets it: the apiserver's
// priority and fairness governs, and a 5/s default would queue admissions
// behind their Secret reads.
func restConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig == "" {
		return ctrl.GetConfig()
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = -1, 0
	return cfg, nil
}

// newFlagSet is a subcommand's flag set: errors and usage go to stderr,
// and the usage is the header followed by the flags.
func newFlagSet(name string, stderr io.Writer, header string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, header, "\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs
}

// usageFailure reports what is wrong with a command line, then the
// command's usage, and exits 2.
func usageFailure(fs *flag.FlagSet, stderr io.Writer, format string, args ...any) error {
	fmt.Fprintf(stderr, "gateguard %s: %s\n\n", fs.Name(), fmt.Sprintf(format, args...))
	fs.Usage()
	return exitError(exitBadArgs)
}

// usageError keeps -h a success and makes other flag errors exit 2; the
// flag package has already printed the error and the usage.
func usageError(err error) error {
	if err == flag.ErrHelp {
		return err
	}
	return exitError(exitBadArgs)
}

// inputError reports unreadable or invalid input of a command, exit 2.
func inputError(stderr io.Writer, command string, err error) error {
	fmt.Fprintf(stderr, "gateguard %s: %v\n", command, err)
	return exitError(exitBadArgs)
}
