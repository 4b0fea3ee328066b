// Package charts tests the Helm chart without a cluster: helm lint and
// template of every toggle, the values schema, the policy check, drift
// from manifests/ (kustomize), and the alerts under promtool. The e2e
// suite installs the chart on a real apiserver.
package charts

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gateguard/gateguard/e2e/cluster"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// chartDir is the chart under test, relative to this package.
const chartDir = "gateguard"

// once memoizes a cluster lookup for the test binary: the tools are built
// from the Go module proxy on first use, so a fresh machine needs nothing
// installed.
func once(lookup func(context.Context) (string, error)) func(t *testing.T) string {
	get := sync.OnceValues(func() (string, error) { return lookup(context.Background()) })
	return func(t *testing.T) string {
		t.Helper()
		v, err := get()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

var (
	chartTools = once(cluster.ChartTools)
	kubectl    = once(cluster.Kubectl)
)

// run runs a tool and returns its stdout, its stderr and whether it succeeded.
func run(t *testing.T, bin string, args ...string) (stdout, stderr string, ok bool) {
	t.Helper()
	return runCmd(t, exec.Command(bin, args...))
}

// runCmd runs cmd as run does.
func runCmd(t *testing.T, cmd *exec.Cmd) (stdout, stderr string, ok bool) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if _, exit := err.(*exec.ExitError); err != nil && !exit {
		t.Fatalf("%s: %v", cmd, err)
	}
	return out.String(), errOut.String(), err == nil
}

// helm runs the pinned helm with an empty home of its own.
func helm(t *testing.T, args ...string) (stdout, stderr string, ok bool) {
	t.Helper()
	return runCmd(t, cluster.HelmCommand(context.Background(), chartTools(t), t.TempDir(), args...))
}

// render runs helm template as `helm install gateguard -n gateguard-system`
// would, with --set pairs, and fails the test if helm refuses. The CRDs in
// crds/ are included: helm install applies them before the templates.
func render(t *testing.T, sets ...string) []*unstructured.Unstructured {
	t.Helper()
	return renderIn(t, "gateguard-system", sets...)
}

// renderIn is render into another namespace.
func renderIn(t *testing.T, namespace string, sets ...string) []*unstructured.Unstructured {
	t.Helper()
	args := []string{"template", "gateguard", chartDir, "--namespace", namespace, "--include-crds"}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	out, stderr, ok := helm(t, args...)
	if !ok {
		t.Fatalf("helm %v:\n%s", args, stderr)
	}
	return decode(t, out)
}

// kustomize renders a kustomization of manifests/ with kubectl kustomize.
func kustomize(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	out, stderr, ok := run(t, kubectl(t), "kustomize", filepath.Join("..", "manifests", dir))
	if !ok {
		t.Fatalf("kubectl kustomize %s:\n%s", dir, stderr)
	}
	return decode(t, out)
}

// decode splits a multi-document YAML stream into objects, skipping empty
// documents.
func decode(t *testing.T, stream string) []*unstructured.Unstructured {
	t.Helper()
	var objs []*unstructured.Unstructured
	for _, doc := range strings.Split("\n"+stream, "\n---") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatalf("decoding %q: %v", doc, err)
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
	return objs
}

// field returns the value at a dotted path with [i] list indexes, such as
// spec.template.spec.containers[0].image, or fails the test.
func field(t *testing.T, obj map[string]any, path string) any {
	t.Helper()
	var cur any = obj
	for _, part := range strings.Split(path, ".") {
		name, index, indexed := strings.Cut(strings.TrimSuffix(part, "]"), "[")
		m, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("%s: %q is not an object", path, name)
		}
		if cur, ok = m[name]; !ok {
			t.Fatalf("%s: no %q", path, name)
		}
		if indexed {
			i, err := strconv.Atoi(index)
			list, ok := cur.([]any)
			if err != nil || !ok || i >= len(list) {
				t.Fatalf("%s: no item %s of %q", path, index, name)
			}
			cur = list[i]
		}
	}
	return cur
}

// jsonOf is v as compact JSON with sorted keys, for exact comparisons.
func jsonOf(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// find returns the object of kind and name, or fails the test.
func find(t *testing.T, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	t.Fatalf("no %s %s rendered", kind, name)
	return nil
}
