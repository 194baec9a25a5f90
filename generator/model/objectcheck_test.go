package model

import (
	"errors"
	"strings"
	"testing"

	"github.com/securegen/securegen/generator/diag"
)

func objectSpec(root, item, op string) string {
	ext := func(indent, v string) string {
		if v == "" {
			return ""
		}
		return indent + AuthorizeExtension + ": " + v + "\n"
	}
	return `openapi: 3.0.3
info: {title: t, version: "1"}
security: [{bearer: []}]
` + ext("", root) + `paths:
  /items/{id}:
` + ext("    ", item) + `    parameters: [{name: id, in: path, required: true, schema: {type: string}}]
    get:
      operationId: getItem
` + ext("      ", op) + `      responses: {"200": {description: ok}}
    delete:
      operationId: deleteItem
      security: []
      responses: {"204": {description: ok}}
  /items:
    get:
      operationId: listItems
      responses: {"200": {description: ok}}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
`
}

func TestObjectCheckNearestExtensionWins(t *testing.T) {
	tests := []struct {
		name           string
		root, item, op string
		authorize      bool // Options.AuthorizeObjects
		get, del, list bool
	}{
		{name: "nothing asks", get: false},
		{name: "operation asks", op: "true", get: true},
		{name: "path item asks for all its operations", item: "true", get: true, del: true},
		{name: "operation refuses what the path item asks", item: "true", op: "false", del: true},
		{name: "root asks for every operation", root: "true", get: true, del: true, list: true},
		{name: "path item refuses what the root asks", root: "true", item: "false", list: true},
		{name: "option: secured operations with a path parameter", authorize: true, get: true},
		{name: "spec refuses what the option asks", authorize: true, op: "false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, _, err := buildSpec(t, objectSpec(tt.root, tt.item, tt.op), Options{Package: "api", AuthorizeObjects: tt.authorize})
			if err != nil {
				t.Fatal(err)
			}
			for id, want := range map[string]bool{"getItem": tt.get, "deleteItem": tt.del, "listItems": tt.list} {
				o := opByID(t, api, id)
				if o.ObjectCheck != want {
					t.Errorf("%s: ObjectCheck %v, want %v", id, o.ObjectCheck, want)
				}
				if wantName := map[bool]string{true: "Authorize" + o.Name}[want]; o.AuthorizeName != wantName {
					t.Errorf("%s: AuthorizeName %q, want %q", id, o.AuthorizeName, wantName)
				}
				if o.Requirement().ObjectCheck != o.ObjectCheck {
					t.Errorf("%s: Requirement().ObjectCheck differs from the model", id)
				}
			}
		})
	}
}

func TestObjectCheckExtensionMustBeBoolean(t *testing.T) {
	tests := []struct {
		name, root, item, op, ptr string
	}{
		{"operation", "", "", `"yes"`, "/paths/~1items~1{id}/get/" + AuthorizeExtension},
		{"path item", "", "1", "", "/paths/~1items~1{id}/" + AuthorizeExtension},
		{"root", "[true]", "", "", "/" + AuthorizeExtension},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := buildSpec(t, objectSpec(tt.root, tt.item, tt.op), Options{Package: "api"})
			if err == nil {
				t.Fatal("Build accepted a non-boolean " + AuthorizeExtension)
			}
			if !strings.Contains(err.Error(), "#"+tt.ptr+":") || !strings.Contains(err.Error(), "must be true or false") {
				t.Errorf("error %q does not name %s", err, tt.ptr)
			}
			// Other spec errors are *diag.SpecError; this one is not yet.
			var se *diag.SpecError
			if errors.As(err, &se) && se.Location.Pointer != tt.ptr {
				t.Errorf("error located at %q, want %q", se.Location.Pointer, tt.ptr)
			}
		})
	}
}

func TestAuthorizeNameCollidesWithMethodNames(t *testing.T) {
	api, _ := mustBuild(t, `
openapi: 3.0.3
info: {title: t, version: "1"}
x-securegen-authorize: true
paths:
  /a/{id}:
    get:
      operationId: authorizeGetItem
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      x-securegen-authorize: false
      responses: {"200": {description: ok}}
  /b/{id}:
    get:
      operationId: getItem
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
`)
	if n := opByID(t, api, "authorizeGetItem").Name; n != "AuthorizeGetItem" {
		t.Errorf("method name %q", n)
	}
	if n := opByID(t, api, "getItem").AuthorizeName; n != "AuthorizeGetItem2" {
		t.Errorf("authorizer %q, want AuthorizeGetItem2 beside the method AuthorizeGetItem", n)
	}
}
