package model

import (
	"fmt"
	"slices"
	"testing"
)

func TestStructDecoderPlan(t *testing.T) {
	api, _ := mustBuild(t, bodySpec("3.0.3", `
    T:
      type: object
      required: [name, count, ghost, tags, when]
      additionalProperties: false
      minProperties: 1
      properties:
        name: {type: string, minLength: 1}
        count: {type: integer, format: int32, minimum: 0}
        ratio: {type: number}
        ok: {type: boolean}
        when: {type: string, format: date-time}
        day: {type: string, format: date}
        id: {type: string, format: uuid}
        blob: {type: string, format: byte}
        checkedBlob: {type: string, format: byte, maxLength: 8}
        tags: {type: array, items: {type: string}, maxItems: 3, uniqueItems: true}
        objs: {type: array, items: {$ref: "#/components/schemas/U"}, uniqueItems: true}
        dict: {type: object, additionalProperties: {type: integer}}
        child: {$ref: "#/components/schemas/U"}
        color: {$ref: "#/components/schemas/Color"}
        pet: {$ref: "#/components/schemas/Pet"}
        free: {}
        secret: {type: string, readOnly: true}
    U:
      type: object
      properties: {x: {type: string}}
    Color: {type: string, enum: [red, blue]}
    Pet:
      oneOf: [{$ref: "#/components/schemas/U"}, {type: string}]
`))
	o := opByID(t, api, "postT")
	if o.Body.Decoder != "decodeT" {
		t.Fatalf("body decoder %q, want decodeT", o.Body.Decoder)
	}
	var sd *StructDecoder
	for _, d := range api.Decoders {
		if d.Func == "decodeT" {
			sd = d
		}
	}
	if sd == nil || sd.Type != typeNamed(t, api, "T") {
		t.Fatalf("decodeT missing or not for T")
	}
	if !sd.Closed || sd.PropBounds == nil || sd.PropBounds.Object.MinProperties != 1 || sd.SeenWords != 1 {
		t.Errorf("closed %v prop bounds %v seen words %d", sd.Closed, sd.PropBounds, sd.SeenWords)
	}
	var req []string
	for _, f := range sd.Required {
		req = append(req, f.JSONName)
	}
	// Every field has its own bit, in field order: repeats are found with
	// them, and missing required members.
	for i, f := range sd.Fields {
		if f.Index != i {
			t.Errorf("field %s has bit %d, want %d", f.JSONName, f.Index, i)
		}
	}
	// Required fields in field order, then required members without a field.
	if want := []string{"count", "name", "tags", "when", "ghost"}; !slices.Equal(req, want) {
		t.Errorf("required %v, want %v", req, want)
	}
	tests := map[string]string{
		"name":        "string bounds=true",
		"count":       "int bits=32 bounds=true",
		"ratio":       "float",
		"ok":          "bool",
		"when":        "time",
		"day":         "date",
		"id":          "uuid",
		"blob":        "bytes",
		"checkedBlob": "raw",
		"tags":        "slice unique=true array=true elem=string",
		"objs":        "raw",
		"dict":        "map elem=int",
		"child":       "struct func=decodeU",
		"color":       "string enum=2",
		"pet":         "union",
		"free":        "raw",
		"ghost":       "skip",
		"secret":      "string readOnly",
	}
	for _, f := range sd.Fields {
		v := f.Value
		got := decodeWords(v)
		if f.ReadOnly {
			got += " readOnly"
		}
		if want, ok := tests[f.JSONName]; !ok || got != want {
			t.Errorf("%s: %q, want %q", f.JSONName, got, want)
		}
	}
	if len(sd.Fields) != len(tests) {
		t.Errorf("%d fields, want %d", len(sd.Fields), len(tests))
	}
	// The decoder of U was built for child, once.
	n := 0
	for _, d := range api.Decoders {
		if d.Type.Name == "U" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d decoders of U, want 1", n)
	}
}

func decodeWords(v *DecodeValue) string {
	k := v.Kind
	switch {
	case k.IsString():
		s := "string"
		if v.StringBounds != nil {
			s += " bounds=true"
		}
		if len(v.EnumValues) > 0 {
			s += fmt.Sprintf(" enum=%d", len(v.EnumValues))
		}
		return s
	case k.IsInt():
		s := fmt.Sprintf("int bits=%d", v.Bits)
		if v.NumberBounds != nil {
			s += " bounds=true"
		}
		if v.Field == "" {
			return "int"
		}
		return s
	case k.IsFloat():
		return "float"
	case k.IsBool():
		return "bool"
	case k.IsTime():
		return "time"
	case k.IsDate():
		return "date"
	case k.IsUUID():
		return "uuid"
	case k.IsBytes():
		return "bytes"
	case k.IsStruct():
		return "struct func=" + v.Func
	case k.IsSlice():
		return fmt.Sprintf("slice unique=%v array=%v elem=%s", v.Unique, v.ArrayBounds != nil, decodeWords(v.Elem))
	case k.IsMap():
		return "map elem=" + decodeWords(v.Elem)
	case k.IsRaw():
		return "raw"
	case k.IsUnion():
		return "union"
	case k.IsSkip():
		return "skip"
	}
	return fmt.Sprintf("kind %d", k)
}

func TestNoDecoderForNonStructOrRawBodies(t *testing.T) {
	api, _ := mustBuild(t, `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    post:
      operationId: list
      requestBody:
        content:
          application/json: {schema: {type: array, items: {type: string}}}
      responses: {"204": {description: ok}}
    put:
      operationId: union
      requestBody:
        content:
          application/json: {schema: {oneOf: [{type: string}, {type: integer}]}}
      responses: {"204": {description: ok}}
`)
	for _, id := range []string{"list", "union"} {
		if d := opByID(t, api, id).Body.Decoder; d != "" {
			t.Errorf("%s: decoder %q for a body that is not a struct", id, d)
		}
	}
	if len(api.Decoders) != 0 {
		t.Errorf("%d decoders, want none", len(api.Decoders))
	}
}
