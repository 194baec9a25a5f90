package model

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// StructDecoder is the generated one-pass decoder of a struct type: it
// reads JSON straight into the struct and checks every constraint as it
// goes, so a valid body costs one scan and almost no allocation.
type StructDecoder struct {
	Func string
	Type string
	// Fields are the struct's properties; Required counts those that
	// must be present, each with its Index in the seen bits.
	Fields   []*DecodeField
	Required []*DecodeField
	// SeenWords is the number of uint64 words of seen bits.
	SeenWords int
	// Closed rejects unknown properties (additionalProperties: false).
	Closed bool
	// PropBounds checks min/maxProperties; "" when unconstrained.
	PropBounds string
}

// DecodeField is one property of a StructDecoder.
type DecodeField struct {
	JSONName string
	ReadOnly bool
	// Index is the field's bit in the seen set, when required.
	Index      int
	Word, Mask string
	Value      *DecodeValue
}

// DecodeValue says how to decode one JSON value into a Go location.
type DecodeValue struct {
	// Kind is string, int, float, bool, time, date, uuid, struct, slice,
	// map or raw (decoded by encoding/json after its validator ran).
	Kind string
	// GoType is the value's type; Target the Go lvalue it goes to, and
	// Path the expression of its *validate.Path.
	GoType string
	Target string
	Path   string
	// Pointer is set when Target has type *GoType; Nullable when JSON null
	// is allowed (then Target becomes nil, or stays the zero value).
	Pointer  bool
	Nullable bool
	Bits     int
	// TypeWord names the expected JSON type in messages.
	TypeWord     string
	StringBounds string
	NumberBounds string
	ArrayBounds  string
	PropBounds   string
	Unique       bool
	// EnumCases is the case list of allowed values, such as `"a", "b"`.
	EnumCases string
	// Func is the struct decoder, or for raw values the validator ("" when
	// there is nothing to check).
	Func string
	// Elem decodes slice items and map values, into Var; Index and Key
	// name the loop variables, and ElemPath the element's path variable.
	Elem     *DecodeValue
	Var      string
	Index    string
	Key      string
	ElemPath string
	// List is the local that collects slice items or map entries.
	List string
	// PtrFunc is the Decoder method that makes a pointer to a value of
	// GoType, when GoType is a basic type; "" otherwise.
	PtrFunc string
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
	sd := &StructDecoder{Func: ds.b.chk.names.Unique("decode" + t.Name), Type: t.Name}
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
		sd.PropBounds = ds.b.chk.bound("validate.ObjectBounds", fmt.Sprintf("validate.ObjectBounds{MinProperties: %d, MaxProperties: %d}", s.MinProps, maxOr(s.MaxProps)))
	}
	for _, f := range t.Fields {
		ref := props[f.JSONName]
		df := &DecodeField{JSONName: f.JSONName, Index: -1}
		if ref != nil && ref.Value != nil {
			df.ReadOnly = ref.Value.ReadOnly
		}
		if required[f.JSONName] {
			df.Index = len(sd.Required)
			df.Word = strconv.Itoa(df.Index / 64)
			df.Mask = fmt.Sprintf("1 << %d", df.Index%64)
			sd.Required = append(sd.Required, df)
		}
		base := strings.TrimPrefix(f.GoType, "*")
		df.Value = ds.value(ref, base, "v."+f.Name, "&q", f.Pointer, ptr+"/properties/"+escapeToken(f.JSONName), 0)
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
		df := &DecodeField{JSONName: r, Index: len(sd.Required)}
		df.Word = strconv.Itoa(df.Index / 64)
		df.Mask = fmt.Sprintf("1 << %d", df.Index%64)
		df.Value = &DecodeValue{Kind: "skip"}
		sd.Required = append(sd.Required, df)
		sd.Fields = append(sd.Fields, df)
	}
	sd.SeenWords = (len(sd.Required) + 63) / 64
	return sd
}

// value plans the decoding of the schema ref, whose Go type is goType,
// into target.
func (ds *decoders) value(ref *openapi3.SchemaRef, goType, target, path string, pointer bool, ptr string, depth int) *DecodeValue {
	v := &DecodeValue{GoType: goType, Target: target, Path: path, Pointer: pointer}
	if ref != nil && ref.Value != nil {
		v.Nullable = isNullable(ref.Value)
	}
	raw := func() *DecodeValue {
		v.Kind = "raw"
		v.Func = ds.b.chk.checkOf(ref, "Raw", ptr)
		// A union decodes itself: handing it its own value spares
		// encoding/json a second scan.
		if t := ds.b.byName[goType]; t != nil && t.Kind == UnionType && v.Pointer {
			v.Kind = "rawUnion"
		}
		return v
	}
	if ref == nil || ref.Value == nil || depth > 8 {
		return raw()
	}
	s := ref.Value
	v.Nullable = isNullable(s)
	t := ds.b.byName[goType]
	for i := 0; t != nil && t.Kind == DefinedType && i < 8; i++ {
		goType = t.Underlying
		t = ds.b.byName[goType]
	}
	if len(s.OneOf) > 0 || len(s.AnyOf) > 0 || s.Not != nil {
		return raw()
	}
	ch := ds.b.chk
	enumBase := ""
	if t != nil && t.Kind == EnumType {
		enumBase = t.Underlying
		var cases []string
		for _, ev := range t.Values {
			cases = append(cases, ev.Name)
		}
		v.EnumCases = strings.Join(cases, ", ")
	}
	switch {
	case t != nil && t.Kind == StructType:
		v.Kind, v.TypeWord = "struct", "object"
		v.Func = ds.structDecoder(t, s, ptr).Func
	case goType == "string" || enumBase == "string":
		v.Kind, v.TypeWord = "string", "string"
		v.StringBounds = ch.stringBounds(s, ptr)
	case goType == "int" || goType == "int32" || goType == "int64" || strings.HasPrefix(enumBase, "int"):
		v.Kind, v.TypeWord = "int", "integer"
		v.Bits = 64
		if goType == "int32" || enumBase == "int32" {
			v.Bits = 32
		}
		v.NumberBounds = ch.numberBounds(s, false)
	case goType == "float32" || goType == "float64":
		v.Kind, v.TypeWord = "float", "number"
		v.NumberBounds = ch.numberBounds(s, false)
	case goType == "bool":
		v.Kind, v.TypeWord = "bool", "boolean"
	case goType == goTime:
		v.Kind, v.TypeWord = "time", "string"
	case goType == "openapi_types.Date":
		v.Kind, v.TypeWord = "date", "string"
	case goType == "openapi_types.UUID":
		v.Kind, v.TypeWord = "uuid", "string"
	case goType == "[]byte" && s.Format == "byte":
		v.Kind, v.TypeWord = "bytes", "string"
		if s.MinLength > 0 || s.MaxLength != nil || s.Pattern != "" {
			return raw()
		}
	case strings.HasPrefix(goType, "[]") && goType != "[]byte" && s.Items != nil:
		v.Kind, v.TypeWord = "slice", "array"
		elemType := goType[2:]
		v.Index, v.Var, v.ElemPath, v.List = fmt.Sprintf("i%d", depth), fmt.Sprintf("x%d", depth), fmt.Sprintf("q%d", depth), fmt.Sprintf("list%d", depth)
		v.Elem = ds.value(s.Items, elemType, v.Var, "&"+v.ElemPath, false, ptr+"/items", depth+1)
		if s.MinItems > 0 || s.MaxItems != nil {
			v.ArrayBounds = ch.bound("validate.ArrayBounds", fmt.Sprintf("validate.ArrayBounds{MinItems: %d, MaxItems: %d, UniqueItems: false}", s.MinItems, maxOr(s.MaxItems)))
		}
		if s.UniqueItems {
			switch v.Elem.Kind {
			case "string", "int", "float", "bool":
				v.Unique = true
			default:
				return raw()
			}
		}
	case strings.HasPrefix(goType, "map[string]") && s.AdditionalProperties.Schema != nil && len(s.Properties) == 0:
		v.Kind, v.TypeWord = "map", "object"
		v.Key, v.Var, v.ElemPath, v.List = fmt.Sprintf("k%d", depth), fmt.Sprintf("x%d", depth), fmt.Sprintf("q%d", depth), fmt.Sprintf("m%d", depth)
		v.Elem = ds.value(s.AdditionalProperties.Schema, goType[len("map[string]"):], v.Var, "&"+v.ElemPath, false, ptr+"/additionalProperties", depth+1)
		if s.MinProps > 0 || s.MaxProps != nil {
			v.PropBounds = ch.bound("validate.ObjectBounds", fmt.Sprintf("validate.ObjectBounds{MinProperties: %d, MaxProperties: %d}", s.MinProps, maxOr(s.MaxProps)))
		}
	default:
		return raw()
	}
	if v.Elem != nil && v.Elem.Kind == "raw" && v.Kind != "slice" && v.Kind != "map" {
		return raw()
	}
	if v.Pointer {
		switch v.GoType {
		case "string", "int", "int32", "int64", "float32", "float64", "bool":
			v.PtrFunc = "Ptr" + GoName(v.GoType)
		}
	}
	return v
}
