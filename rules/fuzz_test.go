package rules_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gateguard/gateguard/rules"
)

// fuzzState is the cluster the fuzzed objects are judged against: every
// state document of the corpus (later ones replace earlier namesakes).
func fuzzState(f *testing.F) *rules.MemorySnapshot {
	snap := rules.NewMemorySnapshot()
	for _, d := range corpusSeeds(f) {
		if _, judged := d.Annotations[expectAnnotation]; judged {
			continue
		}
		if err := snap.Add(d.Object); err != nil {
			f.Fatal(err)
		}
	}
	return snap
}

// fuzzPolicies are the default policy and every corpus policy, so that the
// knobs (merge, allow-lists, owners, placement) are exercised too.
func fuzzPolicies(f *testing.F) []*rules.Policy {
	out := []*rules.Policy{rules.DefaultPolicy()}
	files, _ := filepath.Glob("testdata/*.policy.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		p, err := rules.ParsePolicy(data)
		if err != nil {
			f.Fatalf("%s: %v", file, err)
		}
		out = append(out, p)
	}
	return out
}

// FuzzValidate decodes arbitrary JSON as an object and runs it through the
// webhook's path: Mutate, then Validate as a CREATE and as an UPDATE that
// changes nothing. Seeds are the corpus documents.
func FuzzValidate(f *testing.F) {
	for _, d := range corpusSeeds(f) {
		data, err := json.Marshal(d.Object)
		if err != nil {
			f.Fatal(err)
		}
		if _, err := rules.DecodeObject(data); err != nil {
			f.Fatalf("seed %s:%d does not decode: %v", d.File, d.Line, err)
		}
		f.Add(data)
	}
	snap := fuzzState(f)
	policies := fuzzPolicies(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		obj, err := rules.DecodeObject(data)
		if err != nil {
			return
		}
		for _, p := range policies {
			c := rules.Change{Operation: rules.Create, Object: obj, Namespace: obj.GetNamespace()}
			mutated, muts := rules.Mutate(p, snap, c)
			c.Object = mutated
			if _, again := rules.Mutate(p, snap, c); len(again) != 0 {
				t.Fatalf("Mutate is not idempotent: first %v, then %v", muts, again)
			}
			dec, err := rules.Validate(ctx, p, snap, c)
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			checkFindings(t, dec)

			// An UPDATE that changes nothing adds no violation: never a denial.
			c.Operation, c.OldObject = rules.Update, mutated
			dec, err = rules.Validate(ctx, p, snap, c)
			if err != nil {
				t.Fatalf("Validate UPDATE: %v", err)
			}
			checkFindings(t, dec)
			if denied := dec.Denied(); len(denied) > 0 {
				t.Fatalf("an unchanged UPDATE is denied: %v", denied)
			}
		}
	})
}

// checkFindings asserts what every finding must carry for kubectl: a field
// path, and a detail that names its rule.
func checkFindings(t *testing.T, dec rules.Decision) {
	t.Helper()
	for _, f := range dec.Findings {
		if f.Action != rules.Deny && f.Action != rules.Warn {
			t.Fatalf("finding with action %q: %v", f.Action, f.Error)
		}
		if f.Error.Field == "" {
			t.Fatalf("finding without a field path: %v", f.Error)
		}
		if prefix := "[" + string(f.Rule) + "] "; !strings.HasPrefix(f.Error.Detail, prefix) {
			t.Fatalf("detail %q does not start with %q", f.Error.Detail, prefix)
		}
	}
}

// FuzzParsePolicy: any input either parses into a policy that is valid and
// usable, or fails with PolicyErrors that each say something.
func FuzzParsePolicy(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.policy.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"",
		"apiVersion: gateguard.dev/v1alpha1\nkind: GatewayPolicy\n",
		"apiVersion: gateguard.dev/v1alpha1\nkind: GatewayPolicy\nrules:\n  wildcard-host: {action: deny, bogus: 1}\n",
		"apiVersion: gateguard.dev/v1alpha1\nkind: GatewayPolicy\nexemptions:\n- namespaceSelector:\n" +
			"    matchExpressions: [{key: a, operator: In, values: [x]}]\n  rules: [wildcard-host]\n",
		"apiVersion: gateguard.dev/v1alpha1\nkind: GatewayPolicy\ndefaults:\n  labels: [a]\n---\nx: 1\n",
	} {
		f.Add([]byte(s))
	}
	snap := rules.NewMemorySnapshot()
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := rules.ParsePolicy(data)
		if err != nil {
			if p != nil {
				t.Fatal("a policy and an error")
			}
			var perrs rules.PolicyErrors
			if !errors.As(err, &perrs) || len(perrs) == 0 {
				t.Fatalf("error %v (%T) is not a non-empty PolicyErrors", err, err)
			}
			for _, e := range perrs {
				if e.Message == "" || e.Line < 0 {
					t.Fatalf("PolicyError without message or with a negative line: %#v", e)
				}
			}
			return
		}
		if errs := rules.ValidatePolicy(p); len(errs) > 0 {
			t.Fatalf("a parsed policy fails validation: %v", errs)
		}
		// the policy is usable: its selectors are compiled
		for _, obj := range []string{
			`{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"a","namespace":"n"},` +
				`"spec":{"hosts":["*.example.com"],"gateways":["istio-system/gw"],"http":[{}]}}`,
			`{"apiVersion":"networking.istio.io/v1","kind":"Gateway","metadata":{"name":"g","namespace":"n"},` +
				`"spec":{"servers":[{"port":{"number":443,"name":"https","protocol":"HTTPS"},"hosts":["*"],` +
				`"tls":{"mode":"SIMPLE","credentialName":"c"}}]}}`,
		} {
			o, err := rules.DecodeObject([]byte(obj))
			if err != nil {
				t.Fatal(err)
			}
			c := rules.Change{Operation: rules.Create, Object: o, Namespace: "n",
				User: rules.UserInfo{Username: "u", Groups: []string{"g"}}}
			c.Object, _ = rules.Mutate(p, snap, c)
			if _, err := rules.Validate(context.Background(), p, snap, c); err != nil {
				t.Fatal(err)
			}
		}
	})
}
