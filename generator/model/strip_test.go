package model

import (
	"fmt"
	"strings"
	"testing"
)

func TestWriteOnlyPropertiesAreStrippedAtEveryDepth(t *testing.T) {
	api, _ := mustBuild(t, `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    get:
      operationId: getA
      responses:
        "200":
          description: ok
          content:
            application/json: {schema: {$ref: "#/components/schemas/Wrapper"}}
            text/plain: {schema: {$ref: "#/components/schemas/User"}}
        "201":
          description: plain
          content:
            application/json: {schema: {$ref: "#/components/schemas/Plain"}}
        "202":
          description: union
          content:
            application/json:
              schema:
                oneOf: [{$ref: "#/components/schemas/User"}, {$ref: "#/components/schemas/Plain"}]
        "203":
          description: recursive
          content:
            application/json: {schema: {$ref: "#/components/schemas/Node"}}
        "204": {description: none}
components:
  schemas:
    User:
      type: object
      properties:
        name: {type: string}
        password: {type: string, writeOnly: true}
        pin: {type: string, writeOnly: true}
    Plain:
      type: object
      properties: {x: {type: string}, nested: {type: array, items: {type: string}}}
    Wrapper:
      type: object
      properties:
        user: {$ref: "#/components/schemas/User"}
        users: {type: array, items: {$ref: "#/components/schemas/User"}}
        byName: {type: object, additionalProperties: {$ref: "#/components/schemas/User"}}
        plain: {$ref: "#/components/schemas/Plain"}
        mixed:
          allOf: [{$ref: "#/components/schemas/Plain"}, {$ref: "#/components/schemas/User"}]
    Node:
      type: object
      properties:
        secret: {type: string, writeOnly: true}
        next: {$ref: "#/components/schemas/Node"}
`)
	o := opByID(t, api, "getA")
	strips := map[string]string{}
	for _, r := range o.Responses {
		strips[r.StatusKey+" "+r.ContentType] = r.Strip
	}
	want := map[string]string{
		"200 application/json": "stripWrapper",
		"200 text/plain":       "", // not JSON: nothing is stripped
		"201 application/json": "", // nothing writeOnly
		"202 application/json": "stripGetA202ResponseBody",
		"203 application/json": "stripNode",
		"204 ":                 "",
	}
	for k, w := range want {
		if strips[k] != w {
			t.Errorf("response %s: Strip %q, want %q", k, strips[k], w)
		}
	}
	got := map[string]string{}
	for _, sp := range api.Strippers {
		var props []string
		for _, p := range sp.Props {
			props = append(props, p.Name+"="+p.Func)
		}
		got[sp.Func] = fmt.Sprintf("delete=%v props=%v items=%q values=%q parts=%v", sp.Delete, props, sp.Items, sp.Values, sp.Parts)
	}
	wantStrippers := map[string]string{
		"stripUser":                `delete=[password pin] props=[] items="" values="" parts=[]`,
		"stripWrapper":             `delete=[] props=[byName=stripWrapperByName mixed=stripWrapperMixed user=stripUser users=stripWrapperUsers] items="" values="" parts=[]`,
		"stripWrapperByName":       `delete=[] props=[] items="" values="stripUser" parts=[]`,
		"stripWrapperUsers":        `delete=[] props=[] items="stripUser" values="" parts=[]`,
		"stripWrapperMixed":        `delete=[] props=[] items="" values="" parts=[stripUser]`,
		"stripGetA202ResponseBody": `delete=[] props=[] items="" values="" parts=[stripUser]`,
		"stripNode":                `delete=[secret] props=[next=stripNode] items="" values="" parts=[]`,
	}
	for name, w := range wantStrippers {
		if got[name] != w {
			t.Errorf("%s: %s\nwant %s", name, got[name], w)
		}
	}
	for name := range got {
		if _, ok := wantStrippers[name]; !ok {
			t.Errorf("unexpected stripper %s: %s", name, got[name])
		}
		if strings.Contains(name, "Plain") {
			t.Errorf("stripper %s for a schema without writeOnly properties", name)
		}
	}
}
