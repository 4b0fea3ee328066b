package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gateguard/gateguard/rules"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	admissionv1 "k8s.io/api/admission/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
)

// reloadPolicy is a GatewayPolicy that differs between its letter versions
// in four independent places: the domains team-x owns, the action of
// unknown-gateway, the default gateway selector and the default labels.
func reloadPolicy(letter, unknownGatewayAction string) string {
	return fmt.Sprintf(`apiVersion: gateguard.dev/v1alpha1
kind: GatewayPolicy
rules:
  unknown-gateway: {action: %[2]s}
hostOwnership:
- namespaces: [team-x]
  domains: ["*.%[1]s.example.com"]
defaults:
  gatewaySelector: {istio: ingress-%[1]s}
  labels: {policy: %[1]s, tier: %[1]s}
`, letter, unknownGatewayAction)
}

// A bad policy file: C's values with an action no rule has. Were any part
// of it applied, a C would show in the decisions.
func badReloadPolicy() string { return reloadPolicy("c", "block") }

// The requests: a VirtualService claiming a host under each policy's
// domain through an existing and a missing Gateway, and a Gateway with
// neither selector nor labels.
const (
	reloadVS = `{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"x","namespace":"team-x"},
"spec":{"hosts":["x.a.example.com","x.b.example.com"],"gateways":["istio-system/public","istio-system/missing"],
"http":[{"route":[{"destination":{"host":"x"}}]}]}}`
	reloadGateway = `{"apiVersion":"networking.istio.io/v1","kind":"Gateway","metadata":{"name":"gw","namespace":"team-x"},
"spec":{"servers":[{"port":{"number":80,"name":"http","protocol":"HTTP"},"hosts":["x.a.example.com"]}]}}`
)

// reloadOutcomes: each policy file and what it decides for the two
// requests, as validateVerdict and mutateVerdict render it.
func reloadOutcomes() map[string]reloadOutcome {
	return map[string]reloadOutcome{
		"A": {
			file: reloadPolicy("a", "deny"),
			validate: "validate allowed=false\nstatus 422 Invalid\n" +
				"cause FieldValueForbidden spec.hosts[1]: " + outsideDomains("x.b.example.com", "a") + "\n" +
				"cause FieldValueNotFound spec.gateways[1]: " + missingGateway,
			mutate: "mutate allowed=true\n" +
				`patch add /metadata/labels {"policy":"a","tier":"a"}` + "\n" +
				`patch add /spec/selector {"istio":"ingress-a"}`,
		},
		"B": {
			file: reloadPolicy("b", "warn"),
			validate: "validate allowed=false\nstatus 422 Invalid\n" +
				"cause FieldValueForbidden spec.hosts[0]: " + outsideDomains("x.a.example.com", "b") + "\n" +
				"warning spec.gateways[1]: " + missingGateway,
			mutate: "mutate allowed=true\n" +
				`patch add /metadata/labels {"policy":"b","tier":"b"}` + "\n" +
				`patch add /spec/selector {"istio":"ingress-b"}`,
		},
	}
}

// reloadOutcome is a policy file and its exact decisions.
type reloadOutcome struct{ file, validate, mutate string }

// outsideDomains is host-ownership's message for a host of team-x outside
// the domain of policy letter.
func outsideDomains(host, letter string) string {
	return fmt.Sprintf(`Forbidden: [host-ownership] host %q is outside the domains of namespace team-x `+
		`[*.%s.example.com]; use a host under them, or ask the platform team`, host, letter)
}

// missingGateway is unknown-gateway's message for istio-system/missing.
const missingGateway = `Not found: "istio-system/missing": [unknown-gateway] Gateway istio-system/missing does ` +
	`not exist, so Istio binds this VirtualService to nothing there: create the Gateway or fix the reference`

// TestPolicyReloadUnderLoadIsAllOrNothing proves the policy-reload
// guarantee: while the policy file is swapped between A and B (and now and
// then for an invalid file) and reloaded hundreds of times, every
// concurrent admission decision is exactly A's or exactly B's, never a mix
// of the two and never the invalid file's; each swap is counted as a
// success or a failure.
func TestPolicyReloadUnderLoadIsAllOrNothing(t *testing.T) {
	// The workers send until the flips are done; maxPerWorker only bounds the
	// loop, far above what 300 flips take even on a starved machine.
	const flips, workers, maxPerWorker = 300, 8, 20000
	path := filepath.Join(t.TempDir(), "policy.yaml")
	swapFile(t, path, reloadOutcomes()["A"].file)
	r := newTestReloader(t, path)
	srv, client := newReloadServer(t, r, workers)

	progress := make(chan struct{}, workers*maxPerWorker) // never blocks a worker
	stop, workersDone := make(chan struct{}), make(chan struct{})
	seen := &verdictTally{counts: map[string]int{}}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { sendUntil(t, client, srv.URL, maxPerWorker, stop, progress, seen) })
	}
	go func() { wg.Wait(); close(workersDone) }()
	good, bad := flipPolicies(t, r, path, flips, progress, workersDone)
	close(stop)
	<-workersDone

	if good+bad != flips {
		t.Errorf("only %d of %d flips ran before the workers reached %d requests each", good+bad, flips, maxPerWorker)
	}
	seen.check(t)
	t.Logf("%d valid and %d invalid swaps under %d decisions", good, bad, seen.total)
	for result, want := range map[string]int{"success": good, "failure": bad} {
		if got := testutil.ToFloat64(r.metrics.policyReloads.WithLabelValues(result)); got != float64(want) {
			t.Errorf("policy reloads %s = %v, want %d", result, got, want)
		}
	}
}

// flipPolicies swaps the file flips times, taking two decision signals
// between swaps (buffered, so a few swaps may run back to back: the
// outcome check, not a lockstep, is what the test rests on), and reloads
// after each: B, A, B, A, invalid, A, B, A, B,
// invalid, ... It returns how many valid and invalid files it wrote.
func flipPolicies(t *testing.T, r *policyReloader, path string, flips int, progress <-chan struct{},
	workersDone <-chan struct{}) (good, bad int) {
	for i := range flips {
		for range 2 {
			select {
			case <-progress:
			case <-workersDone:
				return good, bad
			}
		}
		before := r.source.Load()
		if i%5 == 4 {
			swapFile(t, path, badReloadPolicy())
			r.reload()
			if r.source.Load() != before {
				t.Errorf("flip %d: the invalid file replaced the policy in force", i)
			}
			bad++
			continue
		}
		letter := "A"
		if i%2 == 0 {
			letter = "B" // A is already in force: an unchanged file is no reload
		}
		swapFile(t, path, reloadOutcomes()[letter].file)
		r.reload()
		good++
	}
	return good, bad
}

// swapFile replaces path's content atomically, as a ConfigMap update does.
func swapFile(t *testing.T, path, content string) {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Error(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Error(err)
	}
}

// newTestReloader loads path as Serve does and returns its reloader.
func newTestReloader(t *testing.T, path string) *policyReloader {
	t.Helper()
	p, raw, err := rules.LoadPolicyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	src := &policySource{}
	src.current.Store(p)
	return &policyReloader{path: path, source: src, last: raw, metrics: m, log: logr.Discard()}
}

// newReloadServer serves both handlers over r's policy, as newTestServerTB
// does over the default one, with a client keeping a connection per worker.
func newReloadServer(t *testing.T, r *policyReloader, workers int) (*httptest.Server, *http.Client) {
	t.Helper()
	snap := snapshotWithOwnerTB(t)
	snapshot := func(context.Context) rules.Snapshot { return snap }
	res := newReservations(time.Minute, absentStore{}, logr.Discard())
	v := &validator{policy: r.source, snapshot: snapshot, reservations: res, metrics: r.metrics, log: logr.Discard()}
	mux := http.NewServeMux()
	mux.Handle(ValidatePath, &webhook.Admission{Handler: v})
	mux.Handle(MutatePath, &webhook.Admission{Handler: &mutator{policy: r.source, snapshot: snapshot}})
	srv := httptest.NewServer(mux)
	tr := &http.Transport{MaxIdleConnsPerHost: workers}
	t.Cleanup(func() { tr.CloseIdleConnections(); srv.Close() })
	return srv, &http.Client{Transport: tr}
}

// sendUntil alternates validating and mutating requests until stop or
// limit, tallying each verdict and signalling progress after each.
func sendUntil(t *testing.T, c *http.Client, url string, limit int, stop <-chan struct{}, progress chan<- struct{},
	seen *verdictTally) {
	validate := review("VirtualService", "virtualservices", "CREATE", "team-x", "x", reloadVS, false)
	mutate := review("Gateway", "gateways", "CREATE", "team-x", "gw", reloadGateway, false)
	for i := range limit {
		select {
		case <-stop:
			return
		default:
		}
		path, body, verdict := ValidatePath, validate, validateVerdict
		if i%2 == 1 {
			path, body, verdict = MutatePath, mutate, mutateVerdict
		}
		resp, err := ask(c, url+path, body)
		if err != nil {
			t.Error(err)
			return
		}
		seen.add(verdict(resp))
		progress <- struct{}{}
	}
}

// ask posts one AdmissionReview and returns its response.
func ask(c *http.Client, url string, body []byte) (*admissionv1.AdmissionResponse, error) {
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	review := &admissionv1.AdmissionReview{}
	if err == nil {
		err = json.Unmarshal(data, review)
	}
	if err != nil || review.Response == nil {
		return nil, fmt.Errorf("HTTP %d, %v: %s", resp.StatusCode, err, data)
	}
	return review.Response, nil
}

// validateVerdict renders a validating response: allowed, status, causes
// with their exact field and message, warnings.
func validateVerdict(r *admissionv1.AdmissionResponse) string {
	lines := []string{fmt.Sprintf("validate allowed=%v", r.Allowed)}
	if r.Result != nil {
		lines = append(lines, fmt.Sprintf("status %d %s", r.Result.Code, r.Result.Reason))
		if r.Result.Details != nil {
			for _, c := range r.Result.Details.Causes {
				lines = append(lines, fmt.Sprintf("cause %s %s: %s", c.Type, c.Field, c.Message))
			}
		}
	}
	for _, w := range r.Warnings {
		lines = append(lines, "warning "+w)
	}
	return strings.Join(lines, "\n")
}

// mutateVerdict renders a mutating response: allowed and its patch
// operations, sorted, values as JSON with sorted keys.
func mutateVerdict(r *admissionv1.AdmissionResponse) string {
	var ops []struct {
		Op    string `json:"op"`
		Path  string `json:"path"`
		Value any    `json:"value"`
	}
	if err := json.Unmarshal(r.Patch, &ops); r.Patch != nil && err != nil {
		return fmt.Sprintf("mutate: undecodable patch %q: %v", r.Patch, err)
	}
	var lines []string
	for _, op := range ops {
		v, _ := json.Marshal(op.Value)
		lines = append(lines, fmt.Sprintf("patch %s %s %s", op.Op, op.Path, v))
	}
	slices.Sort(lines)
	return strings.Join(append([]string{fmt.Sprintf("mutate allowed=%v", r.Allowed)}, lines...), "\n")
}

// verdictTally counts the distinct verdicts the workers saw.
type verdictTally struct {
	mu     sync.Mutex
	counts map[string]int
	total  int
}

func (v *verdictTally) add(verdict string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.counts[verdict]++
	v.total++
}

// check fails on any verdict that is not exactly A's or B's, and unless
// each of A's and B's verdicts was seen at least once.
func (v *verdictTally) check(t *testing.T) {
	t.Helper()
	known := map[string]bool{}
	for name, o := range reloadOutcomes() {
		for _, want := range []string{o.validate, o.mutate} {
			known[want] = true
			if v.counts[want] == 0 {
				t.Errorf("policy %s's verdict was never seen, so the test proved nothing:\n%s", name, want)
			}
		}
	}
	for got, n := range v.counts {
		if !known[got] {
			t.Errorf("%d responses were neither exactly A's nor exactly B's:\n%s", n, got)
		}
	}
}

// TestPolicyFileValidLastsAsLongAsTheBadFile: the gauge drops to 0 on a
// refused file and stays there, poll after poll, until a valid one is in
// force again; the failure counter counts the refusal once.
func TestPolicyFileValidLastsAsLongAsTheBadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	swapFile(t, path, reloadOutcomes()["A"].file)
	r := newTestReloader(t, path)
	valid := func() float64 { return testutil.ToFloat64(r.metrics.policyFileValid) }
	if valid() != 1 {
		t.Fatalf("gateguard_policy_file_valid = %v at start, want 1", valid())
	}
	swapFile(t, path, badReloadPolicy())
	for range 3 {
		r.reload()
		if valid() != 0 {
			t.Fatalf("gateguard_policy_file_valid = %v with the refused file in place, want 0", valid())
		}
	}
	if got := testutil.ToFloat64(r.metrics.policyReloads.WithLabelValues("failure")); got != 1 {
		t.Errorf("failures counted %v times, want once", got)
	}
	swapFile(t, path, reloadOutcomes()["B"].file)
	r.reload()
	if valid() != 1 {
		t.Errorf("gateguard_policy_file_valid = %v after a valid file, want 1", valid())
	}
}
