package cluster

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
)

// restartableAPIServer prepares envtest's apiserver for StopAPIServer and
// StartAPIServer. A CertDir of our own outlives a stop: envtest resets one
// it allocated itself, so a restart would mint new CAs and break every
// kubeconfig already written.
func (e *Cluster) restartableAPIServer() error {
	certDir := filepath.Join(e.Dir, "apiserver")
	if err := os.Mkdir(certDir, 0o700); err != nil {
		return err
	}
	apiServer := e.testEnv.ControlPlane.GetAPIServer()
	apiServer.CertDir = certDir
	// Without it a graceful stop holds gateguard's open watches, and the
	// process, for the whole --request-timeout (1m) before it exits.
	apiServer.Configure().Set("shutdown-watch-termination-grace-period", "2s")
	return nil
}

// StopAPIServer stops kube-apiserver, as a restart or an upgrade of it
// does: every connection to it drops and new ones are refused. etcd, and
// the data in it, stay.
func (e *Cluster) StopAPIServer() error {
	if e.testEnv == nil {
		return fmt.Errorf("attached to an existing cluster: no apiserver of ours to stop")
	}
	return e.testEnv.ControlPlane.APIServer.Stop()
}

// StartAPIServer starts kube-apiserver again on the same port, CertDir,
// serving certificate and client CA, so every kubeconfig still works, and
// returns once its /readyz answers: envtest waits only for /healthz, which
// comes before the CRDs are served again.
func (e *Cluster) StartAPIServer(ctx context.Context) error {
	if e.testEnv == nil {
		return fmt.Errorf("attached to an existing cluster: no apiserver of ours to start")
	}
	if err := e.testEnv.ControlPlane.APIServer.Start(); err != nil {
		return err
	}
	hc, err := rest.HTTPClientFor(e.AdminConfig)
	if err != nil {
		return err
	}
	hc.Timeout = 2 * time.Second
	readyz := strings.TrimSuffix(e.AdminConfig.Host, "/") + "/readyz"
	err = wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(context.Context) (bool, error) {
		resp, err := hc.Get(readyz)
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		return fmt.Errorf("apiserver not ready: %w", err)
	}
	return nil
}
