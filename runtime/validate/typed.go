package validate

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"unsafe"
)

// DecodeRaw reads the next value, at p, checks it with check (when not
// nil), and only when it is valid decodes it into target. It serves the
// values a generated decoder does not read itself: unions, free-form
// values. target receives exactly the value that was checked: member
// names match exactly, never by encoding/json's case-insensitive
// fallback, and repeated names are violations before anything is
// decoded.
func (d *Decoder) DecodeRaw(p *Path, check Func, target any) {
	d.ws()
	start := d.i
	before := d.R.count()
	v := d.Value(p)
	if d.err != nil || d.R.count() > before {
		return
	}
	raw := d.s[start:d.i]
	if check != nil {
		check(d.R, p, v)
		if d.R.count() > before {
			return
		}
	}
	var err error
	if u, ok := target.(json.Unmarshaler); ok {
		// A type that decodes itself (a generated union) keeps the text,
		// and decodes it exactly when asked. By json.Unmarshaler's contract
		// it copies what it keeps, so it may see the request's own bytes.
		err = u.UnmarshalJSON(unsafe.Slice(unsafe.StringData(raw), len(raw)))
	} else {
		err = Assign(v, target)
	}
	switch {
	case errors.Is(err, ErrNumberRange):
		d.R.Add(p, "format", "%v", err)
	case err != nil:
		d.R.Add(p, "type", "cannot be decoded: %v", err)
	}
}

// ArrayLen checks an array's length against b.
func (r *Report) ArrayLen(p *Path, n int, b *ArrayBounds) {
	if n < b.MinItems {
		r.Add(p, "minItems", "%d items, fewer than %d", n, b.MinItems)
	}
	if b.MaxItems != nil && n > *b.MaxItems {
		r.Add(p, "maxItems", "%d items, more than %d", n, *b.MaxItems)
	}
}

// PropCount checks an object's number of properties against b.
func (r *Report) PropCount(p *Path, n int, b *ObjectBounds) {
	if n < b.MinProperties {
		r.Add(p, "minProperties", "%d properties, fewer than %d", n, b.MinProperties)
	}
	if b.MaxProperties != nil && n > *b.MaxProperties {
		r.Add(p, "maxProperties", "%d properties, more than %d", n, *b.MaxProperties)
	}
}

// Unique checks that no item of list repeats an earlier one, in time
// linear in the list's length: short lists are compared pairwise, longer
// ones through a map.
func Unique[T comparable](r *Report, p *Path, list []T) {
	if len(list) <= smallObject {
		for i := 1; i < len(list); i++ {
			for j := 0; j < i; j++ {
				if list[i] == list[j] {
					q := p.Index(i)
					r.Add(&q, "uniqueItems", "item %d repeats item %d", i, j)
					return
				}
			}
		}
		return
	}
	first := make(map[T]int, len(list))
	for i, x := range list {
		if j, ok := first[x]; ok {
			q := p.Index(i)
			r.Add(&q, "uniqueItems", "item %d repeats item %d", i, j)
			return
		}
		first[x] = i
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
