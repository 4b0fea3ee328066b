package rules_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gateguard/gateguard/rules"
	"github.com/gateguard/gateguard/rules/manifest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// istioSamples is Istio's own sample corpus with the expected outcomes,
// copied into testdata with its NOTICE.
const istioSamples = "testdata/istio-samples"

// TestIstioSamples applies every scenario step by step, as the cluster
// would (mutate, then validate, then store what was admitted), and
// compares each outcome with expect.txt line for line.
func TestIstioSamples(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(istioSamples, "[0-9]*"))
	if err != nil || len(dirs) != 28 {
		t.Fatalf("want the 28 istio-samples scenarios in %s, found %d (%v)", istioSamples, len(dirs), err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			want := strings.Split(strings.TrimSpace(readFile(t, filepath.Join(dir, "expect.txt"))), "\n")
			got := runScenario(t, rules.DefaultPolicy(), dir)
			if !slices.Equal(got, want) {
				t.Errorf("outcomes differ\n got: %q\nwant: %q", got, want)
			}
		})
	}
}

// runScenario returns one outcome line per applied Gateway or
// VirtualService, in the corpus format, naming the rule the expectation
// names when it is among the findings.
func runScenario(t *testing.T, policy *rules.Policy, dir string) []string {
	t.Helper()
	snap := rules.NewMemorySnapshot()
	for _, d := range readDocs(t, filepath.Join(dir, "existing.yaml")) {
		if err := snap.Add(d.Object); err != nil {
			t.Fatal(err)
		}
	}
	expect := strings.Split(strings.TrimSpace(readFile(t, filepath.Join(dir, "expect.txt"))), "\n")
	var got []string
	for i, d := range readDocs(t, filepath.Join(dir, "apply.yaml")) {
		change := rules.Change{Operation: rules.Create, Object: d.Object, Namespace: d.Object.GetNamespace()}
		mutated, _ := rules.Mutate(policy, snap, change)
		change.Object = mutated
		dec, err := rules.Validate(context.Background(), policy, snap, change)
		if err != nil {
			t.Fatal(err)
		}
		wantRule := ""
		if i < len(expect) {
			if f := strings.Fields(expect[i]); len(f) == 4 {
				wantRule = f[3]
			}
		}
		got = append(got, outcomeLine(d.Object, dec, wantRule))
		if len(dec.Denied()) == 0 {
			if err := snap.Add(mutated); err != nil {
				t.Fatal(err)
			}
		}
	}
	return got
}

// outcomeLine renders "Kind ns/name allow|deny RULE|warn RULE".
func outcomeLine(obj client.Object, dec rules.Decision, wantRule string) string {
	id := fmt.Sprintf("%s %s/%s", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetNamespace(), obj.GetName())
	action := rules.Warn
	if len(dec.Denied()) > 0 {
		action = rules.Deny
	}
	var rulesHit []string
	for _, f := range dec.Findings {
		if f.Action == action {
			rulesHit = append(rulesHit, string(f.Rule))
		}
	}
	switch {
	case len(rulesHit) == 0:
		return id + " allow"
	case slices.Contains(rulesHit, wantRule):
		return fmt.Sprintf("%s %s %s", id, action, wantRule)
	case action == rules.Warn && wantRule == "":
		return id + " allow"
	}
	return fmt.Sprintf("%s %s %s", id, action, strings.Join(rulesHit, ","))
}

// readDocs reads a corpus file, keeping only the kinds the rules read and
// placing objects without a namespace in default.
func readDocs(t *testing.T, path string) []manifest.Document {
	t.Helper()
	docs, err := manifest.ReadFileIn(path, "default")
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
