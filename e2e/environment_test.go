package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/gateguard/gateguard/webhook"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"
)

// serviceAccount is who gateguard runs as, through impersonation, so that
// every decision of the suite is made with the RBAC from manifests/ alone.
const serviceAccount = "system:serviceaccount:gateguard-system:gateguard"

type environment struct {
	testEnv     *envtest.Environment
	webhooks    envtest.WebhookInstallOptions
	cfg         *rest.Config
	adminConfig *rest.Config
	client      client.Client
	dir         string // kubeconfigs, policy, logs
	kubeconfig  string // cluster-admin, for kubectl
	kubectl     string
	gateguard   *gateguardProcess
}

// startEnvironment brings up etcd and kube-apiserver (built from source and
// cached by hack/build-control-plane.sh), installs Istio's CRDs from the
// istio.io/api module and cert-manager's Certificate CRD, the RBAC from
// manifests/, starts gateguard as its ServiceAccount and registers the
// webhook configurations from manifests/ pointed at it.
func startEnvironment(ctx context.Context) (*environment, error) {
	assets, err := controlPlaneAssets(ctx)
	if err != nil {
		return nil, err
	}
	crds, err := crdPaths()
	if err != nil {
		return nil, err
	}
	e := &environment{testEnv: &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDInstallOptions:     envtest.CRDInstallOptions{Paths: crds, ErrorIfPathMissing: true},
	}, kubectl: filepath.Join(assets, "kubectl")}
	if e.dir, err = os.MkdirTemp("", "gateguard-e2e-"); err != nil {
		return nil, err
	}
	if e.cfg, err = e.testEnv.Start(); err != nil {
		return e, fmt.Errorf("control plane: %w", err)
	}
	steps := []func(context.Context) error{e.writeKubeconfigs, e.installRBAC, e.prepareWebhooks, e.startGateguard, e.registerWebhooks}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return e, err
		}
	}
	return e, nil
}

// stop ends gateguard and the control plane.
func (e *environment) stop() {
	if e.gateguard != nil {
		e.gateguard.stop()
	}
	_ = e.testEnv.Stop()
	if os.Getenv("GATEGUARD_E2E_KEEP") == "" {
		_ = os.RemoveAll(e.dir)
	}
}

// controlPlaneAssets returns KUBEBUILDER_ASSETS, building the binaries
// into the cache on first use.
func controlPlaneAssets(ctx context.Context) (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	cmd := exec.CommandContext(ctx, "bash", "../hack/build-control-plane.sh")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("building the control plane: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1], nil
}

// crdPaths finds Istio's CRDs in the istio.io/api module and cert-manager's
// Certificate CRD in its module.
func crdPaths() ([]string, error) {
	istio, err := moduleDir("istio.io/api")
	if err != nil {
		return nil, err
	}
	certManager, err := moduleDir("github.com/cert-manager/cert-manager")
	if err != nil {
		return nil, err
	}
	return []string{
		filepath.Join(istio, "kubernetes", "customresourcedefinitions.gen.yaml"),
		filepath.Join(certManager, "deploy", "crds", "cert-manager.io_certificates.yaml"),
	}, nil
}

func moduleDir(module string) (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module).Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %w", module, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// writeKubeconfigs writes a cluster-admin kubeconfig for kubectl and one
// that impersonates gateguard's ServiceAccount for gateguard.
func (e *environment) writeKubeconfigs(context.Context) error {
	admin, err := e.testEnv.AddUser(envtest.User{Name: "e2e-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	raw, err := admin.KubeConfig()
	if err != nil {
		return err
	}
	e.kubeconfig = filepath.Join(e.dir, "admin.kubeconfig")
	if err := os.WriteFile(e.kubeconfig, raw, 0o600); err != nil {
		return err
	}
	kc, err := clientcmd.Load(raw)
	if err != nil {
		return err
	}
	for _, auth := range kc.AuthInfos {
		auth.Impersonate = serviceAccount
		auth.ImpersonateGroups = []string{"system:serviceaccounts", "system:serviceaccounts:gateguard-system", "system:authenticated"}
	}
	if err := clientcmd.WriteToFile(*kc, filepath.Join(e.dir, "gateguard.kubeconfig")); err != nil {
		return err
	}
	scheme, err := webhook.NewScheme()
	if err != nil {
		return err
	}
	e.adminConfig = admin.Config()
	e.client, err = client.New(e.adminConfig, client.Options{Scheme: scheme})
	return err
}

// renderedManifests renders manifests/base with kubectl kustomize, the same
// output a user installs.
func (e *environment) renderedManifests(ctx context.Context) ([]*unstructured.Unstructured, error) {
	out, err := exec.CommandContext(ctx, e.kubectl, "kustomize", "../manifests/base").Output()
	if err != nil {
		return nil, fmt.Errorf("kubectl kustomize: %w", err)
	}
	var objs []*unstructured.Unstructured
	for _, doc := range bytes.Split(out, []byte("\n---\n")) {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(doc, &u.Object); err != nil {
			return nil, err
		}
		objs = append(objs, u)
	}
	return objs, nil
}

// installRBAC creates the Namespace, ServiceAccount, ClusterRole and
// binding from the rendered manifests.
func (e *environment) installRBAC(ctx context.Context) error {
	objs, err := e.renderedManifests(ctx)
	if err != nil {
		return err
	}
	for _, o := range objs {
		switch o.GetKind() {
		case "Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding":
			if err := e.client.Create(ctx, o); err != nil {
				return fmt.Errorf("creating %s %s: %w", o.GetKind(), o.GetName(), err)
			}
		}
	}
	return nil
}

// prepareWebhooks takes the webhook configurations from the rendered
// manifests, and lets envtest make a serving CA and certificate and point
// the configurations at a local port with that CA.
func (e *environment) prepareWebhooks(ctx context.Context) error {
	objs, err := e.renderedManifests(ctx)
	if err != nil {
		return err
	}
	for _, o := range objs {
		data, _ := o.MarshalJSON()
		switch o.GetKind() {
		case "ValidatingWebhookConfiguration":
			v := &admissionv1.ValidatingWebhookConfiguration{}
			if err := yaml.Unmarshal(data, v); err != nil {
				return err
			}
			e.webhooks.ValidatingWebhooks = append(e.webhooks.ValidatingWebhooks, v)
		case "MutatingWebhookConfiguration":
			m := &admissionv1.MutatingWebhookConfiguration{}
			if err := yaml.Unmarshal(data, m); err != nil {
				return err
			}
			e.webhooks.MutatingWebhooks = append(e.webhooks.MutatingWebhooks, m)
		}
	}
	if len(e.webhooks.ValidatingWebhooks) != 1 || len(e.webhooks.MutatingWebhooks) != 1 {
		return fmt.Errorf("manifests/base must hold one validating and one mutating configuration")
	}
	e.webhooks.LocalServingHost = "127.0.0.1"
	e.webhooks.LocalServingCertDir = filepath.Join(e.dir, "certs")
	return e.webhooks.PrepWithoutInstalling()
}

// registerWebhooks installs the configurations and waits until they serve.
func (e *environment) registerWebhooks(context.Context) error {
	return e.webhooks.Install(e.cfg)
}

// get performs an HTTP GET on gateguard's probe port.
func get(url string) (int, error) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
