package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gateguard/gateguard/certs"
	"github.com/gateguard/gateguard/webhook"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// serveOptions are `gateguard serve`'s flags: the webhook's options, where
// the cluster is, and the self-signed certificate mode.
type serveOptions struct {
	webhook.Options
	kubeconfig string
	selfSigned bool
	certs      certs.Options
	zap        zap.Options
}

// bind registers every flag on fs, with the webhook's defaults.
func (o *serveOptions) bind(fs *flag.FlagSet) {
	o.Options = webhook.DefaultOptions()
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file; default $KUBECONFIG, then the in-cluster service account")
	fs.IntVar(&o.Port, "port", o.Port, "HTTPS port of the webhook server")
	fs.StringVar(&o.CertDir, "cert-dir", o.CertDir, "directory with tls.crt and tls.key; reloaded when they change")
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", o.MetricsAddr, `Prometheus metrics address; "0" disables`)
	fs.StringVar(&o.ProbeAddr, "health-probe-bind-address", o.ProbeAddr, "address of /healthz and /readyz")
	fs.StringVar(&o.PprofAddr, "pprof-bind-address", o.PprofAddr,
		`net/http/pprof address, for profiling; empty or "0" disables`)
	fs.StringVar(&o.PolicyFile, "policy", o.PolicyFile, "GatewayPolicy file; empty for the built-in defaults")
	fs.DurationVar(&o.PolicyPollInterval, "policy-poll-interval", o.PolicyPollInterval, "how often the policy file is re-read")
	fs.BoolVar(&o.EnableHTTP2, "enable-http2", o.EnableHTTP2, "serve HTTP/2 as well as HTTP/1.1")
	fs.DurationVar(&o.ReservationTTL, "reservation-ttl", o.ReservationTTL,
		"how long an admitted host claim is held while the cache catches up")
	fs.DurationVar(&o.ShutdownDelay, "shutdown-delay", o.ShutdownDelay,
		"on SIGTERM, how long readiness fails before the listener closes")
	fs.DurationVar(&o.AuditInterval, "audit-interval", o.AuditInterval,
		"how often existing objects are re-audited for gateguard_existing_violations; 0 disables")
	secretNamespacesFlag(fs, &o.SecretNamespaces)
	o.bindClaims(fs)
	o.bindSelfSigned(fs)
	o.zap.BindFlags(fs)
}

// bindClaims registers the HostClaim flags on fs.
func (o *serveOptions) bindClaims(fs *flag.FlagSet) {
	c := &o.ClaimsOptions
	fs.BoolVar(&o.Claims, "claims", o.Claims, "give each host one owner across replicas through HostClaim objects; "+
		"false keeps only each replica's in-memory reservations (single-replica development)")
	fs.DurationVar(&c.GracePeriod, "claims-grace-period", c.GracePeriod,
		"how long a claim holds for an owner not yet stored; longer than the webhook timeout plus the write")
	fs.DurationVar(&c.SweepInterval, "claims-sweep-interval", c.SweepInterval,
		"how often the elected replica removes stale claims and claims hosts for objects without one")
	fs.StringVar(&c.LeaderElectionNamespace, "leader-election-namespace", os.Getenv("POD_NAMESPACE"),
		"namespace of the claims sweeper's Lease; empty for the namespace gateguard runs in")
}

// bindSelfSigned registers the self-signed mode flags on fs.
func (o *serveOptions) bindSelfSigned(fs *flag.FlagSet) {
	c := &o.certs
	fs.BoolVar(&o.selfSigned, "self-signed-certs", false,
		"issue and renew a self-signed serving certificate into --cert-dir, stored in --cert-secret, and patch the caBundle")
	fs.StringVar(&c.Namespace, "cert-namespace", os.Getenv("POD_NAMESPACE"), "namespace of the certificate Secret and the Service")
	fs.StringVar(&c.SecretName, "cert-secret", certs.DefaultSecretName, "Secret holding the CA and serving certificate")
	fs.StringVar(&c.ServiceName, "service-name", certs.DefaultServiceName, "Service the webhook configurations call")
	fs.StringVar(&c.WebhookConfigName, "webhook-configuration", certs.DefaultWebhookConfigName,
		"name of both webhook configurations whose caBundle is kept current")
	fs.DurationVar(&c.Validity, "cert-validity", certs.DefaultValidity, "serving certificate validity")
	fs.DurationVar(&c.RenewBefore, "cert-renew-before", certs.DefaultRenewBefore, "renew this long before expiry")
	fs.DurationVar(&c.CheckInterval, "cert-check-interval", 0,
		"how often the certificate and caBundle are checked; 0 for min(renew-before/4, 1h)")
	fs.Func("cert-extra-dns-name", "an extra DNS name for the serving certificate (out-of-cluster serving); repeatable",
		func(v string) error { c.ExtraDNSNames = append(c.ExtraDNSNames, v); return nil })
}

// validate refuses, by flag name, every setting that could only fail
// later: a zero interval would panic in a ticker, a bad address or port
// would fail the listener after the caches had started filling.
func (o *serveOptions) validate() error {
	errs := []error{
		portInRange("--port", o.Port),
		bindAddress("--metrics-bind-address", o.MetricsAddr, "0"),
		bindAddress("--health-probe-bind-address", o.ProbeAddr, "0"),
		bindAddress("--pprof-bind-address", o.PprofAddr, "", "0"),
		positive("--policy-poll-interval", o.PolicyPollInterval),
		positive("--reservation-ttl", o.ReservationTTL),
		notNegative("--shutdown-delay", o.ShutdownDelay),
		notNegative("--audit-interval", o.AuditInterval),
	}
	if o.Claims {
		errs = append(errs, atLeast("--claims-grace-period", o.GracePeriod, minGracePeriod),
			positive("--claims-sweep-interval", o.SweepInterval),
			namespaceNames("--leader-election-namespace", nonEmpty(o.LeaderElectionNamespace)))
	}
	if o.CertDir == "" && !o.selfSigned { // self-signed mode's own check names it
		errs = append(errs, errors.New("--cert-dir must not be empty"))
	}
	errs = append(errs, namespaceNames("--secret-namespaces", o.SecretNamespaces))
	if o.selfSigned {
		errs = append(errs, o.selfSignedOptions().Validate())
	}
	return errors.Join(errs...)
}

// webhookOptions are the validated options Serve runs with.
func (o *serveOptions) webhookOptions() webhook.Options {
	opts := o.Options
	if o.selfSigned {
		c := o.selfSignedOptions()
		opts.SelfSigned = &c
	}
	return opts
}

// selfSignedOptions are the self-signed flags with the one --cert-dir
// both modes serve from.
func (o *serveOptions) selfSignedOptions() certs.Options {
	c := o.certs
	c.CertDir = o.CertDir
	return c
}

// secretNamespacesFlag registers --secret-namespaces, a comma-separated
// list that may also be repeated.
func secretNamespacesFlag(fs *flag.FlagSet, into *[]string) {
	fs.Func("secret-namespaces", "comma-separated namespaces whose Secrets gateguard may read (where gateway pods run, "+
		"and where Gateways keep certificates); empty for every namespace, under the ClusterRole",
		func(v string) error {
			for _, ns := range strings.Split(v, ",") {
				if ns = strings.TrimSpace(ns); ns == "" {
					return fmt.Errorf("an empty namespace in %q: list namespaces, or leave the flag out for every namespace", v)
				}
				*into = append(*into, ns)
			}
			return nil
		})
}

// namespaceNames refuses a name that cannot be a namespace.
func namespaceNames(flagName string, names []string) error {
	var errs []error
	for _, ns := range names {
		if problems := validation.IsDNS1123Label(ns); len(problems) > 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a namespace name: %s", flagName, ns, strings.Join(problems, "; ")))
		}
	}
	return errors.Join(errs...)
}

func positive(flagName string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%s must be positive, not %s", flagName, d)
	}
	return nil
}

// minGracePeriod is the shortest --claims-grace-period: the webhook
// timeout of manifests/ (5s) with room for the write that follows.
const minGracePeriod = 10 * time.Second

func atLeast(flagName string, d, least time.Duration) error {
	if d < least {
		return fmt.Errorf("%s must be at least %s (longer than the webhook timeout plus the write), not %s", flagName, least, d)
	}
	return nil
}

// nonEmpty is s as a list, none when empty.
func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func notNegative(flagName string, d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("%s must not be negative, not %s", flagName, d)
	}
	return nil
}

func portInRange(flagName string, port int) error {
	if port < 1 || port > 65535 {
		return fmt.Errorf("%s %d is out of range: want 1 to 65535", flagName, port)
	}
	return nil
}

// bindAddress accepts host:port (host may be empty) or one of the values
// that disable the listener.
func bindAddress(flagName, addr string, disabling ...string) error {
	for _, d := range disabling {
		if addr == d {
			return nil
		}
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%s %q is not a host:port address", flagName, addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%s %q: port %q is out of range: want 0 to 65535", flagName, addr, port)
	}
	return nil
}
