// Package cluster runs a real control plane for gateguard's e2e suite, its
// demo and its load tool: etcd and kube-apiserver built from source (cached
// by hack/build-control-plane.sh), Istio's, the Gateway API's and
// cert-manager's CRDs from their Go modules, the RBAC and webhook configurations rendered from
// manifests/, and the gateguard binary serving as its ServiceAccount.
package cluster

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/gateguard/gateguard/webhook"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
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

// Cluster is a running control plane with gateguard registered.
type Cluster struct {
	testEnv  *envtest.Environment
	webhooks envtest.WebhookInstallOptions
	root     string // the repository
	policy   string
	rbac     string // the kustomization installRBAC renders
	ports    handedOut

	AdminConfig *rest.Config  // cluster-admin
	Client      client.Client // cluster-admin, with gateguard's scheme
	Dir         string        // kubeconfigs, policy, certificates, logs
	Kubeconfig  string        // cluster-admin kubeconfig file, for kubectl
	Kubectl     string        // the kubectl binary
	Gateguard   *Gateguard
	// APIProxy carries gateguard's connections to the apiserver; Cut and
	// Restore it to take the apiserver away from gateguard alone.
	APIProxy *Proxy
}

// Options choose what Start sets up.
type Options struct {
	// Policy is the GatewayPolicy gateguard serves with.
	Policy string
	// SkipWebhooks leaves the webhook configurations unregistered, so
	// objects can be seeded that predate gateguard; call RegisterWebhooks.
	SkipWebhooks bool
	// SkipGateguard leaves gateguard unstarted (implies SkipWebhooks), so a
	// snapshot can be seeded first; call StartGateguard, then
	// RegisterWebhooks.
	SkipGateguard bool
	// RBAC is the kustomization whose ServiceAccount and RBAC gateguard
	// runs with; "" for manifests/base.
	RBAC string
}

// Start brings up etcd and kube-apiserver (built from source and
// cached by hack/build-control-plane.sh), installs Istio's CRDs from the
// istio.io/api module, the Gateway API's standard CRDs with GatewayClass
// istio, and cert-manager's Certificate CRD, the RBAC from
// manifests/, starts gateguard as its ServiceAccount and registers the
// webhook configurations from manifests/ pointed at it.
// The returned Cluster, even with an error, must be stopped.
//
// With GATEGUARD_E2E_EXISTING_CLUSTER=1 it starts nothing and attaches to
// the cluster of $KUBECONFIG instead, where gateguard is already installed
// (the kind path, e2e/kind/run.sh); Gateguard is then nil.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if os.Getenv("GATEGUARD_E2E_EXISTING_CLUSTER") != "" {
		return attach()
	}
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	assets, err := controlPlaneAssets(ctx, root)
	if err != nil {
		return nil, err
	}
	crds, err := crdPaths(root)
	if err != nil {
		return nil, err
	}
	e := &Cluster{testEnv: &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDInstallOptions:     envtest.CRDInstallOptions{Paths: crds, ErrorIfPathMissing: true},
	}, root: root, policy: opts.Policy, rbac: cmp.Or(opts.RBAC, "manifests/base"), Kubectl: filepath.Join(assets, "kubectl")}
	if e.Dir, err = os.MkdirTemp("", "gateguard-e2e-"); err != nil {
		return nil, err
	}
	if err := e.restartableAPIServer(); err != nil {
		return e, err
	}
	if _, err = e.testEnv.Start(); err != nil {
		return e, fmt.Errorf("control plane: %w", err)
	}
	steps := []func(context.Context) error{e.writeKubeconfigs, e.installGatewayAPI, e.installRBAC, e.prepareWebhooks}
	if !opts.SkipGateguard {
		steps = append(steps, func(ctx context.Context) error { return e.StartGateguard(ctx) })
		if !opts.SkipWebhooks {
			steps = append(steps, e.RegisterWebhooks)
		}
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return e, err
		}
	}
	return e, nil
}

// attach uses the existing cluster of $KUBECONFIG as cluster-admin.
func attach() (*Cluster, error) {
	e := &Cluster{Kubeconfig: os.Getenv("KUBECONFIG")}
	if e.Kubeconfig == "" {
		return nil, fmt.Errorf("GATEGUARD_E2E_EXISTING_CLUSTER needs KUBECONFIG")
	}
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		return nil, err
	}
	e.Kubectl = kubectl
	if e.AdminConfig, err = clientcmd.BuildConfigFromFlags("", e.Kubeconfig); err != nil {
		return nil, err
	}
	scheme, err := webhook.NewScheme()
	if err != nil {
		return nil, err
	}
	e.Client, err = client.New(e.AdminConfig, client.Options{Scheme: scheme})
	return e, err
}

// Stop ends gateguard and the control plane; GATEGUARD_E2E_KEEP=1 keeps
// Dir (logs, kubeconfigs) for a look afterwards.
func (e *Cluster) Stop() {
	if e.Gateguard != nil {
		e.Gateguard.Stop()
	}
	if e.testEnv == nil {
		return // attached to an existing cluster
	}
	_ = e.testEnv.Stop()
	if os.Getenv("GATEGUARD_E2E_KEEP") == "" {
		_ = os.RemoveAll(e.Dir)
	}
}

// repoRoot is the directory of gateguard's go.mod.
func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside the gateguard module")
	}
	return filepath.Dir(gomod), nil
}

// controlPlaneAssets returns KUBEBUILDER_ASSETS, building the binaries
// into the cache on first use.
func controlPlaneAssets(ctx context.Context, root string) (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	dir, err := cachedBuild(ctx, root, "build-control-plane.sh")
	if err != nil {
		return "", fmt.Errorf("building the control plane: %w", err)
	}
	return dir, nil
}

// ControlPlaneAssets returns KUBEBUILDER_ASSETS, building (or reusing
// from the cache) the kube-apiserver and etcd, for a package that starts
// its own control plane.
func ControlPlaneAssets(ctx context.Context) (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	return controlPlaneAssets(ctx, root)
}

// crdPaths finds Istio's CRDs in the istio.io/api module, the Gateway
// API's in sigs.k8s.io/gateway-api, cert-manager's Certificate CRD in its
// module, and gateguard's HostClaim CRD in manifests/.
func crdPaths(root string) ([]string, error) {
	istio, err := moduleDir("istio.io/api")
	if err != nil {
		return nil, err
	}
	certManager, err := moduleDir("github.com/cert-manager/cert-manager")
	if err != nil {
		return nil, err
	}
	gatewayAPI, err := gatewayAPICRDs()
	if err != nil {
		return nil, err
	}
	return []string{
		filepath.Join(istio, "kubernetes", "customresourcedefinitions.gen.yaml"),
		gatewayAPI,
		filepath.Join(certManager, "deploy", "crds", "cert-manager.io_certificates.yaml"),
		filepath.Join(certManager, "deploy", "crds", "cert-manager.io_issuers.yaml"), // the chart's cert-manager mode
		filepath.Join(root, "manifests", "base", "hostclaims.yaml"),
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
func (e *Cluster) writeKubeconfigs(context.Context) error {
	admin, err := e.testEnv.AddUser(envtest.User{Name: "e2e-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	raw, err := admin.KubeConfig()
	if err != nil {
		return err
	}
	e.Kubeconfig = filepath.Join(e.Dir, "admin.kubeconfig")
	if err := os.WriteFile(e.Kubeconfig, raw, 0o600); err != nil {
		return err
	}
	kc, err := clientcmd.Load(raw)
	if err != nil {
		return err
	}
	u, err := url.Parse(admin.Config().Host)
	if err != nil {
		return err
	}
	if e.APIProxy, err = newProxy(u.Host); err != nil {
		return err
	}
	for _, cluster := range kc.Clusters {
		cluster.Server = "https://" + e.APIProxy.addr
	}
	for _, auth := range kc.AuthInfos {
		auth.Impersonate = serviceAccount
		auth.ImpersonateGroups = []string{"system:serviceaccounts", "system:serviceaccounts:gateguard-system", "system:authenticated"}
	}
	if err := clientcmd.WriteToFile(*kc, filepath.Join(e.Dir, "gateguard.kubeconfig")); err != nil {
		return err
	}
	scheme, err := webhook.NewScheme()
	if err != nil {
		return err
	}
	e.AdminConfig = admin.Config()
	e.Client, err = client.New(e.AdminConfig, client.Options{Scheme: scheme})
	return err
}

// renderedManifests renders manifests/base with kubectl kustomize, the same
// output a user installs.
func (e *Cluster) renderedManifests(ctx context.Context, kustomization string) ([]*unstructured.Unstructured, error) {
	out, err := exec.CommandContext(ctx, e.Kubectl, "kustomize", filepath.Join(e.root, kustomization)).Output()
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

// DeploymentArgs returns the args of the gateguard container of the
// Deployment a kustomization renders, so that a test runs gateguard with
// the flags an overlay deploys it with.
func (e *Cluster) DeploymentArgs(ctx context.Context, kustomization string) ([]string, error) {
	objs, err := e.renderedManifests(ctx, kustomization)
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		if o.GetKind() != "Deployment" || o.GetName() != "gateguard" {
			continue
		}
		containers, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
		if len(containers) > 0 {
			args, _, err := unstructured.NestedStringSlice(containers[0].(map[string]any), "args")
			return args, err
		}
	}
	return nil, fmt.Errorf("%s renders no gateguard Deployment", kustomization)
}

// installRBAC creates the Namespace, ServiceAccount and RBAC objects of
// the kustomization Options.RBAC names.
func (e *Cluster) installRBAC(ctx context.Context) error {
	return e.InstallRBAC(ctx, e.rbac)
}

// InstallRBAC creates the Namespace, ServiceAccount and RBAC objects a
// kustomization renders (base, or an overlay that adds to it), skipping
// those that exist.
func (e *Cluster) InstallRBAC(ctx context.Context, kustomization string) error {
	objs, err := e.renderedManifests(ctx, kustomization)
	if err != nil {
		return err
	}
	for _, o := range objs {
		switch o.GetKind() {
		case "Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding":
			if err := e.ensureNamespace(ctx, o.GetNamespace()); err != nil {
				return err
			}
			if err := e.Client.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("creating %s %s: %w", o.GetKind(), o.GetName(), err)
			}
		}
	}
	return nil
}

// ensureNamespace creates a namespace that a Role is for (istio-system for
// the scoped-secrets overlay), as a cluster with Istio would have it.
func (e *Cluster) ensureNamespace(ctx context.Context, name string) error {
	if name == "" {
		return nil
	}
	ns := &unstructured.Unstructured{}
	ns.SetAPIVersion("v1")
	ns.SetKind("Namespace")
	ns.SetName(name)
	if err := e.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return nil
}

// httpGet performs an HTTP GET and returns the status code.
func httpGet(url string) (int, error) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
