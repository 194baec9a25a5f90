package model

import (
	"strings"
	"testing"
)

func TestBuildPackageNameAndRealm(t *testing.T) {
	const titled = `{"openapi": "3.0.3", "info": {"title": "Pet Store", "version": "1"}, "paths": {}}`
	const untitled = `{"openapi": "3.0.3", "info": {"title": "", "version": "1"}, "paths": {}}`
	tests := []struct {
		name, spec, pkg       string
		wantErr               bool
		wantPkg, title, realm string
	}{
		{"default package is api", titled, "", false, "api", "Pet Store", "Pet Store"},
		{"realm is the title", titled, "petstore", false, "petstore", "Pet Store", "Pet Store"},
		{"realm falls back to the package", untitled, "store", false, "store", "", "store"},
		{"keyword package refused", titled, "type", true, "", "", ""},
		{"non-identifier package refused", titled, "pet-store", true, "", "", ""},
		{"leading digit refused", titled, "1api", true, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, _, err := buildSpec(t, tt.spec, Options{Package: tt.pkg})
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "not a Go identifier") {
					t.Errorf("err = %v, want a package name error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if api.Package != tt.wantPkg || api.Title != tt.title || api.Realm != tt.realm {
				t.Errorf("package %q title %q realm %q; want %q %q %q", api.Package, api.Title, api.Realm, tt.wantPkg, tt.title, tt.realm)
			}
		})
	}
}

func TestBuildWithNilSinkAndNoComponents(t *testing.T) {
	s := loadSpec(t, `{"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
	  "paths": {"/a": {"get": {"security": [{"x": []}], "responses": {"200": {"description": "ok"}}}}}}`)
	api, err := Build(s, Options{}, nil)
	if err != nil {
		t.Fatalf("an undeclared scheme stopped generation: %v", err)
	}
	// It fails closed: the operation is not public, and its only
	// alternative names an unsupported stand-in.
	if op := api.Operations[0].Requirement(); op.Public() || len(op.Alternatives) != 1 || op.Alternatives[0][0].Scheme != "x" {
		t.Errorf("requirement %+v, want the one alternative x, not public", op)
	}
}

func TestSwagger2SpecModels(t *testing.T) {
	api, _ := mustBuild(t, `{
  "swagger": "2.0",
  "info": {"title": "Legacy", "version": "1"},
  "basePath": "/",
  "securityDefinitions": {
    "key": {"type": "apiKey", "in": "header", "name": "X-Key"},
    "oauth": {"type": "oauth2", "flow": "password", "tokenUrl": "/token", "scopes": {"pets:read": "read pets"}}
  },
  "security": [{"key": []}],
  "paths": {
    "/pets/{petId}": {
      "get": {
        "operationId": "getPet",
        "security": [{"oauth": ["pets:read"]}, {"key": []}],
        "parameters": [
          {"name": "petId", "in": "path", "required": true, "type": "integer", "format": "int64"},
          {"name": "verbose", "in": "query", "type": "boolean"}
        ],
        "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Pet"}}}
      },
      "put": {
        "operationId": "putPet",
        "consumes": ["application/json"],
        "parameters": [
          {"name": "petId", "in": "path", "required": true, "type": "integer"},
          {"name": "body", "in": "body", "required": true, "schema": {"$ref": "#/definitions/Pet"}}
        ],
        "responses": {"204": {"description": "done"}}
      }
    }
  },
  "definitions": {
    "Pet": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
  }
}`)
	get := opByID(t, api, "getPet")
	if got := altString(get.Security.Alternatives); got != "oauth[pets:read] | key" {
		t.Errorf("getPet security %q", got)
	}
	if id := paramNamed(t, get, InPath, "petId"); id.Type.Basic != Int64 || !id.Required || id.Style != "simple" {
		t.Errorf("petId %+v", id)
	}
	if v := paramNamed(t, get, InQuery, "verbose"); v.Type.Basic != Bool || !v.Pointer || v.Style != "form" || !v.Explode {
		t.Errorf("verbose %+v", v)
	}
	put := opByID(t, api, "putPet")
	if !put.Security.Inherited || altString(put.Security.Alternatives) != "key" {
		t.Errorf("putPet security inherited %v %q", put.Security.Inherited, altString(put.Security.Alternatives))
	}
	if put.Body == nil || !put.Body.Required || put.Body.Type.Struct() == nil || put.Body.Type.Struct().Name != "Pet" {
		t.Errorf("putPet body %+v", put.Body)
	}
	if r := get.Responses[0]; !r.JSON || r.Body.Struct() == nil || r.Body.Struct().Name != "Pet" {
		t.Errorf("getPet 200 %+v", r)
	}
	var oauth *Scheme
	for _, sc := range api.Schemes {
		if sc.Key == "oauth" {
			oauth = sc
		}
	}
	if oauth == nil || oauth.Type != OAuth2 || len(oauth.Flows) != 1 || oauth.Flows[0].Name != "password" ||
		strings.Join(oauth.TokenPaths, " ") != "/token" {
		t.Errorf("oauth scheme %+v", oauth)
	}
	if api.ScopeName("pets:read") != "ScopePetsRead" {
		t.Errorf("ScopeName(pets:read) = %q", api.ScopeName("pets:read"))
	}
}
