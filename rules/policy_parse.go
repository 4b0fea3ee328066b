package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// PolicyError is one fault in a policy file: where it is and what is wrong.
type PolicyError struct {
	Line    int    // 1-based; 0 when the fault has no single place
	Field   string // e.g. rules.wildcard-host.action
	Message string
}

func (e PolicyError) Error() string {
	loc := ""
	if e.Line > 0 {
		loc = "line " + strconv.Itoa(e.Line) + ": "
	}
	if e.Field != "" {
		loc += e.Field + ": "
	}
	return loc + e.Message
}

// PolicyErrors are all the faults found in one policy file.
type PolicyErrors []PolicyError

func (es PolicyErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return "invalid GatewayPolicy: " + strings.Join(msgs, "; ")
}

// yamlLineError matches the messages of yaml.v3's TypeError entries.
var yamlLineError = regexp.MustCompile(`^line (\d+): (.*)$`)

// unknownFieldError matches yaml.v3's strict-decoding complaint.
var unknownFieldError = regexp.MustCompile(`^field (\S+) not found in type \S+$`)

// ParsePolicy decodes one GatewayPolicy document strictly and validates it.
// Every fault is returned at once, as PolicyErrors with line and field.
func ParsePolicy(data []byte) (*Policy, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, PolicyErrors{yamlSyntaxError(err)}
	}
	places := nodePlaces(&root)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var p Policy
	switch err := dec.Decode(&p); {
	case errors.Is(err, io.EOF):
		return nil, PolicyErrors{{Message: "the policy file is empty"}}
	case err != nil:
		return nil, decodeErrors(err, places)
	}
	if err := dec.Decode(new(yaml.Node)); !errors.Is(err, io.EOF) {
		return nil, PolicyErrors{{Message: "the policy file must hold exactly one YAML document"}}
	}
	if errs := ValidatePolicy(&p); len(errs) > 0 {
		return nil, withLines(errs, places)
	}
	return &p, nil
}

// yamlSyntaxError turns a yaml.v3 syntax error ("yaml: line 3: ...") into a
// PolicyError with its line.
func yamlSyntaxError(err error) PolicyError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLineError.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return PolicyError{Line: line, Message: m[2]}
	}
	return PolicyError{Message: msg}
}

// decodeErrors converts strict-decoding failures, naming the field at fault.
func decodeErrors(err error, places map[string]int) PolicyErrors {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return PolicyErrors{yamlSyntaxError(err)}
	}
	var out PolicyErrors
	for _, e := range te.Errors {
		m := yamlLineError.FindStringSubmatch(e)
		if m == nil {
			out = append(out, PolicyError{Message: e})
			continue
		}
		line, _ := strconv.Atoi(m[1])
		pe := PolicyError{Line: line, Field: deepestPathAt(places, line), Message: m[2]}
		if u := unknownFieldError.FindStringSubmatch(m[2]); u != nil {
			pe.Message = fmt.Sprintf("unknown field %q", u[1])
		}
		out = append(out, pe)
	}
	return out
}

// withLines attaches to each validation error the line of its field.
func withLines(errs field.ErrorList, places map[string]int) PolicyErrors {
	out := make(PolicyErrors, 0, len(errs))
	for _, e := range errs {
		out = append(out, PolicyError{Line: lineOf(places, e.Field), Field: e.Field, Message: e.ErrorBody()})
	}
	return out
}

// lineOf finds the line of path, or of its nearest ancestor present in the
// file (a required field that is missing has no line of its own).
func lineOf(places map[string]int, path string) int {
	for p := path; p != ""; {
		if line, ok := places[p]; ok {
			return line
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 1
}

// deepestPathAt returns the longest field path that starts on line.
func deepestPathAt(places map[string]int, line int) string {
	best := ""
	for p, l := range places {
		if l == line && len(p) > len(best) {
			best = p
		}
	}
	return best
}

// nodePlaces maps each field path in a YAML tree to its line, rendering
// paths the way field.Path does: a.b[0].c.
func nodePlaces(root *yaml.Node) map[string]int {
	places := map[string]int{}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				child := n.Content[i].Value
				if path != "" {
					child = path + "." + child
				}
				places[child] = n.Content[i].Line
				walk(n.Content[i+1], child)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				child := fmt.Sprintf("%s[%d]", path, i)
				places[child] = c.Line
				walk(c, child)
			}
		}
	}
	walk(root, "")
	return places
}
