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

// schemaPointer is where a schema sits in the spec, for diagnostics.
type schemaPointer = string

// typeOf returns the Go type expression for ref. Named types (structs,
// enums, unions) are declared as needed and named after hint, unless the
// schema already has a name.
func (b *builder) typeOf(ref *openapi3.SchemaRef, hint string, ptr schemaPointer) *GoType {
	if ref == nil || ref.Value == nil {
		return anyType
	}
	s := ref.Value
	if _, sibling := ref.Extensions[ExtGoType]; sibling {
		// x-go-type beside a $ref replaces the referenced type here only.
		if ext := b.external(ref, ptr); ext != nil {
			return ext
		}
	}
	if t, ok := b.named[s]; ok {
		return namedType(t)
	}
	if ext := b.external(&openapi3.SchemaRef{Value: s}, ptr); ext != nil {
		return ext
	}
	if b.depth > 64 {
		b.warn(ptr, "schema nests deeper than 64 levels; typed as any")
		return anyType
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
		if n := b.typeName(&openapi3.SchemaRef{Value: s}, ptr); n != "" {
			name = n
		}
		t := b.declare(s, name, ptr)
		b.fill(t, s, ptr)
		return namedType(t)
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
		if t.Underlying.IsNamed() && t.Underlying.Named == t {
			t.Underlying = anyType
		}
	}
}

// expr returns the Go type of a schema that needs no declaration of its own.
func (b *builder) expr(s *openapi3.Schema, hint string, ptr schemaPointer) *GoType {
	if len(s.AllOf) == 1 {
		return b.typeOf(s.AllOf[0], hint, ptr+"/allOf/0")
	}
	if m := unionMembers(s); len(m) == 1 {
		return b.typeOf(m[0].ref, hint, ptr+m[0].ptr)
	}
	types := nonNullTypes(s)
	if len(types) > 1 {
		b.warn(ptr, "schema allows several types (%s); typed as any", strings.Join(types, ", "))
		return anyType
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
			return timeType
		case "date":
			return dateType
		case "uuid":
			return uuidType
		case "binary":
			return fileType
		case "byte":
			return bytesType
		}
		return basicType(String)
	case "integer":
		switch s.Format {
		case "int32":
			return basicType(Int32)
		case "int64":
			return basicType(Int64)
		}
		return basicType(Int)
	case "number":
		switch s.Format {
		case "float":
			return basicType(Float32)
		case "int32":
			return basicType(Int32)
		case "int64":
			return basicType(Int64)
		}
		return basicType(Float64)
	case "boolean":
		return basicType(Bool)
	case "array":
		return sliceOf(b.typeOf(s.Items, hint+"Item", ptr+"/items"))
	case "object":
		if ap := s.AdditionalProperties.Schema; ap != nil {
			return mapOf(b.typeOf(ap, hint+"Value", ptr+"/additionalProperties"))
		}
		return mapOf(anyType)
	}
	return anyType
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
		goName := GoName(name)
		if n, err := b.goName(prop, fptr, ExtGoName); err != nil {
			b.fail(err)
		} else if n != "" {
			goName = n
		}
		f := &Field{Name: fields.Unique(goName), JSONName: name, Required: required[name], OmitEmpty: !required[name]}
		if prop != nil && prop.Value != nil {
			f.Doc = schemaDoc(prop.Value)
			f.Nullable = isNullable(prop.Value)
		}
		f.Type = b.typeOf(prop, t.Name+GoName(name), fptr)
		f.Pointer = !f.Type.Nilable() && (!f.Required || f.Nullable)
		if omit, set, err := b.flag(prop, fptr, ExtOmitEmpty); err != nil {
			b.fail(err)
		} else if set {
			f.OmitEmpty = omit
		}
		if skip, _, err := b.flag(prop, fptr, ExtSkipOptionalPointer); err != nil {
			b.fail(err)
		} else if skip && !f.Required {
			f.Pointer = false
		}
		t.Fields = append(t.Fields, f)
	}
}

func (b *builder) fillUnion(t *Type, s *openapi3.Schema, ptr schemaPointer) {
	t.Kind = UnionType
	t.OneOf = len(s.OneOf) > 0
	var names Namespace
variants:
	for i, m := range unionMembers(s) {
		goType := b.typeOf(m.ref, fmt.Sprintf("%s%d", t.Name, i), ptr+m.ptr)
		for _, v := range t.Variants {
			if v.Type.Same(goType) {
				continue variants
			}
		}
		t.Variants = append(t.Variants, &Variant{Name: names.Unique(GoName(goType.words())), Type: goType})
	}
	var names2 []string
	for _, v := range t.Variants {
		names2 = append(names2, v.Type.words())
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
			if v.Type.IsNamed() {
				return b.schemaKey[v.Type.Named]
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
	t.Base = enumBase(s)
	seen := map[any]bool{}
	for i, v := range s.Enum {
		if v == nil {
			continue // null is nullability, not a value
		}
		val, label, ok := enumValue(t.Base, v)
		if !ok {
			b.warn(fmt.Sprintf("%s/enum/%d", ptr, i), "enum value %v does not fit type %s; left out", v, t.Base)
			continue
		}
		if seen[val] {
			b.warn(fmt.Sprintf("%s/enum/%d", ptr, i), "duplicate enum value %v; kept once", val)
			continue
		}
		seen[val] = true
		name := t.Name + GoName(label)
		if label == "" {
			name = t.Name + "Empty"
		}
		t.Values = append(t.Values, &EnumValue{Name: b.names.Unique(name), Value: val})
	}
	if len(t.Values) == 0 {
		// No value could be a constant: a plain type over the base, whose
		// validator allows nothing, as the spec's enum does.
		b.warn(ptr+"/enum", "no enum value fits type %s; no value is accepted", t.Base)
		t.Kind, t.Underlying = DefinedType, basicType(t.Base)
	}
}

// enumBase returns the Go basic type of an enum's values, or "" when the
// schema's values cannot share one (then the schema is typed plainly).
func enumBase(s *openapi3.Schema) Basic {
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
			return String
		}
		return ""
	case "integer":
		switch s.Format {
		case "int32":
			return Int32
		case "int64":
			return Int64
		}
		return Int
	}
	return ""
}

// enumValue returns v as a value of base (a string or an int64) and the
// label its constant is named with.
func enumValue(base Basic, v any) (val any, label string, ok bool) {
	switch base {
	case String:
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case bool, float64, int, int64:
			s = fmt.Sprint(x)
		default:
			return nil, "", false
		}
		return s, s, true
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
			return nil, "", false
		}
		if base == Int32 && (f > math.MaxInt32 || f < math.MinInt32) {
			return nil, "", false
		}
		s := strconv.FormatInt(int64(f), 10)
		label := s
		if f < 0 {
			label = "Minus" + s[1:]
		}
		return int64(f), label, true
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
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// breakCycles makes pointers of the struct fields that would otherwise
// embed a type in itself, directly or through others: every value edge
// inside a strongly connected component of the "contains by value" graph.
func breakCycles(types []*Type) {
	// contains is the struct a field holds by value, or nil.
	contains := func(f *Field) *Type {
		if f.Pointer {
			return nil
		}
		return f.Type.Struct()
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
			w := contains(f)
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
			if w := contains(f); w != nil && comp[w] == comp[t] {
				f.Pointer = true
			}
		}
	}
}

// external returns the x-go-type of ref, nil when it has none; a bad one
// stops generation.
func (b *builder) external(ref *openapi3.SchemaRef, ptr string) *GoType {
	ext, err := b.externalType(ref, ptr)
	if err != nil {
		b.fail(err)
		return nil
	}
	return ext
}

// typeName returns the name x-go-name or x-go-type-name gives a type, ""
// for none; a bad one stops generation.
func (b *builder) typeName(ref *openapi3.SchemaRef, ptr string) string {
	n, err := b.goName(ref, ptr, ExtGoTypeName, ExtGoName)
	if err != nil {
		b.fail(err)
	}
	return n
}
