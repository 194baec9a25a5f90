package validate

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Type is the set of JSON types a schema allows, as bits.
type Type uint8

// JSON types.
const (
	TypeNull Type = 1 << iota
	TypeBoolean
	TypeInteger
	TypeNumber
	TypeString
	TypeArray
	TypeObject
	// TypeAny allows every type.
	TypeAny = TypeNull | TypeBoolean | TypeInteger | TypeNumber | TypeString | TypeArray | TypeObject
)

// CheckType reports whether v has one of the types in t, recording a
// violation when it does not. A number is an integer when it has no
// fraction.
func (r *Report) CheckType(p *Path, v any, t Type) bool {
	var got Type
	switch x := v.(type) {
	case nil:
		got = TypeNull
	case bool:
		got = TypeBoolean
	case json.Number:
		got = TypeNumber
		if isInteger(x) {
			got |= TypeInteger
		}
	case float64:
		got = TypeNumber
		if x == math.Trunc(x) {
			got |= TypeInteger
		}
	case string:
		got = TypeString
	case []any:
		got = TypeArray
	case map[string]any:
		got = TypeObject
	}
	if got&t != 0 {
		return true
	}
	r.Add(p, "type", "expected %s, got %s", t.String(), typeName(v))
	return false
}

// String returns the names of the types in t.
func (t Type) String() string {
	names := []string{"null", "boolean", "integer", "number", "string", "array", "object"}
	var s string
	for i, n := range names {
		if t&(1<<i) != 0 {
			if s != "" {
				s += " or "
			}
			s += n
		}
	}
	return s
}

func isInteger(n json.Number) bool {
	if _, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return true
	}
	f, err := n.Float64()
	return err == nil && f == math.Trunc(f) && !math.IsInf(f, 0)
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	}
	return 0, false
}

// Enum checks that v is one of values, compared as JSON.
func (r *Report) Enum(p *Path, v any, values ...any) {
	for _, want := range values {
		if equal(v, want) {
			return
		}
	}
	r.Add(p, "enum", "%s is not one of the allowed values", echo(v))
}

// Const checks that v equals want.
func (r *Report) Const(p *Path, v, want any) {
	if !equal(v, want) {
		r.Add(p, "const", "%s is not the required value", echo(v))
	}
}

// NumberBounds holds a number's constraints.
type NumberBounds struct {
	Min, Max                   *float64
	ExclusiveMin, ExclusiveMax bool
	MultipleOf                 *float64
	// Bits, when 32 or 64, bounds an integer to that many bits.
	Bits int
}

// Number checks v, already known to be a number, against b.
func (r *Report) Number(p *Path, v any, b *NumberBounds) {
	f, ok := number(v)
	if !ok {
		return
	}
	var text string
	switch x := v.(type) {
	case json.Number:
		text = string(x)
	case float64:
		text = strconv.FormatFloat(x, 'g', -1, 64)
	}
	r.NumberText(p, f, text, b)
}

// NumberText checks the number f, written text in the request, against b.
func (r *Report) NumberText(p *Path, f float64, text string, b *NumberBounds) {
	v := json.Number(text)
	if b.Min != nil && (f < *b.Min || b.ExclusiveMin && f == *b.Min) {
		rule := "minimum"
		if b.ExclusiveMin {
			rule = "exclusiveMinimum"
		}
		r.Add(p, rule, "%s is less than %s%v", echoText(text), orEqual(!b.ExclusiveMin), *b.Min)
	}
	if b.Max != nil && (f > *b.Max || b.ExclusiveMax && f == *b.Max) {
		rule := "maximum"
		if b.ExclusiveMax {
			rule = "exclusiveMaximum"
		}
		r.Add(p, rule, "%s is more than %s%v", echoText(text), orEqual(!b.ExclusiveMax), *b.Max)
	}
	if b.MultipleOf != nil && *b.MultipleOf > 0 && !isMultiple(v, *b.MultipleOf) {
		r.Add(p, "multipleOf", "%s is not a multiple of %v", echoText(text), *b.MultipleOf)
	}
	if b.Bits == 32 || b.Bits == 64 {
		if _, err := strconv.ParseInt(text, 10, b.Bits); err != nil && (!isIntegral(text) || f > math.MaxInt64 || f < math.MinInt64 || b.Bits == 32 && (f > math.MaxInt32 || f < math.MinInt32)) {
			r.Add(p, "format", "%s does not fit int%d", echoText(text), b.Bits)
		}
	}
}

func isIntegral(text string) bool {
	f, err := strconv.ParseFloat(text, 64)
	return err == nil && f == math.Trunc(f)
}

// NotAllowed records a value outside an enum.
func (r *Report) NotAllowed(p *Path, text string) {
	r.Add(p, "enum", "%s is not one of the allowed values", echoText(text))
}

func orEqual(inclusive bool) string {
	if inclusive {
		return ""
	}
	return "or equal to "
}

// isMultiple checks divisibility exactly on the decimal text, so that 0.3
// is a multiple of 0.1, in time linear in the text.
func isMultiple(v json.Number, m float64) bool {
	if ok, done := decimalMultiple(string(v), strconv.FormatFloat(m, 'f', -1, 64)); done {
		return ok
	}
	return multipleOf(string(v), m)
}

// StringBounds holds a string's constraints.
type StringBounds struct {
	MinLength int
	MaxLength *int // nil when unbounded
	Pattern   *Pattern
	Format    string
}

// String checks s against b.
func (r *Report) String(p *Path, s string, b *StringBounds) {
	if b.MinLength > 0 || b.MaxLength != nil {
		n := utf8.RuneCountInString(s)
		if n < b.MinLength {
			r.Add(p, "minLength", "length %d is less than %d", n, b.MinLength)
		}
		if b.MaxLength != nil && n > *b.MaxLength {
			r.Add(p, "maxLength", "length %d is more than %d", n, *b.MaxLength)
		}
	}
	if b.Pattern != nil && !b.Pattern.MatchString(s) {
		r.Add(p, "pattern", "%s does not match %s", echo(s), b.Pattern.String())
	}
	if b.Format != "" {
		if err := r.checkFormat(b.Format, s); err != nil {
			r.Add(p, "format", "%s is not a valid %s: %v", echo(s), b.Format, err)
		}
	}
}

// ArrayBounds holds an array's constraints.
type ArrayBounds struct {
	MinItems    int
	MaxItems    *int // nil when unbounded
	UniqueItems bool
}

// Array checks a against b.
func (r *Report) Array(p *Path, a []any, b *ArrayBounds) {
	if len(a) < b.MinItems {
		r.Add(p, "minItems", "%d items, fewer than %d", len(a), b.MinItems)
	}
	if b.MaxItems != nil && len(a) > *b.MaxItems {
		// Too many items already: uniqueness is not worth computing.
		r.Add(p, "maxItems", "%d items, more than %d", len(a), *b.MaxItems)
		return
	}
	if b.UniqueItems {
		uniqueValues(r, p, a)
	}
}

// ObjectBounds holds an object's constraints.
type ObjectBounds struct {
	MinProperties int
	MaxProperties *int // nil when unbounded
	// Known lists the declared properties; with Closed, any other is a
	// violation (additionalProperties: false).
	Known  map[string]bool
	Closed bool
}

// Object checks o against b. Required properties, and the properties
// themselves, are checked by generated code.
func (r *Report) Object(p *Path, o map[string]any, b *ObjectBounds) {
	if len(o) < b.MinProperties {
		r.Add(p, "minProperties", "%d properties, fewer than %d", len(o), b.MinProperties)
	}
	if b.MaxProperties != nil && len(o) > *b.MaxProperties {
		r.Add(p, "maxProperties", "%d properties, more than %d", len(o), *b.MaxProperties)
	}
	if b.Closed || r.Strict && b.Known != nil && p != r.allOfAt {
		for k := range o {
			if !b.Known[k] {
				q := p.Key(k)
				r.Add(&q, "additionalProperties", "unknown property")
			}
		}
	}
}

// Required records a missing required property.
func (r *Report) Required(p *Path, name string) {
	q := p.Key(name)
	r.Add(&q, "required", "required property is missing")
}

// ReadOnly records a readOnly property sent in a request, when the report
// forbids them.
func (r *Report) ReadOnly(p *Path) {
	if r.ReadOnlyForbidden {
		r.Add(p, "readOnly", "property is read-only and may not be sent")
	}
}

// WriteOnly records a writeOnly property in a response, when the report
// forbids them.
func (r *Report) WriteOnly(p *Path) {
	if r.WriteOnlyForbidden {
		r.Add(p, "writeOnly", "property is write-only and may not be returned")
	}
}

// Func validates a value at a path; generated code has one per schema.
type Func func(r *Report, p *Path, v any)

// AllOf checks v against every part. In strict mode the parts do not
// reject each other's properties: the whole schema's known properties,
// checked by the caller, are the union of the parts'.
func (r *Report) AllOf(p *Path, v any, parts ...Func) {
	prev := r.allOfAt
	r.allOfAt = p
	for _, f := range parts {
		f(r, p, v)
	}
	r.allOfAt = prev
}

// OneOf checks that exactly one alternative accepts v.
func (r *Report) OneOf(p *Path, v any, alts ...Func) {
	n := 0
	for _, f := range alts {
		pr := r.probe(p)
		if pr == nil {
			return
		}
		f(pr, p, v)
		if pr.OK() {
			n++
		}
	}
	switch {
	case n == 0:
		r.Add(p, "oneOf", "value matches none of the alternatives")
	case n > 1:
		r.Add(p, "oneOf", "value matches %d alternatives, not exactly one", n)
	}
}

// AnyOf checks that some alternative accepts v.
func (r *Report) AnyOf(p *Path, v any, alts ...Func) {
	for _, f := range alts {
		pr := r.probe(p)
		if pr == nil {
			return
		}
		f(pr, p, v)
		if pr.OK() {
			return
		}
	}
	r.Add(p, "anyOf", "value matches none of the alternatives")
}

// UnknownVariant records a discriminator value that names no variant.
func (r *Report) UnknownVariant(p *Path, property string, v any) {
	q := p.Key(property)
	if _, ok := v.(string); !ok {
		r.Add(&q, "discriminator", "discriminator property is missing or not a string")
		return
	}
	r.Add(&q, "discriminator", "%s names no known variant", echo(v))
}

// Float returns a pointer to f, for bounds literals.
func Float(f float64) *float64 { return &f }

// Int returns a pointer to n, for bounds literals.
func Int(n int) *int { return &n }

func equal(a, b any) bool {
	switch x := a.(type) {
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			if f, ok := b.(float64); ok {
				xf, err := x.Float64()
				return err == nil && xf == f
			}
			if i, ok := b.(int); ok {
				xf, err := x.Float64()
				return err == nil && xf == float64(i)
			}
			return false
		}
		xf, e1 := x.Float64()
		yf, e2 := y.Float64()
		return e1 == nil && e2 == nil && xf == yf
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !equal(xv, yv) {
				return false
			}
		}
		return true
	case float64:
		if n, ok := b.(json.Number); ok {
			return equal(n, x)
		}
	}
	return a == b
}

// decimalMultiple decides "a is a multiple of m" exactly for plain
// decimals of up to 15 significant digits, without allocating; done is
// false when the numbers need big arithmetic.
func decimalMultiple(a, m string) (ok, done bool) {
	ai, af, aok := splitDecimal(a)
	mi, mf, mok := splitDecimal(m)
	if !aok || !mok {
		return false, false
	}
	scale := max(len(af), len(mf))
	if len(ai)+scale > 15 || len(mi)+scale > 15 {
		return false, false
	}
	an, err1 := strconv.ParseInt(ai+af+zeros[:scale-len(af)], 10, 64)
	mn, err2 := strconv.ParseInt(mi+mf+zeros[:scale-len(mf)], 10, 64)
	if err1 != nil || err2 != nil || mn == 0 {
		return false, false
	}
	return an%mn == 0, true
}

const zeros = "000000000000000"

// splitDecimal splits "-12.50" into "-12" and "50".
func splitDecimal(s string) (intPart, frac string, ok bool) {
	if strings.ContainsAny(s, "eE") {
		return "", "", false
	}
	intPart, frac, _ = strings.Cut(s, ".")
	return intPart, frac, intPart != "" && intPart != "-"
}

// Full reports whether an array that already holds n items is at its
// maxItems: a decoder counts the items past it without decoding them.
func (b *ArrayBounds) Full(n int) bool { return b.MaxItems != nil && n >= *b.MaxItems }

// Full reports whether an object that already holds n members is at its
// maxProperties: a decoder counts the members past it without decoding
// them.
func (b *ObjectBounds) Full(n int) bool { return b.MaxProperties != nil && n >= *b.MaxProperties }
