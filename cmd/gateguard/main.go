// Command gateguard is admission policy for Istio gateways.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

// errUsage marks a command-line mistake: exit code 2.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	os.Exit(exitCode(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr), os.Stderr))
}

const usage = `gateguard: admission policy for Istio gateways.

Usage:
  gateguard serve [flags]    run the admission webhook
  gateguard check -f PATH    run the same rules on YAML files, with no cluster
  gateguard audit            report existing objects in a cluster that violate the policy
  gateguard version          print the version

Run "gateguard COMMAND -h" for a command's flags.
`

// run dispatches a subcommand. An error a subcommand returns without
// having reported it is prefixed with the subcommand, so that every line
// says which of them failed.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, "gateguard: a command is required\n\n", usage)
		return errUsage
	}
	var err error
	switch args[0] {
	case "serve":
		err = runServe(ctx, args[1:], stderr)
	case "check":
		err = runCheck(ctx, args[1:], stdin, stdout, stderr)
	case "audit":
		err = runAudit(ctx, args[1:], stdout, stderr)
	case "version":
		if len(args) > 1 {
			fmt.Fprintf(stderr, "gateguard version: unexpected arguments %q\n\n%s", args[1:], usage)
			return errUsage
		}
		_, err = fmt.Fprintln(stdout, version)
	case "-h", "-help", "--help", "help":
		_, err = fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "gateguard: unknown command %q\n\n%s", args[0], usage)
		return errUsage
	}
	var handled exitError
	if err == nil || errors.As(err, &handled) || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return fmt.Errorf("%s: %w", args[0], err)
}

// exitCode maps run's error to the process exit code: 0 ok, 2 usage, 1
// otherwise (a command may return an exitError to choose).
func exitCode(err error, stderr io.Writer) int {
	var ee exitError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ee):
		return int(ee)
	case errors.Is(err, errUsage):
		return 2
	}
	fmt.Fprintln(stderr, "gateguard", err) // err names its subcommand first
	return 1
}

// exitError is an exit code a command chose after reporting on its own.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
