package rules

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
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

// typeError matches yaml.v3's complaint about a value of the wrong type. It
// gives the value node's tag and, for a scalar, its value (cut to seven
// characters and "..." when longer than ten).
var typeError = regexp.MustCompile("^cannot unmarshal (!!\\w+)(?: `(.*)`)? into ")

// ParsePolicy decodes one GatewayPolicy document strictly and validates it.
// Every fault is returned at once, as PolicyErrors with line and field.
func ParsePolicy(data []byte) (*Policy, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, PolicyErrors{yamlSyntaxError(err)}
	}
	places, values := nodePlaces(&root)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var p Policy
	switch err := dec.Decode(&p); {
	case errors.Is(err, io.EOF):
		return nil, PolicyErrors{{Message: "the policy file is empty"}}
	case err != nil:
		return nil, decodeErrors(err, places, values)
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
func decodeErrors(err error, places map[string]int, values map[string]*yaml.Node) PolicyErrors {
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
		pe := PolicyError{Line: line, Field: deepestPathAt(places, line, ""), Message: m[2]}
		if u := unknownFieldError.FindStringSubmatch(m[2]); u != nil {
			pe.Field = deepestPathAt(places, line, u[1])
			pe.Message = fmt.Sprintf("unknown field %q", u[1])
		}
		if te := typeError.FindStringSubmatch(m[2]); te != nil {
			if p, ok := pathOfValue(values, line, te[1], te[2]); ok {
				pe.Field = p
			}
		}
		out = append(out, pe)
	}
	return out
}

// withLines attaches to each validation error the line of its field, and
// lists them in file order, as a reader goes through the file.
func withLines(errs field.ErrorList, places map[string]int) PolicyErrors {
	out := make(PolicyErrors, 0, len(errs))
	for _, e := range errs {
		out = append(out, PolicyError{Line: lineOf(places, e.Field), Field: e.Field, Message: e.ErrorBody()})
	}
	slices.SortStableFunc(out, func(a, b PolicyError) int { return cmp.Compare(a.Line, b.Line) })
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

// deepestPathAt returns the longest field path that starts on line; with
// leaf set, only a path ending in that key qualifies. A flow mapping puts
// several keys on one line ({action: deny, bogus: 1}), so the unknown key
// must be found by name, and ties are broken by name so that the answer
// does not depend on map order.
func deepestPathAt(places map[string]int, line int, leaf string) string {
	best := ""
	for p, l := range places {
		if l != line || (leaf != "" && p != leaf && !strings.HasSuffix(p, "."+leaf)) {
			continue
		}
		if len(p) > len(best) || (len(p) == len(best) && p < best) {
			best = p
		}
	}
	return best
}

// pathOfValue finds the field whose value is the node a type error
// describes: on line, with tag, and with value when one is given. The
// deepest path on the line would name a child of a mistyped list or map
// ("labels: [a, b]" is wrong as a whole, not at labels[0]).
func pathOfValue(values map[string]*yaml.Node, line int, tag, value string) (string, bool) {
	best, found := "", false
	for p, n := range values {
		if n.Line != line || n.ShortTag() != tag || !shownValueIs(value, n.Value) {
			continue
		}
		if !found || len(p) > len(best) || (len(p) == len(best) && p < best) {
			best, found = p, true
		}
	}
	return best, found
}

// shownValueIs reports whether yaml.v3's rendering of a value in a type
// error (empty for a collection, shortened with "...") fits value.
func shownValueIs(shown, value string) bool {
	if prefix, cut := strings.CutSuffix(shown, "..."); cut && len(value) > 10 {
		return strings.HasPrefix(value, prefix)
	}
	return shown == "" || shown == value
}

// nodePlaces maps each field path in a YAML tree to the line of its key
// (or list item) and to its value node, rendering paths the way
// field.Path does: a.b[0].c. The document's root is the path "".
func nodePlaces(root *yaml.Node) (places map[string]int, values map[string]*yaml.Node) {
	places, values = map[string]int{}, map[string]*yaml.Node{}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				values[path] = c
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				child := n.Content[i].Value
				if path != "" {
					child = path + "." + child
				}
				places[child] = n.Content[i].Line
				values[child] = n.Content[i+1]
				walk(n.Content[i+1], child)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				child := fmt.Sprintf("%s[%d]", path, i)
				places[child] = c.Line
				values[child] = c
				walk(c, child)
			}
		}
	}
	walk(root, "")
	return places, values
}
