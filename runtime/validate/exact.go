package validate

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// UnmarshalExact decodes the JSON data into target, which must be a
// non-nil pointer, as json.Unmarshal would, with three differences that
// make what a handler receives exactly what a validator saw:
//   - member names match struct fields exactly: a member that differs
//     from a field's name only in case is an unknown member, ignored, not
//     the field's value;
//   - a member name repeated in one object is an error, never "the last
//     one wins";
//   - the input is read on the default budgets (DefaultMaxDepth,
//     DefaultMaxNumberLength).
//
// Generated union types decode their variants with it.
func UnmarshalExact(data []byte, target any) error {
	var r Report
	d := NewDecoder(data, &r)
	root := Root("")
	v := d.Value(&root)
	if err := d.End(); err != nil {
		return err
	}
	if !r.OK() {
		x := r.Violations()[0]
		return fmt.Errorf("%s: %s", orRoot(x.Location), x.Detail)
	}
	return Assign(v, target)
}

func orRoot(loc string) string {
	if loc == "" {
		return "(root)"
	}
	return loc
}

// Assign stores v, a value read by Decoder.Value, into target, which
// must be a non-nil pointer. Members that name no field of target's
// struct types exactly are left out before encoding/json sees them, so
// that its case-insensitive matching never applies.
func Assign(v any, target any) error {
	// Free-form values need no matching: they take v as it is, with
	// numbers as encoding/json gives them.
	switch t := target.(type) {
	case *map[string]any:
		if o, ok := v.(map[string]any); ok || v == nil {
			*t = o
			return floats(o)
		}
	case *any:
		*t = v
		return floatsIn(t)
	case *[]any:
		if a, ok := v.([]any); ok || v == nil {
			*t = a
			return floats(a)
		}
	}
	rv := reflect.ValueOf(target)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("validate: Assign needs a non-nil pointer")
	}
	raw, err := json.Marshal(exactMembers(v, rv.Type().Elem()))
	if err != nil {
		return fmt.Errorf("re-encode: %w", err)
	}
	return json.Unmarshal(raw, target)
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// decodesItself reports whether encoding/json hands values of t to t's
// own method rather than matching members to fields.
func decodesItself(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return t.Implements(jsonUnmarshaler) || pt.Implements(jsonUnmarshaler) ||
		t.Implements(textUnmarshaler) || pt.Implements(textUnmarshaler)
}

// exactMembers returns v with every object member that would land in a
// struct field only through a case-insensitive match removed, following
// the Go type t down. Values t decodes itself are kept as they are.
func exactMembers(v any, t reflect.Type) any {
	for t.Kind() == reflect.Pointer {
		if decodesItself(t) {
			return v
		}
		t = t.Elem()
	}
	if decodesItself(t) {
		return v
	}
	switch t.Kind() {
	case reflect.Struct:
		o, ok := v.(map[string]any)
		if !ok {
			return v
		}
		fields := make(map[string]reflect.Type)
		jsonFields(t, fields, 0)
		out := make(map[string]any, len(o))
		for k, x := range o {
			if ft, ok := fields[k]; ok {
				out[k] = exactMembers(x, ft)
			}
		}
		return out
	case reflect.Map:
		o, ok := v.(map[string]any)
		if !ok {
			return v
		}
		out := make(map[string]any, len(o))
		for k, x := range o {
			out[k] = exactMembers(x, t.Elem())
		}
		return out
	case reflect.Slice, reflect.Array:
		a, ok := v.([]any)
		if !ok {
			return v
		}
		out := make([]any, len(a))
		for i, x := range a {
			out[i] = exactMembers(x, t.Elem())
		}
		return out
	}
	return v
}

// maxEmbedding bounds how deeply embedded structs are followed.
const maxEmbedding = 8

// jsonFields adds the JSON names of t's fields, as encoding/json names
// them, to fields. Fields of embedded structs are promoted unless a
// shallower field has the name.
func jsonFields(t reflect.Type, fields map[string]reflect.Type, depth int) {
	var embedded []reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct && !decodesItself(et) {
				embedded = append(embedded, et)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, taken := fields[name]; !taken {
			fields[name] = f.Type
		}
	}
	if depth >= maxEmbedding {
		return
	}
	for _, et := range embedded {
		jsonFields(et, fields, depth+1)
	}
}

// ErrNumberRange is returned for a number beyond float64 where a
// free-form value must hold it as one.
var ErrNumberRange = errors.New("number is out of range")

// floats turns the json.Number values in v, a map[string]any or []any,
// into float64 in place, as json.Unmarshal into an interface gives them.
func floats(v any) error {
	switch x := v.(type) {
	case map[string]any:
		for k, y := range x {
			if n, ok := y.(json.Number); ok {
				f, err := numberFloat(n)
				if err != nil {
					return err
				}
				x[k] = f
			} else if err := floats(y); err != nil {
				return err
			}
		}
	case []any:
		for i, y := range x {
			if n, ok := y.(json.Number); ok {
				f, err := numberFloat(n)
				if err != nil {
					return err
				}
				x[i] = f
			} else if err := floats(y); err != nil {
				return err
			}
		}
	}
	return nil
}

func floatsIn(p *any) error {
	if n, ok := (*p).(json.Number); ok {
		f, err := numberFloat(n)
		*p = f
		return err
	}
	return floats(*p)
}

// numberFloat converts as encoding/json does, refusing what float64
// cannot hold.
func numberFloat(n json.Number) (float64, error) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", echoText(string(n)), ErrNumberRange)
	}
	return f, nil
}
