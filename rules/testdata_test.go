package rules_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gateguard/gateguard/rules"
	"github.com/gateguard/gateguard/rules/manifest"
)

// expectAnnotation marks a corpus document that is applied and judged. Its
// value lists the exact findings, separated by ";": "allow" for none, or
// "deny RULE FIELD" / "warn RULE FIELD". Documents without it are cluster
// state. A file NAME.yaml is judged under NAME.policy.yaml when present.
const expectAnnotation = "test.gateguard.dev/expect"

// operationAnnotation on a judged document makes it a DELETE of that
// object instead of a CREATE; an admitted deletion leaves the state.
const operationAnnotation = "test.gateguard.dev/operation"

// TestCorpus runs every rules/testdata/*.yaml file: cluster state first,
// then each judged document in order, admitted ones joining the state.
func TestCorpus(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.yaml")
	files = slices.DeleteFunc(files, isPolicyFile)
	if len(files) == 0 {
		t.Fatal("no corpus files in testdata/")
	}
	judged := 0
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			judged += runCorpusFile(t, file)
		})
	}
	// Every judged document of the corpus: a reader that lost the expect
	// annotation would turn them all into state and judge nothing.
	if judged < 260 {
		t.Errorf("judged %d corpus documents, want all of them (at least 260)", judged)
	}
}

// runCorpusFile judges one corpus file and returns how many documents it judged.
func runCorpusFile(t *testing.T, file string) (judged int) {
	policy := corpusPolicy(t, file)
	snap := rules.NewMemorySnapshot()
	for _, d := range readDocs(t, file) {
		want, isJudged := d.Annotations[expectAnnotation]
		if !isJudged {
			if err := snap.Add(d.Object); err != nil {
				t.Fatal(err)
			}
			continue
		}
		change := rules.Change{Operation: rules.Create, Object: d.Object, Namespace: d.Object.GetNamespace()}
		op := rules.Operation(d.Annotations[operationAnnotation])
		switch op {
		case rules.Delete:
			change = rules.Change{Operation: rules.Delete, OldObject: d.Object, Namespace: d.Object.GetNamespace()}
		case "":
			change.Object, _ = rules.Mutate(policy, snap, change)
		default:
			t.Fatalf("%s:%d: %s %q is not DELETE", file, d.Line, operationAnnotation, op)
		}
		dec, err := rules.Validate(context.Background(), policy, snap, change)
		if err != nil {
			t.Fatalf("%s:%d: %v", file, d.Line, err)
		}
		judged++
		if got := findingsLine(dec); got != want {
			t.Errorf("%s:%d %s/%s:\n got: %s\nwant: %s\n%s", file, d.Line, d.Object.GetNamespace(), d.Object.GetName(),
				got, want, strings.Join(messages(dec), "\n"))
		}
		switch {
		case len(dec.Denied()) > 0:
		case op == rules.Delete:
			if err := snap.Delete(d.Object); err != nil {
				t.Fatal(err)
			}
		default:
			if err := snap.Add(change.Object); err != nil {
				t.Fatal(err)
			}
		}
	}
	return judged
}

// findingsLine renders a decision in the expect annotation's format.
func findingsLine(dec rules.Decision) string {
	if len(dec.Findings) == 0 {
		return "allow"
	}
	parts := make([]string, len(dec.Findings))
	for i, f := range dec.Findings {
		parts[i] = string(f.Action) + " " + string(f.Rule) + " " + f.Error.Field
	}
	return strings.Join(parts, "; ")
}

func messages(dec rules.Decision) []string {
	var out []string
	for _, f := range dec.Findings {
		out = append(out, "  "+f.Error.Error())
	}
	return out
}

// corpusPolicy loads NAME.policy.yaml beside a corpus file, or the default.
func corpusPolicy(t *testing.T, file string) *rules.Policy {
	data, err := os.ReadFile(strings.TrimSuffix(file, ".yaml") + ".policy.yaml")
	if os.IsNotExist(err) {
		return rules.DefaultPolicy()
	}
	if err != nil {
		t.Fatal(err)
	}
	p, err := rules.ParsePolicy(data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// corpusSeeds returns every corpus document, for the fuzz targets.
func corpusSeeds(t testing.TB) []manifest.Document {
	files, _ := filepath.Glob("testdata/*.yaml")
	var out []manifest.Document
	for _, file := range slices.DeleteFunc(files, isPolicyFile) {
		res, err := manifest.ReadFile(file)
		if err != nil {
			t.Fatalf("corpus seed %v", err) // a seed that cannot be read is a broken corpus, not a skip
		}
		out = append(out, res.Documents...)
	}
	if len(out) == 0 {
		t.Fatal("no corpus seeds in testdata/")
	}
	return out
}

// isPolicyFile reports whether a testdata file is a corpus file's policy.
func isPolicyFile(file string) bool { return strings.HasSuffix(file, ".policy.yaml") }
