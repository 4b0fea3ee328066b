package rules

import (
	"encoding/json"
	"testing"

	applypatch "github.com/evanphx/json-patch/v5"
)

// applyPatch builds the JSON patch of muts against raw and applies it with
// an RFC 6902 implementation, failing on a patch it refuses.
func applyPatch(t *testing.T, raw []byte, muts []Mutation) []byte {
	t.Helper()
	ops, err := JSONPatch(raw, muts)
	if err != nil {
		t.Fatalf("JSONPatch: %v", err)
	}
	data, err := json.Marshal(ops)
	if err != nil {
		t.Fatal(err)
	}
	patch, err := applypatch.DecodePatch(data)
	if err != nil {
		t.Fatalf("undecodable patch %s: %v", data, err)
	}
	out, err := patch.Apply(raw)
	if err != nil {
		t.Fatalf("patch %s does not apply to %s: %v", data, raw, err)
	}
	return out
}

// TestJSONPatch: one add per mutation under a parent that exists; one add
// of a missing or null parent holding every mutation beneath it; keys
// with "/" and "~" escaped as JSON pointers; siblings and the rest of the
// object untouched, unknown fields and number formats included.
func TestJSONPatch(t *testing.T) {
	muts := []Mutation{
		{Rule: DefaultSelectorID, Path: []string{"spec", "selector"}, Value: map[string]any{"istio": "ingressgateway"}},
		{Rule: DefaultLabelsID, Path: []string{"metadata", "labels", "app.kubernetes.io/part-of"}, Value: "shop"},
		{Rule: DefaultLabelsID, Path: []string{"metadata", "labels", "team~x"}, Value: "a/b"},
	}
	tests := []struct {
		name, in, patch, want string
	}{
		{
			name: "no metadata.labels",
			in:   `{"metadata":{"name":"gw"},"spec":{"servers":[],"x-unknown":1.50}}`,
			patch: `[{"op":"add","path":"/spec/selector","value":{"istio":"ingressgateway"}},` +
				`{"op":"add","path":"/metadata/labels","value":{"app.kubernetes.io/part-of":"shop","team~x":"a/b"}}]`,
			want: `{"metadata":{"name":"gw","labels":{"app.kubernetes.io/part-of":"shop","team~x":"a/b"}},` +
				`"spec":{"servers":[],"x-unknown":1.50,"selector":{"istio":"ingressgateway"}}}`,
		},
		{
			name: "no metadata, no spec",
			in:   `{}`,
			patch: `[{"op":"add","path":"/spec","value":{"selector":{"istio":"ingressgateway"}}},` +
				`{"op":"add","path":"/metadata","value":{"labels":{"app.kubernetes.io/part-of":"shop","team~x":"a/b"}}}]`,
			want: `{"spec":{"selector":{"istio":"ingressgateway"}},"metadata":{"labels":{"app.kubernetes.io/part-of":"shop","team~x":"a/b"}}}`,
		},
		{
			name: "null labels and selector",
			in:   `{"metadata":{"name":"gw","labels":null},"spec":{"selector":null}}`,
			patch: `[{"op":"add","path":"/spec/selector","value":{"istio":"ingressgateway"}},` +
				`{"op":"add","path":"/metadata/labels","value":{"app.kubernetes.io/part-of":"shop","team~x":"a/b"}}]`,
			want: `{"metadata":{"name":"gw","labels":{"app.kubernetes.io/part-of":"shop","team~x":"a/b"}},"spec":{"selector":{"istio":"ingressgateway"}}}`,
		},
		{
			name: "other labels kept",
			in:   `{"metadata":{"labels":{"app":"web"}},"spec":{}}`,
			patch: `[{"op":"add","path":"/spec/selector","value":{"istio":"ingressgateway"}},` +
				`{"op":"add","path":"/metadata/labels/app.kubernetes.io~1part-of","value":"shop"},` +
				`{"op":"add","path":"/metadata/labels/team~0x","value":"a/b"}]`,
			want: `{"metadata":{"labels":{"app":"web","app.kubernetes.io/part-of":"shop","team~x":"a/b"}},"spec":{"selector":{"istio":"ingressgateway"}}}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ops, err := JSONPatch([]byte(tc.in), muts)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := json.Marshal(ops); string(got) != tc.patch {
				t.Errorf("patch\n got: %s\nwant: %s", got, tc.patch)
			}
			if got := applyPatch(t, []byte(tc.in), muts); !applypatch.Equal(got, []byte(tc.want)) {
				t.Errorf("patched\n got: %s\nwant: %s", got, tc.want)
			}
		})
	}
}

// TestJSONPatchNotAnObject: a parent that holds anything but an object is
// an error naming it, never replaced.
func TestJSONPatchNotAnObject(t *testing.T) {
	label := []Mutation{{Rule: DefaultLabelsID, Path: []string{"metadata", "labels", "team"}, Value: "x"}}
	for in, want := range map[string]string{
		`{"metadata":{"labels":"oops"}}`: `"/metadata/labels" is not an object, so nothing can be added beneath it`,
		`{"metadata":[1]}`:               `"/metadata" is not an object, so nothing can be added beneath it`,
		`null`:                           `"/" is not an object, so nothing can be added beneath it`,
	} {
		if _, err := JSONPatch([]byte(in), label); err == nil || err.Error() != want {
			t.Errorf("JSONPatch(%s) error = %v, want %q", in, err, want)
		}
	}
}
