// Command load measures gateguard under load against the performance targets of the README.
//
// It starts a real kube-apiserver and etcd (e2e/cluster), seeds a large
// snapshot before gateguard starts, and records gateguard's time to ready
// with it. Then it measures the kubectl path (sequential creates, then
// updates, through the apiserver in three arms at once: no webhook,
// gateguard, and the floor server; an object label routes each, and the
// arms alternate one object at a time)
// and drives pre-built AdmissionReview requests straight at gateguard's
// HTTPS endpoint and at a floor server (a minimal HTTPS handler that only
// decodes the review and allows it), closed-loop at each concurrency and
// open-loop at fixed arrival rates (vegeta's pacer, latency from each
// request's intended send time), and prints throughput, latency
// percentiles, errors, gateguard's RSS and a verdict per performance
// target.
//
//	export KUBEBUILDER_ASSETS=$(bash hack/build-control-plane.sh)
//	go run ./e2e/load                          # the default run: every target
//	go run ./e2e/load --concurrency 1,8 --duration 20s --virtualservices 10000
//
// Every loop is bounded in count and time; everything listens on and
// talks to loopback only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// options are the tool's flags.
type options struct {
	VirtualServices int           // seeded VirtualServices
	HTTPRoutes      int           // seeded HTTPRoutes, on as many managed Gateways as Gateways; 0 = no Gateway API objects
	Gateways        int           // seeded Gateways, each with its own credential
	Secrets         int           // seeded Secrets: the Gateways' credentials plus filler
	Pods            int           // seeded Pods: a tenth gateway replicas in istio-system, the rest application pods
	Namespaces      int           // team namespaces the VirtualServices spread over
	SeedWorkers     int           // parallel creates while seeding
	Concurrency     []int         // in-flight requests, one run per value
	Duration        time.Duration // timed part of each run
	Warmup          time.Duration // untimed run before each timed one
	MaxRequests     int           // bound on the requests of one run
	Pool            int           // distinct pre-built request bodies, cycled
	Mix             mix           // weights of the request kinds
	Creates         int           // sequential creates of the kubectl path, per arm
	Timeout         time.Duration // bound on the whole run
	Profile         string        // directory for gateguard's pprof profiles; "" = none
	Starts          int           // gateguard starts against the seeded snapshot; the last one serves the runs
	GateguardEnv    [][]string    // per start, cycled: KEY=VALUE set in gateguard's environment only
	OpenLoop        []int         // open-loop rates, in % of the floor's c=1 throughput; none = skip
	OpenDuration    time.Duration // timed part of each open-loop run, per target
	OpenTurns       int           // turns the targets take, in alternating order, over OpenDuration
	Claims          bool          // gateguard claims hosts in etcd (its default); false serves as one replica does without
}

func defaultOptions() options {
	return options{
		VirtualServices: 10000, HTTPRoutes: 10000, Gateways: 1000, Secrets: 10000, Pods: 2000, Namespaces: 500, SeedWorkers: 32,
		Concurrency: []int{1, 8}, Duration: 20 * time.Second, Warmup: 2 * time.Second, MaxRequests: 2_000_000,
		Pool: 2000, Mix: defaultMix(), Creates: 200, Timeout: 20 * time.Minute, Starts: 1,
		OpenLoop: []int{25, 50, 75}, OpenDuration: 20 * time.Second, OpenTurns: 10, Claims: true,
	}
}

// parseFlags fills options from args.
func parseFlags(args []string) (options, error) {
	o := defaultOptions()
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.IntVar(&o.VirtualServices, "virtualservices", o.VirtualServices, "VirtualServices seeded before gateguard starts")
	fs.IntVar(&o.HTTPRoutes, "httproutes", o.HTTPRoutes, "HTTPRoutes seeded before gateguard starts, on managed Gateways "+
		"of GatewayClass istio, as many as --gateways; 0 seeds no Gateway API objects and drops HTTPRoutes from the default mix")
	fs.IntVar(&o.Gateways, "gateways", o.Gateways, "Gateways seeded (HTTPS with its own credential, plus HTTP port 80), "+
		"and as many managed Gateway API Gateways with --httproutes")
	fs.IntVar(&o.Secrets, "secrets", o.Secrets, "Secrets seeded: one credential per Gateway in istio-system, the rest filler")
	fs.IntVar(&o.Pods, "pods", o.Pods, "Pods seeded: a tenth are gateway replicas in istio-system (istio: ingressgateway), the rest application pods")
	fs.IntVar(&o.Namespaces, "namespaces", o.Namespaces, "team namespaces the VirtualServices and filler Secrets spread over")
	fs.IntVar(&o.SeedWorkers, "seed-workers", o.SeedWorkers, "parallel creates while seeding")
	conc := fs.String("concurrency", "1,8", "in-flight requests; a comma-separated list runs each")
	fs.DurationVar(&o.Duration, "duration", o.Duration, "timed duration of each run, per target and concurrency")
	fs.DurationVar(&o.Warmup, "warmup", o.Warmup, "untimed run before each timed run")
	fs.IntVar(&o.MaxRequests, "max-requests", o.MaxRequests, "at most this many requests per run")
	fs.IntVar(&o.Pool, "pool", o.Pool, "distinct pre-built requests, cycled; each admitted new VirtualService or HTTPRoute stays a "+
		"pending claim in gateguard until its cache shows it, which here never happens, so the pool bounds the pending claims")
	fs.Var(&o.Mix, "mix", "request mix as kind=weight,... of new, duplicate, gateway, dryrun, mutate, route (a new HTTPRoute), "+
		"duproute (a duplicate HTTPRoute hostname)")
	fs.IntVar(&o.Creates, "creates", o.Creates, "sequential kubectl-path creates per arm (no webhook, gateguard, floor); 0 skips")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "bound on the whole run")
	fs.StringVar(&o.Profile, "profile", o.Profile,
		"save gateguard's CPU profile of each timed run (and kube-apiserver's over gateguard's closed-loop runs) "+
			"and its heap and allocation profiles into this directory")
	fs.IntVar(&o.Starts, "starts", o.Starts, "start gateguard this many times against the seeded snapshot, "+
		"recording each time to ready and memory at ready; the last one serves the runs")
	env := fs.String("gateguard-env", "", "comma-separated KEY=VALUE set for gateguard alone, e.g. GOMEMLIMIT=200MiB; "+
		"sets separated by | apply to successive starts, cycled, e.g. '|KUBE_FEATURE_WatchListClient=false' alternates")
	open := fs.String("open-loop", "25,50,75", "open-loop arrival rates in % of the floor's c=1 throughput, "+
		"each run on the floor and gateguard (needs 1 in --concurrency); none skips")
	fs.DurationVar(&o.OpenDuration, "open-duration", o.OpenDuration, "timed open-loop duration per target and rate, "+
		"split into --open-turns")
	fs.IntVar(&o.OpenTurns, "open-turns", o.OpenTurns, "turns the floor and gateguard take, in alternating order, "+
		"over --open-duration at each rate, so that a moment's disturbance on the shared machine is as likely to fall on either")
	fs.BoolVar(&o.Claims, "claims", o.Claims, "serve with gateguard's host claims (its default, which two replicas need): "+
		"every new host is one apiserver write; false passes --claims=false, as a single replica may run")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.HTTPRoutes == 0 && !flagSet(fs, "mix") {
		o.Mix = o.Mix.withoutRoutes()
	}
	var err error
	if o.Concurrency, err = parseInts(*conc); err != nil {
		return o, fmt.Errorf("--concurrency: %w", err)
	}
	if o.GateguardEnv, err = parseEnv(*env); err != nil {
		return o, fmt.Errorf("--gateguard-env: %w", err)
	}
	if o.OpenLoop = nil; *open != "none" {
		if o.OpenLoop, err = parseInts(*open); err != nil {
			return o, fmt.Errorf("--open-loop: %w", err)
		}
	}
	return o, o.validate()
}

// validate refuses options the tool cannot run with.
func (o options) validate() error {
	switch {
	case o.Gateways < 1 || o.VirtualServices < 1 || o.Pods < 1 || o.Namespaces < 1 || o.SeedWorkers < 1:
		return fmt.Errorf("--gateways, --virtualservices, --pods, --namespaces and --seed-workers must be at least 1")
	case o.HTTPRoutes < 0:
		return fmt.Errorf("--httproutes must not be negative")
	case o.HTTPRoutes == 0 && o.Mix.hasRoutes():
		return fmt.Errorf("--mix route and duproute need --httproutes of at least 1 (a duplicate copies a seeded route's hostname)")
	case o.Secrets < o.Gateways:
		return fmt.Errorf("--secrets (%d) must cover one credential per Gateway (%d)", o.Secrets, o.Gateways)
	case o.Pool < 1 || o.MaxRequests < 1 || o.Starts < 1 || o.Duration <= 0 || o.Creates < 0:
		return fmt.Errorf("--pool, --max-requests and --starts must be at least 1, --duration positive, --creates not negative")
	case len(o.OpenLoop) > 0 && (o.OpenDuration <= 0 || !slices.Contains(o.Concurrency, 1)):
		return fmt.Errorf("--open-loop needs a positive --open-duration and 1 in --concurrency (its rates are shares of the floor's c=1 throughput)")
	case len(o.OpenLoop) > 0 && (o.OpenTurns < 1 || o.OpenDuration/time.Duration(o.OpenTurns) < time.Second):
		return fmt.Errorf("--open-turns must be at least 1 and leave each turn of --open-duration at least 1s")
	}
	return nil
}

// parseInts parses "1,8" into positive integers.
func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// parseEnv parses "K=V,K2=V2|K3=V3" into sets; "" is one empty set.
func parseEnv(s string) ([][]string, error) {
	var sets [][]string
	for _, set := range strings.Split(s, "|") {
		var vars []string
		if set != "" {
			vars = strings.Split(set, ",")
		}
		for _, kv := range vars {
			if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
				return nil, fmt.Errorf("%q is not KEY=VALUE", kv)
			}
		}
		sets = append(sets, vars)
	}
	return sets, nil
}

func main() {
	if os.Getenv(floorEnv) != "" {
		if err := serveFloor(); err != nil {
			fmt.Fprintln(os.Stderr, "load floor:", err)
			os.Exit(1)
		}
		return
	}
	opts, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	ctrllog.SetLogger(logr.Discard()) // envtest's and the clients' logs would bury the report
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	if err := run(ctx, opts); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}
