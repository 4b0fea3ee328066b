package certs

import (
	"errors"
	"fmt"
	"time"
)

// Defaults for Options' zero values.
const (
	DefaultSecretName        = "gateguard-serving-cert"
	DefaultServiceName       = "gateguard"
	DefaultWebhookConfigName = "gateguard"
	DefaultValidity          = 365 * 24 * time.Hour
	DefaultRenewBefore       = 30 * 24 * time.Hour
	DefaultCAValidity        = 10 * 365 * 24 * time.Hour

	// maxCheckInterval bounds the default CheckInterval: even with a long
	// RenewBefore, a caBundle overwritten by a re-applied manifest should
	// be repaired within the hour.
	maxCheckInterval = time.Hour
)

// Options configure a Bootstrapper. Zero values take the defaults above,
// except Namespace and CertDir, which are required.
type Options struct {
	// Namespace holds the Secret and the Service.
	Namespace string
	// SecretName is the kubernetes.io/tls Secret shared by all replicas.
	SecretName string
	// ServiceName is the Service the webhook configurations call; the
	// serving certificate is issued for its DNS names.
	ServiceName string
	// WebhookConfigName names both the ValidatingWebhookConfiguration and
	// the MutatingWebhookConfiguration whose caBundle is kept current.
	WebhookConfigName string
	// ExtraDNSNames are added to the serving certificate's SANs, for a
	// webhook reached by another name (out of cluster, or in tests).
	ExtraDNSNames []string
	// CertDir receives tls.crt and tls.key for controller-runtime's
	// certwatcher. It must be writable (an emptyDir, not a Secret volume).
	CertDir string
	// Validity is how long a serving certificate is valid.
	Validity time.Duration
	// RenewBefore is how long before expiry a certificate (serving or CA)
	// is re-issued.
	RenewBefore time.Duration
	// CAValidity is how long the self-signed CA is valid.
	CAValidity time.Duration
	// CheckInterval is how often Start re-runs Ensure. Default:
	// min(RenewBefore/4, 1h).
	CheckInterval time.Duration
	// Now is the clock; nil means time.Now. Tests move it forward to
	// exercise renewal.
	Now func() time.Time
}

// withDefaults fills zero values, so the rest of the package never has to
// ask whether a field was set.
func (o Options) withDefaults() Options {
	if o.SecretName == "" {
		o.SecretName = DefaultSecretName
	}
	if o.ServiceName == "" {
		o.ServiceName = DefaultServiceName
	}
	if o.WebhookConfigName == "" {
		o.WebhookConfigName = DefaultWebhookConfigName
	}
	if o.Validity == 0 {
		o.Validity = DefaultValidity
	}
	if o.RenewBefore == 0 {
		o.RenewBefore = DefaultRenewBefore
	}
	if o.CAValidity == 0 {
		o.CAValidity = DefaultCAValidity
	}
	if o.CheckInterval == 0 {
		o.CheckInterval = min(o.RenewBefore/4, maxCheckInterval)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Validate reports the settings that would fail Bootstrap, named by the
// flags of `gateguard serve` that set them, after the defaults are filled.
func (o Options) Validate() error { return o.withDefaults().validate() }

// validate rejects settings that would make every check renew (RenewBefore
// not shorter than a lifetime) or let a certificate expire between checks
// (CheckInterval not shorter than RenewBefore).
func (o Options) validate() error {
	var errs []error
	if o.Namespace == "" {
		errs = append(errs, errors.New("--cert-namespace is required (or $POD_NAMESPACE)"))
	}
	if o.CertDir == "" {
		errs = append(errs, errors.New("--cert-dir is required"))
	}
	if o.RenewBefore <= 0 {
		errs = append(errs, fmt.Errorf("--cert-renew-before %s must be positive", o.RenewBefore))
	}
	if o.Validity <= o.RenewBefore {
		errs = append(errs, fmt.Errorf("--cert-validity %s must exceed --cert-renew-before %s", o.Validity, o.RenewBefore))
	}
	if o.CAValidity < o.Validity {
		errs = append(errs, fmt.Errorf("CA validity %s must be at least --cert-validity %s", o.CAValidity, o.Validity))
	}
	if o.CheckInterval <= 0 || o.CheckInterval >= o.RenewBefore {
		errs = append(errs, fmt.Errorf("--cert-check-interval %s must be positive and shorter than --cert-renew-before %s",
			o.CheckInterval, o.RenewBefore))
	}
	return errors.Join(errs...)
}

// DNSNames are the names the API server may use for a Service: it dials
// svc.ns.svc, but the shorter and the fully qualified forms are included
// so that in-cluster clients and tools can verify the certificate too.
func DNSNames(service, namespace string) []string {
	return []string{
		service,
		service + "." + namespace,
		service + "." + namespace + ".svc",
		service + "." + namespace + ".svc.cluster.local",
	}
}
