package model

import (
	"fmt"
	"strings"
	"testing"

	"github.com/securegen/securegen/generator/diag"
)

// formSpec has one operation per way a form body is modeled.
const formSpec = `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /charges:
    post:
      operationId: charge
      requestBody:
        required: true
        content:
          application/json: {schema: {$ref: "#/components/schemas/Charge"}}
          application/x-www-form-urlencoded:
            schema: {$ref: "#/components/schemas/Charge"}
            encoding:
              metadata: {style: deepObject, explode: true}
              codes: {style: pipeDelimited}
              flags: {explode: false}
              spread: {style: form, explode: true}
              amount: {style: deepObject}
              nowhere: {style: form}
      responses: {"204": {description: ok}}
  /uploads:
    post:
      operationId: upload
      requestBody:
        content:
          multipart/form-data:
            schema:
              type: object
              properties:
                title: {type: string}
                file: {type: string, format: binary, minLength: 1, maxLength: 1024}
                files: {type: array, items: {type: string, format: binary, maxLength: 10}}
                meta: {type: object, properties: {v: {type: integer}}}
                typed: {type: object, properties: {v: {type: integer}}}
                raw: {type: object, properties: {v: {type: integer}}}
            encoding:
              typed: {style: deepObject}
              raw: {contentType: application/json}
      responses: {"204": {description: ok}}
  /notes:
    put:
      operationId: mixedSchemas
      requestBody:
        content:
          application/json: {schema: {$ref: "#/components/schemas/Charge"}}
          application/x-www-form-urlencoded: {schema: {type: object, properties: {x: {type: string}}}}
      responses: {"204": {description: ok}}
    post:
      operationId: notObject
      requestBody:
        content:
          application/x-www-form-urlencoded: {schema: {type: string}}
      responses: {"204": {description: ok}}
    patch:
      operationId: noSchema
      requestBody:
        content:
          multipart/form-data: {}
          application/x-www-form-urlencoded: {schema: {}}
      responses: {"204": {description: ok}}
  /tree:
    post:
      operationId: tree
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema: {$ref: "#/components/schemas/Node"}
            encoding:
              children: {style: deepObject, explode: true}
      responses: {"204": {description: ok}}
components:
  schemas:
    Charge:
      type: object
      required: [amount]
      properties:
        amount: {type: integer}
        rate: {type: number}
        capture: {type: boolean}
        note: {type: string}
        maybe: {oneOf: [{type: integer}, {type: string}]}
        metadata: {type: object, additionalProperties: {type: string}}
        codes: {type: array, items: {type: integer}}
        flags: {type: array, items: {type: boolean}}
        tags: {type: array, items: {type: string}}
        spread: {type: object, properties: {n: {type: integer}}}
        emptyable: {anyOf: [{type: array, items: {type: string}}, {type: string, enum: [""]}]}
    Node:
      type: object
      properties:
        size: {type: integer}
        children: {type: array, items: {$ref: "#/components/schemas/Node"}}
`

// describeField writes a form field's table entry in one line.
func describeField(f *FormField) string {
	return fmt.Sprintf("style=%s explode=%v file=%v json=%v bytes=%d-%d value=%s", f.Style, f.Explode, f.File, f.JSON, f.MinBytes, f.MaxBytes, describeValue(f.Value))
}

func describeValue(v *FormValue) string {
	if v == nil {
		return "text"
	}
	s := fmt.Sprint(v.Types)
	if v.Items != nil {
		s += " items:" + describeValue(v.Items)
	}
	for _, p := range v.Props {
		s += " " + p.Name + ":" + describeValue(p.Value)
	}
	if v.Additional != nil {
		s += " additional:" + describeValue(v.Additional)
	}
	return s
}

func formFields(t *testing.T, f *Form) map[string]string {
	t.Helper()
	out := map[string]string{}
	for i, ff := range f.Fields {
		if i > 0 && f.Fields[i-1].Name >= ff.Name {
			t.Errorf("fields not sorted: %s after %s", ff.Name, f.Fields[i-1].Name)
		}
		out[ff.Name] = describeField(ff)
	}
	return out
}

func TestFormTable(t *testing.T) {
	api, diags := mustBuild(t, formSpec)
	charge := opByID(t, api, "charge").Body
	if len(charge.Forms) != 1 || charge.Raw || !charge.AnyJSON || charge.Decoder != "" {
		t.Fatalf("charge body: forms %d raw %v JSON %v decoder %q; want one form, typed, no one-pass decoder", len(charge.Forms), charge.Raw, charge.AnyJSON, charge.Decoder)
	}
	f := charge.Forms[0]
	if f.MediaType != MediaURLEncoded || f.Var != "formCharge" || f.Check != charge.Check || f.Check == "" {
		t.Errorf("form %s %s check %q; want %s formCharge and the JSON body's check %q", f.MediaType, f.Var, f.Check, MediaURLEncoded, charge.Check)
	}
	if charge.Type.Named == nil || charge.Type.Named.Name != "Charge" {
		t.Errorf("charge body typed %+v, want Charge", charge.Type)
	}
	want := map[string]string{
		"amount":  "style= explode=false file=false json=false bytes=0-0 value=[integer]",
		"rate":    "style= explode=false file=false json=false bytes=0-0 value=[number]",
		"capture": "style= explode=false file=false json=false bytes=0-0 value=[boolean]",
		"note":    "style= explode=false file=false json=false bytes=0-0 value=[string]",
		// A union that admits strings keeps its text.
		"maybe":    "style= explode=false file=false json=false bytes=0-0 value=[integer string]",
		"metadata": "style=deepObject explode=true file=false json=false bytes=0-0 value=[object]",
		"codes":    "style=pipeDelimited explode=false file=false json=false bytes=0-0 value=[array] items:[integer]",
		"flags":    "style=form explode=false file=false json=false bytes=0-0 value=[array] items:[boolean]",
		"tags":     "style=form explode=true file=false json=false bytes=0-0 value=[array]",
		// An exploded form object is read as bracketed keys.
		"spread":    "style=deepObject explode=true file=false json=false bytes=0-0 value=[object] n:[integer]",
		"emptyable": "style=form explode=true file=false json=false bytes=0-0 value=[array string]",
	}
	got := formFields(t, f)
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s:\n got %s\nwant %s", name, got[name], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("fields %v, want %d", got, len(want))
	}
	warned := func(ptrSuffix, text string) bool {
		for _, d := range diags {
			if d.Severity == diag.Warning && strings.HasSuffix(d.Location.Pointer, ptrSuffix) && strings.Contains(d.Message, text) {
				return true
			}
		}
		return false
	}
	for _, w := range []struct{ ptr, text string }{
		{"/encoding/spread/style", "read as deepObject"},
		{"/encoding/nowhere", "not a property"},
	} {
		if !warned(w.ptr, w.text) {
			t.Errorf("no warning at ...%s saying %q in %v", w.ptr, w.text, diags)
		}
	}
	if !opByID(t, api, "charge").Validates {
		t.Error("an operation with a form body does not validate")
	}
}

func TestMultipartFormTable(t *testing.T) {
	api, _ := mustBuild(t, formSpec)
	body := opByID(t, api, "upload").Body
	if len(body.Forms) != 1 || body.Raw || body.AnyJSON || !body.Pointer {
		t.Fatalf("upload body: forms %d raw %v JSON %v pointer %v", len(body.Forms), body.Raw, body.AnyJSON, body.Pointer)
	}
	f := body.Forms[0]
	if f.MediaType != MediaMultipart || f.Var != "multipartUpload" {
		t.Errorf("form %s %s", f.MediaType, f.Var)
	}
	want := map[string]string{
		"title": "style= explode=false file=false json=false bytes=0-0 value=[string]",
		"file":  "style= explode=false file=true json=false bytes=1-1024 value=[string]",
		"files": "style= explode=false file=true json=false bytes=0-10 value=[array]",
		// An object part is JSON unless a style says otherwise.
		"meta":  "style= explode=false file=false json=true bytes=0-0 value=[object] v:[integer]",
		"typed": "style=deepObject explode=true file=false json=false bytes=0-0 value=[object] v:[integer]",
		"raw":   "style= explode=false file=false json=true bytes=0-0 value=[object] v:[integer]",
	}
	got := formFields(t, f)
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s:\n got %s\nwant %s", name, got[name], w)
		}
	}
	// File lengths count bytes, which the form reader checks: the check
	// of the form is built from a copy of the schema without them.
	if f.Check == "" || f.Check != "validateUploadRequestBodyForm" {
		t.Errorf("check %q, want validateUploadRequestBodyForm", f.Check)
	}
	for _, ch := range api.Checks {
		if ch.Func != f.Check {
			continue
		}
		for _, p := range ch.Props {
			if p.Name == "file" && p.Func != "checkString" {
				t.Errorf("file property checked by %s, want checkString", p.Func)
			}
		}
	}
}

func TestFormsThatStayRaw(t *testing.T) {
	api, diags := mustBuild(t, formSpec)
	tests := []struct {
		id, warning string
		forms       int
		typed       bool
	}{
		{"mixedSchemas", "schema other than", 0, true},
		{"notObject", "not an object", 0, false},
		{"noSchema", "", 0, false},
	}
	for _, tt := range tests {
		o := opByID(t, api, tt.id)
		if len(o.Body.Forms) != tt.forms || !o.Body.Raw || (o.Body.Type != nil) != tt.typed {
			t.Errorf("%s: forms %d raw %v type %v", tt.id, len(o.Body.Forms), o.Body.Raw, o.Body.Type)
		}
		found := false
		for _, d := range diags {
			if strings.Contains(d.Location.Pointer, "/paths/~1notes/") && tt.warning != "" && strings.Contains(d.Message, tt.warning) {
				found = true
			}
		}
		if tt.warning != "" && !found {
			t.Errorf("%s: no warning saying %q in %v", tt.id, tt.warning, diags)
		}
	}
	for _, d := range diags {
		if strings.Contains(d.Location.Pointer, "/paths/~1notes/patch") {
			t.Errorf("a form without a schema is raw without a warning; got %v", d)
		}
	}
}

// TestFormShapesOfARecursiveSchema: shapes stop at maxFormShapeDepth, so a
// recursive schema yields a finite table.
func TestFormShapesOfARecursiveSchema(t *testing.T) {
	api, _ := mustBuild(t, formSpec)
	f := opByID(t, api, "tree").Body.Forms[0]
	var children *FormField
	for _, ff := range f.Fields {
		if ff.Name == "children" {
			children = ff
		}
	}
	depth := 0
	for v := children.Value; v != nil && v.Items != nil; depth++ {
		next := v.Items
		v = nil
		for _, p := range next.Props {
			if p.Name == "children" {
				v = p.Value
			}
		}
	}
	if depth == 0 || depth > maxFormShapeDepth {
		t.Errorf("recursive shape %d levels deep, want 1 to %d", depth, maxFormShapeDepth)
	}
}

// TestFormsOfUnionsAndRepeatedSchemas: a oneOf of objects is a form too,
// and a schema written out again under each media type is one schema.
func TestFormsOfUnionsAndRepeatedSchemas(t *testing.T) {
	api, diags := mustBuild(t, `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /threads:
    post:
      operationId: thread
      requestBody:
        content:
          application/json:
            schema: {oneOf: [{$ref: "#/components/schemas/A"}, {$ref: "#/components/schemas/B"}]}
          application/x-www-form-urlencoded:
            schema: {oneOf: [{$ref: "#/components/schemas/A"}, {$ref: "#/components/schemas/B"}]}
          multipart/form-data:
            schema: {oneOf: [{$ref: "#/components/schemas/A"}, {$ref: "#/components/schemas/B"}]}
      responses: {"204": {description: ok}}
components:
  schemas:
    A:
      type: object
      properties: {n: {type: integer}, shared: {type: boolean}}
    B:
      type: object
      properties: {s: {type: string}, shared: {type: string}, f: {type: string, format: binary}}
`)
	body := opByID(t, api, "thread").Body
	if len(body.Forms) != 2 || body.Raw || body.Type.Union() == nil {
		t.Fatalf("union body: %d forms, raw %v, type %+v; want two forms into the union", len(body.Forms), body.Raw, body.Type)
	}
	for _, f := range body.Forms {
		if f.Check != body.Check {
			t.Errorf("%s check %q, want the JSON body's %q", f.MediaType, f.Check, body.Check)
		}
		got := formFields(t, f)
		// The first alternative that defines a name gives its shape.
		if got["shared"] != "style= explode=false file=false json=false bytes=0-0 value=[boolean]" || got["n"] == "" || got["s"] == "" {
			t.Errorf("%s fields %v", f.MediaType, got)
		}
	}
	var fileWarnings int
	for _, d := range diags {
		if strings.Contains(d.Message, "schema other than") {
			t.Errorf("repeated inline schemas taken as different: %v", d)
		}
		if strings.Contains(d.Message, "read as text, not as a file") {
			fileWarnings++
		}
	}
	if fileWarnings != 2 {
		t.Errorf("%d warnings about the file of a union body, want one per form", fileWarnings)
	}
}
