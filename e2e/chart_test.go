package e2e

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gateguard/gateguard/certs"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestChartInstalledServesThroughKubectl installs the Helm chart, rendered
// by the pinned helm, on the real apiserver in each certificate mode and
// runs gateguard as the chart's Deployment would: as its ServiceAccount
// (with only the chart's RBAC), with the Deployment's args and env, and
// its volumes filled from the objects the chart applied. There is no
// kubelet, Service network or cert-manager here, so the test stands in for
// each, and for nothing else: it fills the volumes, points the webhook
// configurations' service at the local process as localhost, and in
// cert-manager mode issues the Certificate the chart asks for into its
// Secret and injects the CA where the inject-ca-from annotation says.
// Through kubectl, a duplicate host is then denied and a Gateway without
// a selector defaulted. With secretNamespaces, the chart's scoped RBAC is
// what gateguard reads Secrets with.
func TestChartInstalledServesThroughKubectl(t *testing.T) {
	requireLocalGateguard(t)
	fixtures(t)
	for name, c := range map[string]struct {
		mode  string
		sets  []string
		check func(t *testing.T)
	}{
		"cert-manager":   {mode: "cert-manager"},
		"self-signed":    {mode: "self-signed"},
		"scoped-secrets": {mode: "cert-manager", sets: []string{"--set", "secretNamespaces={istio-system}"}, check: scopedSecretsHold},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			mode := c.mode
			rendered := helmTemplate(t, append([]string{"--set", "certificates.mode=" + mode}, c.sets...)...)
			installChart(t, rendered)
			deploy := &appsv1.Deployment{}
			if err := env.Client.Get(ctx, key("gateguard-system", "gateguard"), deploy); err != nil {
				t.Fatal(err)
			}
			pod := deploy.Spec.Template.Spec
			if pod.ServiceAccountName != "gateguard" {
				t.Fatalf("the chart's pods run as %q; the suite impersonates gateguard-system:gateguard", pod.ServiceAccountName)
			}
			pointWebhooksAtLocalhost(t)
			mounts := fillVolumes(t, pod)
			var extra []string
			var ca []byte
			if mode == "cert-manager" {
				ca = actAsCertManager(t, mounts)
			} else {
				// The apiserver reaches the local process as localhost.
				extra = []string{"--cert-extra-dns-name", "localhost"}
			}
			startAsDeployment(t, pod.Containers[0], mounts, extra)
			if ca == nil {
				ca = selfSignedCA(t)
			}
			expiryGaugeIsServedCerts(t, ca)

			host := "chart-" + name + ".example.com"
			mustApply(t, vsYAML("team-a", "chart-"+name, host, "istio-system/public"))
			mustDeny(t, vsYAML("team-b", "chart-"+name, host, "istio-system/public"),
				`spec.hosts[0]: Duplicate value: "`+host+`": [duplicate-host] host "`+host+`" is already claimed by VirtualService team-a/chart-`+name)
			mustApply(t, selectorlessGateway("team-a", "chart-"+name, host))
			// Qualified: beside the Gateway API's CRDs, "gateway" may name theirs.
			gw := kubectl(t, "", "get", "gateways.networking.istio.io", "-n", "team-a", "chart-"+name, "-o", "yaml").stdout
			for _, want := range []string{"selector:\n    istio: ingressgateway", `gateguard.dev/defaulted: "true"`} {
				if !strings.Contains(gw, want) {
					t.Errorf("kubectl get gateways.networking.istio.io -o yaml lacks %q:\n%s", want, gw)
				}
			}
			if c.check != nil {
				c.check(t)
			}
		})
	}
}

// scopedSecretsHold: with the chart's secretNamespaces={istio-system}, the
// key check still reads istio-system, the ServiceAccount may not list
// Secrets in team-b, and a Gateway whose pods run there is admitted with
// the warning that names the namespace.
func scopedSecretsHold(t *testing.T) {
	ctx := context.Background()
	mustApply(t, tlsSecret("istio-system", "chart-scoped-cert"))
	mustApply(t, "apiVersion: v1\nkind: Secret\nmetadata: {name: chart-scoped-half, namespace: istio-system}\ndata: {tls.crt: Y2VydA==}\n")
	// The key names are read with the chart's Role: a good Secret admits,
	// one without tls.key is denied.
	eventuallyApply(t, httpsGateway("team-a", "chart-scoped-good", "chart-scoped-good.example.com", "chart-scoped-cert"))
	mustDeny(t, httpsGateway("team-a", "chart-scoped-half", "chart-scoped-half.example.com", "chart-scoped-half"),
		`[missing-credential] Secret istio-system/chart-scoped-half has neither tls.crt+tls.key nor cert+key`)
	mustDeny(t, httpsGateway("team-a", "chart-scoped-missing", "chart-scoped-tls.example.com", "no-such-cert"),
		`[missing-credential] Secret "no-such-cert" does not exist in namespace istio-system, where Istio reads it`)
	review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User: "system:serviceaccount:gateguard-system:gateguard", Groups: []string{"system:serviceaccounts", "system:authenticated"},
		ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "team-b", Verb: "list", Resource: "secrets"},
	}}
	if err := env.Client.Create(ctx, review); err != nil || review.Status.Allowed {
		t.Errorf("the ServiceAccount may list Secrets in team-b (%v, %s): the chart widened its RBAC", err, review.Status.Reason)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "team-b", Name: "edge-gateway-1", Labels: map[string]string{"istio": "team-b-edge"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "istio-proxy", Image: "proxyv2"}}}}
	create(t, pod)
	t.Cleanup(func() { _ = env.Client.Delete(ctx, pod, client.GracePeriodSeconds(0)) })
	edge := strings.Replace(httpsGateway("team-a", "chart-scoped-edge", "chart-scoped-edge.example.com", "edge-cert"),
		"istio: ingressgateway", "istio: team-b-edge", 1)
	want := `Warning: spec.servers[0].tls.credentialName: Forbidden: [missing-credential] gateguard may not read Secrets in ` +
		`namespace team-b, where Istio reads "edge-cert"`
	eventually(t, func() error {
		if res := apply(t, edge, "--dry-run=server"); res.exitCode != 0 || !strings.Contains(res.stderr, want) {
			return fmt.Errorf("exit %d, stderr %s", res.exitCode, res.stderr)
		}
		return nil
	})
}

// installChart swaps the suite's webhook configurations and RBAC (from
// manifests/) for the chart's, applied with kubectl; the cleanup deletes
// the chart's objects and puts the suite's gateguard back.
func installChart(t *testing.T, rendered string) {
	t.Helper()
	ctx := context.Background()
	env.Gateguard.Stop()
	if err := env.UnregisterWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
	kubectl(t, "", "delete", "--ignore-not-found", "clusterrolebinding/gateguard", "clusterrole/gateguard")
	t.Cleanup(func() {
		env.Gateguard.Stop()
		kubectl(t, rendered, "delete", "--ignore-not-found", "--wait=false", "-f", "-")
		for _, err := range []error{env.InstallRBAC(ctx, "manifests/base"), env.StartGateguard(ctx), env.RegisterWebhooks(ctx)} {
			if err != nil {
				t.Errorf("restoring the suite's gateguard: %v", err)
			}
		}
	})
	if res := kubectl(t, rendered, "apply", "-f", "-"); res.exitCode != 0 {
		t.Fatalf("kubectl apply of the chart:\n%s%s", res.stdout, res.stderr)
	}
}

// pointWebhooksAtLocalhost stands in for the Service: every webhook of the
// chart's configurations calls the local gateguard at the service's path.
func pointWebhooksAtLocalhost(t *testing.T) {
	t.Helper()
	webhookURL, _ := env.WebhookURL()
	u, err := url.Parse(webhookURL)
	if err != nil {
		t.Fatal(err)
	}
	editWebhooks(t, func(_ client.Object, cc *admissionv1.WebhookClientConfig) {
		if cc.Service == nil || cc.Service.Name != "gateguard" || cc.Service.Namespace != "gateguard-system" {
			t.Fatalf("clientConfig %+v: want the chart's Service gateguard-system/gateguard", cc)
		}
		cc.URL = ptrTo("https://localhost:" + u.Port() + *cc.Service.Path)
		cc.Service = nil
	})
}

// editWebhooks passes each webhook's clientConfig of the two gateguard
// configurations, with the configuration, to edit, and stores the result.
func editWebhooks(t *testing.T, edit func(config client.Object, cc *admissionv1.WebhookClientConfig)) {
	t.Helper()
	ctx := context.Background()
	v := &admissionv1.ValidatingWebhookConfiguration{}
	m := &admissionv1.MutatingWebhookConfiguration{}
	for _, obj := range []client.Object{v, m} {
		if err := env.Client.Get(ctx, client.ObjectKey{Name: "gateguard"}, obj); err != nil {
			t.Fatal(err)
		}
	}
	for i := range v.Webhooks {
		edit(v, &v.Webhooks[i].ClientConfig)
	}
	for i := range m.Webhooks {
		edit(m, &m.Webhooks[i].ClientConfig)
	}
	for _, obj := range []client.Object{v, m} {
		if err := env.Client.Update(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
}

func ptrTo[T any](v T) *T { return &v }

// fillVolumes stands in for the kubelet: a local directory for each of the
// pod's volumes, holding the keys of its ConfigMap (read back from the
// apiserver) or an empty one for an emptyDir; a Secret volume's directory
// is filled once the Secret exists (actAsCertManager). It returns the
// directory of each mount path.
func fillVolumes(t *testing.T, pod corev1.PodSpec) map[string]string {
	t.Helper()
	byVolume := map[string]string{}
	for _, v := range pod.Volumes {
		dir := filepath.Join(t.TempDir(), v.Name)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		byVolume[v.Name] = dir
		if v.ConfigMap == nil {
			continue
		}
		cm := &corev1.ConfigMap{}
		if err := env.Client.Get(context.Background(), key("gateguard-system", v.ConfigMap.Name), cm); err != nil {
			t.Fatalf("volume %s: %v", v.Name, err)
		}
		for name, data := range cm.Data {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	mounts := map[string]string{}
	for _, m := range pod.Containers[0].VolumeMounts {
		mounts[m.MountPath] = byVolume[m.Name]
	}
	return mounts
}

// actAsCertManager does what cert-manager and its cainjector would with
// the chart's objects, following them rather than assuming: the serving
// Certificate's Issuer must be a CA Issuer whose Secret a CA Certificate
// (isCA) fills; the CA goes into that Secret, a serving certificate signed
// by it (with localhost, the name the apiserver reaches the local process
// by) into the serving Certificate's Secret and the Deployment's certs
// volume, and the CA into every configuration whose inject-ca-from names
// the CA Certificate. It returns the CA.
func actAsCertManager(t *testing.T, mounts map[string]string) (caPEM []byte) {
	t.Helper()
	serving := certManagerObject(t, "Certificate", "gateguard-serving-cert")
	dnsNames, _, _ := unstructured.NestedStringSlice(serving.Object, "spec", "dnsNames")
	secretName, _, _ := unstructured.NestedString(serving.Object, "spec", "secretName")
	issuerName, _, _ := unstructured.NestedString(serving.Object, "spec", "issuerRef", "name")
	caSecret, _, _ := unstructured.NestedString(certManagerObject(t, "Issuer", issuerName).Object, "spec", "ca", "secretName")
	caCert := certManagerObject(t, "Certificate", caSecret) // the chart names the CA Certificate as its Secret
	if isCA, _, _ := unstructured.NestedBool(caCert.Object, "spec", "isCA"); !isCA {
		t.Fatalf("Issuer %s signs with Secret %s, which no CA Certificate fills", issuerName, caSecret)
	}
	ca, err := certs.NewCA(caCert.GetName(), 24*time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pair, err := certs.NewServingCert(ca, append(dnsNames, "localhost"), time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	storeTLSSecret(t, caSecret, map[string][]byte{"tls.crt": ca.CertPEM, "tls.key": ca.KeyPEM, "ca.crt": ca.CertPEM})
	secret := storeTLSSecret(t, secretName, map[string][]byte{"tls.crt": pair.CertPEM, "tls.key": pair.KeyPEM, "ca.crt": ca.CertPEM})
	deploy := &appsv1.Deployment{}
	if err := env.Client.Get(context.Background(), key("gateguard-system", "gateguard"), deploy); err != nil {
		t.Fatal(err)
	}
	mounted := false
	for _, v := range deploy.Spec.Template.Spec.Volumes {
		if v.Secret != nil && v.Secret.SecretName == secretName {
			mounted = true
			for name, data := range secret.Data {
				if err := os.WriteFile(filepath.Join(mounts["/etc/gateguard/certs"], name), data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if !mounted {
		t.Fatalf("the Deployment mounts no volume of Secret %s, which the Certificate fills", secretName)
	}
	injectCA(t, "gateguard-system/"+caCert.GetName(), ca.CertPEM)
	return ca.CertPEM
}

// certManagerObject reads one of the chart's cert-manager objects.
func certManagerObject(t *testing.T, kind, name string) *unstructured.Unstructured {
	t.Helper()
	obj := &unstructured.Unstructured{}
	obj.SetAPIVersion("cert-manager.io/v1")
	obj.SetKind(kind)
	if err := env.Client.Get(context.Background(), key("gateguard-system", name), obj); err != nil {
		t.Fatalf("the chart's %s %s: %v", kind, name, err)
	}
	return obj
}

// storeTLSSecret writes a kubernetes.io/tls Secret as cert-manager would,
// replacing one a self-signed run left behind, as a reissue would.
func storeTLSSecret(t *testing.T, name string, data map[string][]byte) *corev1.Secret {
	t.Helper()
	secret := &corev1.Secret{Type: corev1.SecretTypeTLS, Data: data}
	secret.Name, secret.Namespace = name, "gateguard-system"
	if err := client.IgnoreNotFound(env.Client.Delete(context.Background(), secret.DeepCopy())); err != nil {
		t.Fatal(err)
	}
	create(t, secret)
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), secret) })
	return secret
}

// selfSignedCA is the CA self-signed mode issued, from its Secret.
func selfSignedCA(t *testing.T) []byte {
	t.Helper()
	secret := &corev1.Secret{}
	if err := env.Client.Get(context.Background(), key("gateguard-system", "gateguard-serving-cert"), secret); err != nil {
		t.Fatal(err)
	}
	return secret.Data["ca.crt"]
}

// expiryGaugeIsServedCerts: the expiry gauge on /metrics is the NotAfter
// of the certificate gateguard serves, verified against ca.
func expiryGaugeIsServedCerts(t *testing.T, ca []byte) {
	t.Helper()
	want := float64(servedCert(t, ca).NotAfter.Unix())
	if got := metricValue(t, "gateguard_serving_certificate_expiry_timestamp_seconds"); got != want {
		t.Errorf("gateguard_serving_certificate_expiry_timestamp_seconds = %v, want the served certificate's NotAfter %v", got, want)
	}
}

// injectCA sets caBundle on every webhook of both configurations, and
// fails the test unless each names certificate in inject-ca-from.
func injectCA(t *testing.T, certificate string, caPEM []byte) {
	t.Helper()
	editWebhooks(t, func(config client.Object, cc *admissionv1.WebhookClientConfig) {
		if got := config.GetAnnotations()["cert-manager.io/inject-ca-from"]; got != certificate {
			t.Fatalf("%T inject-ca-from = %q, want %q", config, got, certificate)
		}
		cc.CABundle = caPEM
	})
}

// startAsDeployment runs gateguard with the container's args and env,
// each path under a mount rewritten to that mount's local directory,
// followed by extra; the suite's own flags (kubeconfig, ports) come first
// and are overridden where the Deployment sets the same flag.
func startAsDeployment(t *testing.T, c corev1.Container, mounts map[string]string, extra []string) {
	t.Helper()
	if len(c.Args) == 0 || c.Args[0] != "serve" {
		t.Fatalf("container args %q: want serve first", c.Args)
	}
	var args []string
	for _, a := range c.Args[1:] {
		for mountPath, dir := range mounts {
			a = strings.Replace(a, "="+mountPath, "="+dir, 1)
		}
		args = append(args, a)
	}
	envArgs := []string{"env"}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace":
			envArgs = append(envArgs, e.Name+"=gateguard-system")
		case e.ValueFrom != nil && e.ValueFrom.ResourceFieldRef != nil && e.ValueFrom.ResourceFieldRef.Resource == "limits.memory":
			// The kubelet's value with no divisor: the container's limit in bytes.
			envArgs = append(envArgs, e.Name+"="+strconv.FormatInt(c.Resources.Limits.Memory().Value(), 10))
		case e.ValueFrom == nil:
			envArgs = append(envArgs, e.Name+"="+e.Value)
		default:
			t.Fatalf("env %s: the test does not know its source", e.Name)
		}
	}
	wrap := func(argv []string) ([]string, error) { return append(envArgs, argv...), nil }
	if err := env.StartGateguardWrapped(context.Background(), wrap, append(args, extra...)...); err != nil {
		t.Fatal(err)
	}
	t.Logf("gateguard %s", strconv.Quote(strings.Join(append(args, extra...), " ")))
}
