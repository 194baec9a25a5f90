package model

import (
	"fmt"
	"math"
	"regexp"
	"sort"
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
	// Types is the validate.Type expression of the allowed JSON types; ""
	// when every type is allowed.
	Types string
	// Enum holds the Go literals of the allowed values, as any.
	Enum []string
	// Const is the Go literal of the one allowed value (3.1 const).
	Const string
	// StringBounds, NumberBounds, ArrayBounds and ObjectBounds name the
	// package-level bounds variables; "" when the schema has none.
	StringBounds string
	NumberBounds string
	ArrayBounds  string
	ObjectBounds string
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

// Bounds is a package-level variable of constraints, initialized once.
type Bounds struct {
	Name string
	// Value is its Go composite literal.
	Value string
}

// checker builds Checks, one per schema.
type checker struct {
	b      *builder
	names  Namespace
	bySch  map[*openapi3.Schema]*Check
	byKey  map[string]*Check
	bounds map[string]string // literal → variable name
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
		ch.Func = "check" + strings.NewReplacer("validate.Type", "", "|", "Or").Replace(ch.Types)
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
	ch.Types = typesExpr(s)
	ch.Nullable = isNullable(s)
	for i, v := range s.Enum {
		if v == nil && !isNullable(s) {
			continue
		}
		lit, ok := jsonLiteral(v)
		if !ok {
			c.b.warn(fmt.Sprintf("%s/enum/%d", ptr, i), "enum value cannot be checked; left out of validation")
			continue
		}
		if !contains(ch.Enum, lit) {
			ch.Enum = append(ch.Enum, lit)
		}
	}
	if s.Const != nil {
		if lit, ok := jsonLiteral(s.Const); ok {
			ch.Const = lit
		} else {
			c.b.warn(ptr+"/const", "const value cannot be checked; left out of validation")
		}
	}
	if len(ch.Enum) > 0 && isNullable(s) && !contains(ch.Enum, "nil") {
		ch.Enum = append(ch.Enum, "nil")
	}
	ch.StringBounds = c.stringBounds(s, ptr)
	ch.NumberBounds = c.numberBounds(s, true)
	if s.Items != nil || s.MinItems > 0 || s.MaxItems != nil || s.UniqueItems {
		ch.Items = c.checkOf(s.Items, name+"Item", ptr+"/items")
		if s.MinItems > 0 || s.MaxItems != nil || s.UniqueItems {
			ch.ArrayBounds = c.bound("validate.ArrayBounds", fmt.Sprintf("validate.ArrayBounds{MinItems: %d, MaxItems: %d, UniqueItems: %v}", s.MinItems, maxOr(s.MaxItems), s.UniqueItems))
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
	var known []string
	for _, p := range sortedKeys(names) {
		known = append(known, strconv.Quote(p)+": true")
	}
	knownLit := "nil"
	if len(known) > 0 {
		knownLit = "map[string]bool{" + strings.Join(known, ", ") + "}"
	}
	if openParts || len(names) == 0 {
		// Declared extras are never unknown, even in strict mode; nor is
		// anything in a schema that declares no properties.
		knownLit = "nil"
	}
	if s.MinProps > 0 || s.MaxProps != nil || closed || knownLit != "nil" {
		ch.ObjectBounds = c.bound("validate.ObjectBounds", fmt.Sprintf("validate.ObjectBounds{MinProperties: %d, MaxProperties: %d, Known: %s, Closed: %v}",
			s.MinProps, maxOr(s.MaxProps), knownLit, closed))
	}
}

func (c *checker) stringBounds(s *openapi3.Schema, ptr string) string {
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
		return ""
	}
	pat := "nil"
	if pattern != "" {
		pat = fmt.Sprintf("validate.MustPattern(%s)", strconv.Quote(pattern))
	}
	return c.bound("validate.StringBounds", fmt.Sprintf("validate.StringBounds{MinLength: %d, MaxLength: %d, Pattern: %s, Format: %s}",
		s.MinLength, maxOr(s.MaxLength), pat, strconv.Quote(format)))
}

// numberBounds returns the bounds of a number. withBits adds the range of
// an int32 or int64 format; decoders check that while parsing.
func (c *checker) numberBounds(s *openapi3.Schema, withBits bool) string {
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
		return ""
	}
	return c.bound("validate.NumberBounds", fmt.Sprintf("validate.NumberBounds{Min: %s, Max: %s, ExclusiveMin: %v, ExclusiveMax: %v, MultipleOf: %s, Bits: %d}",
		floatPtr(min), floatPtr(max), exclMin && min != nil, exclMax && max != nil, floatPtr(s.MultipleOf), bits))
}

// bound returns the variable holding literal, declaring it once.
func (c *checker) bound(typ, literal string) string {
	if name, ok := c.bounds[literal]; ok {
		return name
	}
	name := c.names.Unique("bounds" + strconv.Itoa(len(c.bounds)+1))
	c.bounds[literal] = name
	c.b.api.Bounds = append(c.b.api.Bounds, &Bounds{Name: name, Value: literal})
	return name
}

func floatPtr(f *float64) string {
	if f == nil {
		return "nil"
	}
	return fmt.Sprintf("validate.Float(%s)", strconv.FormatFloat(*f, 'g', -1, 64))
}

func maxOr(p *uint64) int64 {
	if p == nil || *p > math.MaxInt32 {
		return -1
	}
	return int64(*p)
}

func typesExpr(s *openapi3.Schema) string {
	var types []string
	if s.Type != nil {
		types = s.Type.Slice()
	}
	var bits []string
	for _, t := range types {
		switch t {
		case "null":
			bits = append(bits, "validate.TypeNull")
		case "boolean":
			bits = append(bits, "validate.TypeBoolean")
		case "integer":
			bits = append(bits, "validate.TypeInteger")
		case "number":
			bits = append(bits, "validate.TypeNumber")
		case "string":
			bits = append(bits, "validate.TypeString")
		case "array":
			bits = append(bits, "validate.TypeArray")
		case "object":
			bits = append(bits, "validate.TypeObject")
		}
	}
	if len(bits) == 0 {
		return ""
	}
	if s.Nullable && !contains(bits, "validate.TypeNull") {
		bits = append(bits, "validate.TypeNull")
	}
	sort.Strings(bits)
	return strings.Join(dedupe(bits), "|")
}

func dedupe(list []string) []string {
	var out []string
	for i, s := range list {
		if i == 0 || s != list[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// jsonLiteral renders an enum value as the Go value encoding/json with
// UseNumber decodes it to.
func jsonLiteral(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "nil", true
	case string:
		return strconv.Quote(x), true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return fmt.Sprintf("json.Number(%q)", strconv.FormatFloat(x, 'f', -1, 64)), true
	case int:
		return fmt.Sprintf("json.Number(%q)", strconv.Itoa(x)), true
	case int64:
		return fmt.Sprintf("json.Number(%q)", strconv.FormatInt(x, 10)), true
	}
	return "", false
}

func isEmptyCheck(ch *Check) bool {
	return !ch.Nullable && ch.Types == "" && len(ch.Enum) == 0 && ch.Const == "" && ch.StringBounds == "" && ch.NumberBounds == "" && ch.ArrayBounds == "" &&
		ch.ObjectBounds == "" && ch.Items == "" && len(ch.Props) == 0 && ch.Additional == "" && len(ch.AllOf) == 0 &&
		len(ch.OneOf) == 0 && len(ch.AnyOf) == 0 && ch.Discriminator == ""
}

func onlyType(ch *Check) bool {
	t := ch.Types
	ch.Types = ""
	empty := isEmptyCheck(ch)
	ch.Types = t
	return empty && t != ""
}

func checkKey(ch *Check) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%v|%s|%v|%s|%s|%s|%s|%s|%s|%v|%v|%v|%s|", ch.Const, ch.Nullable, ch.Types, ch.Enum, ch.StringBounds, ch.NumberBounds,
		ch.ArrayBounds, ch.ObjectBounds, ch.Items, ch.Additional, ch.AllOf, ch.OneOf, ch.AnyOf, ch.Discriminator)
	for _, p := range ch.Props {
		fmt.Fprintf(&b, "%s:%v:%v:%v:%s;", p.Name, p.Required, p.ReadOnly, p.WriteOnly, p.Func)
	}
	for _, t := range ch.Tags {
		fmt.Fprintf(&b, "%s=%s;", t.Tag, t.Func)
	}
	return b.String()
}
