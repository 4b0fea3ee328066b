package webhook

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gateguard/gateguard/certs"
	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// bootstrapSelfSigned issues or adopts the serving certificate before the
// webhook server starts (certwatcher reads the files at start), then
// returns the Bootstrapper for the manager to renew it. A failure after
// the files are written (a webhook configuration not yet installed, say)
// does not hold startup back: the Bootstrapper retries it.
func bootstrapSelfSigned(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme, opts certs.Options,
	log logr.Logger) (*certs.Bootstrapper, error) {
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, err
	}
	boot, err := certs.New(c, opts)
	if err != nil {
		return nil, err
	}
	for wait := time.Second; ; wait = min(2*wait, 15*time.Second) {
		err := boot.Ensure(ctx)
		if err == nil {
			return boot, nil
		}
		if _, statErr := os.Stat(filepath.Join(opts.CertDir, "tls.crt")); statErr == nil {
			log.Error(err, "self-signed bootstrap incomplete; serving and retrying")
			return boot, nil
		}
		log.Error(err, "self-signed bootstrap failed; retrying", "in", wait)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("self-signed bootstrap: %w", err)
		case <-time.After(wait):
		}
	}
}
