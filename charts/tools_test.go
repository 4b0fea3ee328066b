// Package charts tests the Helm chart without a cluster: helm lint and
// template of every toggle, the values schema, the policy check, drift
// from manifests/ (kustomize), and the alerts under promtool. The e2e
// suite installs the chart on a real apiserver.
package charts

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// chartDir is the chart under test, relative to this package.
const chartDir = "gateguard"

// cachedDir runs a hack/ build script once per test binary and returns the
// cache directory it prints last: the tools are built from the Go module
// proxy on first use, so a fresh machine needs nothing installed.
func cachedDir(script string) func(t *testing.T) string {
	var once sync.Once
	var dir string
	var err error
	return func(t *testing.T) string {
		t.Helper()
		once.Do(func() {
			cmd := exec.Command("bash", filepath.Join("..", "hack", script))
			cmd.Stderr = os.Stderr
			var out []byte
			if out, err = cmd.Output(); err == nil {
				lines := strings.Split(strings.TrimSpace(string(out)), "\n")
				dir = lines[len(lines)-1]
			}
		})
		if err != nil {
			t.Fatalf("hack/%s: %v", script, err)
		}
		return dir
	}
}

var (
	chartTools   = cachedDir("build-chart-tools.sh")
	controlPlane = cachedDir("build-control-plane.sh")
)

// kubectl is the kubectl on PATH, else the one the control plane's cache
// holds (built when there is none).
func kubectl(t *testing.T) string {
	t.Helper()
	if bin, err := exec.LookPath("kubectl"); err == nil {
		return bin
	}
	return filepath.Join(controlPlane(t), "kubectl")
}

// run runs a tool and returns its stdout, its stderr and whether it succeeded.
func run(t *testing.T, bin string, args ...string) (stdout, stderr string, ok bool) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if _, exit := err.(*exec.ExitError); err != nil && !exit {
		t.Fatalf("%s %v: %v", bin, args, err)
	}
	return out.String(), errOut.String(), err == nil
}

// helm runs the pinned helm with its own empty home, so no user
// configuration or plugin takes part.
func helm(t *testing.T, args ...string) (stdout, stderr string, ok bool) {
	t.Helper()
	home := t.TempDir()
	for _, v := range []string{"HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"} {
		t.Setenv(v, home)
	}
	return run(t, filepath.Join(chartTools(t), "helm"), args...)
}

// render runs helm template as `helm install gateguard -n gateguard-system`
// would, with --set pairs, and fails the test if helm refuses.
func render(t *testing.T, sets ...string) []*unstructured.Unstructured {
	t.Helper()
	return renderIn(t, "gateguard-system", sets...)
}

// renderIn is render into another namespace.
func renderIn(t *testing.T, namespace string, sets ...string) []*unstructured.Unstructured {
	t.Helper()
	args := []string{"template", "gateguard", chartDir, "--namespace", namespace}
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
