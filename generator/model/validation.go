package model

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Check is the generated validator of one schema: a function that checks a
// decoded JSON value against the schema's constraints. Checks are shared
// by every use of a schema, and identical inline schemas share one.
type Check struct {
	Func string
	// Nullable admits null before any other check.
	Nullable bool
	// Types are the allowed JSON types; none when every type is allowed.
	Types []JSONType
	// HasEnum says the schema has an enum: the value must be one of Enum,
	// which may be empty when no value of the spec's enum could be
	// represented, and then nothing is allowed (fail closed).
	HasEnum bool
	// Enum holds the allowed values, as a generic JSON decode gives them:
	// nil, a string, a bool or a Number.
	Enum []any
	// HasConst says Const is the one allowed value (3.1 const).
	HasConst bool
	Const    any
	// The package-level bounds the value is checked against; nil when the
	// schema has none of the kind.
	StringBounds *Bounds
	NumberBounds *Bounds
	ArrayBounds  *Bounds
	ObjectBounds *Bounds
	// Items checks array items.
	Items string
	// Props check object properties; Additional checks the others.
	Props      []*PropCheck
	Additional string
	AllOf      []string
	OneOf      []string
	AnyOf      []string
	// Discriminator names the property that selects a OneOf/AnyOf
	// alternative by Tags.
	Discriminator string
	Tags          []*TagCheck
}

// JSONType is a JSON type as JSON Schema names it.
type JSONType string

// The JSON types, in the order of their names.
const (
	JSONArray   JSONType = "array"
	JSONBoolean JSONType = "boolean"
	JSONInteger JSONType = "integer"
	JSONNull    JSONType = "null"
	JSONNumber  JSONType = "number"
	JSONObject  JSONType = "object"
	JSONString  JSONType = "string"
)

// Number is a JSON number in a generic value, by its text.
type Number string

// PropCheck checks one property of an object.
type PropCheck struct {
	Name      string
	Required  bool
	ReadOnly  bool
	WriteOnly bool
	// Func is the property's validator; "" when its schema allows anything.
	Func string
}

// TagCheck maps a discriminator value to an alternative's validator.
type TagCheck struct {
	Tag  string
	Func string
}

// Bounds is a package-level variable of constraints, built once. Exactly
// one of String, Number, Array and Object is set.
type Bounds struct {
	Name   string
	String *StringBounds
	Number *NumberBounds
	Array  *ArrayBounds
	Object *ObjectBounds
}

// StringBounds are a string's constraints.
type StringBounds struct {
	MinLength uint64
	MaxLength *uint64
	// Pattern is an RE2 regular expression; "" when there is none.
	Pattern string
	// Format is a format the runtime checks; "" when there is none.
	Format string
}

// NumberBounds are a number's constraints.
type NumberBounds struct {
	Min, Max                   *float64
	ExclusiveMin, ExclusiveMax bool
	MultipleOf                 *float64
	// Bits, when 32 or 64, bounds an integer to that many bits.
	Bits int
}

// ArrayBounds are an array's constraints.
type ArrayBounds struct {
	MinItems uint64
	MaxItems *uint64
	Unique   bool
}

// ObjectBounds are an object's constraints.
type ObjectBounds struct {
	MinProperties uint64
	MaxProperties *uint64
	// Known lists the declared properties, sorted, for the unknown-property
	// checks; Closed refuses every other (additionalProperties: false).
	Known  []string
	Closed bool
}

// checker builds Checks, one per schema.
type checker struct {
	b      *builder
	names  Namespace
	bySch  map[*openapi3.Schema]*Check
	byKey  map[string]*Check
	bounds map[string]*Bounds // by boundsKey
}

// checkOf returns the name of the validator of ref, building it and
// whatever it needs; "" when the schema constrains nothing.
func (c *checker) checkOf(ref *openapi3.SchemaRef, hint, ptr string) string {
	if ref == nil || ref.Value == nil {
		return ""
	}
	s := ref.Value
	if ch, ok := c.bySch[s]; ok {
		return ch.Func
	}
	if c.b.depth > 64 {
		return ""
	}
	c.b.depth++
	defer func() { c.b.depth-- }()

	name := hint
	if t := c.b.named[s]; t != nil {
		name = t.Name
	}
	ch := &Check{Func: c.names.Unique("validate" + GoName(name))}
	// Registered before its parts are built, so recursion ends here.
	c.bySch[s] = ch
	c.fill(ch, s, name, ptr)
	if isEmptyCheck(ch) {
		ch.Func = ""
		return ""
	}
	if onlyType(ch) && c.b.named[s] == nil {
		// A bare type check has nothing to refer back to it: name it after
		// the types, so that every such check shares one function.
		var words []string
		for _, t := range ch.Types {
			words = append(words, GoName(string(t)))
		}
		ch.Func = "check" + strings.Join(words, "Or")
	}
	// Identical checks of inline schemas share one function.
	key := checkKey(ch)
	if prev, ok := c.byKey[key]; ok && c.b.named[s] == nil {
		c.bySch[s] = prev
		return prev.Func
	}
	c.byKey[key] = ch
	c.b.api.Checks = append(c.b.api.Checks, ch)
	return ch.Func
}

func (c *checker) fill(ch *Check, s *openapi3.Schema, name, ptr string) {
	ch.Types = jsonTypes(s)
	ch.Nullable = isNullable(s)
	ch.HasEnum = len(s.Enum) > 0
	for i, v := range s.Enum {
		if v == nil && !isNullable(s) {
			continue
		}
		val, ok := jsonValue(v)
		if !ok {
			c.b.warn(fmt.Sprintf("%s/enum/%d", ptr, i), "enum value cannot be checked; left out of validation")
			continue
		}
		if !slices.Contains(ch.Enum, val) {
			ch.Enum = append(ch.Enum, val)
		}
	}
	if s.Const != nil {
		if val, ok := jsonValue(s.Const); ok {
			ch.HasConst, ch.Const = true, val
		} else {
			c.b.warn(ptr+"/const", "const value cannot be checked; left out of validation")
		}
	}
	if len(ch.Enum) > 0 && isNullable(s) && !slices.Contains(ch.Enum, nil) {
		ch.Enum = append(ch.Enum, nil)
	}
	ch.StringBounds = c.stringBounds(s, ptr)
	ch.NumberBounds = c.numberBounds(s, true)
	if s.Items != nil || s.MinItems > 0 || s.MaxItems != nil || s.UniqueItems {
		ch.Items = c.checkOf(s.Items, name+"Item", ptr+"/items")
		if s.MinItems > 0 || s.MaxItems != nil || s.UniqueItems {
			ch.ArrayBounds = c.bound(Bounds{Array: &ArrayBounds{MinItems: s.MinItems, MaxItems: maxOf(s.MaxItems), Unique: s.UniqueItems}})
		}
	}
	c.fillObject(ch, s, name, ptr)
	for i, part := range s.AllOf {
		if f := c.checkOf(part, fmt.Sprintf("%sAll%d", name, i), fmt.Sprintf("%s/allOf/%d", ptr, i)); f != "" {
			ch.AllOf = append(ch.AllOf, f)
		}
	}
	alts := func(list openapi3.SchemaRefs, key string) []string {
		var out []string
		for i, m := range list {
			f := c.checkOf(m, fmt.Sprintf("%s%s%d", name, GoName(key), i), fmt.Sprintf("%s/%s/%d", ptr, key, i))
			if f == "" {
				// An alternative that allows anything makes the union
				// allow anything.
				return nil
			}
			out = append(out, f)
		}
		return out
	}
	ch.OneOf = alts(s.OneOf, "oneOf")
	ch.AnyOf = alts(s.AnyOf, "anyOf")
	if d := s.Discriminator; d != nil && d.PropertyName != "" && (len(ch.OneOf) > 0 || len(ch.AnyOf) > 0) {
		list := s.OneOf
		if len(list) == 0 {
			list = s.AnyOf
		}
		tags := map[string]string{}
		for _, tag := range sortedKeys(d.Mapping) {
			target := d.Mapping[tag].Ref
			for _, m := range list {
				if m != nil && m.Ref == target && m.Value != nil && c.bySch[m.Value] != nil {
					tags[tag] = c.bySch[m.Value].Func
				}
			}
		}
		if len(d.Mapping) == 0 {
			for _, m := range list {
				if m != nil && m.Ref != "" && m.Value != nil && c.bySch[m.Value] != nil {
					tags[refName(m.Ref)] = c.bySch[m.Value].Func
				}
			}
		}
		if len(tags) > 0 {
			ch.Discriminator = d.PropertyName
			for _, tag := range sortedKeys(tags) {
				ch.Tags = append(ch.Tags, &TagCheck{Tag: tag, Func: tags[tag]})
			}
			ch.OneOf, ch.AnyOf = nil, nil
		}
	}
}

func (c *checker) fillObject(ch *Check, s *openapi3.Schema, name, ptr string) {
	if len(s.Properties) == 0 && len(s.Required) == 0 && s.MinProps == 0 && s.MaxProps == nil && s.AdditionalProperties.Schema == nil && s.AdditionalProperties.Has == nil && len(s.AllOf) == 0 {
		return
	}
	required := map[string]bool{}
	for _, r := range s.Required {
		required[r] = true
	}
	for _, p := range sortedKeys(s.Properties) {
		prop := s.Properties[p]
		pc := &PropCheck{Name: p, Required: required[p]}
		if prop != nil && prop.Value != nil {
			pc.ReadOnly, pc.WriteOnly = prop.Value.ReadOnly, prop.Value.WriteOnly
		}
		pc.Func = c.checkOf(prop, name+GoName(p), ptr+"/properties/"+escapeToken(p))
		ch.Props = append(ch.Props, pc)
		delete(required, p)
	}
	// Required properties the schema does not describe.
	for _, r := range sortedKeys(required) {
		ch.Props = append(ch.Props, &PropCheck{Name: r, Required: true})
	}
	closed := s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has
	if ap := s.AdditionalProperties.Schema; ap != nil {
		ch.Additional = c.checkOf(ap, name+"Value", ptr+"/additionalProperties")
	}
	// Known properties include those of allOf parts: in strict mode the
	// whole schema judges unknown properties, not each part.
	names := map[string]bool{}
	openParts := false
	var collect func(s *openapi3.Schema, depth int)
	collect = func(s *openapi3.Schema, depth int) {
		for p := range s.Properties {
			names[p] = true
		}
		if s.AdditionalProperties.Schema != nil || s.AdditionalProperties.Has != nil && *s.AdditionalProperties.Has {
			openParts = true
		}
		for _, part := range s.AllOf {
			if part != nil && part.Value != nil && depth < 16 {
				collect(part.Value, depth+1)
			}
		}
	}
	collect(s, 0)
	known := sortedKeys(names)
	if openParts {
		// Declared extras are never unknown, even in strict mode.
		known = nil
	}
	if s.MinProps > 0 || s.MaxProps != nil || closed || len(known) > 0 {
		ch.ObjectBounds = c.bound(Bounds{Object: &ObjectBounds{MinProperties: s.MinProps, MaxProperties: maxOf(s.MaxProps), Known: known, Closed: closed}})
	}
}

func (c *checker) stringBounds(s *openapi3.Schema, ptr string) *Bounds {
	pattern := ""
	if s.Pattern != "" {
		if _, err := regexp.Compile(s.Pattern); err != nil {
			c.b.warn(ptr+"/pattern", "pattern %q is not an RE2 regular expression (%v); not checked", s.Pattern, err)
		} else {
			pattern = s.Pattern
		}
	}
	format := ""
	switch s.Format {
	case "", "int32", "int64", "float", "double", "binary", "password":
	default:
		format = s.Format
	}
	if s.MinLength == 0 && s.MaxLength == nil && pattern == "" && format == "" {
		return nil
	}
	return c.bound(Bounds{String: &StringBounds{MinLength: s.MinLength, MaxLength: maxOf(s.MaxLength), Pattern: pattern, Format: format}})
}

// numberBounds returns the bounds of a number. withBits adds the range of
// an int32 or int64 format; decoders check that while parsing.
func (c *checker) numberBounds(s *openapi3.Schema, withBits bool) *Bounds {
	bits := 0
	if withBits && s.Type != nil && s.Type.Includes("integer") {
		switch s.Format {
		case "int32":
			bits = 32
		case "int64":
			bits = 64
		}
	}
	exMin, exMax := s.ExclusiveMin, s.ExclusiveMax
	min, max := s.Min, s.Max
	exclMin, exclMax := false, false
	// 3.0 writes exclusiveMinimum: true beside minimum; 3.1 writes the bound.
	if exMin.Value != nil {
		min, exclMin = exMin.Value, true
	} else if exMin.Bool != nil && *exMin.Bool {
		exclMin = true
	}
	if exMax.Value != nil {
		max, exclMax = exMax.Value, true
	} else if exMax.Bool != nil && *exMax.Bool {
		exclMax = true
	}
	if min == nil && max == nil && s.MultipleOf == nil && bits == 0 {
		return nil
	}
	return c.bound(Bounds{Number: &NumberBounds{Min: min, Max: max, ExclusiveMin: exclMin && min != nil,
		ExclusiveMax: exclMax && max != nil, MultipleOf: s.MultipleOf, Bits: bits}})
}

// bound returns the package-level variable holding b's constraints,
// declaring it the first time they are needed.
func (c *checker) bound(b Bounds) *Bounds {
	key := boundsKey(&b)
	if v, ok := c.bounds[key]; ok {
		return v
	}
	b.Name = c.names.Unique("bounds" + strconv.Itoa(len(c.bounds)+1))
	v := &b
	c.bounds[key] = v
	c.b.api.Bounds = append(c.b.api.Bounds, v)
	return v
}

// boundsKey identifies equal constraints, so that they share a variable.
func boundsKey(b *Bounds) string {
	f := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return strconv.FormatFloat(*p, 'g', -1, 64)
	}
	u := func(p *uint64) string {
		if p == nil {
			return "-"
		}
		return strconv.FormatUint(*p, 10)
	}
	switch {
	case b.String != nil:
		x := b.String
		return fmt.Sprintf("s|%d|%s|%q|%q", x.MinLength, u(x.MaxLength), x.Pattern, x.Format)
	case b.Number != nil:
		x := b.Number
		return fmt.Sprintf("n|%s|%s|%v|%v|%s|%d", f(x.Min), f(x.Max), x.ExclusiveMin, x.ExclusiveMax, f(x.MultipleOf), x.Bits)
	case b.Array != nil:
		x := b.Array
		return fmt.Sprintf("a|%d|%s|%v", x.MinItems, u(x.MaxItems), x.Unique)
	case b.Object != nil:
		x := b.Object
		return fmt.Sprintf("o|%d|%s|%q|%v", x.MinProperties, u(x.MaxProperties), x.Known, x.Closed)
	}
	return ""
}

// maxOf returns a copy of an upper bound, or nil for none (or one too
// large to mean anything).
func maxOf(p *uint64) *uint64 {
	if p == nil || *p > math.MaxInt32 {
		return nil
	}
	v := *p
	return &v
}

// jsonTypes returns the JSON types s allows, in the order of their names;
// none when it allows every type.
func jsonTypes(s *openapi3.Schema) []JSONType {
	if s.Type == nil {
		return nil
	}
	var types []JSONType
	for _, t := range s.Type.Slice() {
		switch jt := JSONType(t); jt {
		case JSONArray, JSONBoolean, JSONInteger, JSONNull, JSONNumber, JSONObject, JSONString:
			if !slices.Contains(types, jt) {
				types = append(types, jt)
			}
		}
	}
	if len(types) == 0 {
		return nil
	}
	if s.Nullable && !slices.Contains(types, JSONNull) {
		types = append(types, JSONNull)
	}
	slices.Sort(types)
	return types
}

// jsonValue returns an enum or const value as a generic JSON decode with
// numbers kept as text gives it.
func jsonValue(v any) (any, bool) {
	switch x := v.(type) {
	case nil, string, bool:
		return x, true
	case float64:
		return Number(strconv.FormatFloat(x, 'f', -1, 64)), true
	case int:
		return Number(strconv.Itoa(x)), true
	case int64:
		return Number(strconv.FormatInt(x, 10)), true
	}
	return nil, false
}

func isEmptyCheck(ch *Check) bool {
	return !ch.Nullable && len(ch.Types) == 0 && !ch.HasEnum && !ch.HasConst && ch.StringBounds == nil && ch.NumberBounds == nil && ch.ArrayBounds == nil &&
		ch.ObjectBounds == nil && ch.Items == "" && len(ch.Props) == 0 && ch.Additional == "" && len(ch.AllOf) == 0 &&
		len(ch.OneOf) == 0 && len(ch.AnyOf) == 0 && ch.Discriminator == ""
}

func onlyType(ch *Check) bool {
	t := ch.Types
	ch.Types = nil
	empty := isEmptyCheck(ch)
	ch.Types = t
	return empty && len(t) > 0
}

func checkKey(ch *Check) string {
	var b strings.Builder
	name := func(b *Bounds) string {
		if b == nil {
			return ""
		}
		return b.Name
	}
	fmt.Fprintf(&b, "%v|%v|%#v|%v|%v|%#v|%s|%s|%s|%s|%s|%s|%v|%v|%v|%s|", ch.HasEnum, ch.HasConst, ch.Const, ch.Nullable, ch.Types, ch.Enum, name(ch.StringBounds), name(ch.NumberBounds),
		name(ch.ArrayBounds), name(ch.ObjectBounds), ch.Items, ch.Additional, ch.AllOf, ch.OneOf, ch.AnyOf, ch.Discriminator)
	for _, p := range ch.Props {
		fmt.Fprintf(&b, "%s:%v:%v:%v:%s;", p.Name, p.Required, p.ReadOnly, p.WriteOnly, p.Func)
	}
	for _, t := range ch.Tags {
		fmt.Fprintf(&b, "%s=%s;", t.Tag, t.Func)
	}
	return b.String()
}
