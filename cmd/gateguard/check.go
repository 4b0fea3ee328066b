package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/gateguard/gateguard/report"
	"github.com/gateguard/gateguard/rules"
	"github.com/gateguard/gateguard/rules/check"
)

// Exit codes of gateguard check, the same in every output format.
const (
	exitDenied  = 1 // something would be denied
	exitBadArgs = 2 // usage error, unreadable or invalid input
)

// checkOptions are gateguard check's flags.
type checkOptions struct {
	files, existing []string
	policy          string
	namespace       string
	output          string
}

// runCheck applies files against existing state under a policy, offline.
func runCheck(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	opts, err := parseCheckFlags(args, stderr)
	if err != nil {
		return err
	}
	policy, _, err := rules.LoadPolicyFile(opts.policy)
	if err != nil {
		return inputError(stderr, "check", fmt.Errorf("%s: %w", opts.policy, err))
	}
	applied, ignored, err := check.ReadPaths(opts.files, stdin)
	if err != nil {
		return inputError(stderr, "check", err)
	}
	existing, _, err := check.ReadPaths(opts.existing, stdin)
	if err != nil {
		return inputError(stderr, "check", err)
	}
	rep, err := check.Run(ctx, policy, check.Input{Applied: applied, Existing: existing, Namespace: opts.namespace, Ignored: ignored})
	if err != nil {
		return inputError(stderr, "check", err)
	}
	if err := writeReport(stdout, opts.output, rep); err != nil {
		return err
	}
	if rep.Denied() {
		return exitError(exitDenied)
	}
	return nil
}

// checkUsage heads gateguard check's usage.
const checkUsage = `Usage: gateguard check -f PATH [-f PATH ...] [--existing PATH ...] [--policy FILE] [-n NAMESPACE] [-o text|json|sarif]

Runs the webhook's rules on YAML/JSON files with no cluster. The -f objects are
applied in order (files in argument order, documents in file order) against the
--existing objects; a later object that conflicts with an earlier one is reported.
Exit code: 0 nothing denied, 1 something denied, 2 usage error or invalid input.
`

func parseCheckFlags(args []string, stderr io.Writer) (checkOptions, error) {
	opts := checkOptions{namespace: "default", output: "text"}
	fs := newFlagSet("check", stderr, checkUsage)
	fs.Func("f", "file or directory (recursive; .yaml, .yml, .json) to apply, or - for stdin; repeatable",
		func(s string) error { opts.files = append(opts.files, s); return nil })
	fs.Func("existing", "file or directory of objects already in the cluster; repeatable",
		func(s string) error { opts.existing = append(opts.existing, s); return nil })
	fs.StringVar(&opts.policy, "policy", "", "GatewayPolicy file; empty for the built-in defaults")
	fs.StringVar(&opts.namespace, "n", opts.namespace, "namespace of objects that name none")
	fs.StringVar(&opts.output, "o", opts.output, "output format: text, json or sarif")
	if err := fs.Parse(args); err != nil {
		return opts, usageError(err)
	}
	switch {
	case len(opts.files) == 0:
		return opts, usageFailure(fs, stderr, "at least one -f PATH is required")
	case fs.NArg() > 0:
		return opts, usageFailure(fs, stderr, "unexpected arguments %q", fs.Args())
	}
	return opts, validOutput(fs, stderr, opts.output)
}

// validOutput refuses an unknown -o format.
func validOutput(fs *flag.FlagSet, stderr io.Writer, format string) error {
	if format != "text" && format != "json" && format != "sarif" {
		return usageFailure(fs, stderr, "-o must be text, json or sarif, not %q", format)
	}
	return nil
}

func writeReport(w io.Writer, format string, rep *report.Report) error {
	switch format {
	case "json":
		return report.WriteJSON(w, rep)
	case "sarif":
		return report.WriteSARIF(w, rep, version)
	}
	return report.WriteText(w, rep)
}
