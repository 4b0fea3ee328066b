// Package manifest reads Kubernetes YAML and JSON files into the typed
// objects the rules read, remembering the file and line of each.
package manifest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gateguard/gateguard/rules"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"
)

// Document is one object read from a file.
type Document struct {
	Object client.Object
	File   string
	Line   int // line of the document's first content line
	// Annotations are the document's annotations as written. The Object
	// keeps only those the rules read; tests and tools that mark documents
	// with annotations of their own read them here.
	Annotations map[string]string
}

// Result is what Read found: objects the rules read, and how many
// documents of other kinds were skipped.
type Result struct {
	Documents []Document
	Ignored   int
}

// ParseError locates unreadable input.
type ParseError struct {
	File string
	Line int
	Err  error
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }
func (e *ParseError) Unwrap() error { return e.Err }

// Read splits a YAML stream on "---" lines, as kubectl does, and decodes
// each document; a "kind: List" contributes its items.
func Read(r io.Reader, file string) (Result, error) {
	chunks, err := Split(r, file)
	if err != nil {
		return Result{}, err
	}
	var res Result
	for _, c := range chunks {
		part, err := c.Decode()
		if err != nil {
			return res, err
		}
		res.Documents = append(res.Documents, part.Documents...)
		res.Ignored += part.Ignored
	}
	return res, nil
}

// ReadFile reads every document of one file, as Read does.
func ReadFile(path string) (Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	return Read(f, path)
}

// ReadFileIn reads one file's documents, as ReadFile does, with namespace
// for those that name none, as kubectl apply -n does.
func ReadFileIn(path, namespace string) ([]Document, error) {
	res, err := ReadFile(path)
	return Defaulted(res.Documents, namespace), err
}

// Defaulted gives every namespaced document without a namespace the
// namespace ns, as kubectl apply -n does, and returns docs.
func Defaulted(docs []Document, ns string) []Document {
	for _, d := range docs {
		if d.Object.GetNamespace() == "" && !clusterScoped(d.Object) {
			d.Object.SetNamespace(ns)
		}
	}
	return docs
}

// clusterScoped reports whether obj is of a cluster-scoped kind the rules
// read: a Namespace, or a GatewayClass, which is looked up by name alone.
func clusterScoped(obj client.Object) bool {
	switch obj.(type) {
	case *corev1.Namespace, *gatewayv1.GatewayClass:
		return true
	}
	return false
}

// Decode converts one document; documents decode independently, so callers
// may decode many in parallel.
func (c Chunk) Decode() (Result, error) {
	var res Result
	err := res.decode(c.text, c.file, c.line)
	return res, err
}

// decode converts one document and appends what it holds.
func (res *Result) decode(text []byte, file string, line int) error {
	data, err := yaml.YAMLToJSON(text)
	if err != nil {
		return &ParseError{File: file, Line: line, Err: err}
	}
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return nil // a document of comments only
	}
	var list struct {
		Kind  string            `json:"kind"`
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return &ParseError{File: file, Line: line, Err: fmt.Errorf("not a Kubernetes object: %w", err)}
	}
	if list.Kind == "List" || strings.HasSuffix(list.Kind, "List") && list.Items != nil {
		for _, item := range list.Items {
			if err := res.add(item, file, line); err != nil {
				return err
			}
		}
		return nil
	}
	return res.add(data, file, line)
}

func (res *Result) add(data []byte, file string, line int) error {
	var written struct {
		Metadata struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
	}
	_ = json.Unmarshal(data, &written) // a malformed object is DecodeObject's to report
	obj, err := rules.DecodeObject(data)
	switch {
	case errors.Is(err, rules.ErrIgnoredKind):
		res.Ignored++
		return nil
	case err != nil:
		return &ParseError{File: file, Line: line, Err: err}
	}
	res.Documents = append(res.Documents, Document{Object: obj, File: file, Line: line, Annotations: written.Metadata.Annotations})
	return nil
}

// Chunk is one YAML document's text, its file and the line of its first
// content.
type Chunk struct {
	text []byte
	file string
	line int
}

// Split cuts a stream into documents at lines that start with "---".
func Split(r io.Reader, file string) ([]Chunk, error) {
	var out []Chunk
	var cur bytes.Buffer
	first, n := 0, 0
	flush := func() {
		if first > 0 {
			out = append(out, Chunk{text: bytes.Clone(cur.Bytes()), file: file, line: first})
		}
		cur.Reset()
		first = 0
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		n++
		text := sc.Text()
		if strings.HasPrefix(text, "---") {
			flush()
			continue
		}
		if trimmed := strings.TrimSpace(text); first == 0 && trimmed != "" && !strings.HasPrefix(trimmed, "#") {
			first = n
		}
		cur.WriteString(text)
		cur.WriteByte('\n')
	}
	flush()
	if err := sc.Err(); err != nil {
		return nil, &ParseError{File: file, Line: n + 1, Err: err}
	}
	return out, nil
}
