package charts

import (
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// selfSignedNameFlags are the flags the chart passes in self-signed mode
// and manifests/ leaves to their defaults, which are manifests/' names:
// the chart names them because a release may be called otherwise.
var selfSignedNameFlags = []string{"--cert-secret=gateguard-serving-cert", "--service-name=gateguard", "--webhook-configuration=gateguard"}

// TestChartRendersWhatKustomizeRenders compares, in each certificate mode,
// every object the kustomize overlay renders with the chart's object of
// the same kind and name: webhook configurations, RBAC, the Deployment
// (security settings, volumes, probes, resources), the PDB, the Service,
// the policy ConfigMap and cert-manager's objects, all whole, labels
// aside. The chart renders nothing else, and every kustomize object but
// the Namespace (helm install --create-namespace makes it).
func TestChartRendersWhatKustomizeRenders(t *testing.T) {
	for mode, tc := range map[string]struct {
		overlay string
		sets    []string
	}{
		"cert-manager":   {"overlays/cert-manager", []string{"certificates.mode=cert-manager"}},
		"self-signed":    {"overlays/self-signed", []string{"certificates.mode=self-signed"}},
		"scoped-secrets": {"overlays/scoped-secrets", []string{"certificates.mode=cert-manager", "secretNamespaces={istio-system}"}},
	} {
		t.Run(mode, func(t *testing.T) {
			chart := index(render(t, tc.sets...))
			kust := index(kustomize(t, tc.overlay))
			delete(kust, "Namespace/gateguard-system")
			for id, k := range kust {
				c, ok := chart[id]
				if !ok {
					t.Errorf("the chart renders no %s", id)
					continue
				}
				if id == "Deployment/gateguard" && mode == "self-signed" {
					dropArgs(t, c, selfSignedNameFlags)
				}
				if got, want := jsonOf(t, comparable(t, c)), jsonOf(t, comparable(t, k)); got != want {
					t.Errorf("%s differs\n chart: %s\n  kust: %s", id, got, want)
				}
			}
			for id := range chart {
				if _, ok := kust[id]; !ok {
					t.Errorf("the chart renders %s, which kustomize does not", id)
				}
			}
		})
	}
}

// index keys objects by kind/name.
func index(objs []*unstructured.Unstructured) map[string]*unstructured.Unstructured {
	m := map[string]*unstructured.Unstructured{}
	for _, o := range objs {
		id := o.GetKind() + "/" + o.GetName()
		if ns := o.GetNamespace(); ns != "" && ns != "gateguard-system" {
			id = o.GetKind() + "/" + ns + "/" + o.GetName() // a Role in a namespace gateguard reads Secrets of
		}
		m[id] = o
	}
	return m
}

// comparable is the object without its labels and the pod template's:
// the chart adds Helm's (instance, version, chart), and the selectors,
// which must match the pod labels, are compared as they are.
func comparable(t *testing.T, o *unstructured.Unstructured) map[string]any {
	t.Helper()
	c := o.DeepCopy()
	c.SetLabels(nil)
	if labels, ok, _ := unstructured.NestedStringMap(c.Object, "spec", "template", "metadata", "labels"); ok {
		selector, _, _ := unstructured.NestedStringMap(c.Object, "spec", "selector", "matchLabels")
		for k, v := range selector {
			if labels[k] != v {
				t.Errorf("%s: pod labels %v do not match its selector %v", o.GetName(), labels, selector)
			}
		}
		unstructured.RemoveNestedField(c.Object, "spec", "template", "metadata", "labels")
		sortPodLists(t, c.Object)
	}
	return c.Object
}

// sortPodLists orders the pod's volumes by name and each container's
// volume mounts by path: a strategic merge patch (the self-signed overlay's)
// moves the items it patches first, and order has no meaning in either.
func sortPodLists(t *testing.T, obj map[string]any) {
	t.Helper()
	byKey := func(key string) func(a, b any) int {
		return func(a, b any) int {
			return strings.Compare(a.(map[string]any)[key].(string), b.(map[string]any)[key].(string))
		}
	}
	pod, _, _ := unstructured.NestedMap(obj, "spec", "template", "spec")
	if volumes, ok := pod["volumes"].([]any); ok {
		slices.SortFunc(volumes, byKey("name"))
	}
	containers, _ := pod["containers"].([]any)
	for _, c := range containers {
		if mounts, ok := c.(map[string]any)["volumeMounts"].([]any); ok {
			slices.SortFunc(mounts, byKey("mountPath"))
		}
	}
	if err := unstructured.SetNestedMap(obj, pod, "spec", "template", "spec"); err != nil {
		t.Fatal(err)
	}
}

// dropArgs removes flags from the Deployment's container args, failing the
// test unless each is there.
func dropArgs(t *testing.T, d *unstructured.Unstructured, flags []string) {
	t.Helper()
	containers, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	c := containers[0].(map[string]any)
	args, _, _ := unstructured.NestedStringSlice(c, "args")
	for _, f := range flags {
		i := slices.Index(args, f)
		if i < 0 {
			t.Errorf("the chart's self-signed args %q lack %s", args, f)
			continue
		}
		args = slices.Delete(args, i, i+1)
	}
	if err := unstructured.SetNestedStringSlice(c, args, "args"); err != nil {
		t.Fatal(err)
	}
	if err := unstructured.SetNestedSlice(d.Object, containers, "spec", "template", "spec", "containers"); err != nil {
		t.Fatal(err)
	}
}
