package model

import (
	"sort"

	"github.com/getkin/kin-openapi/openapi3"
)

// StructDecoder is the generated one-pass decoder of a struct type: it
// reads JSON straight into the struct and checks every constraint as it
// goes, so a valid body costs one scan and almost no allocation.
type StructDecoder struct {
	Func string
	Type *Type
	// Fields are the struct's properties, each with its Index in the seen
	// bits, which find repeated members and missing required ones;
	// Required are those that must be present.
	Fields   []*DecodeField
	Required []*DecodeField
	// SeenWords is the number of uint64 words of seen bits.
	SeenWords int
	// Closed rejects unknown properties (additionalProperties: false).
	Closed bool
	// PropBounds checks min/maxProperties; nil when unconstrained.
	PropBounds *Bounds
}

// DecodeField is one property of a StructDecoder.
type DecodeField struct {
	JSONName string
	ReadOnly bool
	// Index is the field's bit in the seen set.
	Index int
	Value *DecodeValue
}

// DecodeKind says how a generated decoder reads one JSON value.
type DecodeKind uint8

// The ways a value is read.
const (
	DecodeString DecodeKind = iota + 1
	DecodeInt
	DecodeFloat
	DecodeBool
	DecodeTime
	DecodeDate
	DecodeUUID
	DecodeBytes
	DecodeStruct
	DecodeSlice
	DecodeMap
	// DecodeRaw reads a generic value, checks it with its validator, and
	// decodes it with exact member names.
	DecodeRaw
	// DecodeUnion is DecodeRaw into a union, which keeps its own text.
	DecodeUnion
	// DecodeSkip reads past a value: a required member the struct has no
	// field for.
	DecodeSkip
)

// IsString reports whether the value is read as a string.
func (k DecodeKind) IsString() bool { return k == DecodeString }

// IsInt reports whether the value is read as an integer.
func (k DecodeKind) IsInt() bool { return k == DecodeInt }

// IsFloat reports whether the value is read as a number.
func (k DecodeKind) IsFloat() bool { return k == DecodeFloat }

// IsBool reports whether the value is read as a boolean.
func (k DecodeKind) IsBool() bool { return k == DecodeBool }

// IsTime reports whether the value is read as a date-time string.
func (k DecodeKind) IsTime() bool { return k == DecodeTime }

// IsDate reports whether the value is read as a date string.
func (k DecodeKind) IsDate() bool { return k == DecodeDate }

// IsUUID reports whether the value is read as a uuid string.
func (k DecodeKind) IsUUID() bool { return k == DecodeUUID }

// IsBytes reports whether the value is read as a base64 string.
func (k DecodeKind) IsBytes() bool { return k == DecodeBytes }

// IsStruct reports whether the value is read by a struct's decoder.
func (k DecodeKind) IsStruct() bool { return k == DecodeStruct }

// IsSlice reports whether the value is read as an array, item by item.
func (k DecodeKind) IsSlice() bool { return k == DecodeSlice }

// IsMap reports whether the value is read as an object, member by member.
func (k DecodeKind) IsMap() bool { return k == DecodeMap }

// IsRaw reports whether the value is checked as a generic value and then
// decoded.
func (k DecodeKind) IsRaw() bool { return k == DecodeRaw }

// IsUnion reports whether the value is a union that keeps its own text.
func (k DecodeKind) IsUnion() bool { return k == DecodeUnion }

// IsSkip reports whether the value is read past.
func (k DecodeKind) IsSkip() bool { return k == DecodeSkip }

// DecodeValue says how to decode one JSON value into its Go place: a
// field of the struct being decoded, or the item of an enclosing slice or
// map.
type DecodeValue struct {
	Kind DecodeKind
	// Type is the value's Go type.
	Type *GoType
	// Field is the struct field the value goes to; "" for the item of a
	// slice or map. Depth is how many slices and maps enclose the value
	// within its field: 0 for the field itself.
	Field string
	Depth int
	// Pointer is set when the place holds a pointer to Type; Nullable
	// when JSON null is allowed (then the place becomes nil, or stays the
	// zero value).
	Pointer  bool
	Nullable bool
	// Bits is the size of an integer: 32 or 64.
	Bits int
	// JSONType names the expected JSON type in messages.
	JSONType string
	// The constraints checked as the value is read; nil when none.
	StringBounds *Bounds
	NumberBounds *Bounds
	ArrayBounds  *Bounds
	PropBounds   *Bounds
	// Unique checks uniqueItems on a slice of scalars.
	Unique bool
	// EnumValues are the constants of the allowed values, when Type is an
	// enum.
	EnumValues []*EnumValue
	// Func is the struct decoder, or for raw values the validator ("" when
	// there is nothing to check).
	Func string
	// Elem decodes slice items and map values.
	Elem *DecodeValue
}

type decoders struct {
	b      *builder
	byType map[*Type]*StructDecoder
}

// structDecoder returns the decoder of the named struct t with schema s,
// building it (and the decoders it calls) on first use.
func (ds *decoders) structDecoder(t *Type, s *openapi3.Schema, ptr string) *StructDecoder {
	if sd, ok := ds.byType[t]; ok {
		return sd
	}
	sd := &StructDecoder{Func: ds.b.chk.names.Unique("decode" + t.Name), Type: t}
	ds.byType[t] = sd
	ds.b.api.Decoders = append(ds.b.api.Decoders, sd)

	props := map[string]*openapi3.SchemaRef{}
	required := map[string]bool{}
	var collect func(s *openapi3.Schema, depth int)
	collect = func(s *openapi3.Schema, depth int) {
		if depth > 32 {
			return
		}
		for _, part := range s.AllOf {
			if part != nil && part.Value != nil {
				collect(part.Value, depth+1)
			}
		}
		for name, p := range s.Properties {
			props[name] = p
		}
		for _, r := range s.Required {
			required[r] = true
		}
	}
	collect(s, 0)
	sd.Closed = s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has
	if s.MinProps > 0 || s.MaxProps != nil {
		sd.PropBounds = ds.b.chk.bound(Bounds{Object: &ObjectBounds{MinProperties: s.MinProps, MaxProperties: maxOf(s.MaxProps)}})
	}
	for _, f := range t.Fields {
		ref := props[f.JSONName]
		df := &DecodeField{JSONName: f.JSONName, Index: len(sd.Fields)}
		if ref != nil && ref.Value != nil {
			df.ReadOnly = ref.Value.ReadOnly
		}
		if required[f.JSONName] {
			sd.Required = append(sd.Required, df)
		}
		df.Value = ds.value(ref, f.Type, f.Name, f.Pointer, ptr+"/properties/"+escapeToken(f.JSONName), 0)
		sd.Fields = append(sd.Fields, df)
	}
	// Required properties the struct has no field for are still required.
	var extra []string
	for r := range required {
		found := false
		for _, f := range sd.Fields {
			if f.JSONName == r {
				found = true
			}
		}
		if !found {
			extra = append(extra, r)
		}
	}
	sort.Strings(extra)
	for _, r := range extra {
		df := &DecodeField{JSONName: r, Index: len(sd.Fields)}
		df.Value = &DecodeValue{Kind: DecodeSkip}
		sd.Required = append(sd.Required, df)
		sd.Fields = append(sd.Fields, df)
	}
	sd.SeenWords = (len(sd.Fields) + 63) / 64
	return sd
}

// value plans the decoding of the schema ref, whose Go type is typ, into
// field (or, for "", the item variable of the enclosing slice or map).
func (ds *decoders) value(ref *openapi3.SchemaRef, typ *GoType, field string, pointer bool, ptr string, depth int) *DecodeValue {
	v := &DecodeValue{Type: typ, Field: field, Depth: depth, Pointer: pointer}
	if ref != nil && ref.Value != nil {
		v.Nullable = isNullable(ref.Value)
	}
	raw := func() *DecodeValue {
		v.Kind = DecodeRaw
		v.Func = ds.b.chk.checkOf(ref, "Raw", ptr)
		// A union decodes itself: handing it its own value spares a second
		// scan.
		if typ.Union() != nil && v.Pointer {
			v.Kind = DecodeUnion
		}
		return v
	}
	if ref == nil || ref.Value == nil || depth > 8 {
		return raw()
	}
	s := ref.Value
	v.Nullable = isNullable(s)
	if len(s.OneOf) > 0 || len(s.AnyOf) > 0 || s.Not != nil {
		return raw()
	}
	if len(s.Enum) > 0 && typ.Enum() == nil {
		// An enum the Go type does not hold as constants (a date, an
		// enum of mixed values): its validator checks the values.
		return raw()
	}
	ch := ds.b.chk
	resolved := typ.Resolve()
	var basic Basic
	if resolved.IsBasic() {
		basic = resolved.Basic
	}
	if e := typ.Enum(); e != nil {
		basic = e.Base
		v.EnumValues = e.Values
	}
	switch {
	case typ.Struct() != nil:
		v.Kind, v.JSONType = DecodeStruct, "object"
		v.Func = ds.structDecoder(typ.Struct(), s, ptr).Func
	case basic == String:
		v.Kind, v.JSONType = DecodeString, "string"
		v.StringBounds = ch.stringBounds(s, ptr)
	case basic.IsInteger():
		v.Kind, v.JSONType = DecodeInt, "integer"
		v.Bits = basic.Bits()
		v.NumberBounds = ch.numberBounds(s, false)
	case basic.IsFloat():
		v.Kind, v.JSONType = DecodeFloat, "number"
		v.NumberBounds = ch.numberBounds(s, false)
	case basic == Bool:
		v.Kind, v.JSONType = DecodeBool, "boolean"
	case resolved.Kind == KindTime:
		v.Kind, v.JSONType = DecodeTime, "string"
	case resolved.Kind == KindDate:
		v.Kind, v.JSONType = DecodeDate, "string"
	case resolved.Kind == KindUUID:
		v.Kind, v.JSONType = DecodeUUID, "string"
	case resolved.Kind == KindBytes && s.Format == "byte":
		v.Kind, v.JSONType = DecodeBytes, "string"
		if s.MinLength > 0 || s.MaxLength != nil || s.Pattern != "" {
			return raw()
		}
	case resolved.IsSlice() && s.Items != nil:
		v.Kind, v.JSONType = DecodeSlice, "array"
		v.Elem = ds.value(s.Items, resolved.Elem, "", false, ptr+"/items", depth+1)
		if s.MinItems > 0 || s.MaxItems != nil {
			v.ArrayBounds = ch.bound(Bounds{Array: &ArrayBounds{MinItems: s.MinItems, MaxItems: maxOf(s.MaxItems)}})
		}
		if s.UniqueItems {
			switch v.Elem.Kind {
			case DecodeString, DecodeInt, DecodeFloat, DecodeBool:
				v.Unique = true
			default:
				return raw()
			}
		}
	case resolved.IsMap() && s.AdditionalProperties.Schema != nil && len(s.Properties) == 0:
		v.Kind, v.JSONType = DecodeMap, "object"
		v.Elem = ds.value(s.AdditionalProperties.Schema, resolved.Elem, "", false, ptr+"/additionalProperties", depth+1)
		if s.MinProps > 0 || s.MaxProps != nil {
			v.PropBounds = ch.bound(Bounds{Object: &ObjectBounds{MinProperties: s.MinProps, MaxProperties: maxOf(s.MaxProps)}})
		}
	default:
		return raw()
	}
	if v.Elem != nil && v.Elem.Kind == DecodeRaw && v.Kind != DecodeSlice && v.Kind != DecodeMap {
		return raw()
	}
	return v
}
