package scoped

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gateguard/gateguard/report"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// serviceAccount is who gateguard runs as.
const serviceAccount = "system:serviceaccount:gateguard-system:gateguard"

// seed creates the gateway pods of two deployments, one in the listed
// namespace and one outside it, and their Secrets.
func seed(ctx context.Context) error {
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "istio-system"}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "istio-edge"}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}},
		gatewayPod("istio-system", "ingress-1", "ingressgateway"),
		gatewayPod("istio-edge", "edge-1", "edge"),
		tlsSecret("istio-system", "good-cert", "tls.crt", "tls.key"),
		tlsSecret("istio-system", "half-cert", "tls.crt"),
		tlsSecret("istio-edge", "edge-cert", "tls.crt", "tls.key"),
	}
	for _, obj := range objs {
		if err := env.Client.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating %T %s: %w", obj, obj.GetName(), err)
		}
	}
	return nil
}

func gatewayPod(namespace, name, istio string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: map[string]string{"istio": istio}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "istio-proxy", Image: "proxyv2"}}}}
}

func tlsSecret(namespace, name string, keys ...string) *corev1.Secret {
	data := map[string][]byte{}
	for _, k := range keys {
		data[k] = []byte("not a real " + k)
	}
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Data: data}
}

// tlsGateway is a Gateway in shop on the pods istio=<istio>, reading credential.
func tlsGateway(name, istio, credential string) string {
	return fmt.Sprintf(`apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: %s, namespace: shop}
spec:
  selector: {istio: %s}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["%s.example.com"]
    tls: {mode: SIMPLE, credentialName: %s}
`, name, istio, name, credential)
}

// apply runs kubectl apply as cluster-admin and returns its exit code and stderr.
func apply(t *testing.T, yaml string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(env.Kubectl, append([]string{"--kubeconfig", env.Kubeconfig, "apply", "-f", "-"}, args...)...)
	cmd.Stdin = strings.NewReader(yaml)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), stderr.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, stderr.String()
}

// TestKeyCheckWorksInTheListedNamespace: where the Role lets gateguard
// read, the credential is checked in full: a good Secret is admitted, one
// without tls.key (which only its key names show) and an absent one are
// denied.
func TestKeyCheckWorksInTheListedNamespace(t *testing.T) {
	if code, stderr := apply(t, tlsGateway("good", "ingressgateway", "good-cert")); code != 0 || stderr != "" {
		t.Errorf("good-cert: exit %d, stderr %q; want admitted without warnings", code, stderr)
	}
	for credential, want := range map[string]string{
		"half-cert": `Secret istio-system/half-cert has neither tls.crt+tls.key nor cert+key, so Istio cannot load it`,
		"nope":      `Secret "nope" does not exist in namespace istio-system, where Istio reads it`,
	} {
		code, stderr := apply(t, tlsGateway("gw-"+credential, "ingressgateway", credential), "--dry-run=server")
		if code == 0 || !strings.Contains(stderr, "[missing-credential] "+want) {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant a denial saying %q", credential, code, stderr, want)
		}
	}
}

// TestUnlistedNamespaceWarns: a Gateway whose pods run where gateguard may
// not read Secrets is admitted, with a warning naming the namespace and
// the flag, never denied as missing.
func TestUnlistedNamespaceWarns(t *testing.T) {
	code, stderr := apply(t, tlsGateway("edge", "edge", "edge-cert"))
	want := `Warning: spec.servers[0].tls.credentialName: Forbidden: [missing-credential] gateguard may not read Secrets ` +
		`in namespace istio-edge, where Istio reads "edge-cert", so it cannot check that the Secret exists and has its ` +
		`keys: add istio-edge to gateguard's --secret-namespaces (chart value secretNamespaces), with the Role that lets it read them`
	if code != 0 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant admitted with\n%s", code, stderr, want)
	}
}

// TestServiceAccountCannotReadSecretsElsewhere asks the apiserver's own
// authorizer, and tries a GET as the ServiceAccount: Secrets are readable
// in istio-system only, and nothing else widened.
func TestServiceAccountCannotReadSecretsElsewhere(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		namespace, verb, resource string
		allowed                   bool
	}{
		{"istio-system", "get", "secrets", true}, {"istio-system", "list", "secrets", true}, {"istio-system", "watch", "secrets", true},
		{"istio-system", "update", "secrets", false}, {"istio-system", "delete", "secrets", false},
		{"istio-edge", "get", "secrets", false}, {"istio-edge", "list", "secrets", false}, {"istio-edge", "watch", "secrets", false},
		{"", "list", "secrets", false}, {"shop", "get", "secrets", false},
		{"", "list", "pods", true}, {"istio-edge", "create", "pods", false},
	} {
		review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: serviceAccount, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:gateguard-system", "system:authenticated"},
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: c.namespace, Verb: c.verb, Resource: c.resource},
		}}
		if err := env.Client.Create(ctx, review); err != nil {
			t.Fatal(err)
		}
		if review.Status.Allowed != c.allowed {
			t.Errorf("%s %s in %q: allowed = %v, want %v (%s)", c.verb, c.resource, c.namespace,
				review.Status.Allowed, c.allowed, review.Status.Reason)
		}
	}
	sa := rest.CopyConfig(env.AdminConfig)
	sa.Impersonate = rest.ImpersonationConfig{UserName: serviceAccount}
	asSA, err := client.New(sa, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = asSA.Get(ctx, client.ObjectKey{Namespace: "istio-edge", Name: "edge-cert"}, &corev1.Secret{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("GET istio-edge/edge-cert as the ServiceAccount: %v, want Forbidden", err)
	}
	if err := asSA.Get(ctx, client.ObjectKey{Namespace: "istio-system", Name: "good-cert"}, &corev1.Secret{}); err != nil {
		t.Errorf("GET istio-system/good-cert as the ServiceAccount: %v, want it read", err)
	}
}

// TestAuditListsWhatItCannotSee: `gateguard audit` with the same scope,
// as the ServiceAccount, lists the Gateway whose credential it cannot read.
func TestAuditListsWhatItCannotSee(t *testing.T) {
	if code, stderr := apply(t, tlsGateway("edge-audit", "edge", "edge-cert")); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var findings []string
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, 30*time.Second, true,
		func(ctx context.Context) (bool, error) {
			findings = audit(t, ctx)
			return slices.Contains(findings, "warn missing-credential Gateway shop/edge-audit spec.servers[0].tls.credentialName"), nil
		})
	if err != nil {
		t.Fatalf("audit findings %q: want a warning for shop/edge-audit", findings)
	}
	for _, f := range findings {
		if strings.HasPrefix(f, "deny") {
			t.Errorf("audit denies %q: nothing in this cluster is missing", f)
		}
	}
}

// audit runs gateguard audit as the ServiceAccount and returns its findings.
func audit(t *testing.T, ctx context.Context) []string {
	cmd := exec.CommandContext(ctx, env.Gateguard.Binary, "audit", "--kubeconfig", filepath.Join(env.Dir, "gateguard.kubeconfig"),
		scope, "-o", "json")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gateguard audit: %v\n%s", err, out)
	}
	var rep report.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, f := range rep.Findings {
		lines = append(lines, fmt.Sprintf("%s %s %s %s/%s %s", f.Action, f.Rule, f.Object.Kind, f.Object.Namespace, f.Object.Name, f.Field))
	}
	return lines
}
