package rules

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// FuzzDecodeIstioObject holds the one-pass decode of an Istio object to
// sigs.k8s.io/json, which decoded it before: the same input is refused by
// both or decodes to the same identity, labels, exemption and spec bytes.
// Seeds are the corpus's Istio objects, plus the inputs where decoders
// part ways: repeated keys, keys in another case or escaped, nulls,
// invalid UTF-8, numbers that are not integers.
func FuzzDecodeIstioObject(f *testing.F) {
	for _, seed := range istioCorpus(f) {
		f.Add(seed)
	}
	for _, metadata := range []string{
		`{"name":"a","name":"b","labels":{"x":"1"},"labels":{"y":"2"}}`,
		`{"Name":"a","NAMESPACE":"b","annotations":{"gateguard.dev/Exempt":"all"}}`,
		`{"n\u0061me":"a\u00e9","annotations":{"gateguard.dev/exempt":null}}`,
		`{"name":null,"labels":{"x":null},"annotations":null,"generation":null}`,
		"{\"name\":\"a\xffb\",\"labels\":{\"k\xfe\":\"v\"}}",
		`{"generation":1.0}`, `{"generation":1e2}`, `{"generation":-3}`, `{"generation":9223372036854775808}`,
	} {
		f.Add([]byte(`{"apiVersion":"networking.istio.io/v1","kind":"Gateway","metadata":` + metadata + `,"spec":{}}`))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var got, want istioObject
		gotErr := decodeIstioObject(data, &got)
		wantErr := kjson.UnmarshalCaseSensitivePreserveInts(data, &want)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("error %v, sigs.k8s.io/json's %v: %q", gotErr, wantErr, data)
		}
		if gotErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("decoded\n%+v\nsigs.k8s.io/json\n%+v\nfrom %q", got, want, data)
		}
	})
}

// istioCorpus is every Gateway and VirtualService of testdata/ as JSON.
func istioCorpus(f *testing.F) [][]byte {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(files) == 0 {
		f.Fatalf("no corpus: %v", err)
	}
	var out [][]byte
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, doc := range bytes.Split(data, []byte("\n---")) {
			j, err := yaml.YAMLToJSON(doc)
			if err == nil && (bytes.Contains(j, []byte(`"kind":"Gateway"`)) || bytes.Contains(j, []byte(`"kind":"VirtualService"`))) {
				out = append(out, j)
			}
		}
	}
	if len(out) == 0 {
		f.Fatal("no Istio objects in testdata/")
	}
	return out
}
