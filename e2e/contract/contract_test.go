package contract

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gateguard/gateguard/rules"
	"github.com/gateguard/gateguard/rules/manifest"
	"github.com/gateguard/gateguard/webhook"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The corpus annotations (rules/testdata): a judged document, and one
// judged as a DELETE.
const (
	expectAnnotation    = "test.gateguard.dev/expect"
	operationAnnotation = "test.gateguard.dev/operation"
)

// scenario is one corpus case: cluster state, then documents judged in order.
type scenario struct {
	name          string
	policy        *rules.Policy
	state, judged []manifest.Document
}

// TestSnapshotsDecideAlike runs every scenario of the Istio sample corpus
// and of rules/testdata, the Gateway API's included, through both
// snapshots. Each judged document is
// mutated and validated against each; mutations, decisions, field paths
// and messages must be identical, and what is admitted joins both.
func TestSnapshotsDecideAlike(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cached, err := webhook.StartClusterSnapshot(ctx, env.AdminConfig, nil)
	if err != nil {
		t.Fatal(err)
	}
	scenarios := corpus(t)
	if len(scenarios) < 28+15 {
		t.Fatalf("found %d scenarios, want the 28 Istio samples and the rules corpus", len(scenarios))
	}
	judged, gatewayAPI := 0, 0
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			w := &world{t: t, ctx: ctx, api: env.Client, cached: cached, memory: rules.NewMemorySnapshot()}
			defer w.clear()
			w.seedGatewayClasses()
			for _, d := range sc.state {
				w.add(d.Object)
			}
			w.syncNamespaces()
			for _, d := range sc.judged {
				w.judge(sc.policy, d)
				judged++
				if d.Object.GetObjectKind().GroupVersionKind().Group == "gateway.networking.k8s.io" {
					gatewayAPI++
				}
			}
		})
	}
	// 60 Istio sample documents and the rules corpus's 272, 121 of them
	// of the Gateway API's kinds: a scenario that stopped early, or a
	// corpus that lost its judged documents, shows here.
	if judged < 60+272 || gatewayAPI < 121 {
		t.Errorf("only %d documents judged, %d of the Gateway API, in %d scenarios, want every one of the corpus",
			judged, gatewayAPI, len(scenarios))
	}
	t.Logf("%d documents judged alike by both snapshots, %d of the Gateway API, in %d scenarios", judged, gatewayAPI, len(scenarios))
}

// corpus reads the Istio samples (existing.yaml is state, apply.yaml is
// judged) and the rules corpus (annotated documents are judged).
func corpus(t *testing.T) []scenario {
	root := "../../rules/testdata"
	dirs, _ := filepath.Glob(filepath.Join(root, "istio-samples", "[0-9]*"))
	var out []scenario
	for _, dir := range dirs {
		out = append(out, scenario{name: "istio-samples/" + filepath.Base(dir), policy: rules.DefaultPolicy(),
			state: readDocs(t, filepath.Join(dir, "existing.yaml")), judged: readDocs(t, filepath.Join(dir, "apply.yaml"))})
	}
	files, _ := filepath.Glob(filepath.Join(root, "*.yaml"))
	for _, file := range slices.DeleteFunc(files, func(f string) bool { return strings.HasSuffix(f, ".policy.yaml") }) {
		sc := scenario{name: strings.TrimSuffix(filepath.Base(file), ".yaml"), policy: rules.DefaultPolicy()}
		if p, _, err := rules.LoadPolicyFile(strings.TrimSuffix(file, ".yaml") + ".policy.yaml"); err == nil {
			sc.policy = p
		} else if !os.IsNotExist(err) {
			t.Fatalf("%s: %v", file, err)
		}
		for _, d := range readDocs(t, file) {
			if _, ok := d.Annotations[expectAnnotation]; ok {
				sc.judged = append(sc.judged, d)
			} else {
				sc.state = append(sc.state, d)
			}
		}
		out = append(out, sc)
	}
	return out
}

func readDocs(t *testing.T, path string) []manifest.Document {
	t.Helper()
	docs, err := manifest.ReadFileIn(path, "default")
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

// judge decides one document with both snapshots and compares them.
func (w *world) judge(p *rules.Policy, d manifest.Document) {
	t := w.t
	change := rules.Change{Operation: rules.Create, Object: d.Object, Namespace: d.Object.GetNamespace()}
	del := d.Annotations[operationAnnotation] == string(rules.Delete)
	if del {
		change = rules.Change{Operation: rules.Delete, OldObject: d.Object, Namespace: d.Object.GetNamespace()}
	} else {
		memMutated, memMuts := rules.Mutate(p, w.memory, withObject(change))
		cacheMutated, cacheMuts := rules.Mutate(p, w.snapshot(), withObject(change))
		if a, b := render(t, memMutated, memMuts), render(t, cacheMutated, cacheMuts); a != b {
			t.Fatalf("%s:%d: mutations differ\n memory: %s\n  cache: %s", d.File, d.Line, a, b)
		}
		change.Object = memMutated
	}
	mem, err := rules.Validate(w.ctx, p, w.memory, change)
	if err != nil {
		t.Fatal(err)
	}
	fromCache, err := rules.Validate(w.ctx, p, w.snapshot(), change)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := decision(mem), decision(fromCache); !slices.Equal(a, b) {
		t.Fatalf("%s:%d %s/%s: decisions differ\n memory: %q\n  cache: %q", d.File, d.Line,
			d.Object.GetNamespace(), d.Object.GetName(), a, b)
	}
	switch {
	case len(mem.Denied()) > 0:
	case del:
		w.remove(d.Object)
	default:
		w.add(change.Object)
	}
}

// withObject is change with a copy of its object, for one snapshot to mutate.
func withObject(c rules.Change) rules.Change {
	c.Object = c.Object.DeepCopyObject().(client.Object)
	return c
}

// render is a mutated object and its mutations, as JSON.
func render(t *testing.T, obj client.Object, muts []rules.Mutation) string {
	data, err := json.Marshal([]any{obj, muts})
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// decision renders every finding with its action, rule, field and message.
func decision(dec rules.Decision) []string {
	out := []string{}
	for _, f := range dec.Findings {
		out = append(out, string(f.Action)+" "+f.Error.Error())
	}
	return out
}

// poll waits for the cache to show a change the test made.
func poll(ctx context.Context, done func() bool) error {
	return wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 30*time.Second, true,
		func(context.Context) (bool, error) { return done(), nil })
}

// storable is a corpus document as the apiserver takes it; the rules read
// neither what it changes nor what it adds. A Secret is Opaque, so that
// one lacking a kubernetes.io/tls key (the corpus holds them on purpose)
// is stored; a Pod written as labels alone gets a container.
func storable(obj client.Object) client.Object {
	out := obj.DeepCopyObject().(client.Object)
	out.SetResourceVersion("")
	switch o := out.(type) {
	case *corev1.Secret:
		o.Type = corev1.SecretTypeOpaque
	case *corev1.Pod:
		if len(o.Spec.Containers) == 0 {
			o.Spec.Containers = []corev1.Container{{Name: "proxy", Image: "proxyv2"}}
		}
	}
	return out
}
