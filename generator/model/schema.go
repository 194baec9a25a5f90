package model

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// The Go types that stand for schema types and formats.
const (
	goAny  = "any"
	goRaw  = "json.RawMessage"
	goTime = "time.Time"
)

// schemaPointer is where a schema sits in the spec, for diagnostics.
type schemaPointer = string

// typeOf returns the Go type expression for ref. Named types (structs,
// enums, unions) are declared as needed and named after hint, unless the
// schema already has a name.
func (b *builder) typeOf(ref *openapi3.SchemaRef, hint string, ptr schemaPointer) string {
	if ref == nil || ref.Value == nil {
		return goAny
	}
	s := ref.Value
	if t, ok := b.named[s]; ok {
		return t.Name
	}
	if b.depth > 64 {
		b.warn(ptr, "schema nests deeper than 64 levels; typed as any")
		return goAny
	}
	b.depth++
	defer func() { b.depth-- }()

	if needsName(s) {
		name := hint
		if ref.Ref != "" {
			if n := refName(ref.Ref); n != "" {
				name = GoName(n)
			}
		}
		t := b.declare(s, name, ptr)
		b.fill(t, s, ptr)
		return t.Name
	}
	return b.expr(s, hint, ptr)
}

// needsName reports whether a schema becomes a named Go type wherever it
// appears: structs, enums and unions need declarations.
func needsName(s *openapi3.Schema) bool {
	switch {
	case len(s.AllOf) > 0:
		return len(s.AllOf) > 1 || len(s.Properties) > 0
	case len(unionMembers(s)) > 1:
		return true
	case len(s.Enum) > 0 && enumBase(s) != "":
		return true
	case len(s.Properties) > 0:
		return true
	}
	return false
}

// declare registers a named type for s before its contents are built, so
// that recursive references find it.
func (b *builder) declare(s *openapi3.Schema, name string, ptr schemaPointer) *Type {
	t := &Type{Name: b.names.Unique(name), Doc: schemaDoc(s), Location: b.loc(ptr)}
	b.named[s] = t
	b.byName[t.Name] = t
	b.api.Types = append(b.api.Types, t)
	return t
}

// fill builds the declaration of t from s.
func (b *builder) fill(t *Type, s *openapi3.Schema, ptr schemaPointer) {
	switch {
	case len(s.AllOf) > 0 && (len(s.AllOf) > 1 || len(s.Properties) > 0):
		b.fillStruct(t, s, ptr)
	case len(unionMembers(s)) > 1:
		b.fillUnion(t, s, ptr)
	case len(s.Enum) > 0 && enumBase(s) != "":
		b.fillEnum(t, s, ptr)
	case len(s.Properties) > 0:
		b.fillStruct(t, s, ptr)
	default:
		t.Kind = DefinedType
		t.Underlying = b.expr(s, t.Name, ptr)
		if t.Underlying == t.Name {
			t.Underlying = goAny
		}
	}
}

// expr returns the Go type of a schema that needs no declaration of its own.
func (b *builder) expr(s *openapi3.Schema, hint string, ptr schemaPointer) string {
	if len(s.AllOf) == 1 {
		return b.typeOf(s.AllOf[0], hint, ptr+"/allOf/0")
	}
	if m := unionMembers(s); len(m) == 1 {
		return b.typeOf(m[0].ref, hint, ptr+m[0].ptr)
	}
	types := nonNullTypes(s)
	if len(types) > 1 {
		b.warn(ptr, "schema allows several types (%s); typed as any", strings.Join(types, ", "))
		return goAny
	}
	typ := ""
	if len(types) == 1 {
		typ = types[0]
	}
	if typ == "" {
		switch {
		case s.Items != nil:
			typ = "array"
		case s.AdditionalProperties.Schema != nil || s.AdditionalProperties.Has != nil:
			typ = "object"
		}
	}
	switch typ {
	case "string":
		switch s.Format {
		case "date-time":
			b.use("time")
			return goTime
		case "date":
			b.use("openapi_types")
			return "openapi_types.Date"
		case "uuid":
			b.use("openapi_types")
			return "openapi_types.UUID"
		case "binary":
			b.use("openapi_types")
			return "openapi_types.File"
		case "byte":
			return "[]byte"
		}
		return "string"
	case "integer":
		switch s.Format {
		case "int32":
			return "int32"
		case "int64":
			return "int64"
		}
		return "int"
	case "number":
		switch s.Format {
		case "float":
			return "float32"
		case "int32":
			return "int32"
		case "int64":
			return "int64"
		}
		return "float64"
	case "boolean":
		return "bool"
	case "array":
		return "[]" + b.typeOf(s.Items, hint+"Item", ptr+"/items")
	case "object":
		if ap := s.AdditionalProperties.Schema; ap != nil {
			return "map[string]" + b.typeOf(ap, hint+"Value", ptr+"/additionalProperties")
		}
		return "map[string]any"
	case "null":
		return goAny
	}
	return goAny
}

func (b *builder) fillStruct(t *Type, s *openapi3.Schema, ptr schemaPointer) {
	t.Kind = StructType
	props := map[string]*openapi3.SchemaRef{}
	required := map[string]bool{}
	var order []string
	var collect func(s *openapi3.Schema, ptr string, depth int)
	collect = func(s *openapi3.Schema, ptr string, depth int) {
		if depth > 32 {
			b.warn(ptr, "allOf nests deeper than 32 levels; deeper parts ignored")
			return
		}
		for i, part := range s.AllOf {
			if part == nil || part.Value == nil {
				continue
			}
			pv := part.Value
			if len(pv.Properties) == 0 && len(pv.AllOf) == 0 && (len(unionMembers(pv)) > 0 || !isObjectish(pv)) {
				if !isEmptySchema(pv) {
					b.warn(fmt.Sprintf("%s/allOf/%d", ptr, i), "allOf member is not an object; its constraints are not reflected in the Go type")
				}
				continue
			}
			collect(pv, fmt.Sprintf("%s/allOf/%d", ptr, i), depth+1)
		}
		for _, name := range sortedKeys(s.Properties) {
			if _, seen := props[name]; !seen {
				order = append(order, name)
			}
			props[name] = s.Properties[name]
		}
		for _, r := range s.Required {
			required[r] = true
		}
	}
	collect(s, ptr, 0)
	sort.Strings(order)

	var fields Namespace
	for _, name := range order {
		prop := props[name]
		fptr := ptr + "/properties/" + escapeToken(name)
		if strings.ContainsAny(name, "\",`") || strings.ContainsFunc(name, func(r rune) bool { return r < ' ' }) {
			b.warn(fptr, "property name %q cannot be written in a Go struct tag; the field is left out", name)
			continue
		}
		f := &Field{Name: fields.Unique(GoName(name)), JSONName: name, Required: required[name]}
		if prop != nil && prop.Value != nil {
			f.Doc = schemaDoc(prop.Value)
			f.Nullable = isNullable(prop.Value)
		}
		base := b.typeOf(prop, t.Name+GoName(name), fptr)
		f.GoType = base
		switch {
		case unpointerable(base):
		case !f.Required || f.Nullable:
			f.GoType, f.Pointer = "*"+base, true
		default:
			f.valueOf = base
		}
		omit := ""
		if !f.Required {
			omit = ",omitempty"
		}
		f.Tag = fmt.Sprintf("`json:%s`", strconv.Quote(name+omit))
		t.Fields = append(t.Fields, f)
	}
}

func (b *builder) fillUnion(t *Type, s *openapi3.Schema, ptr schemaPointer) {
	t.Kind = UnionType
	t.OneOf = len(s.OneOf) > 0
	b.use("encoding/json")
	var names Namespace
	byType := map[string]*Variant{}
	for i, m := range unionMembers(s) {
		goType := b.typeOf(m.ref, fmt.Sprintf("%s%d", t.Name, i), ptr+m.ptr)
		if v := byType[goType]; v != nil {
			continue
		}
		v := &Variant{Name: names.Unique(variantName(goType)), GoType: goType}
		byType[goType] = v
		t.Variants = append(t.Variants, v)
	}
	var names2 []string
	for _, v := range t.Variants {
		names2 = append(names2, v.GoType)
	}
	word := "any of"
	if t.OneOf {
		word = "exactly one of"
	}
	t.Summary = fmt.Sprintf("holds %s: %s.", word, strings.Join(names2, ", "))
	if d := s.Discriminator; d != nil && d.PropertyName != "" {
		t.Discriminator = d.PropertyName
		// A variant's schema key, when it is a component, is how mappings
		// name it, and the default discriminator value.
		keyOf := func(v *Variant) string {
			if nt := b.byName[v.GoType]; nt != nil {
				return b.schemaKey[nt]
			}
			return ""
		}
		tagged := map[string]bool{}
		for _, tag := range sortedKeys(d.Mapping) {
			target := refName(d.Mapping[tag].Ref)
			for _, v := range t.Variants {
				if k := keyOf(v); k != "" && k == target && !tagged[tag] {
					v.Tags = append(v.Tags, tag)
					tagged[tag] = true
				}
			}
		}
		if len(d.Mapping) == 0 {
			for _, v := range t.Variants {
				if k := keyOf(v); k != "" && !tagged[k] {
					v.Tags = append(v.Tags, k)
					tagged[k] = true
				}
			}
		}
	}
}

func (b *builder) fillEnum(t *Type, s *openapi3.Schema, ptr schemaPointer) {
	t.Kind = EnumType
	t.Underlying = enumBase(s)
	seen := map[string]bool{}
	for i, v := range s.Enum {
		if v == nil {
			continue // null is nullability, not a value
		}
		lit, label, ok := enumLiteral(t.Underlying, v)
		if !ok {
			b.warn(fmt.Sprintf("%s/enum/%d", ptr, i), "enum value %v does not fit type %s; left out", v, t.Underlying)
			continue
		}
		if seen[lit] {
			b.warn(fmt.Sprintf("%s/enum/%d", ptr, i), "duplicate enum value %s; kept once", lit)
			continue
		}
		seen[lit] = true
		name := t.Name + GoName(label)
		if label == "" {
			name = t.Name + "Empty"
		}
		t.Values = append(t.Values, &EnumValue{Name: b.names.Unique(name), Literal: lit})
	}
}

// enumBase returns the Go basic type of an enum's values, or "" when the
// schema's values cannot share one (then the schema is typed plainly).
func enumBase(s *openapi3.Schema) string {
	types := nonNullTypes(s)
	if len(types) > 1 {
		return ""
	}
	typ := ""
	if len(types) == 1 {
		typ = types[0]
	} else {
		for _, v := range s.Enum {
			if _, ok := v.(string); ok {
				typ = "string"
			}
		}
	}
	switch typ {
	case "string":
		if s.Format == "" || s.Format == "enum" {
			return "string"
		}
		return ""
	case "integer":
		switch s.Format {
		case "int32":
			return "int32"
		case "int64":
			return "int64"
		}
		return "int"
	}
	return ""
}

func enumLiteral(base string, v any) (lit, label string, ok bool) {
	switch base {
	case "string":
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case bool, float64, int, int64:
			s = fmt.Sprint(x)
		default:
			return "", "", false
		}
		return strconv.Quote(s), s, true
	default:
		f, isNum := v.(float64)
		if !isNum {
			if i, isInt := v.(int); isInt {
				f, isNum = float64(i), true
			}
			if i, isInt := v.(int64); isInt {
				f, isNum = float64(i), true
			}
		}
		if !isNum || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return "", "", false
		}
		if base == "int32" && (f > math.MaxInt32 || f < math.MinInt32) {
			return "", "", false
		}
		s := strconv.FormatInt(int64(f), 10)
		label := s
		if f < 0 {
			label = "Minus" + s[1:]
		}
		return s, label, true
	}
}

type member struct {
	ref *openapi3.SchemaRef
	ptr string
}

// unionMembers returns the oneOf or anyOf members that are not just null.
func unionMembers(s *openapi3.Schema) []member {
	list, key := s.OneOf, "oneOf"
	if len(list) == 0 {
		list, key = s.AnyOf, "anyOf"
	}
	var out []member
	for i, m := range list {
		if m == nil || m.Value == nil || isNullOnly(m.Value) {
			continue
		}
		out = append(out, member{ref: m, ptr: fmt.Sprintf("/%s/%d", key, i)})
	}
	return out
}

func isNullOnly(s *openapi3.Schema) bool {
	return s.Type != nil && len(s.Type.Slice()) == 1 && s.Type.Is("null")
}

func nonNullTypes(s *openapi3.Schema) []string {
	if s.Type == nil {
		return nil
	}
	var out []string
	for _, t := range s.Type.Slice() {
		if t != "null" {
			out = append(out, t)
		}
	}
	return out
}

func isNullable(s *openapi3.Schema) bool {
	if s.Nullable || (s.Type != nil && s.Type.Includes("null")) {
		return true
	}
	for _, m := range append(slices.Clone(s.OneOf), s.AnyOf...) {
		if m != nil && m.Value != nil && isNullOnly(m.Value) {
			return true
		}
	}
	return false
}

func isObjectish(s *openapi3.Schema) bool {
	return len(s.Properties) > 0 || len(s.AllOf) > 0 || (s.Type != nil && s.Type.Is("object")) || s.Type == nil
}

func isEmptySchema(s *openapi3.Schema) bool {
	return s.Type == nil && len(s.Properties) == 0 && len(s.Enum) == 0 && s.Items == nil && len(s.OneOf) == 0 && len(s.AnyOf) == 0
}

// unpointerable reports whether a field of type t stays a value even when
// optional: nil slices, maps and interfaces already mean "absent".
func unpointerable(t string) bool {
	return strings.HasPrefix(t, "[]") || strings.HasPrefix(t, "map[") || t == goAny || t == goRaw
}

// variantName derives an accessor suffix from a Go type expression.
func variantName(goType string) string {
	s := goType
	s = strings.ReplaceAll(s, "[]", "ListOf ")
	s = strings.ReplaceAll(s, "map[string]", "MapOf ")
	s = strings.ReplaceAll(s, "openapi_types.", "")
	s = strings.ReplaceAll(s, "time.", "")
	return GoName(s)
}

// refName returns the last token of a $ref's JSON pointer, or the file's
// base name when the ref has no pointer.
func refName(ref string) string {
	file, frag, _ := strings.Cut(ref, "#")
	if frag != "" {
		i := strings.LastIndex(frag, "/")
		return strings.NewReplacer("~1", "/", "~0", "~").Replace(frag[i+1:])
	}
	file = file[strings.LastIndex(file, "/")+1:]
	if i := strings.IndexByte(file, '.'); i > 0 {
		file = file[:i]
	}
	return file
}

func schemaDoc(s *openapi3.Schema) string {
	if s.Title != "" && s.Description == "" {
		return s.Title
	}
	return s.Description
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func escapeToken(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// breakCycles makes pointers of the struct fields that would otherwise
// embed a type in itself, directly or through others: every value edge
// inside a strongly connected component of the "contains by value" graph.
func breakCycles(types []*Type, byName map[string]*Type) {
	// resolve follows aliases to the struct a field really contains.
	resolve := func(name string) *Type {
		for i := 0; i < 16 && name != ""; i++ {
			t := byName[name]
			if t == nil {
				return nil
			}
			if t.Kind != DefinedType {
				return t
			}
			name = t.Underlying
		}
		return nil
	}
	for _, t := range types {
		for _, f := range t.Fields {
			if f.valueOf != "" {
				f.named = resolve(f.valueOf)
			}
		}
	}
	index := map[*Type]int{}
	low := map[*Type]int{}
	onStack := map[*Type]bool{}
	comp := map[*Type]int{}
	var stack []*Type
	next, compID := 0, 0
	var strong func(t *Type)
	strong = func(t *Type) {
		index[t], low[t] = next, next
		next++
		stack = append(stack, t)
		onStack[t] = true
		for _, f := range t.Fields {
			w := f.named
			if w == nil {
				continue
			}
			if _, seen := index[w]; !seen {
				strong(w)
				low[t] = min(low[t], low[w])
			} else if onStack[w] {
				low[t] = min(low[t], index[w])
			}
		}
		if low[t] == index[t] {
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp[w] = compID
				if w == t {
					break
				}
			}
			compID++
		}
	}
	for _, t := range types {
		if _, seen := index[t]; !seen && t.Kind == StructType {
			strong(t)
		}
	}
	for _, t := range types {
		for _, f := range t.Fields {
			if f.named != nil && comp[f.named] == comp[t] {
				f.GoType, f.Pointer = "*"+f.GoType, true
				f.named = nil
			}
		}
	}
}
