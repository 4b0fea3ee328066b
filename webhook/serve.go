package webhook

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sync/atomic"
	"time"

	"github.com/gateguard/gateguard/certs"
	"github.com/gateguard/gateguard/rules"
	"github.com/gateguard/gateguard/webhook/claims"
	"github.com/go-logr/logr"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
)

// Paths the webhook configurations call.
const (
	ValidatePath       = "/validate"
	MutatePath         = "/mutate"
	ValidateSecretPath = "/validate-secret"
)

// Options configure `gateguard serve`.
type Options struct {
	Port               int           // webhook HTTPS port
	CertDir            string        // tls.crt and tls.key, reloaded on change
	MetricsAddr        string        // Prometheus metrics; "0" disables
	ProbeAddr          string        // /healthz and /readyz
	PprofAddr          string        // net/http/pprof; "" or "0" disables (the default)
	PolicyFile         string        // "" = built-in defaults
	PolicyPollInterval time.Duration // how often the policy file is re-read
	EnableHTTP2        bool          // off by default (CVE-2023-44487 class of attacks)
	ReservationTTL     time.Duration // how long an admitted claim is held for the cache to catch up
	ShutdownDelay      time.Duration // readiness drops this long before the listener closes
	AuditInterval      time.Duration // how often existing objects are re-audited for the gauge; 0 disables
	// SecretNamespaces, when set, are the only namespaces whose Secrets
	// are cached and read (Roles there instead of the ClusterRole rule).
	SecretNamespaces []string
	// SelfSigned, when set, makes gateguard issue and renew its own serving
	// certificate into CertDir and patch the caBundle (certs package);
	// otherwise CertDir is filled by a Secret volume or cert-manager.
	SelfSigned *certs.Options
	// Claims makes etcd the arbiter of duplicate hosts across replicas,
	// through HostClaim objects (webhook/claims); off, only each replica's
	// in-memory reservations guard them (single-replica development).
	Claims bool
	ClaimsOptions
}

// ClaimsOptions tune the HostClaims when Options.Claims is on.
type ClaimsOptions struct {
	// GracePeriod is how long a claim holds for an owner the apiserver
	// does not show yet (still in admission).
	GracePeriod time.Duration
	// SweepInterval is how often the elected replica sweeps claims.
	SweepInterval time.Duration
	// LeaderElectionNamespace holds the sweeper's Lease; "" for the
	// namespace gateguard runs in.
	LeaderElectionNamespace string
}

// DefaultOptions are the flags' defaults.
func DefaultOptions() Options {
	return Options{
		Port: 9443, CertDir: "/tmp/k8s-webhook-server/serving-certs", MetricsAddr: ":8080", ProbeAddr: ":8081",
		PolicyPollInterval: 2 * time.Second, ReservationTTL: 15 * time.Second, ShutdownDelay: 5 * time.Second,
		AuditInterval: 5 * time.Minute, Claims: true,
		ClaimsOptions: ClaimsOptions{GracePeriod: claims.DefaultGracePeriod, SweepInterval: claims.DefaultSweepInterval},
	}
}

// Serve runs the webhook until ctx ends. An invalid policy file is an
// error before anything else is read, the cluster config included.
func Serve(ctx context.Context, restConfig func() (*rest.Config, error), opts Options) error {
	log := ctrl.Log.WithName("gateguard")
	policy, raw, err := rules.LoadPolicyFile(opts.PolicyFile)
	if err != nil {
		return fmt.Errorf("policy %s: %w", opts.PolicyFile, err)
	}
	cfg, err := restConfig()
	if err != nil {
		return err
	}
	mgr, err := newManager(cfg, opts)
	if err != nil {
		return err
	}
	if opts.SelfSigned != nil {
		boot, err := bootstrapSelfSigned(ctx, cfg, mgr.GetScheme(), *opts.SelfSigned, log)
		if err != nil {
			return err
		}
		if err := mgr.Add(boot); err != nil {
			return err
		}
	}
	m, err := newMetrics(crmetrics.Registry)
	if err != nil {
		return err
	}
	if err := crmetrics.Registry.Register(newCertExpiry(opts.CertDir)); err != nil {
		return err
	}
	src := &policySource{}
	src.current.Store(policy)
	synced := &cacheSynced{}
	if err := mgr.Add(synced.runnable(mgr.GetCache())); err != nil {
		return err
	}
	if err := wire(ctx, mgr, opts, src, raw, m, synced, log); err != nil {
		return err
	}
	var draining atomic.Bool
	if err := addProbes(mgr, synced, &draining); err != nil {
		return err
	}
	log.Info("starting", "port", opts.Port, "policy", opts.PolicyFile)
	return mgr.Start(drainFirst(ctx, &draining, opts.ShutdownDelay))
}

// wire builds the snapshot over the manager's cache, registers the
// admission handlers, and adds the periodic runnables.
func wire(ctx context.Context, mgr manager.Manager, opts Options, src *policySource, raw []byte, m *metrics,
	synced *cacheSynced, log logr.Logger) error {
	source, err := newSnapshotSource(ctx, mgr.GetCache(), mgr.GetAPIReader(), mgr.GetRESTMapper(), opts.SecretNamespaces)
	if err != nil {
		return err
	}
	synced.handlers = source.indexers.synced
	if err := reportCacheSize(ctx, mgr.GetCache(), mgr.GetAPIReader(), source, opts.SecretNamespaces,
		crmetrics.Registry, log); err != nil {
		return err
	}
	log.Info("Gateway API kinds", "served", source.optional.gatewayAPIKindNames(true),
		"absent", source.optional.gatewayAPIKindNames(false))
	lookupFailed := func(err error) { m.lookupErrors.Inc(); log.Error(err, "cache lookup failed") }
	snapshot := func(ctx context.Context) rules.Snapshot { return source.snapshot(ctx, lookupFailed) }
	res, err := newClaimReservations(ctx, mgr, opts.ReservationTTL, source, log)
	if err != nil {
		return err
	}
	hostClaims, err := addHostClaims(ctx, mgr, opts, src, snapshot, source.optional.cached, log)
	if err != nil {
		return err
	}
	v := synced.gated(&validator{policy: src, snapshot: snapshot, reservations: res, kinds: source.optional,
		claims: hostClaims, metrics: m, log: log})
	mut := synced.gated(&mutator{policy: src, snapshot: snapshot, log: log})
	srv := mgr.GetWebhookServer()
	srv.Register(ValidatePath, admissionHandler("validate", v, m, log))
	srv.Register(ValidateSecretPath, admissionHandler("validate-secret", v, m, log))
	srv.Register(MutatePath, admissionHandler("mutate", mut, m, log))
	var runnables []manager.Runnable
	if opts.PolicyFile != "" {
		runnables = append(runnables, &policyReloader{path: opts.PolicyFile, interval: opts.PolicyPollInterval,
			source: src, last: raw, metrics: m, log: log})
	}
	if opts.AuditInterval > 0 {
		runnables = append(runnables, &auditGauge{interval: opts.AuditInterval, cache: mgr.GetCache(), policy: src,
			snapshot: snapshot, kinds: source.optional, metrics: m, log: log})
	}
	for _, r := range runnables {
		if err := mgr.Add(r); err != nil {
			return err
		}
	}
	return nil
}

// drainFirst returns a context that ends ShutdownDelay after ctx does,
// with draining set in between: readiness fails first, so endpoints drop
// the pod while it still serves the requests already routed to it.
func drainFirst(ctx context.Context, draining *atomic.Bool, delay time.Duration) context.Context {
	inner, cancel := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		<-ctx.Done()
		draining.Store(true)
		time.Sleep(delay)
		cancel()
	}()
	return inner
}

// newManager builds a manager whose webhook serves on every replica (only
// the claims sweeper waits for the Lease) and a TLS 1.2+ webhook server
// without HTTP/2 unless asked.
func newManager(cfg *rest.Config, opts Options) (manager.Manager, error) {
	scheme, err := NewScheme()
	if err != nil {
		return nil, err
	}
	tlsOpts := []func(*tls.Config){func(c *tls.Config) {
		c.MinVersion = tls.VersionTLS12
		if !opts.EnableHTTP2 {
			c.NextProtos = []string{"http/1.1"}
		}
	}}
	cacheOpts, err := withLeanInformers(cacheOptionsFor(opts.SecretNamespaces), cfg)
	if err != nil {
		return nil, err
	}
	mopts := manager.Options{
		Scheme:                  scheme,
		Cache:                   cacheOpts,
		Metrics:                 metricsserver.Options{BindAddress: opts.MetricsAddr},
		HealthProbeBindAddress:  opts.ProbeAddr,
		PprofBindAddress:        opts.PprofAddr,
		GracefulShutdownTimeout: ptr.To(30 * time.Second),
		WebhookServer: webhook.NewServer(webhook.Options{
			Port: opts.Port, CertDir: opts.CertDir, TLSOpts: tlsOpts,
		}),
	}
	withClaimsLeaderElection(&mopts, opts)
	return ctrl.NewManager(cfg, mopts)
}

// addProbes: /healthz while the process runs; /readyz only once caches
// are synced and the webhook server serves its certificate (a policy is
// in force from the start), and no longer once shutdown begins.
func addProbes(mgr manager.Manager, synced *cacheSynced, draining *atomic.Bool) error {
	started := mgr.GetWebhookServer().StartedChecker()
	ready := func(req *http.Request) error {
		if draining.Load() {
			return errors.New("shutting down")
		}
		if !synced.done.Load() {
			return errors.New("caches not synced")
		}
		return started(req)
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return err
	}
	return mgr.AddReadyzCheck("caches-and-certificate", ready)
}

// newClaimReservations holds admitted host claims until the informers of
// the claimants (VirtualServices, and the route kinds served) report them,
// and sweeps the ones they never do. Where the snapshot finds a kind by
// host through a valueIndex, a claim is released only after that index
// took the event in: until then the snapshot would not find the object.
func newClaimReservations(ctx context.Context, mgr manager.Manager, ttl time.Duration, source *snapshotSource,
	log logr.Logger) (*reservations, error) {
	res := newReservations(ttl, apiReservationStore{cache: mgr.GetCache(), api: mgr.GetAPIReader()}, log)
	observer := toolscache.ResourceEventHandlerFuncs{
		AddFunc: res.observe, UpdateFunc: func(_, obj any) { res.observe(obj) }, DeleteFunc: res.forget,
	}
	for _, obj := range append([]client.Object{&networkingv1.VirtualService{}}, rules.RouteObjects()...) {
		if !source.optional.cached(obj) {
			continue
		}
		if index := source.indexers.handlers[reflect.TypeOf(obj)]; index != nil {
			index.then = append(index.then, observer)
			continue
		}
		informer, err := mgr.GetCache().GetInformer(ctx, obj)
		if err != nil {
			return nil, err
		}
		if _, err := informer.AddEventHandler(observer); err != nil {
			return nil, err
		}
	}
	return res, mgr.Add(res)
}
