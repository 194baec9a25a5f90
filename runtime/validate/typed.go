package validate

import (
	"encoding/base64"
	"encoding/json"
)

// DecodeRaw decodes the next value into target with encoding/json, after
// checking it with check (when not nil). It serves the values a
// generated decoder does not read itself: unions, free-form values.
func (d *Decoder) DecodeRaw(p *Path, check Func, target any) {
	raw := d.Raw()
	if d.err != nil {
		return
	}
	if check != nil {
		g := Decoder{s: raw, R: d.R}
		v := g.generic()
		if g.err != nil {
			d.fail(g.err.Error())
			return
		}
		before := len(d.R.violations) + d.R.dropped
		// A validator is called through a function value, which the
		// compiler must assume keeps its path: hand it a detached copy, so
		// that the caller's paths stay on the stack.
		detached := Root(p.String())
		check(d.R, &detached, v)
		if len(d.R.violations)+d.R.dropped > before {
			return
		}
	}
	// The text is valid JSON already: a type that decodes itself (a
	// generated union) needs no second scan.
	var err error
	if u, ok := target.(json.Unmarshaler); ok {
		err = u.UnmarshalJSON([]byte(raw))
	} else {
		err = json.Unmarshal([]byte(raw), target)
	}
	if err != nil {
		d.R.Add(p, "type", "cannot be decoded: %v", err)
	}
}

// generic reads the next value as encoding/json with UseNumber would:
// map[string]any, []any, string, json.Number, bool or nil.
func (d *Decoder) generic() any {
	switch d.peek() {
	case '{':
		d.i++
		m := map[string]any{}
		d.ws()
		if d.i < len(d.s) && d.s[d.i] == '}' {
			d.i++
			return m
		}
		for d.err == nil {
			k := d.Key()
			m[k] = d.generic()
			switch d.peek() {
			case ',':
				d.i++
			case '}':
				d.i++
				return m
			default:
				d.fail("expected ',' or '}'")
			}
		}
		return m
	case '[':
		d.i++
		a := []any{}
		d.ws()
		if d.i < len(d.s) && d.s[d.i] == ']' {
			d.i++
			return a
		}
		for d.err == nil {
			a = append(a, d.generic())
			switch d.peek() {
			case ',':
				d.i++
			case ']':
				d.i++
				return a
			default:
				d.fail("expected ',' or ']'")
			}
		}
		return a
	case '"':
		return d.str()
	case 't':
		d.lit("true")
		return true
	case 'f':
		d.lit("false")
		return false
	case 'n':
		d.lit("null")
		return nil
	case 0:
		return nil
	}
	return json.Number(d.num())
}

// ArrayLen checks an array's length against b.
func (r *Report) ArrayLen(p *Path, n int, b *ArrayBounds) {
	if n < b.MinItems {
		r.Add(p, "minItems", "%d items, fewer than %d", n, b.MinItems)
	}
	if b.MaxItems >= 0 && n > b.MaxItems {
		r.Add(p, "maxItems", "%d items, more than %d", n, b.MaxItems)
	}
}

// PropCount checks an object's number of properties against b.
func (r *Report) PropCount(p *Path, n int, b *ObjectBounds) {
	if n < b.MinProperties {
		r.Add(p, "minProperties", "%d properties, fewer than %d", n, b.MinProperties)
	}
	if b.MaxProperties >= 0 && n > b.MaxProperties {
		r.Add(p, "maxProperties", "%d properties, more than %d", n, b.MaxProperties)
	}
}

// Unique checks that no item of list repeats an earlier one.
func Unique[T comparable](r *Report, p *Path, list []T) {
	for i := 1; i < len(list); i++ {
		for j := 0; j < i; j++ {
			if list[i] == list[j] {
				q := p.Index(i)
				r.Add(&q, "uniqueItems", "item %d repeats item %d", i, j)
				return
			}
		}
	}
}

// ParseUUID parses a UUID in its 8-4-4-4-12 hexadecimal form.
func ParseUUID(s string) ([16]byte, error) {
	var u [16]byte
	if err := checkUUID(s); err != nil {
		return u, err
	}
	j := 0
	for i := 0; i < 36; i += 2 {
		if s[i] == '-' {
			i--
			continue
		}
		u[j] = unhex(s[i])<<4 | unhex(s[i+1])
		j++
	}
	return u, nil
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// Bytes reads a base64 string (format: byte).
func (d *Decoder) Bytes(p *Path) ([]byte, bool) {
	s, ok := d.String(p)
	if !ok {
		return nil, false
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		d.R.Add(p, "format", "not valid base64")
		return nil, false
	}
	return b, true
}
