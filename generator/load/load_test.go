package load

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/securegen/securegen/generator/diag"
)

// specs is the directory of the loader's hand-written specs.
const specs = "../../testdata/specs/load"

func loadSpec(t *testing.T, path string) (*Spec, []diag.Diagnostic) {
	t.Helper()
	var sink diag.Sink
	s, err := Load(context.Background(), path, &sink)
	if err != nil {
		t.Fatal(err)
	}
	return s, sink.All()
}

// TestDeepRefs loads references into the middle of other parts of the
// document: into an operation's schema nested in combinators, through a
// $ref on the way (which kin-openapi alone fails on: `failed to resolve
// "allOf" in fragment …: not a map, slice nor struct`), into a response
// and into a parameter. Each resolves to the node it names, shared, not
// copied.
func TestDeepRefs(t *testing.T) {
	s, diags := loadSpec(t, filepath.Join(specs, "deepref.yaml"))
	if len(diags) != 0 {
		t.Errorf("diagnostics: %v", diags)
	}
	paths := s.Doc.Paths
	one := paths.Value("/incidents/custom_field").Get
	list := paths.Value("/incidents/custom_fields").Get

	got := one.Responses.Value("200").Value.Content.Get("application/json").Schema
	entry := s.Doc.Components.Schemas["CustomFieldEntry"].Value
	want := entry.AllOf[0].Value.OneOf[0]
	if got.Value == nil || got.Value != want.Value {
		t.Errorf("schema: got %p, want the node the pointer names (%p)", got.Value, want.Value)
	}
	// The pointer ran through items ($ref to CustomFieldEntry): it is
	// rewritten to the form that runs through none.
	if wantRef := "#/components/schemas/CustomFieldEntry/allOf/0/oneOf/0"; got.Ref != wantRef {
		t.Errorf("schema $ref: got %q, want %q", got.Ref, wantRef)
	}
	if got.Value.Properties["id"] == nil || !got.Value.Type.Is("object") {
		t.Errorf("schema: got %+v, want the object with id", got.Value)
	}

	if r, w := one.Responses.Value("default").Value, list.Responses.Value("default").Value; r == nil || r != w {
		t.Errorf("response: got %p, want %p", r, w)
	}
	if p, w := one.Parameters[0].Value, list.Parameters[0].Value; p == nil || p != w || p.Name != "limit" {
		t.Errorf("parameter: got %+v, want the limit parameter", p)
	}
}

// TestDeepRefIntoAnotherFile follows a pointer into another file through
// a $ref written in that file.
func TestDeepRefIntoAnotherFile(t *testing.T) {
	s, _ := loadSpec(t, filepath.Join(specs, "multi", "api.yaml"))
	got := s.Doc.Paths.Value("/owners/name").Get.Responses.Value("200").Value.Content.Get("application/json").Schema
	if want := "parts.yaml#/Person/properties/name"; got.Ref != want {
		t.Errorf("$ref: got %q, want %q", got.Ref, want)
	}
	if got.Value == nil || !got.Value.Type.Is("string") || got.Value.MaxLength == nil || *got.Value.MaxLength != 100 {
		t.Errorf("schema: got %+v, want Person's name", got.Value)
	}
}

// TestLiteralRefsAreData checks that "$ref" in examples, defaults, enums
// and extensions is left alone, and that a property named "default" or
// "properties" is a schema, whose $ref is resolved.
func TestLiteralRefsAreData(t *testing.T) {
	s, diags := loadSpec(t, filepath.Join(specs, "literal.yaml"))
	if len(diags) != 0 {
		t.Errorf("diagnostics: %v", diags)
	}
	schema := s.Doc.Paths.Value("/docs").Get.Responses.Value("default").Value.Content.Get("application/json").Schema.Value
	for _, name := range []string{"default", "properties"} {
		p := schema.Properties[name]
		if p == nil || p.Ref != "#/components/schemas/Name" || p.Value == nil || !p.Value.Type.Is("string") {
			t.Errorf("property %q: got %+v, want the Name schema", name, p)
		}
	}
	if ex, _ := schema.Example.(map[string]any); ex["$ref"] != "#/definitions/nothing" {
		t.Errorf("example: got %#v", schema.Example)
	}
}

// TestRefErrors checks that a reference which does not resolve is an
// error that names where it is written (file, pointer, line) and what it
// names, and that no cycle makes the loader hang.
func TestRefErrors(t *testing.T) {
	tests := []struct {
		name, spec, want string
	}{{
		name: "dangling",
		spec: filepath.Join(specs, "dangling.yaml"),
		want: `load ../../testdata/specs/load/dangling.yaml: ../../testdata/specs/load/dangling.yaml#/paths/~1incidents/post/requestBody (line 10): ` +
			`$ref "#/components/requestBodies/requestBody": does not resolve: ../../testdata/specs/load/dangling.yaml#/components/requestBodies has no "requestBody"`,
	}, {
		name: "dangling in a second file",
		spec: filepath.Join(specs, "dangling-multi", "api.yaml"),
		want: `load ../../testdata/specs/load/dangling-multi/api.yaml: ../../testdata/specs/load/dangling-multi/ops/items.yaml#/get/responses/200/content/application~1json/schema/items (line 11): ` +
			`$ref "../schemas.yaml#/Item": does not resolve: ../../testdata/specs/load/dangling-multi/schemas.yaml has no "Item"`,
	}, {
		name: "cycle",
		spec: filepath.Join(specs, "cycle.yaml"),
		want: `load ../../testdata/specs/load/cycle.yaml: ../../testdata/specs/load/cycle.yaml#/paths/~1things/get/responses/200/content/application~1json/schema (line 15): ` +
			`$ref "#/components/schemas/Thing": leads into a cycle of references that never reaches an object: #/components/schemas/Thing → #/components/schemas/Item → #/components/schemas/Thing`,
	}, {
		name: "remote",
		spec: filepath.Join(specs, "remote.yaml"),
		want: `load ../../testdata/specs/load/remote.yaml: ../../testdata/specs/load/remote.yaml#/paths/~1pets/get/responses/200/content/application~1json/schema (line 15): ` +
			`$ref "https://example.com/schemas.yaml#/Pet": remote references are not followed; only files next to the spec are read`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(context.Background(), tt.spec, nil)
			if err == nil {
				t.Fatal("loaded; want an error")
			}
			if err.Error() != tt.want {
				t.Errorf("error:\ngot  %s\nwant %s", err, tt.want)
			}
			var re *RefError
			if !errors.As(err, &re) {
				t.Errorf("error %T is not a *RefError", err)
			} else if re.At.Line == 0 || re.At.Pointer == "" || re.Ref == "" {
				t.Errorf("RefError %+v lacks a location", re)
			}
		})
	}
}

// TestRefErrorsInline covers the other ways a reference fails, on specs
// written into a temporary directory.
func TestRefErrorsInline(t *testing.T) {
	const head = "openapi: 3.0.3\ninfo: {title: t, version: \"1\"}\npaths: {}\n"
	tests := []struct {
		name  string
		files map[string]string
		want  string // the error after "load DIR/api.yaml: "
	}{{
		name: "pointer through a cycle",
		files: map[string]string{"api.yaml": head + `components:
  schemas:
    A: {$ref: "#/components/schemas/B"}
    B: {$ref: "#/components/schemas/A"}
    C: {$ref: "#/components/schemas/A/properties/x"}
`},
		want: `DIR/api.yaml#/components/schemas/A (line 6): $ref "#/components/schemas/B": is part of a cycle of references that never reaches an object: #/components/schemas/A → #/components/schemas/B → #/components/schemas/A`,
	}, {
		name: "pointer through a cycle, alone",
		files: map[string]string{"api.yaml": head + `components:
  schemas:
    C: {$ref: "#/components/schemas/A/properties/x"}
    A: {$ref: "#/components/schemas/B/properties/y"}
    B: {$ref: "#/components/schemas/A/properties/z"}
`},
		want: `DIR/api.yaml#/components/schemas/C (line 6): $ref "#/components/schemas/A/properties/x": does not resolve: ` +
			`DIR/api.yaml#/components/schemas/A is $ref "#/components/schemas/B/properties/y", which does not resolve: ` +
			`DIR/api.yaml#/components/schemas/B is $ref "#/components/schemas/A/properties/z", which does not resolve: ` +
			`the pointer runs round a cycle of references at DIR/api.yaml#/components/schemas/A`,
	}, {
		name:  "missing file",
		files: map[string]string{"api.yaml": head + "components:\n  schemas:\n    A: {$ref: \"gone.yaml#/A\"}\n"},
		want:  `DIR/api.yaml#/components/schemas/A (line 6): $ref "gone.yaml#/A": does not resolve: open DIR/gone.yaml: no such file or directory`,
	}, {
		name:  "index out of range",
		files: map[string]string{"api.yaml": head + "components:\n  schemas:\n    A: {allOf: [{type: string}]}\n    B: {$ref: \"#/components/schemas/A/allOf/1\"}\n"},
		want:  `DIR/api.yaml#/components/schemas/B (line 7): $ref "#/components/schemas/A/allOf/1": does not resolve: DIR/api.yaml#/components/schemas/A/allOf has no item 1 (it has 1)`,
	}, {
		name: "remote in a second file",
		files: map[string]string{
			"api.yaml":   head + "components:\n  schemas:\n    A: {$ref: \"other.json#/A\"}\n",
			"other.json": "{\n  \"A\": {\n    \"$ref\": \"http://example.com/a.json\"\n  }\n}\n",
		},
		want: `DIR/other.json#/A (line 3): $ref "http://example.com/a.json": remote references are not followed; only files next to the spec are read`,
	}, {
		name:  "syntax error in a second file",
		files: map[string]string{"api.yaml": head + "components:\n  schemas:\n    A: {$ref: \"bad.yaml#/A\"}\n", "bad.yaml": "A:\n  type: [string\n"},
		want:  `DIR/api.yaml#/components/schemas/A (line 6): $ref "bad.yaml#/A": does not resolve: DIR/bad.yaml (line 3): error: did not find expected ',' or ']'`,
	}, {
		name: "reference to the wrong kind of object",
		files: map[string]string{"api.yaml": "openapi: 3.0.3\ninfo: {title: t, version: \"1\"}\npaths:\n  /a:\n    get:\n      parameters:\n        - $ref: \"#/components/schemas/X\"\n" +
			"      responses: {\"200\": {description: ok}}\ncomponents:\n  schemas:\n    X: {type: string}\n"},
		want: `DIR/api.yaml#/paths/~1a/get/parameters/0 (line 7): $ref "#/components/schemas/X": bad data in "#/components/schemas/X" (expecting ref to parameter object)`,
	}, {
		name: "value of the wrong type",
		files: map[string]string{"api.yaml": "openapi: 3.0.3\ninfo: {title: t, version: \"1\"}\npaths:\n  /a:\n    get:\n      parameters:\n        - {name: q, in: query, required: maybe}\n" +
			"      responses: {\"200\": {description: ok}}\n"},
		want: "DIR/api.yaml#/paths/~1a/get/parameters/0/required (line 7): error: cannot construct !!str `maybe` into bool",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, text := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			api := filepath.Join(dir, "api.yaml")
			_, err := Load(context.Background(), api, nil)
			if err == nil {
				t.Fatal("loaded; want an error")
			}
			want := "load " + api + ": " + strings.ReplaceAll(tt.want, "DIR", dir)
			if err.Error() != want {
				t.Errorf("error:\ngot  %s\nwant %s", err, want)
			}
		})
	}
}

// TestLoadCanceled checks that a canceled context stops the load.
func TestLoadCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Load(ctx, filepath.Join(specs, "deepref.yaml"), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}
