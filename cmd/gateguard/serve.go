package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/gateguard/gateguard/certs"
	"github.com/gateguard/gateguard/webhook"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// runServe parses serve's flags into webhook.Options and runs the webhook.
func runServe(ctx context.Context, args []string, stderr io.Writer) error {
	opts := webhook.DefaultOptions()
	var kubeconfig string
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: gateguard serve [flags]\n\nRuns the admission webhook.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig file; default $KUBECONFIG, then the in-cluster service account")
	fs.IntVar(&opts.Port, "port", opts.Port, "HTTPS port of the webhook server")
	fs.StringVar(&opts.CertDir, "cert-dir", opts.CertDir, "directory with tls.crt and tls.key; reloaded when they change")
	fs.StringVar(&opts.MetricsAddr, "metrics-bind-address", opts.MetricsAddr, `Prometheus metrics address; "0" disables`)
	fs.StringVar(&opts.ProbeAddr, "health-probe-bind-address", opts.ProbeAddr, "address of /healthz and /readyz")
	fs.StringVar(&opts.PprofAddr, "pprof-bind-address", opts.PprofAddr,
		`net/http/pprof address, for profiling; empty or "0" disables`)
	fs.StringVar(&opts.PolicyFile, "policy", opts.PolicyFile, "GatewayPolicy file; empty for the built-in defaults")
	fs.DurationVar(&opts.PolicyPollInterval, "policy-poll-interval", opts.PolicyPollInterval, "how often the policy file is re-read")
	fs.BoolVar(&opts.EnableHTTP2, "enable-http2", opts.EnableHTTP2, "serve HTTP/2 as well as HTTP/1.1")
	fs.DurationVar(&opts.ReservationTTL, "reservation-ttl", opts.ReservationTTL,
		"how long an admitted host claim is held while the cache catches up")
	fs.DurationVar(&opts.ShutdownDelay, "shutdown-delay", opts.ShutdownDelay,
		"on SIGTERM, how long readiness fails before the listener closes")
	fs.DurationVar(&opts.AuditInterval, "audit-interval", opts.AuditInterval,
		"how often existing objects are re-audited for gateguard_existing_violations; 0 disables")
	selfSigned := selfSignedFlags(fs)
	zapOpts := zap.Options{}
	zapOpts.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return usageError(err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %v", errUsage, fs.Args())
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	if selfSigned.enabled {
		selfSigned.opts.CertDir = opts.CertDir
		opts.SelfSigned = &selfSigned.opts
	}
	return webhook.Serve(ctx, func() (*rest.Config, error) { return restConfig(kubeconfig) }, opts)
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

// selfSignedOptions are the flags of self-signed certificate mode.
type selfSignedOptions struct {
	enabled bool
	opts    certs.Options
}

// selfSignedFlags registers the self-signed mode flags on fs.
func selfSignedFlags(fs *flag.FlagSet) *selfSignedOptions {
	s := &selfSignedOptions{}
	fs.BoolVar(&s.enabled, "self-signed-certs", false,
		"issue and renew a self-signed serving certificate into --cert-dir, stored in --cert-secret, and patch the caBundle")
	fs.StringVar(&s.opts.Namespace, "cert-namespace", os.Getenv("POD_NAMESPACE"), "namespace of the certificate Secret and the Service")
	fs.StringVar(&s.opts.SecretName, "cert-secret", certs.DefaultSecretName, "Secret holding the CA and serving certificate")
	fs.StringVar(&s.opts.ServiceName, "service-name", certs.DefaultServiceName, "Service the webhook configurations call")
	fs.StringVar(&s.opts.WebhookConfigName, "webhook-configuration", certs.DefaultWebhookConfigName,
		"name of both webhook configurations whose caBundle is kept current")
	fs.DurationVar(&s.opts.Validity, "cert-validity", certs.DefaultValidity, "serving certificate validity")
	fs.DurationVar(&s.opts.RenewBefore, "cert-renew-before", certs.DefaultRenewBefore, "renew this long before expiry")
	fs.DurationVar(&s.opts.CheckInterval, "cert-check-interval", 0,
		"how often the certificate and caBundle are checked; 0 for min(renew-before/4, 1h)")
	fs.Func("cert-extra-dns-name", "an extra DNS name for the serving certificate (out-of-cluster serving); repeatable",
		func(v string) error { s.opts.ExtraDNSNames = append(s.opts.ExtraDNSNames, v); return nil })
	return s
}
