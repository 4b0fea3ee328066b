package charts

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// baseObjects are what the defaults render (cert-manager mode), as
// kind/name.
var baseObjects = []string{
	"Certificate/gateguard-ca", "Certificate/gateguard-serving-cert", "ClusterRole/gateguard", "ClusterRoleBinding/gateguard",
	"ConfigMap/gateguard-policy", "CustomResourceDefinition/hostclaims.gateguard.dev", "Deployment/gateguard",
	"Issuer/gateguard-ca", "Issuer/gateguard-selfsigned", "MutatingWebhookConfiguration/gateguard",
	"PodDisruptionBudget/gateguard", "Role/gateguard-leader-election", "RoleBinding/gateguard-leader-election",
	"Service/gateguard", "ServiceAccount/gateguard", "ValidatingWebhookConfiguration/gateguard",
}

// toggles are the chart's switches, each with the objects it adds and
// removes relative to baseObjects.
var toggles = []struct {
	name      string
	sets      []string
	add, drop []string
	// namespaces are where the toggle's objects may be besides the release's.
	namespaces []string
	check      func(t *testing.T, objs []*unstructured.Unstructured)
}{
	{name: "defaults"},
	{name: "self-signed", sets: []string{"certificates.mode=self-signed"},
		add:  []string{"ClusterRole/gateguard-webhook-ca", "ClusterRoleBinding/gateguard-webhook-ca", "Role/gateguard-serving-cert", "RoleBinding/gateguard-serving-cert"},
		drop: []string{"Certificate/gateguard-ca", "Certificate/gateguard-serving-cert", "Issuer/gateguard-ca", "Issuer/gateguard-selfsigned"}},
	{name: "serviceMonitor", sets: []string{"serviceMonitor.enabled=true"},
		add: []string{"Service/gateguard-metrics", "ServiceMonitor/gateguard"}},
	{name: "prometheusRule", sets: []string{"prometheusRule.enabled=true", "prometheusRule.job=kubernetes-pods"},
		add: []string{"PrometheusRule/gateguard"}},
	{name: "prometheusRule and serviceMonitor", sets: []string{"prometheusRule.enabled=true", "serviceMonitor.enabled=true"},
		add: []string{"PrometheusRule/gateguard", "Service/gateguard-metrics", "ServiceMonitor/gateguard"}},
	{name: "grafanaDashboard", sets: []string{"grafanaDashboard.enabled=true"}, add: []string{"ConfigMap/gateguard-dashboard"},
		check: checkDashboardConfigMap},
	{name: "networkPolicy", sets: []string{"networkPolicy.enabled=true", "networkPolicy.metricsNamespaces={monitoring,observability}"},
		add: []string{"NetworkPolicy/gateguard"}, check: checkNetworkPolicy},
	{name: "no PDB", sets: []string{"podDisruptionBudget.enabled=false"}, drop: []string{"PodDisruptionBudget/gateguard"}},
	{name: "pod placement and image", sets: []string{"priorityClassName=system-cluster-critical", "replicaCount=3",
		"topologySpreadConstraints[0].maxSkew=1", "topologySpreadConstraints[0].topologyKey=topology.kubernetes.io/zone",
		"topologySpreadConstraints[0].whenUnsatisfiable=ScheduleAnyway",
		"image.repository=registry.example.com/gateguard", "image.digest=sha256:" + strings.Repeat("ab", 32)},
		check: checkPodPlacement},
	{name: "secretNamespaces", sets: []string{"secretNamespaces={istio-system,istio-edge}"},
		add:        []string{"Role/gateguard-secrets", "RoleBinding/gateguard-secrets", "Role/gateguard-secrets", "RoleBinding/gateguard-secrets"},
		namespaces: []string{"istio-system", "istio-edge"}, check: checkScopedSecrets},
	{name: "webhook settings", sets: []string{"webhook.failurePolicy.validation=Ignore", "webhook.timeoutSeconds=3",
		"webhook.namespaceSelector.matchExpressions=null", "webhook.namespaceSelector.matchLabels.gateguard=enabled"},
		check: checkWebhookSettings},
}

// TestHelmLintEveryToggle runs helm lint --strict with each toggle.
func TestHelmLintEveryToggle(t *testing.T) {
	for _, tc := range toggles {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"lint", "--strict", chartDir, "--namespace", "gateguard-system"}
			for _, s := range tc.sets {
				args = append(args, "--set", s)
			}
			if out, stderr, ok := helm(t, args...); !ok || !strings.Contains(out, "1 chart(s) linted, 0 chart(s) failed") {
				t.Errorf("helm %v:\n%s%s", args, out, stderr)
			}
		})
	}
}

// TestHelmTemplateEveryToggle renders each toggle and checks exactly which
// objects it renders, and what the toggle's own check says of them.
func TestHelmTemplateEveryToggle(t *testing.T) {
	for _, tc := range toggles {
		t.Run(tc.name, func(t *testing.T) {
			objs := render(t, tc.sets...)
			var got []string
			for _, o := range objs {
				got = append(got, o.GetKind()+"/"+o.GetName())
				if ns := o.GetNamespace(); ns != "" && ns != "gateguard-system" && !slices.Contains(tc.namespaces, ns) {
					t.Errorf("%s/%s in namespace %q", o.GetKind(), o.GetName(), ns)
				}
			}
			want := slices.DeleteFunc(slices.Concat(baseObjects, tc.add), func(s string) bool { return slices.Contains(tc.drop, s) })
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("rendered\n got: %q\nwant: %q", got, want)
			}
			if tc.check != nil {
				tc.check(t, objs)
			}
		})
	}
}

func checkDashboardConfigMap(t *testing.T, objs []*unstructured.Unstructured) {
	cm := find(t, objs, "ConfigMap", "gateguard-dashboard")
	if v := cm.GetLabels()["grafana_dashboard"]; v != "1" {
		t.Errorf("grafana_dashboard label = %q, want \"1\"", v)
	}
	file, err := os.ReadFile(filepath.Join(chartDir, "files", "dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	// A block scalar clips the file's final newline.
	if got, _, _ := unstructured.NestedString(cm.Object, "data", "gateguard.json"); got != strings.TrimSuffix(string(file), "\n") {
		t.Error("the ConfigMap's gateguard.json is not files/dashboard.json")
	}
}

func checkNetworkPolicy(t *testing.T, objs []*unstructured.Unstructured) {
	ingress, _, _ := unstructured.NestedSlice(find(t, objs, "NetworkPolicy", "gateguard").Object, "spec", "ingress")
	want := `[{"ports":[{"port":"webhook","protocol":"TCP"}]},{"from":[{"namespaceSelector":{"matchExpressions":` +
		`[{"key":"kubernetes.io/metadata.name","operator":"In","values":["monitoring","observability"]}]}}],` +
		`"ports":[{"port":"metrics","protocol":"TCP"}]}]`
	if got := jsonOf(t, ingress); got != want {
		t.Errorf("ingress\n got: %s\nwant: %s", got, want)
	}
}

func checkPodPlacement(t *testing.T, objs []*unstructured.Unstructured) {
	d := find(t, objs, "Deployment", "gateguard").Object
	for path, want := range map[string]string{
		"spec.replicas":                                `3`,
		"spec.template.spec.priorityClassName":         `"system-cluster-critical"`,
		"spec.template.spec.topologySpreadConstraints": `[{"maxSkew":1,"topologyKey":"topology.kubernetes.io/zone","whenUnsatisfiable":"ScheduleAnyway"}]`,
		"spec.template.spec.containers[0].image":       `"registry.example.com/gateguard@sha256:` + strings.Repeat("ab", 32) + `"`,
	} {
		if got := jsonOf(t, field(t, d, path)); got != want {
			t.Errorf("%s = %s, want %s", path, got, want)
		}
	}
}

func checkWebhookSettings(t *testing.T, objs []*unstructured.Unstructured) {
	v := find(t, objs, "ValidatingWebhookConfiguration", "gateguard").Object
	m := find(t, objs, "MutatingWebhookConfiguration", "gateguard").Object
	for path, want := range map[string]string{
		"webhooks[0].failurePolicy":     `"Ignore"`,
		"webhooks[0].timeoutSeconds":    `3`,
		"webhooks[0].namespaceSelector": `{"matchLabels":{"gateguard":"enabled"}}`,
		"webhooks[1].failurePolicy":     `"Ignore"`,
	} {
		if got := jsonOf(t, field(t, v, path)); got != want {
			t.Errorf("validating %s = %s, want %s", path, got, want)
		}
	}
	if got := jsonOf(t, field(t, m, "webhooks[0].timeoutSeconds")); got != "3" {
		t.Errorf("mutating timeoutSeconds = %s, want 3", got)
	}
}

// TestSafeDefaults checks the defaults the chart promises: validation
// fails closed, mutation and Secret deletions open, kube-system and the
// release's namespace excluded, a restricted, read-only, non-root pod.
func TestSafeDefaults(t *testing.T) {
	objs := render(t)
	v := find(t, objs, "ValidatingWebhookConfiguration", "gateguard").Object
	m := find(t, objs, "MutatingWebhookConfiguration", "gateguard").Object
	d := find(t, objs, "Deployment", "gateguard").Object
	selector := `{"matchExpressions":[{"key":"kubernetes.io/metadata.name","operator":"NotIn","values":["kube-system","gateguard-system"]}]}`
	for _, c := range []struct {
		obj        map[string]any
		path, want string
	}{
		{v, "webhooks[0].name", `"validate.gateguard.dev"`},
		{v, "webhooks[0].failurePolicy", `"Fail"`},
		{v, "webhooks[1].name", `"secrets.gateguard.dev"`},
		{v, "webhooks[1].failurePolicy", `"Ignore"`},
		{m, "webhooks[0].failurePolicy", `"Ignore"`},
		{v, "webhooks[0].timeoutSeconds", `5`},
		{v, "webhooks[0].namespaceSelector", selector},
		{v, "webhooks[1].namespaceSelector", selector},
		{m, "webhooks[0].namespaceSelector", selector},
		{d, "spec.replicas", `2`},
		{d, "spec.template.spec.securityContext", `{"runAsGroup":65532,"runAsNonRoot":true,"runAsUser":65532,"seccompProfile":{"type":"RuntimeDefault"}}`},
		{d, "spec.template.spec.containers[0].securityContext", `{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]},"readOnlyRootFilesystem":true}`},
	} {
		if got := jsonOf(t, field(t, c.obj, c.path)); got != c.want {
			t.Errorf("%s = %s, want %s", c.path, got, c.want)
		}
	}
	// Installed elsewhere, that namespace is the one excluded.
	elsewhere := find(t, renderIn(t, "guard"), "ValidatingWebhookConfiguration", "gateguard").Object
	want := strings.Replace(selector, "gateguard-system", "guard", 1)
	if got := jsonOf(t, field(t, elsewhere, "webhooks[0].namespaceSelector")); got != want {
		t.Errorf("namespaceSelector in namespace guard = %s, want %s", got, want)
	}
}

// checkScopedSecrets: with secretNamespaces, the ClusterRole reads no
// Secret, each namespace has a Role that reads them and nothing else, bound
// to gateguard's ServiceAccount, and gateguard is told the same namespaces.
func checkScopedSecrets(t *testing.T, objs []*unstructured.Unstructured) {
	var roles []string
	for _, o := range objs {
		rules, _, _ := unstructured.NestedSlice(o.Object, "rules")
		switch o.GetKind() {
		case "ClusterRole":
			if o.GetName() == "gateguard" && strings.Contains(jsonOf(t, rules), `"secrets"`) {
				t.Errorf("ClusterRole gateguard still reads Secrets: %s", jsonOf(t, rules))
			}
		case "Role":
			if o.GetName() == "gateguard-leader-election" {
				continue // the sweeper's Lease, in the release's namespace
			}
			if got, want := jsonOf(t, rules), `[{"apiGroups":[""],"resources":["secrets"],"verbs":["get","list","watch"]}]`; got != want {
				t.Errorf("Role %s/%s rules %s, want %s", o.GetNamespace(), o.GetName(), got, want)
			}
			roles = append(roles, o.GetNamespace())
		case "RoleBinding":
			if o.GetName() == "gateguard-leader-election" {
				continue
			}
			subjects, _, _ := unstructured.NestedSlice(o.Object, "subjects")
			if got, want := jsonOf(t, subjects), `[{"kind":"ServiceAccount","name":"gateguard","namespace":"gateguard-system"}]`; got != want {
				t.Errorf("RoleBinding %s/%s subjects %s, want %s", o.GetNamespace(), o.GetName(), got, want)
			}
		case "Deployment":
			args, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
			if !strings.Contains(jsonOf(t, args), `"--secret-namespaces=istio-system,istio-edge"`) {
				t.Errorf("gateguard is not passed --secret-namespaces=istio-system,istio-edge: %s", jsonOf(t, args))
			}
		}
	}
	if slices.Sort(roles); !slices.Equal(roles, []string{"istio-edge", "istio-system"}) {
		t.Errorf("Roles in %q, want istio-edge and istio-system", roles)
	}
}

// TestPrometheusRuleNeedsItsSeries: alerts with nothing scraping gateguard
// would report it down forever and see nothing else, so the chart refuses
// them without a ServiceMonitor or a named job; with a job, the alerts
// select that job.
func TestPrometheusRuleNeedsItsSeries(t *testing.T) {
	_, stderr, ok := helm(t, "template", "gateguard", chartDir, "--namespace", "gateguard-system", "--set", "prometheusRule.enabled=true")
	if want := "prometheusRule.enabled needs gateguard's series in Prometheus: set serviceMonitor.enabled, or prometheusRule.job"; ok ||
		!strings.Contains(stderr, want) {
		t.Errorf("helm template with prometheusRule alone: ok=%v, stderr %s; want it refused with %q", ok, stderr, want)
	}
	rule := jsonOf(t, render(t, "prometheusRule.enabled=true", "prometheusRule.job=kubernetes-pods"))
	if !strings.Contains(rule, `up{job=\"kubernetes-pods\",namespace=\"gateguard-system\"} == 1`) {
		t.Errorf("the alerts do not select job kubernetes-pods:\n%s", rule)
	}
}
