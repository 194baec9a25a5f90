package model

import (
	"strings"
	"unicode"
)

// GoKind says what shape a GoType has. Templates ask through GoType's
// methods, never by comparing numbers, so that reordering the kinds
// changes nothing.
type GoKind uint8

// The kinds of Go types the generated code uses.
const (
	// KindAny is the empty interface: a value of any JSON type.
	KindAny GoKind = iota + 1
	// KindBasic is a predeclared type: Basic names it.
	KindBasic
	// KindNamed is a type the generated package declares: Named.
	KindNamed
	// KindTime is a date-time string, as time.Time.
	KindTime
	// KindDate is a date string, as the parameter binder's Date type.
	KindDate
	// KindUUID is a uuid string, as the parameter binder's UUID type.
	KindUUID
	// KindFile is a binary string in a form, as the binder's File type.
	KindFile
	// KindBytes is a base64 string (format byte), as a byte slice.
	KindBytes
	// KindRawJSON is JSON kept as it came, undecoded.
	KindRawJSON
	// KindReader is a body of a media type other than JSON, as a stream.
	KindReader
	// KindSlice is a JSON array of Elem.
	KindSlice
	// KindMap is a JSON object with string keys and Elem values.
	KindMap
	// KindExternal is a type the spec names with x-go-type: External, as
	// the spec writes it, checked to be a Go type expression.
	KindExternal
)

// Basic names a predeclared Go type.
type Basic string

// The predeclared types that stand for JSON scalars.
const (
	String  Basic = "string"
	Bool    Basic = "bool"
	Int     Basic = "int"
	Int32   Basic = "int32"
	Int64   Basic = "int64"
	Float32 Basic = "float32"
	Float64 Basic = "float64"
)

// IsInteger reports whether b is one of the integer types.
func (b Basic) IsInteger() bool { return b == Int || b == Int32 || b == Int64 }

// IsFloat reports whether b is one of the floating-point types.
func (b Basic) IsFloat() bool { return b == Float32 || b == Float64 }

// Bits is the size of an integer type in bits: 32 for int32, 64 for the
// others.
func (b Basic) Bits() int {
	if b == Int32 {
		return 32
	}
	return 64
}

// GoType is the Go type of a schema, typed: the model never writes Go
// syntax. Render's goType function lays it out.
type GoType struct {
	Kind GoKind
	// Basic is the predeclared type of a KindBasic.
	Basic Basic
	// Named is the declared type of a KindNamed.
	Named *Type
	// Elem is the item type of a KindSlice and the value type of a
	// KindMap.
	Elem *GoType
	// External is the x-go-type of a KindExternal.
	External string
}

// The types that have no parts, shared.
var (
	anyType     = &GoType{Kind: KindAny}
	rawJSONType = &GoType{Kind: KindRawJSON}
	readerType  = &GoType{Kind: KindReader}
	timeType    = &GoType{Kind: KindTime}
	dateType    = &GoType{Kind: KindDate}
	uuidType    = &GoType{Kind: KindUUID}
	fileType    = &GoType{Kind: KindFile}
	bytesType   = &GoType{Kind: KindBytes}
)

func basicType(b Basic) *GoType    { return &GoType{Kind: KindBasic, Basic: b} }
func namedType(t *Type) *GoType    { return &GoType{Kind: KindNamed, Named: t} }
func sliceOf(elem *GoType) *GoType { return &GoType{Kind: KindSlice, Elem: elem} }
func mapOf(elem *GoType) *GoType   { return &GoType{Kind: KindMap, Elem: elem} }

// IsAny reports whether t is the empty interface.
func (t *GoType) IsAny() bool { return t.Kind == KindAny }

// IsBasic reports whether t is a predeclared scalar type.
func (t *GoType) IsBasic() bool { return t.Kind == KindBasic }

// IsNamed reports whether t is a type the generated package declares.
func (t *GoType) IsNamed() bool { return t.Kind == KindNamed }

// IsSlice reports whether t is a slice (a byte slice is KindBytes).
func (t *GoType) IsSlice() bool { return t.Kind == KindSlice }

// IsMap reports whether t is a map.
func (t *GoType) IsMap() bool { return t.Kind == KindMap }

// IsReader reports whether t is a stream.
func (t *GoType) IsReader() bool { return t.Kind == KindReader }

// Nilable reports whether the zero value of t already means "absent", so
// that an optional field of type t needs no pointer: slices, maps,
// interfaces and raw JSON.
func (t *GoType) Nilable() bool {
	switch t.Kind {
	case KindSlice, KindMap, KindAny, KindRawJSON, KindBytes, KindReader:
		return true
	}
	return false
}

// Resolve follows defined types (type X = Y) to what t stands for, at
// most a few steps.
func (t *GoType) Resolve() *GoType {
	for i := 0; i < 16 && t.Kind == KindNamed && t.Named.Kind == DefinedType && t.Named.Underlying != nil; i++ {
		t = t.Named.Underlying
	}
	return t
}

// Struct returns the struct type t stands for, or nil.
func (t *GoType) Struct() *Type {
	r := t.Resolve()
	if r.Kind == KindNamed && r.Named.Kind == StructType {
		return r.Named
	}
	return nil
}

// Union returns the union type t stands for, or nil.
func (t *GoType) Union() *Type {
	r := t.Resolve()
	if r.Kind == KindNamed && r.Named.Kind == UnionType {
		return r.Named
	}
	return nil
}

// Enum returns the enum type t stands for, or nil.
func (t *GoType) Enum() *Type {
	r := t.Resolve()
	if r.Kind == KindNamed && r.Named.Kind == EnumType {
		return r.Named
	}
	return nil
}

// Same reports whether t and u are the same Go type.
func (t *GoType) Same(u *GoType) bool {
	if t == u {
		return true
	}
	if t == nil || u == nil || t.Kind != u.Kind {
		return false
	}
	switch t.Kind {
	case KindBasic:
		return t.Basic == u.Basic
	case KindNamed:
		return t.Named == u.Named
	case KindExternal:
		return t.External == u.External
	case KindSlice, KindMap:
		return t.Elem.Same(u.Elem)
	}
	return true
}

// words names t in words, for accessor names and diagnostics: "ListOf
// Item", "MapOf string", "Time".
func (t *GoType) words() string {
	switch t.Kind {
	case KindAny:
		return "any"
	case KindBasic:
		return string(t.Basic)
	case KindNamed:
		return t.Named.Name
	case KindTime:
		return "Time"
	case KindDate:
		return "Date"
	case KindUUID:
		return "UUID"
	case KindFile:
		return "File"
	case KindBytes:
		return "Bytes"
	case KindRawJSON:
		return "RawMessage"
	case KindReader:
		return "Reader"
	case KindSlice:
		return "ListOf " + t.Elem.words()
	case KindMap:
		return "MapOf " + t.Elem.words()
	case KindExternal:
		return strings.Join(strings.FieldsFunc(t.External, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }), " ")
	}
	return "value"
}
