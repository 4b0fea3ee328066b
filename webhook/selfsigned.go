package webhook

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/gateguard/gateguard/certs"
	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
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
	// 1s, 2s, 4s, 8s, then every 15s: the delay stays at the cap.
	backoff := wait.Backoff{Duration: time.Second, Factor: 2, Cap: 15 * time.Second, Steps: math.MaxInt32}
	var last error
	err = backoff.DelayFunc().Until(ctx, true, false, func(ctx context.Context) (bool, error) {
		if last = boot.Ensure(ctx); last == nil {
			return true, nil
		}
		if _, statErr := os.Stat(filepath.Join(opts.CertDir, "tls.crt")); statErr == nil {
			log.Error(last, "self-signed bootstrap incomplete; serving and retrying")
			return true, nil
		}
		log.Error(last, "self-signed bootstrap failed; retrying")
		return false, nil
	})
	if err != nil {
		return nil, fmt.Errorf("self-signed bootstrap: %w", cmp.Or(last, err))
	}
	return boot, nil
}
