package webhook

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"

	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

// objectDecoder reads one object of a kind from a decoder, lean.
type objectDecoder func(*jsontext.Decoder) (runtime.Object, error)

// eventDecoder reads a watch stream, one JSON WatchEvent after another,
// each in one pass (a watch.Decoder). An error event's Status is decoded
// whole, for the reflector to read; an object it cannot decode is an
// error, which the stream watcher reports as an error event before it
// stops.
type eventDecoder struct {
	body   io.ReadCloser
	dec    *jsontext.Decoder
	decode objectDecoder
}

// newEventDecoder reads body's events, their objects with decode.
func newEventDecoder(body io.ReadCloser, decode objectDecoder) *eventDecoder {
	return &eventDecoder{body: body, dec: newLeanDecoder(body), decode: decode}
}

// newLeanDecoder reads JSON from r; the apiserver writes no duplicate
// names, so the decoder does not spend time looking for them.
func newLeanDecoder(r io.Reader) *jsontext.Decoder {
	return jsontext.NewDecoder(r, jsontext.AllowDuplicateNames(true))
}

// Decode reads the next event.
func (d *eventDecoder) Decode() (watch.EventType, runtime.Object, error) {
	typ, obj, err := d.event()
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.ErrUnexpectedEOF // a stream cut mid-event, as the stream watcher knows it
	}
	return typ, obj, err
}

// event reads one event object: its type, then its object, decoded as
// the type says.
func (d *eventDecoder) event() (watch.EventType, runtime.Object, error) {
	if err := readDelim(d.dec, '{'); err != nil {
		if err != io.EOF {
			err = fmt.Errorf("watch event: %w", err)
		}
		return "", nil, err
	}
	typ, obj, early, err := d.members()
	if err == nil && early != nil && typ != "" {
		obj, err = d.object(newLeanDecoder(bytes.NewReader(early)), typ)
	}
	if err != nil {
		return "", nil, fmt.Errorf("watch event: %w", described(err))
	}
	if typ == "" || obj == nil {
		return "", nil, errors.New("watch event: without a type or an object")
	}
	return typ, obj, nil
}

// members reads an event's members and its closing brace: its type and
// its object, or, should the object come before the type, the object
// raw, to decode once the type is known.
func (d *eventDecoder) members() (typ watch.EventType, obj runtime.Object, early jsontext.Value, err error) {
	var scratch [16]byte
	for d.dec.PeekKind() != '}' {
		var name []byte
		name, err = readName(d.dec, scratch[:0])
		switch {
		case err != nil:
		case string(name) == "type":
			typ, err = readEventType(d.dec)
		case string(name) == "object" && typ == "":
			early, err = d.dec.ReadValue()
			early = early.Clone()
		case string(name) == "object":
			obj, err = d.object(d.dec, typ)
		default:
			err = d.dec.SkipValue()
		}
		if err != nil {
			return "", nil, nil, err
		}
	}
	return typ, obj, early, readDelim(d.dec, '}')
}

// object decodes an event's object from dec: a Status for an error
// event, an object of the kind for any other.
func (d *eventDecoder) object(dec *jsontext.Decoder, typ watch.EventType) (runtime.Object, error) {
	if typ == watch.Error {
		raw, err := dec.ReadValue()
		if err != nil {
			return nil, err
		}
		status := &metav1.Status{}
		return status, stdjson.Unmarshal(raw, status)
	}
	return d.decode(dec)
}

// decodeList reads a list from r into list, its items with decode.
func decodeList(r io.Reader, decode objectDecoder, list runtime.Object) error {
	dec := newLeanDecoder(r)
	var items []runtime.Object
	var listMeta metav1.ListMeta
	if err := readDelim(dec, '{'); err != nil {
		return err
	}
	var scratch [16]byte
	for dec.PeekKind() != '}' {
		name, err := readName(dec, scratch[:0])
		switch {
		case err != nil:
		case string(name) == "metadata":
			err = json.UnmarshalDecode(dec, &listMeta)
		case string(name) == "items":
			items, err = readItems(dec, decode)
		default:
			err = dec.SkipValue()
		}
		if err != nil {
			return described(err)
		}
	}
	if err := readDelim(dec, '}'); err != nil {
		return err
	}
	m, err := meta.ListAccessor(list)
	if err != nil {
		return err
	}
	m.SetResourceVersion(listMeta.ResourceVersion)
	m.SetContinue(listMeta.Continue)
	m.SetRemainingItemCount(listMeta.RemainingItemCount)
	return meta.SetList(list, items)
}

// readItems reads a list's items, each with decode.
func readItems(dec *jsontext.Decoder, decode objectDecoder) ([]runtime.Object, error) {
	if dec.PeekKind() == 'n' {
		return nil, dec.SkipValue()
	}
	if err := readDelim(dec, '['); err != nil {
		return nil, err
	}
	var items []runtime.Object
	for dec.PeekKind() != ']' {
		obj, err := decode(dec)
		if err != nil {
			return nil, err
		}
		items = append(items, obj)
	}
	return items, readDelim(dec, ']')
}

// described is err with a JSON v2 semantic error, the innermost one,
// told in words of its own: the library's wording changes from one
// process to the next, on purpose.
func described(err error) error {
	var se *json.SemanticError
	if !errors.As(err, &se) {
		return err
	}
	for inner := se; errors.As(inner.Err, &inner); {
		se = inner
	}
	if se.Err != nil || se.GoType == nil {
		return fmt.Errorf("%s: %w", se.JSONPointer, se.Err)
	}
	return fmt.Errorf("%s: want %v, got a JSON %v", se.JSONPointer, se.GoType, se.JSONKind)
}

// Close ends the stream; a Decode waiting on it returns.
func (d *eventDecoder) Close() { _ = d.body.Close() }

// readEventType reads an event's type, one of the five a watch sends,
// without allocating it.
func readEventType(dec *jsontext.Decoder) (watch.EventType, error) {
	var scratch [16]byte
	raw, err := dec.ReadValue()
	if err != nil {
		return "", err
	}
	if raw.Kind() != '"' {
		return "", fmt.Errorf("type: want a string, got %s", raw)
	}
	name, err := jsontext.AppendUnquote(scratch[:0], raw)
	if err != nil {
		return "", err
	}
	for _, t := range []watch.EventType{watch.Added, watch.Modified, watch.Deleted, watch.Bookmark, watch.Error} {
		if string(name) == string(t) {
			return t, nil
		}
	}
	return "", fmt.Errorf("type: %q is no watch event type", name)
}

// readName reads an object member's name into buf, unquoted.
func readName(dec *jsontext.Decoder, buf []byte) ([]byte, error) {
	raw, err := dec.ReadValue()
	if err != nil {
		return nil, err
	}
	return jsontext.AppendUnquote(buf, raw)
}

// readDelim reads the delimiter want: '{', '}', '[' or ']'.
func readDelim(dec *jsontext.Decoder, want jsontext.Kind) error {
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	if tok.Kind() != want {
		return fmt.Errorf("want %v, got %v", want, tok.Kind())
	}
	return nil
}
