package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// runCLI runs gateguard in-process and returns its exit code and output.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return exitCode(err, &errOut), out.String(), errOut.String()
}

func TestCheckExitCodesAreTheSameInEveryFormat(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"denied", []string{"-f", "../../examples", "--existing", "../../examples/00-cluster-state.yaml"}, 1},
		{"allowed", []string{"-f", "../../examples/01-public-gateway.yaml", "-f", "../../examples/02-shop.yaml",
			"--existing", "../../examples/00-cluster-state.yaml"}, 0},
		{"invalid yaml", []string{"-f", "testdata/invalid.yaml"}, 2},
		{"missing file", []string{"-f", "testdata/nope.yaml"}, 2},
		{"no -f", []string{}, 2},
	}
	for _, c := range cases {
		for _, format := range []string{"text", "json", "sarif"} {
			t.Run(c.name+"/"+format, func(t *testing.T) {
				code, _, stderr := runCLI(t, "", append([]string{"check", "-o", format}, c.args...)...)
				if code != c.want {
					t.Errorf("exit code %d, want %d (stderr: %s)", code, c.want, stderr)
				}
			})
		}
	}
}

func TestCheckJSONShape(t *testing.T) {
	code, stdout, _ := runCLI(t, "", "check", "-o", "json", "--existing", "../../examples/00-cluster-state.yaml",
		"-f", "../../examples/01-public-gateway.yaml", "-f", "../../examples/02-shop.yaml",
		"-f", "../../examples/03-blog-gateway.yaml", "-f", "../../examples/04-hijack.yaml")
	if code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	first := got["findings"].([]any)[0]
	want := map[string]any{
		"rule": "duplicate-host", "action": "deny",
		"object": map[string]any{"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "namespace": "blog",
			"name": "shop-preview"},
		"field": "spec.hosts[0]",
		"message": `host "shop.example.com" is already claimed by VirtualService shop/shop on HTTP port 80 of gateway ` +
			`pods {istio=ingressgateway} (Gateway istio-system/public); use a different host, bind to another gateway, ` +
			`or ask the owner of shop/shop`,
		"file": "../../examples/04-hijack.yaml", "line": float64(3),
	}
	if fmt.Sprint(first) != fmt.Sprint(want) {
		t.Errorf("first finding\n got: %v\nwant: %v", first, want)
	}
	mutation := got["mutations"].([]any)[0]
	wantMutation := map[string]any{
		"object": map[string]any{"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "namespace": "blog", "name": "blog"},
		"rule":   "default-selector", "field": "spec.selector", "value": map[string]any{"istio": "ingressgateway"},
	}
	if fmt.Sprint(mutation) != fmt.Sprint(wantMutation) {
		t.Errorf("mutation\n got: %v\nwant: %v", mutation, wantMutation)
	}
	summary := map[string]any{"objects": float64(4), "denied": float64(1), "warned": float64(0)}
	if fmt.Sprint(got["summary"]) != fmt.Sprint(summary) {
		t.Errorf("summary = %v, want %v", got["summary"], summary)
	}
	if keys := sortedKeys(got); !slices.Equal(keys, []string{"findings", "mutations", "summary"}) {
		t.Errorf("top-level keys %v", keys)
	}
}

// TestCheckSARIF checks the fields SARIF 2.1.0 requires and those GitHub
// code scanning reads: version, runs[].tool.driver.name and rules, results
// with ruleId, level, message.text and a physical location with a line.
// sarifLog is what the tests read of a SARIF log.
type sarifLog struct {
	Version string `json:"version"`
	Schema  string `json:"$schema"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name  string `json:"name"`
				Rules []struct {
					ID   string            `json:"id"`
					Help map[string]string `json:"help"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID    string            `json:"ruleId"`
			RuleIndex int               `json:"ruleIndex"`
			Level     string            `json:"level"`
			Message   map[string]string `json:"message"`
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct{ URI string }    `json:"artifactLocation"`
					Region           struct{ StartLine int } `json:"region"`
				} `json:"physicalLocation"`
			} `json:"locations"`
		} `json:"results"`
	} `json:"runs"`
}

func TestCheckSARIF(t *testing.T) {
	_, stdout, _ := runCLI(t, "", "check", "-o", "sarif", "-f", "../../examples", "--existing", "../../examples/00-cluster-state.yaml")
	var log sarifLog
	if err := json.Unmarshal([]byte(stdout), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name != "gateguard" {
		t.Fatalf("not a SARIF 2.1.0 log with one gateguard run: %s", stdout)
	}
	run := log.Runs[0]
	for _, r := range run.Tool.Driver.Rules {
		if r.ID == "" || r.Help["text"] == "" {
			t.Errorf("rule without id or help: %+v", r)
		}
	}
	levels := map[string]int{}
	for _, r := range run.Results {
		levels[r.Level]++
		loc := r.Locations[0].PhysicalLocation
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID || r.Message["text"] == "" ||
			loc.ArtifactLocation.URI == "" || loc.Region.StartLine < 1 {
			t.Errorf("incomplete result: %+v", r)
		}
	}
	if levels["error"] != 6 || levels["warning"] != 1 {
		t.Errorf("levels = %v, want 6 errors (deny) and 1 warning (warn)", levels)
	}
}

func TestCheckTextPointsAtTheDocument(t *testing.T) {
	yaml := "# a comment\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n\n# hijack\n" +
		readFileT(t, "../../examples/04-hijack.yaml")
	code, stdout, _ := runCLI(t, yaml, "check", "--existing", "../../examples/00-cluster-state.yaml",
		"-f", "../../examples/01-public-gateway.yaml", "-f", "../../examples/02-shop.yaml", "-f", "-")
	if code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	want := `<stdin>:10: VirtualService blog/shop-preview: spec.hosts[0]: deny: host "shop.example.com" is already ` +
		`claimed by VirtualService shop/shop on HTTP port 80 of gateway pods {istio=ingressgateway} (Gateway ` +
		`istio-system/public); use a different host, bind to another gateway, or ask the owner of shop/shop [duplicate-host]`
	if lines := strings.Split(stdout, "\n"); lines[0] != want {
		t.Errorf("first line\n got: %s\nwant: %s", lines[0], want)
	}
	if !strings.Contains(stdout, "3 objects checked: 1 denied, 0 warned, 0 fields defaulted; 1 documents of other kinds ignored") {
		t.Errorf("summary line missing:\n%s", stdout)
	}
}

func TestCheckInvalidInputNamesTheLocation(t *testing.T) {
	code, _, stderr := runCLI(t, "", "check", "-f", "testdata/invalid.yaml")
	if code != 2 || !strings.Contains(stderr, "testdata/invalid.yaml:7: ") {
		t.Errorf("exit %d, stderr %q; want 2 and testdata/invalid.yaml:7", code, stderr)
	}
	code, _, stderr = runCLI(t, "", "check", "-f", "../../examples", "--policy", "testdata/bad-policy.yaml")
	if code != 2 || !strings.Contains(stderr, `line 4: rules.wildcard-host.action: Unsupported value: "block"`) {
		t.Errorf("exit %d, stderr %q; want 2 and the policy line", code, stderr)
	}
}

// TestCheckIstioSamples runs Istio's sample corpus through the CLI: every
// Gateway and VirtualService must get the outcome of expect.txt.
func TestCheckIstioSamples(t *testing.T) {
	dirs, _ := filepath.Glob("../../rules/testdata/istio-samples/[0-9]*")
	if len(dirs) != 28 {
		t.Fatalf("found %d scenarios, want 28", len(dirs))
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			_, stdout, stderr := runCLI(t, "", "check", "-o", "json", "--existing", filepath.Join(dir, "existing.yaml"),
				"-f", filepath.Join(dir, "apply.yaml"))
			var rep struct {
				Findings []struct {
					Rule, Action string
					Object       struct{ Kind, Namespace, Name string }
				}
			}
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatalf("%v: %s", err, stderr)
			}
			for _, line := range strings.Split(strings.TrimSpace(readFileT(t, filepath.Join(dir, "expect.txt"))), "\n") {
				f := strings.Fields(line)
				kind, ns, name, _ := f[0], strings.Split(f[1], "/")[0], strings.Split(f[1], "/")[1], f[2]
				denied, matched := false, len(f) == 3
				for _, x := range rep.Findings {
					if x.Object.Kind == kind && x.Object.Namespace == ns && x.Object.Name == name {
						denied = denied || x.Action == "deny"
						matched = matched || (x.Action == f[2] && x.Rule == f[3])
					}
				}
				if !matched || denied != (f[2] == "deny") {
					t.Errorf("%s: got %+v", line, rep.Findings)
				}
			}
		})
	}
}

func sortedKeys(m map[string]any) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func readFileT(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCheckListsAndDefaultNamespace: a kind: List contributes its items,
// and objects without a namespace take -n.
func TestCheckListsAndDefaultNamespace(t *testing.T) {
	list := `apiVersion: v1
kind: List
items:
- apiVersion: networking.istio.io/v1
  kind: VirtualService
  metadata: {name: first}
  spec:
    hosts: [reviews]
    http: [{route: [{destination: {host: reviews}}]}]
- apiVersion: networking.istio.io/v1
  kind: VirtualService
  metadata: {name: second}
  spec:
    hosts: [reviews]
    http: [{route: [{destination: {host: reviews}}]}]
`
	code, stdout, stderr := runCLI(t, list, "check", "-n", "bookinfo", "-f", "-")
	want := `<stdin>:1: VirtualService bookinfo/second: spec.hosts[0]: deny: host "reviews.bookinfo.svc.cluster.local" ` +
		`is already claimed on the mesh by VirtualService bookinfo/first`
	if code != 1 || !strings.HasPrefix(stdout, want) || !strings.Contains(stdout, "2 objects checked: 1 denied") {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s\nwant a line starting %q", code, stdout, stderr, want)
	}
}
