package validate

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// Decoder reads JSON for generated decoders, which fill typed values and
// check their constraints in one pass, without building a generic tree.
// A value of the wrong JSON type is reported to the Report and skipped;
// broken JSON stops decoding, and Err says where.
//
// The decoder reads untrusted input on a budget, taken from its Report:
// nesting deeper than MaxDepth stops decoding with a "maxDepth"
// violation, so that no request can grow the goroutine stack without
// bound; a number literal longer than MaxNumberLength is a
// "maxNumberLength" violation, so that number checks cost time linear in
// the input. Member names are matched exactly, and a name repeated in
// one object is a "duplicateKey" violation (RFC 7493, I-JSON), so that
// the value a handler receives is the one that was checked.
type Decoder struct {
	s   string
	i   int
	err error
	// first is set right after an object or array opens; pendingEnd
	// when it closed at once ({} or []).
	first, pendingEnd bool
	// R receives the violations.
	R *Report

	maxDepth, maxNumber int
	// frames holds, per open object or array, the member names seen;
	// depth is how many are open. Frames are reused from one object to
	// the next at the same depth.
	frames []frame
	depth  int
	// segs locate the value that Skip or Value is reading below the path
	// it was given: a decoder-owned stack rather than a chain of Paths,
	// so that recursion keeps the callers' Paths on their stacks.
	segs []seg

	framesInline [8]frame
	segsInline   [16]seg

	slabs slabs
}

// NewDecoder returns a decoder over data, which must not change while
// the decoder, or a string it returned, is in use. Its budgets are r's.
func NewDecoder(data []byte, r *Report) *Decoder {
	var s string
	if len(data) > 0 {
		// Strings returned for unescaped JSON strings share data's memory:
		// the caller read data for this request and never writes it again.
		s = unsafe.String(&data[0], len(data))
	}
	d := &Decoder{s: s, R: r, maxDepth: r.maxDepth(), maxNumber: r.maxNumberLength()}
	d.frames, d.segs = d.framesInline[:0], d.segsInline[:0]
	return d
}

// seg is one step below a path: a member name, or an index when key is
// "" and index is not negative.
type seg struct {
	key   string
	index int
}

// add records a violation at p followed by the current segments.
func (d *Decoder) add(p *Path, rule, format string, args ...any) {
	if len(d.segs) == 0 {
		d.R.Add(p, rule, format, args...)
		return
	}
	var b strings.Builder
	p.write(&b)
	for _, s := range d.segs {
		b.WriteByte('/')
		if s.index >= 0 {
			b.WriteString(strconv.Itoa(s.index))
		} else {
			writeToken(&b, s.key)
		}
	}
	q := Root(b.String())
	d.R.Add(&q, rule, format, args...)
}

// errBudget stops a decoder that met a budget; the violation that says
// which is in the Report.
var errBudget = errors.New("input exceeds a budget")

// Err returns the first syntax error, with its offset, or a non-nil
// error when a budget stopped decoding.
func (d *Decoder) Err() error { return d.err }

// End checks that nothing but space follows the value. It returns the
// first syntax error; a budget that stopped decoding is not an error
// here, because the Report holds it as a violation, located and named.
func (d *Decoder) End() error {
	if d.err == errBudget {
		return nil
	}
	if d.err != nil {
		return d.err
	}
	d.ws()
	if d.i < len(d.s) {
		d.fail("unexpected data after the JSON value")
	}
	return d.err
}

// exceed records a broken budget at p and stops decoding.
func (d *Decoder) exceed(p *Path, rule, format string, args ...any) {
	d.add(p, rule, format, args...)
	if d.err == nil {
		d.err = errBudget
	}
	d.i = len(d.s)
}

// frame is one open object or array.
type frame struct {
	inline [4]string
	keys   []string
	// set replaces keys once an object has many members, so that
	// finding a repeated name costs constant time, not a scan.
	set map[string]struct{}
}

// smallObject is how many member names are compared by scanning before
// an object's names go into a map.
const smallObject = 16

// add records the member name k and reports whether it was seen before.
func (f *frame) add(k string) bool {
	if f.set != nil {
		if _, ok := f.set[k]; ok {
			return true
		}
		f.set[k] = struct{}{}
		return false
	}
	for _, s := range f.keys {
		if s == k {
			return true
		}
	}
	f.keys = append(f.keys, k)
	if len(f.keys) > smallObject {
		f.set = make(map[string]struct{}, 2*len(f.keys))
		for _, s := range f.keys {
			f.set[s] = struct{}{}
		}
	}
	return false
}

// push opens a nesting level at p, or stops decoding with a maxDepth
// violation when that would be one too many.
func (d *Decoder) push(p *Path) bool {
	if d.depth >= d.maxDepth {
		d.exceed(p, "maxDepth", "nested deeper than %d levels", d.maxDepth)
		return false
	}
	if d.depth == len(d.frames) {
		d.frames = append(d.frames, frame{})
	}
	f := &d.frames[d.depth]
	f.keys = f.inline[:0]
	// A map is dropped rather than cleared: clearing costs its capacity,
	// which one large object would otherwise impose on every later one.
	f.set = nil
	d.depth++
	return true
}

func (d *Decoder) pop() {
	if d.depth > 0 {
		d.depth--
	}
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
	d.Skip(p)
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
	if !d.push(p) {
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
		d.pop()
		return false
	}
	c := d.peek()
	if d.first {
		d.first = false
		switch {
		case c == close:
			d.i++
			d.pop()
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
		d.pop()
		return false
	}
	return d.failed("expected ',' or '" + string(close) + "'")
}

func (d *Decoder) failed(msg string) bool {
	d.fail(msg)
	return false
}

// Key reads a member name and its colon, in the object at p. A name the
// object repeats is a duplicateKey violation at the member.
func (d *Decoder) Key(p *Path) string {
	k := d.Member()
	if d.err == nil {
		d.Unknown(p, k)
	}
	return k
}

// Member reads a member name and its colon, for a struct decoder that
// tracks its known members' repeats itself (see Repeated) and hands the
// others to Unknown.
func (d *Decoder) Member() string {
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

// Repeated records that member key of the object at p repeats an
// earlier one: a duplicateKey violation.
func (d *Decoder) Repeated(p *Path, key string) {
	q := p.Key(key)
	d.R.Add(&q, "duplicateKey", "member name repeats an earlier one")
}

// Unknown records member key of the object at p, which its decoder does
// not know, and reports it when the object repeats it.
func (d *Decoder) Unknown(p *Path, key string) {
	if d.depth > 0 && d.frames[d.depth-1].add(key) {
		d.Repeated(p, key)
	}
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

// Number reads a number and returns its text. A literal longer than the
// budget is a maxNumberLength violation, and ok is false.
func (d *Decoder) Number(p *Path) (string, bool) {
	c := d.peek()
	if c != '-' && (c < '0' || c > '9') {
		d.mismatch(p, "number")
		return "", false
	}
	return d.number(p)
}

// number scans a number literal at p and holds it to the length budget.
func (d *Decoder) number(p *Path) (string, bool) {
	text := d.num()
	if d.err != nil {
		return "", false
	}
	if len(text) > d.maxNumber {
		d.add(p, "maxNumberLength", "number literal of %d bytes, longer than %d", len(text), d.maxNumber)
		return "", false
	}
	return text, true
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

// Raw returns the text of the next value, at p, and skips it.
func (d *Decoder) Raw(p *Path) string {
	d.ws()
	start := d.i
	d.Skip(p)
	if d.err != nil {
		return ""
	}
	return d.s[start:d.i]
}

// Skip skips the next value, at p, holding it to the same budgets and
// rules as a value that is read: nesting depth, number length and
// repeated member names.
func (d *Decoder) Skip(p *Path) { d.value(p, false) }

// Value reads the next value, at p, as encoding/json with UseNumber
// would: map[string]any, []any, string, json.Number, bool or nil; but
// on the decoder's budgets, with exact member names, and with repeated
// names reported.
func (d *Decoder) Value(p *Path) any { return d.value(p, true) }

// value reads (when build is set) or skips the next value. Its recursion
// is bounded by the depth budget.
func (d *Decoder) value(p *Path, build bool) any {
	switch d.peek() {
	case '{':
		if !d.push(p) {
			return nil
		}
		d.i++
		var m map[string]any
		if build {
			m = map[string]any{}
		}
		d.ws()
		if d.i < len(d.s) && d.s[d.i] == '}' {
			d.i++
			d.pop()
			return m
		}
		for d.err == nil {
			k := d.Member()
			if d.err != nil {
				return m
			}
			d.segs = append(d.segs, seg{key: k, index: -1})
			if d.frames[d.depth-1].add(k) {
				d.add(p, "duplicateKey", "member name repeats an earlier one")
			}
			x := d.value(p, build)
			d.segs = d.segs[:len(d.segs)-1]
			if build {
				m[k] = x
			}
			switch d.peek() {
			case ',':
				d.i++
			case '}':
				d.i++
				d.pop()
				return m
			default:
				d.fail("expected ',' or '}'")
			}
		}
		return m
	case '[':
		if !d.push(p) {
			return nil
		}
		d.i++
		var a []any
		if build {
			a = []any{}
		}
		d.ws()
		if d.i < len(d.s) && d.s[d.i] == ']' {
			d.i++
			d.pop()
			return a
		}
		for n := 0; d.err == nil; n++ {
			d.segs = append(d.segs, seg{index: n})
			x := d.value(p, build)
			d.segs = d.segs[:len(d.segs)-1]
			if build {
				a = append(a, x)
			}
			switch d.peek() {
			case ',':
				d.i++
			case ']':
				d.i++
				d.pop()
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
	text, ok := d.number(p)
	if !ok {
		return nil
	}
	return json.Number(text)
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
