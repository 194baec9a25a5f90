package model

import (
	"testing"
)

func TestCycleBreaking(t *testing.T) {
	api, _ := mustBuild(t, `
openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Self:
      type: object
      required: [next, children, index, label]
      properties:
        next: {$ref: "#/components/schemas/Self"}
        children: {type: array, items: {$ref: "#/components/schemas/Self"}}
        index: {type: object, additionalProperties: {$ref: "#/components/schemas/Self"}}
        label: {type: string}
        maybe: {$ref: "#/components/schemas/Self"}
    A:
      type: object
      required: [b, leaf]
      properties:
        b: {$ref: "#/components/schemas/B"}
        leaf: {$ref: "#/components/schemas/Leaf"}
    B:
      type: object
      required: [a]
      properties:
        a: {$ref: "#/components/schemas/A"}
    C:
      type: object
      required: [a]
      properties:
        a: {$ref: "#/components/schemas/A"}
    Leaf:
      type: object
      required: [x]
      properties:
        x: {type: string}
    ViaAlias:
      type: object
      required: [self]
      properties:
        self: {$ref: "#/components/schemas/ViaAliasRef"}
    ViaAliasRef:
      allOf: [{$ref: "#/components/schemas/ViaAlias"}]
    Ring1:
      type: object
      required: [r]
      properties: {r: {$ref: "#/components/schemas/Ring2"}}
    Ring2:
      type: object
      required: [r]
      properties: {r: {$ref: "#/components/schemas/Ring3"}}
    Ring3:
      type: object
      required: [r, out]
      properties:
        r: {$ref: "#/components/schemas/Ring1"}
        out: {$ref: "#/components/schemas/Leaf"}
`)
	tests := []struct {
		typ, prop string
		pointer   bool
		why       string
	}{
		{"Self", "next", true, "a struct containing itself by a required field"},
		{"Self", "children", false, "a slice breaks the cycle"},
		{"Self", "index", false, "a map breaks the cycle"},
		{"Self", "label", false, "not part of a cycle"},
		{"Self", "maybe", true, "optional fields are pointers anyway"},
		{"A", "b", true, "edge inside the component A-B"},
		{"B", "a", true, "edge inside the component A-B"},
		{"A", "leaf", false, "edge out of the component stays a value"},
		{"C", "a", false, "edge into the component stays a value"},
		{"ViaAlias", "self", true, "a defined type that stands for the struct is followed"},
		{"Ring1", "r", true, "three-type ring"},
		{"Ring2", "r", true, "three-type ring"},
		{"Ring3", "r", true, "three-type ring"},
		{"Ring3", "out", false, "edge out of the ring"},
	}
	for _, tt := range tests {
		f := fieldNamed(t, typeNamed(t, api, tt.typ), tt.prop)
		if f.Pointer != tt.pointer {
			t.Errorf("%s.%s: Pointer %v, want %v (%s)", tt.typ, tt.prop, f.Pointer, tt.pointer, tt.why)
		}
	}
}

func TestBreakCyclesOnHandBuiltTypes(t *testing.T) {
	// breakCycles alone, on types built by hand: value edges A→B→A, B→C,
	// D→D through a pointer already, and E→A from outside.
	a := &Type{Name: "A", Kind: StructType}
	b := &Type{Name: "B", Kind: StructType}
	c := &Type{Name: "C", Kind: StructType}
	d := &Type{Name: "D", Kind: StructType}
	e := &Type{Name: "E", Kind: StructType}
	ab := &Field{Name: "B", Type: namedType(b)}
	ba := &Field{Name: "A", Type: namedType(a)}
	bc := &Field{Name: "C", Type: namedType(c)}
	dd := &Field{Name: "D", Type: namedType(d), Pointer: true}
	ea := &Field{Name: "A", Type: namedType(a)}
	a.Fields = []*Field{ab}
	b.Fields = []*Field{ba, bc}
	d.Fields = []*Field{dd}
	e.Fields = []*Field{ea}
	// E first, so that the search enters the component from outside.
	breakCycles([]*Type{e, d, c, b, a})
	for _, tt := range []struct {
		name string
		f    *Field
		want bool
	}{{"A.B", ab, true}, {"B.A", ba, true}, {"B.C", bc, false}, {"D.D", dd, true}, {"E.A", ea, false}} {
		if tt.f.Pointer != tt.want {
			t.Errorf("%s: Pointer %v, want %v", tt.name, tt.f.Pointer, tt.want)
		}
	}
}
