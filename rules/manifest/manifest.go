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
	"strings"

	"github.com/gateguard/gateguard/rules"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// Document is one object read from a file.
type Document struct {
	Object client.Object
	File   string
	Line   int // line of the document's first content line
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
	var res Result
	chunks, err := split(r)
	if err != nil {
		return res, &ParseError{File: file, Line: 1, Err: err}
	}
	for _, c := range chunks {
		if err := res.decode(c.text, file, c.line); err != nil {
			return res, err
		}
	}
	return res, nil
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
	obj, err := rules.DecodeObject(data)
	switch {
	case errors.Is(err, rules.ErrIgnoredKind):
		res.Ignored++
		return nil
	case err != nil:
		return &ParseError{File: file, Line: line, Err: err}
	}
	res.Documents = append(res.Documents, Document{Object: obj, File: file, Line: line})
	return nil
}

// chunk is one YAML document's text and the line of its first content.
type chunk struct {
	text []byte
	line int
}

// split cuts a stream into documents at lines that start with "---".
func split(r io.Reader) ([]chunk, error) {
	var out []chunk
	var cur bytes.Buffer
	first, n := 0, 0
	flush := func() {
		if first > 0 {
			out = append(out, chunk{text: bytes.Clone(cur.Bytes()), line: first})
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
	return out, sc.Err()
}
