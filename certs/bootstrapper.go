package certs

import (
	"context"
	"errors"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// maxSecretAttempts bounds the read-decide-write loop on the Secret. Each
// retry follows a lost race, after which the winner's Secret is normally
// adopted as is; running out means the Secret keeps changing under us.
const maxSecretAttempts = 3

// Bootstrapper keeps the self-signed serving certificate in place: in the
// shared Secret, on this replica's disk and in the webhook configurations'
// caBundle. It is safe for concurrent use.
type Bootstrapper struct {
	client client.Client
	opts   Options
	// mu serialises Ensure, Rotate and Start's checks: each is a
	// read-modify-write of the same Secret and files.
	mu sync.Mutex
}

// Bootstrapper is added to the manager as a Runnable that runs on every
// replica.
var (
	_ manager.Runnable               = (*Bootstrapper)(nil)
	_ manager.LeaderElectionRunnable = (*Bootstrapper)(nil)
)

// New returns a Bootstrapper after filling in and checking opts. c needs no
// cache (nothing is watched); an uncached client also works before the
// manager starts, which is when the first Ensure must run.
func New(c client.Client, opts Options) (*Bootstrapper, error) {
	if c == nil {
		return nil, errors.New("certs: client is required")
	}
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("certs: %w", err)
	}
	return &Bootstrapper{client: c, opts: opts}, nil
}

// result records what one Ensure did, for its log line and for tests.
type result struct {
	secretAction string   // "", "created", "renewed" or "adopted"
	reason       string   // why the Secret was created or renewed
	filesWritten bool     // tls.crt or tls.key changed on disk
	patched      []string // kinds of webhook configuration whose caBundle changed
}

// Ensure makes the Secret hold a valid CA and serving certificate (creating
// or renewing them as needed, or adopting another replica's), writes
// tls.crt and tls.key into CertDir, and sets caBundle where it differs. A
// check with nothing to do writes nothing. A missing webhook configuration
// is an error (wrapping NotFound), returned after the files are written.
//
// Run it once before the manager starts: the webhook server's certwatcher
// reads the files when it starts and fails without them.
func (b *Bootstrapper) Ensure(ctx context.Context) error {
	_, err := b.ensure(ctx, false)
	return err
}

// Rotate re-issues the serving certificate now, keeping the CA (so
// caBundle stays as it is), and puts it in place like Ensure. Other
// replicas pick it up at their next check.
func (b *Bootstrapper) Rotate(ctx context.Context) error {
	_, err := b.ensure(ctx, true)
	return err
}

// NeedLeaderElection is false: every replica serves, so every replica
// needs the files on its own disk.
func (b *Bootstrapper) NeedLeaderElection() bool { return false }

// ensure does Ensure's work. caBundle is patched before the files are
// written: after a CA renewal the bundle holds both the new and the
// previous CA, so the API server trusts this replica's certificate before
// and after the switch; the other order would leave a moment where it
// serves a certificate the API server cannot verify. The files are written
// even if patching fails, so the webhook server can start while a missing
// webhook configuration is waited for.
func (b *Bootstrapper) ensure(ctx context.Context, force bool) (result, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	data, res, err := b.syncSecret(ctx, force)
	if err != nil {
		return res, fmt.Errorf("secret %s/%s: %w", b.opts.Namespace, b.opts.SecretName, err)
	}
	res.patched, err = b.patchCABundles(ctx, data[KeyCACert])
	var fileErr error
	res.filesWritten, fileErr = writeServingFiles(b.opts.CertDir, data[corev1.TLSCertKey], data[corev1.TLSPrivateKeyKey])
	b.logResult(ctx, res)
	return res, errors.Join(err, fileErr)
}

// syncSecret returns the Secret's data after bringing it up to date: it
// creates a missing Secret, renews one that needs it, and when another
// replica wins a Create or Update race, re-reads and adopts the winner's.
// force applies to the first attempt only: after losing a race the
// winner's certificate is just as new.
func (b *Bootstrapper) syncSecret(ctx context.Context, force bool) (map[string][]byte, result, error) {
	key := client.ObjectKey{Namespace: b.opts.Namespace, Name: b.opts.SecretName}
	for attempt := range maxSecretAttempts {
		lostRace := attempt > 0
		secret := &corev1.Secret{}
		err := b.client.Get(ctx, key, secret)
		if apierrors.IsNotFound(err) {
			data, err := b.create(ctx, key)
			if apierrors.IsAlreadyExists(err) {
				continue
			}
			return data, result{secretAction: "created", reason: "secret not found"}, err
		}
		if err != nil {
			return nil, result{}, err
		}
		data, reason, err := planSecret(secret.Data, b.issuance(), force && !lostRace)
		if err != nil {
			return nil, result{}, err
		}
		if data == nil {
			if lostRace {
				return secret.Data, result{secretAction: "adopted", reason: "another replica updated it"}, nil
			}
			return secret.Data, result{}, nil
		}
		err = b.update(ctx, secret, data)
		if apierrors.IsConflict(err) {
			continue
		}
		return data, result{secretAction: "renewed", reason: reason}, err
	}
	return nil, result{}, fmt.Errorf("gave up after %d attempts: the secret keeps changing", maxSecretAttempts)
}

// create issues a CA and serving certificate and stores them in a new
// Secret. It returns AlreadyExists unwrapped when another replica created
// the Secret first.
func (b *Bootstrapper) create(ctx context.Context, key client.ObjectKey) (map[string][]byte, error) {
	data, _, err := planSecret(nil, b.issuance(), false)
	if err != nil {
		return nil, err
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: key.Namespace, Name: key.Name,
			Labels: map[string]string{"app.kubernetes.io/managed-by": "gateguard"},
		},
		Type: corev1.SecretTypeTLS,
		Data: data,
	}
	return data, b.client.Create(ctx, secret)
}

// update writes data into secret, keeping its other keys and metadata. The
// Update carries the resourceVersion read, so it returns Conflict rather
// than overwrite a certificate another replica just issued.
func (b *Bootstrapper) update(ctx context.Context, secret *corev1.Secret, data map[string][]byte) error {
	if secret.Data == nil {
		secret.Data = map[string][]byte{}
	}
	for k, v := range data {
		secret.Data[k] = v
	}
	return b.client.Update(ctx, secret)
}

// issuance captures the options and the clock for one decision.
func (b *Bootstrapper) issuance() issuance {
	now := b.opts.Now()
	return issuance{
		dnsNames:    append(DNSNames(b.opts.ServiceName, b.opts.Namespace), b.opts.ExtraDNSNames...),
		caName:      fmt.Sprintf("%s-ca@%d", b.opts.ServiceName, now.Unix()),
		validity:    b.opts.Validity,
		caValidity:  b.opts.CAValidity,
		renewBefore: b.opts.RenewBefore,
		now:         now,
	}
}

// logResult logs what changed; a no-op check logs nothing, since it runs
// every CheckInterval on every replica.
func (b *Bootstrapper) logResult(ctx context.Context, res result) {
	logger := log.FromContext(ctx).WithValues("secret", b.opts.Namespace+"/"+b.opts.SecretName)
	if res.secretAction != "" {
		logger.Info("serving certificate "+res.secretAction, "reason", res.reason)
	}
	if res.filesWritten {
		logger.Info("serving certificate written", "dir", b.opts.CertDir)
	}
	if len(res.patched) > 0 {
		logger.Info("caBundle updated", "name", b.opts.WebhookConfigName, "kinds", res.patched)
	}
}
