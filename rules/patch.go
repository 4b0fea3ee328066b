package rules

import (
	"cmp"
	"encoding/json"
	"fmt"
	"strings"

	"gomodules.xyz/jsonpatch/v2"
)

// JSONPatch is the JSON patch (RFC 6902) that adds muts to raw, the
// object exactly as the request carries it: one add per mutation where
// its parent exists, else one add of the missing parent holding every
// mutation beneath it. Only the parents on the mutations' paths are
// decoded; the rest of raw is neither decoded nor re-encoded, so nothing
// else can change (Istio's JSON shims would rewrite a re-serialised spec).
// A parent that is null counts as missing: YAML "labels:" with no value
// reaches the webhook as "labels": null, and its labels are still missing.
func JSONPatch(raw []byte, muts []Mutation) ([]jsonpatch.Operation, error) {
	var ops []jsonpatch.Operation
	created := map[string]map[string]any{} // pointer of an added parent → its value
	levels := rawLevels{}
	for _, m := range muts {
		depth, err := levels.existing(raw, m.Path)
		if err != nil {
			return nil, err
		}
		ptr := pointer(m.Path[:depth+1])
		if value, ok := created[ptr]; ok && depth+1 < len(m.Path) {
			setNested(value, m.Path[depth+1:], m.Value)
			continue
		}
		op := jsonpatch.Operation{Operation: "add", Path: ptr, Value: m.Value}
		if rest := m.Path[depth+1:]; len(rest) > 0 {
			value := map[string]any{}
			setNested(value, rest, m.Value)
			created[ptr], op.Value = value, value
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// rawLevels are the objects on the mutations' paths, each decoded one
// level deep, by pointer; "" is the whole object.
type rawLevels map[string]map[string]json.RawMessage

// existing returns how many of path's parents exist in raw as objects
// (not null); a parent that holds anything else is an error, never
// replaced.
func (l rawLevels) existing(raw []byte, path []string) (int, error) {
	if len(path) == 0 {
		return 0, fmt.Errorf("a mutation with no path")
	}
	value := json.RawMessage(raw)
	for i := range len(path) - 1 {
		obj, err := l.object(pointer(path[:i]), value)
		if err != nil {
			return 0, err
		}
		child, ok := obj[path[i]]
		if !ok || string(child) == "null" {
			return i, nil
		}
		value = child
	}
	if _, err := l.object(pointer(path[:len(path)-1]), value); err != nil {
		return 0, err
	}
	return len(path) - 1, nil
}

// object decodes the object at ptr one level deep, once.
func (l rawLevels) object(ptr string, value json.RawMessage) (map[string]json.RawMessage, error) {
	if obj, ok := l[ptr]; ok {
		return obj, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(value, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("%q is not an object, so nothing can be added beneath it", cmp.Or(ptr, "/"))
	}
	l[ptr] = obj
	return obj, nil
}

// setNested sets value at path beneath obj, creating maps on the way.
func setNested(obj map[string]any, path []string, value any) {
	for _, key := range path[:len(path)-1] {
		next, ok := obj[key].(map[string]any)
		if !ok {
			next = map[string]any{}
			obj[key] = next
		}
		obj = next
	}
	obj[path[len(path)-1]] = value
}

// pointer is the JSON pointer (RFC 6901) of path, "" for the whole
// document; in each key "~" is escaped first, then "/".
func pointer(path []string) string {
	var b strings.Builder
	for _, key := range path {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(key, "~", "~0"), "/", "~1"))
	}
	return b.String()
}
