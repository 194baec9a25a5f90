package validate

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// Decoder reads JSON for generated decoders, which fill typed values and
// check their constraints in one pass, without building a generic tree.
// A value of the wrong JSON type is reported to the Report and skipped;
// broken JSON stops decoding, and Err says where.
type Decoder struct {
	s   string
	i   int
	err error
	// first is set right after an object or array opens; pendingEnd
	// when it closed at once ({} or []).
	first, pendingEnd bool
	// R receives the violations.
	R *Report

	slabs slabs
}

// NewDecoder returns a decoder over data, which must not change while
// the decoder, or a string it returned, is in use.
func NewDecoder(data []byte, r *Report) *Decoder {
	var s string
	if len(data) > 0 {
		// Strings returned for unescaped JSON strings share data's memory:
		// the caller read data for this request and never writes it again.
		s = unsafe.String(&data[0], len(data))
	}
	return &Decoder{s: s, R: r}
}

// Err returns the first syntax error, with its offset.
func (d *Decoder) Err() error { return d.err }

// End checks that nothing but space follows the value.
func (d *Decoder) End() error {
	if d.err != nil {
		return d.err
	}
	d.ws()
	if d.i < len(d.s) {
		d.fail("unexpected data after the JSON value")
	}
	return d.err
}

func (d *Decoder) fail(msg string) {
	if d.err == nil {
		d.err = fmt.Errorf("invalid JSON at offset %d: %s", d.i, msg)
	}
	d.i = len(d.s)
}

func (d *Decoder) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *Decoder) peek() byte {
	d.ws()
	if d.i >= len(d.s) {
		if d.err == nil {
			d.fail("unexpected end")
		}
		return 0
	}
	return d.s[d.i]
}

// Null consumes a null and reports whether there was one.
func (d *Decoder) Null() bool {
	if d.peek() == 'n' {
		if len(d.s)-d.i >= 4 && d.s[d.i:d.i+4] == "null" {
			d.i += 4
			return true
		}
		d.fail("invalid literal")
	}
	return false
}

// mismatch reports a value of the wrong type and skips it.
func (d *Decoder) mismatch(p *Path, want string) {
	got := "unknown"
	switch d.peek() {
	case '{':
		got = "object"
	case '[':
		got = "array"
	case '"':
		got = "string"
	case 't', 'f':
		got = "boolean"
	case 'n':
		got = "null"
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		got = "number"
	}
	d.Skip()
	if d.err == nil {
		d.R.Add(p, "type", "expected %s, got %s", want, got)
	}
}

// ObjectStart opens an object; a value of another type is reported and
// skipped, and ObjectStart returns false.
func (d *Decoder) ObjectStart(p *Path) bool { return d.open(p, '{', '}', "object") }

// More reports whether the object opened last has another member.
func (d *Decoder) More() bool { return d.next('}', true) }

// ArrayStart opens an array; a value of another type is reported and
// skipped, and ArrayStart returns false.
func (d *Decoder) ArrayStart(p *Path) bool { return d.open(p, '[', ']', "array") }

// MoreItems reports whether the array opened last has another item.
func (d *Decoder) MoreItems() bool { return d.next(']', false) }

func (d *Decoder) open(p *Path, open, close byte, want string) bool {
	if d.peek() != open {
		d.mismatch(p, want)
		return false
	}
	d.i++
	d.ws()
	if d.i < len(d.s) && d.s[d.i] == close {
		d.i++
		d.pendingEnd = true
	}
	d.first = true
	return true
}

// next moves past the separator before the next member or item, or past
// the closing bracket, and reports whether a member or item follows.
func (d *Decoder) next(close byte, object bool) bool {
	if d.err != nil {
		return false
	}
	if d.pendingEnd {
		d.pendingEnd, d.first = false, false
		return false
	}
	c := d.peek()
	if d.first {
		d.first = false
		switch {
		case c == close:
			d.i++
			return false
		case object && c != '"':
			return d.failed("expected a property name")
		}
		return d.err == nil
	}
	switch c {
	case ',':
		d.i++
		return true
	case close:
		d.i++
		return false
	}
	return d.failed("expected ',' or '" + string(close) + "'")
}

func (d *Decoder) failed(msg string) bool {
	d.fail(msg)
	return false
}

// Key reads a property name and its colon.
func (d *Decoder) Key() string {
	if d.peek() != '"' {
		d.fail("expected a property name")
		return ""
	}
	k := d.str()
	if d.peek() != ':' {
		d.fail("expected ':'")
		return ""
	}
	d.i++
	return k
}

// String reads a string.
func (d *Decoder) String(p *Path) (string, bool) {
	if d.peek() != '"' {
		d.mismatch(p, "string")
		return "", false
	}
	return d.str(), d.err == nil
}

// Bool reads a boolean.
func (d *Decoder) Bool(p *Path) (bool, bool) {
	switch d.peek() {
	case 't':
		if len(d.s)-d.i >= 4 && d.s[d.i:d.i+4] == "true" {
			d.i += 4
			return true, true
		}
	case 'f':
		if len(d.s)-d.i >= 5 && d.s[d.i:d.i+5] == "false" {
			d.i += 5
			return false, true
		}
	default:
		d.mismatch(p, "boolean")
		return false, false
	}
	d.fail("invalid literal")
	return false, false
}

// Number reads a number and returns its text.
func (d *Decoder) Number(p *Path) (string, bool) {
	c := d.peek()
	if c != '-' && (c < '0' || c > '9') {
		d.mismatch(p, "number")
		return "", false
	}
	return d.num(), d.err == nil
}

// Int reads an integer that fits in bits (32 or 64).
func (d *Decoder) Int(p *Path, bits int) (int64, string, bool) {
	text, ok := d.Number(p)
	if !ok {
		return 0, "", false
	}
	n, err := strconv.ParseInt(text, 10, bits)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			d.R.Add(p, "format", "%s does not fit int%d", echoText(text), bits)
			return 0, text, false
		}
		// 1.0 and 1e3 are integers too.
		f, ferr := strconv.ParseFloat(text, 64)
		if ferr != nil || f != float64(int64(f)) {
			d.R.Add(p, "type", "expected integer, got number")
			return 0, text, false
		}
		n = int64(f)
	}
	return n, text, true
}

// Float reads a number.
func (d *Decoder) Float(p *Path) (float64, string, bool) {
	text, ok := d.Number(p)
	if !ok {
		return 0, "", false
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		d.R.Add(p, "format", "%s is out of range", echoText(text))
		return 0, text, false
	}
	return f, text, true
}

// Raw returns the text of the next value and skips it.
func (d *Decoder) Raw() string {
	d.ws()
	start := d.i
	d.Skip()
	return d.s[start:d.i]
}

// Skip skips the next value.
func (d *Decoder) Skip() {
	switch d.peek() {
	case '{':
		d.i++
		d.ws()
		if d.i < len(d.s) && d.s[d.i] == '}' {
			d.i++
			return
		}
		for d.err == nil {
			if d.peek() != '"' {
				d.fail("expected a property name")
				return
			}
			d.str()
			if d.peek() != ':' {
				d.fail("expected ':'")
				return
			}
			d.i++
			d.Skip()
			switch d.peek() {
			case ',':
				d.i++
			case '}':
				d.i++
				return
			default:
				d.fail("expected ',' or '}'")
			}
		}
	case '[':
		d.i++
		d.ws()
		if d.i < len(d.s) && d.s[d.i] == ']' {
			d.i++
			return
		}
		for d.err == nil {
			d.Skip()
			switch d.peek() {
			case ',':
				d.i++
			case ']':
				d.i++
				return
			default:
				d.fail("expected ',' or ']'")
			}
		}
	case '"':
		d.str()
	case 't':
		d.lit("true")
	case 'f':
		d.lit("false")
	case 'n':
		d.lit("null")
	case 0:
	default:
		d.num()
	}
}

func (d *Decoder) lit(s string) {
	if len(d.s)-d.i >= len(s) && d.s[d.i:d.i+len(s)] == s {
		d.i += len(s)
		return
	}
	d.fail("invalid literal")
}

// num scans a JSON number.
func (d *Decoder) num() string {
	start := d.i
	s := d.s
	i := d.i
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		d.i = i
		d.fail("invalid number")
		return ""
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			d.i = i
			d.fail("invalid number")
			return ""
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			d.i = i
			d.fail("invalid number")
			return ""
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	d.i = i
	return s[start:i]
}

// plain marks the bytes a JSON string holds as they are: not the quote,
// the backslash, control characters or the start of a multi-byte rune.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str scans a JSON string at d.i and returns its value.
func (d *Decoder) str() string {
	s := d.s
	i := d.i + 1
	start := i
	for i < len(s) {
		// Most strings are plain ASCII: skip those bytes in a tight loop.
		for i < len(s) && plain[s[i]] {
			i++
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		switch {
		case c == '"':
			d.i = i + 1
			return s[start:i]
		case c == '\\':
			return d.unescape(start)
		case c < 0x20:
			d.i = i
			d.fail("control character in string")
			return ""
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				// As encoding/json does: invalid bytes read as U+FFFD.
				return d.unescape(start)
			}
			i += size
		}
	}
	d.i = len(s)
	d.fail("unterminated string")
	return ""
}

func (d *Decoder) unescape(start int) string {
	s := d.s
	b := make([]byte, 0, 16)
	i := start
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			d.i = i + 1
			return string(b)
		case c < 0x20:
			d.i = i
			d.fail("control character in string")
			return ""
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = utf8.AppendRune(b, utf8.RuneError)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		case c != '\\':
			b = append(b, c)
			i++
			continue
		}
		if i+1 >= len(s) {
			break
		}
		switch e := s[i+1]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, n := hex4(s, i+2)
			if n < 0 {
				d.i = i
				d.fail("invalid \\u escape")
				return ""
			}
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if x, m := hex4(s, i+2); m >= 0 {
						r2 = x
					}
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			b = utf8.AppendRune(b, r)
			continue
		default:
			d.i = i
			d.fail("invalid escape")
			return ""
		}
		i += 2
	}
	d.i = len(s)
	d.fail("unterminated string")
	return ""
}

func hex4(s string, i int) (rune, int) {
	if i+4 > len(s) {
		return 0, -1
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		r <<= 4
		switch {
		case '0' <= c && c <= '9':
			r |= rune(c - '0')
		case 'a' <= c && c <= 'f':
			r |= rune(c - 'a' + 10)
		case 'A' <= c && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, -1
		}
	}
	return r, 4
}

func echoText(s string) string {
	if len(s) > maxEcho {
		return s[:maxEcho] + "…"
	}
	return s
}
