package model

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/securegen/securegen/generator/diag"
)

func TestResponsesOrderCodesThenRangesThenDefault(t *testing.T) {
	api, diags := mustBuild(t, `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /items:
    get:
      operationId: listItems
      responses:
        default: {description: problem}
        5XX: {description: server}
        "404": {description: missing}
        2xx: {description: fine}
        "201": {description: created}
        "200": {description: "  ok  "}
        "600": {description: bad code}
        "099": {description: bad code}
        6XX: {description: bad range}
        teapot: {description: bad key}
`)
	o := opByID(t, api, "listItems")
	var got []string
	for _, r := range o.Responses {
		rng := "-"
		if r.Range != nil {
			rng = fmt.Sprintf("%d-%d", r.Range.Lo, r.Range.Hi)
		}
		got = append(got, fmt.Sprintf("%s:%d:%s", r.StatusKey, r.Status, rng))
	}
	want := []string{"200:200:-", "201:201:-", "404:404:-", "2xx:0:200-299", "5XX:0:500-599", "default:0:100-599"}
	if !slices.Equal(got, want) {
		t.Errorf("responses %v, want %v", got, want)
	}
	if o.Responses[0].Doc != "ok" {
		t.Errorf("doc %q, want trimmed description", o.Responses[0].Doc)
	}
	const base = "/paths/~1items/get/responses/"
	wantDiag(t, diags, diag.Warning, base+"600", "not an HTTP status code")
	wantDiag(t, diags, diag.Warning, base+"099", "not an HTTP status code")
	wantDiag(t, diags, diag.Warning, base+"6XX", "not a status, a range or default")
	wantDiag(t, diags, diag.Warning, base+"teapot", "not a status, a range or default")
}

func TestResponseTypeNamesAndConstructors(t *testing.T) {
	api, _ := mustBuild(t, `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /items:
    get:
      operationId: listItems
      responses:
        "200":
          description: ok
          content:
            application/json: {schema: {type: array, items: {type: string}}}
            text/plain: {schema: {type: string}}
            application/problem+json: {}
        "204": {description: none}
        4XX:
          description: client
          content:
            "*/*": {schema: {type: string}}
        default:
          description: problem
          content:
            application/vnd.api+json; charset=utf-8: {schema: {type: object, properties: {e: {type: string}}}}
`)
	o := opByID(t, api, "listItems")
	tests := []struct {
		typeName, contentType string
		json                  bool
		body                  GoKind // 0: no body
	}{
		{"ListItems200JSONResponse", "application/json", true, KindSlice},
		{"ListItems200ProblemJSONResponse", "application/problem+json", true, KindRawJSON},
		{"ListItems200TextPlainResponse", "text/plain", false, KindReader},
		{"ListItems204Response", "", false, 0},
		{"ListItems4XXAnyResponse", "*/*", false, KindReader},
		{"ListItemsDefaultVndAPIJSONResponse", "application/vnd.api+json; charset=utf-8", true, KindNamed},
	}
	if len(o.Responses) != len(tests) {
		t.Fatalf("%d responses, want one per status and content type: %d", len(o.Responses), len(tests))
	}
	for i, tt := range tests {
		r := o.Responses[i]
		kind := GoKind(0)
		if r.Body != nil {
			kind = r.Body.Kind
		}
		if r.TypeName != tt.typeName || r.Constructor != "New"+tt.typeName || r.ContentType != tt.contentType || r.JSON != tt.json || kind != tt.body {
			t.Errorf("response %d: %s %s %q JSON=%v body kind %d; want %s New%s %q %v %d",
				i, r.TypeName, r.Constructor, r.ContentType, r.JSON, kind, tt.typeName, tt.typeName, tt.contentType, tt.json, tt.body)
		}
	}
	if s := o.Responses[0].Summary; s != "is the 200 answer of ListItems, as application/json." {
		t.Errorf("summary %q", s)
	}
	if s := o.Responses[3].Summary; s != "is the 204 answer of ListItems." {
		t.Errorf("summary %q", s)
	}
	if b := o.Responses[5].Body; b.Named == nil || b.Named.Name != "ListItemsDefaultResponseBody" {
		t.Errorf("inline response object named %v, want ListItemsDefaultResponseBody", b.Named)
	}
	if o.Responses[0].Check == "" {
		t.Error("JSON response with a schema has no Check")
	}
}

func TestOperationWithoutResponsesAnswersDefaultWithAReader(t *testing.T) {
	for _, spec := range []string{
		`{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
		  "paths": {"/ping": {"get": {"operationId": "ping"}}}}`,
		`{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
		  "paths": {"/ping": {"get": {"operationId": "ping", "responses": {"600": {"description": "x"}}}}}}`,
	} {
		api, _ := mustBuild(t, spec)
		o := opByID(t, api, "ping")
		if len(o.Responses) != 1 {
			t.Fatalf("%d responses, want 1", len(o.Responses))
		}
		r := o.Responses[0]
		if r.StatusKey != "default" || r.Range == nil || *r.Range != (StatusRange{100, 599}) || r.Body == nil || !r.Body.IsReader() ||
			r.TypeName != "PingDefaultResponse" || r.JSON {
			t.Errorf("fallback response %+v body %+v", r, r.Body)
		}
	}
}

func TestParameterStylesAndExplode(t *testing.T) {
	api, diags := mustBuild(t, `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /items/{p}/{m}:
    get:
      operationId: op
      parameters:
        - {name: p, in: path, required: true, schema: {type: string}}
        - {name: m, in: path, required: true, style: matrix, explode: true, schema: {type: array, items: {type: string}}}
        - {name: q, in: query, schema: {type: string}}
        - {name: qx, in: query, explode: false, schema: {type: array, items: {type: string}}}
        - {name: qd, in: query, style: deepObject, schema: {type: object, properties: {a: {type: string}}}}
        - {name: qp, in: query, style: pipeDelimited, schema: {type: array, items: {type: string}}}
        - {name: qbad, in: query, style: matrix, schema: {type: string}}
        - {name: h, in: header, schema: {type: string}}
        - {name: hbad, in: header, style: form, schema: {type: string}}
        - {name: c, in: cookie, schema: {type: string}}
        - {name: cx, in: cookie, explode: false, schema: {type: string}}
      responses: {"200": {description: ok}}
`)
	o := opByID(t, api, "op")
	tests := []struct {
		in      ParamIn
		name    string
		style   string
		explode bool
	}{
		{InPath, "p", "simple", false},
		{InPath, "m", "matrix", true},
		{InQuery, "q", "form", true},
		{InQuery, "qx", "form", false},
		{InQuery, "qd", "deepObject", false},
		{InQuery, "qp", "pipeDelimited", false},
		{InQuery, "qbad", "form", true},
		{InHeader, "h", "simple", false},
		{InHeader, "hbad", "simple", false},
		{InCookie, "c", "form", true},
		{InCookie, "cx", "form", false},
	}
	for _, tt := range tests {
		p := paramNamed(t, o, tt.in, tt.name)
		if p.Style != tt.style || p.Explode != tt.explode {
			t.Errorf("%s %s: style %q explode %v, want %q %v", tt.in, tt.name, p.Style, p.Explode, tt.style, tt.explode)
		}
	}
	const base = "/paths/~1items~1{p}~1{m}/get/parameters/"
	wantDiag(t, diags, diag.Warning, base+"6/style", `style "matrix" is not allowed in query; used "form"`)
	wantDiag(t, diags, diag.Warning, base+"8/style", `style "form" is not allowed in header; used "simple"`)
	// Parameters are ordered path, query, header, cookie, keeping spec order within.
	var order []string
	for _, p := range o.Params {
		order = append(order, p.Name)
	}
	if want := []string{"p", "m", "q", "qx", "qd", "qp", "qbad", "h", "hbad", "c", "cx"}; !slices.Equal(order, want) {
		t.Errorf("parameter order %v, want %v", order, want)
	}
}

func TestParameterRequiredAndPointer(t *testing.T) {
	api, _ := mustBuild(t, `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /items/{id}:
    get:
      operationId: op
      parameters:
        - {name: id, in: path, required: false, schema: {type: integer}}
        - {name: limit, in: query, schema: {type: integer}}
        - {name: page, in: query, required: true, schema: {type: integer}}
        - {name: tags, in: query, schema: {type: array, items: {type: string}}}
        - {name: when, in: header, schema: {type: string, format: date-time}}
        - {name: meta, in: query, schema: {type: object, additionalProperties: {type: string}}}
        - {name: filter, in: query, content: {application/json: {schema: {type: object, properties: {q: {type: string}}}}}}
        - {name: opaque, in: query, content: {text/plain: {schema: {type: string}}}}
      responses: {"200": {description: ok}}
`)
	o := opByID(t, api, "op")
	tests := []struct {
		in                      ParamIn
		name                    string
		required, pointer, json bool
		kind                    GoKind
	}{
		{InPath, "id", true, false, false, KindBasic}, // path parameters are always required
		{InQuery, "limit", false, true, false, KindBasic},
		{InQuery, "page", true, false, false, KindBasic},
		{InQuery, "tags", false, false, false, KindSlice}, // a nil slice is absent already
		{InHeader, "when", false, true, false, KindTime},
		{InQuery, "meta", false, false, false, KindMap},
		{InQuery, "filter", false, true, true, KindNamed},
		{InQuery, "opaque", false, true, false, KindBasic},
	}
	for _, tt := range tests {
		p := paramNamed(t, o, tt.in, tt.name)
		if p.Required != tt.required || p.Pointer != tt.pointer || p.JSON != tt.json || p.Type.Kind != tt.kind {
			t.Errorf("%s %s: required %v pointer %v JSON %v kind %d; want %v %v %v %d",
				tt.in, tt.name, p.Required, p.Pointer, p.JSON, p.Type.Kind, tt.required, tt.pointer, tt.json, tt.kind)
		}
	}
	if f := paramNamed(t, o, InQuery, "filter"); f.Type.Named == nil || f.Type.Named.Name != "OpFilter" {
		t.Errorf("JSON content parameter type %+v, want the struct OpFilter", f.Type)
	}
	if o := paramNamed(t, o, InQuery, "opaque"); o.Type.Basic != String {
		t.Errorf("parameter without schema or JSON content bound as %+v, want string", o.Type)
	}
}

func TestPathParametersRouting(t *testing.T) {
	api, diags := mustBuild(t, `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /files/{name}.json:
    get:
      operationId: getFile
      parameters: [{name: name, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
  /v{version}/items/{item-id}:
    get:
      operationId: getItem
      parameters:
        - {name: item-id, in: path, required: true, schema: {type: string}}
        - {name: version, in: path, required: true, schema: {type: integer}}
      responses: {"200": {description: ok}}
  /undefined/{thing}:
    get:
      operationId: undefinedParam
      responses: {"200": {description: ok}}
  /dirs/:
    get:
      operationId: listDirs
      responses: {"200": {description: ok}}
  /search?mode=fast:
    get:
      operationId: search
      responses: {"200": {description: ok}}
  /pair/{a}-{b}:
    get:
      operationId: pair
      responses: {"200": {description: ok}}
`)
	tests := []struct {
		id, pattern string
		params      []string // name=GoName wildcard prefix|suffix
	}{
		{"getFile", "GET /files/{name}", []string{"name=Name {name} |.json"}},
		// ServeMux wildcards take whole segments: the literal text around a
		// parameter is in Prefix and Suffix, not in the pattern.
		{"getItem", "GET /{version}/items/{itemID}", []string{"item-id=ItemID {itemID} |", "version=Version {version} v|"}},
		{"undefinedParam", "GET /undefined/{thing}", []string{"thing=Thing {thing} |"}},
		{"listDirs", "GET /dirs/{$}", nil},
		{"search", "GET /search", nil},
	}
	for _, tt := range tests {
		o := opByID(t, api, tt.id)
		if o.Pattern != tt.pattern {
			t.Errorf("%s: pattern %q, want %q", tt.id, o.Pattern, tt.pattern)
		}
		var got []string
		for _, p := range o.Params {
			if !p.Required {
				t.Errorf("%s: path parameter %s not required", tt.id, p.Name)
			}
			got = append(got, fmt.Sprintf("%s=%s {%s} %s|%s", p.Name, p.GoName, p.Wildcard, p.Prefix, p.Suffix))
		}
		if !slices.Equal(got, tt.params) {
			t.Errorf("%s: params %q, want %q", tt.id, got, tt.params)
		}
	}
	if p := opByID(t, api, "undefinedParam").Params[0]; p.Type.Kind != KindBasic || p.Type.Basic != String {
		t.Errorf("undefined path parameter typed %+v, want string", p.Type)
	}
	for _, o := range api.Operations {
		if o.ID == "pair" {
			t.Errorf("operation with two parameters in one segment was kept: %s", o.Pattern)
		}
	}
	wantDiag(t, diags, diag.Warning, "/paths/~1undefined~1{thing}/get", `path parameter "thing" has no definition`)
	wantDiag(t, diags, diag.Warning, "/paths/~1search?mode=fast/get", `routed as "/search"`)
	wantDiag(t, diags, diag.Warning, "/paths/~1pair~1{a}-{b}/get", "holds several parameters")
}

func TestParametersNotInTheTemplateOrUnknownLocationAreLeftOut(t *testing.T) {
	api, diags := mustBuild(t, `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /items:
    get:
      operationId: op
      parameters:
        - {name: ghost, in: path, required: true, schema: {type: string}}
        - {name: form, in: formData, schema: {type: string}}
      responses: {"200": {description: ok}}
`)
	if ps := opByID(t, api, "op").Params; len(ps) != 0 {
		t.Errorf("params %+v, want none", ps[0])
	}
	wantDiag(t, diags, diag.Warning, "/paths/~1items/get/parameters/0", "not in the path template")
	wantDiag(t, diags, diag.Warning, "/paths/~1items/get/parameters/1", "not path, query, header or cookie")
}

func TestReservedHeadersAreLeftOut(t *testing.T) {
	api, diags := mustBuild(t, `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /items:
    get:
      operationId: op
      parameters:
        - {name: Accept, in: header, schema: {type: string}}
        - {name: content-type, in: header, schema: {type: string}}
        - {name: AUTHORIZATION, in: header, schema: {type: string}}
        - {name: Accept-Language, in: header, schema: {type: string}}
        - {name: accept, in: query, schema: {type: string}}
      responses: {"200": {description: ok}}
`)
	wantNoDiags(t, diags)
	var got []string
	for _, p := range opByID(t, api, "op").Params {
		got = append(got, string(p.In)+":"+p.Name)
	}
	if want := []string{"query:accept", "header:Accept-Language"}; !slices.Equal(got, want) {
		t.Errorf("params %v, want %v", got, want)
	}
}

func TestOperationParametersOverridePathItemParameters(t *testing.T) {
	api, _ := mustBuild(t, `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /items/{id}:
    parameters:
      - {name: id, in: path, required: true, description: from item, schema: {type: integer}}
      - {name: limit, in: query, description: item limit, schema: {type: integer}}
      - {name: trace, in: header, schema: {type: string}}
    get:
      operationId: op
      parameters:
        - {name: limit, in: query, description: " op limit ", schema: {type: string}}
        - {name: limit, in: header, schema: {type: boolean}}
      responses: {"200": {description: ok}}
    delete:
      operationId: del
      responses: {"200": {description: ok}}
`)
	o := opByID(t, api, "op")
	var got []string
	for _, p := range o.Params {
		got = append(got, fmt.Sprintf("%s:%s:%s:%s", p.In, p.Name, p.Type.words(), p.Doc))
	}
	want := []string{"path:id:int:from item", "query:limit:string:op limit", "header:trace:string:", "header:limit:bool:"}
	if !slices.Equal(got, want) {
		t.Errorf("op params %q, want %q", got, want)
	}
	got = nil
	for _, p := range opByID(t, api, "del").Params {
		got = append(got, fmt.Sprintf("%s:%s:%s", p.In, p.Name, p.Type.words()))
	}
	if want := []string{"path:id:int", "query:limit:int", "header:trace:string"}; !slices.Equal(got, want) {
		t.Errorf("del params %q, want %q", got, want)
	}
}

func TestRouteConflictsLeaveTheLaterOperationOut(t *testing.T) {
	api, diags := mustBuild(t, `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /items/{id}:
    get:
      operationId: byID
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
  /items/{name}:
    get:
      operationId: byName
      parameters: [{name: name, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
    put:
      operationId: putByName
      parameters: [{name: name, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
`)
	var ids []string
	for _, o := range api.Operations {
		ids = append(ids, o.ID)
	}
	if want := []string{"byID", "putByName"}; !slices.Equal(ids, want) {
		t.Errorf("operations %v, want %v", ids, want)
	}
	wantDiag(t, diags, diag.Warning, "/paths/~1items~1{name}/get", "operation byName left out")
	if ds := diagAt(diags, "/paths/~1items~1{name}/get", `"GET /items/{id}" of operation byID`); len(ds) != 1 {
		t.Errorf("conflict does not name the earlier route:\n%s", diagList(diags))
	}
}

func TestOperationsInPathThenMethodOrder(t *testing.T) {
	api, _ := mustBuild(t, `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /b:
    patch: {responses: {"200": {description: ok}}}
    get: {responses: {"200": {description: ok}}}
    delete: {responses: {"200": {description: ok}}}
    post: {responses: {"200": {description: ok}}}
  /a:
    put: {responses: {"200": {description: ok}}}
`)
	var got []string
	for _, o := range api.Operations {
		got = append(got, o.Pattern)
	}
	want := []string{"PUT /a", "GET /b", "POST /b", "DELETE /b", "PATCH /b"}
	if !slices.Equal(got, want) {
		t.Errorf("operations %v, want %v", got, want)
	}
}

func TestOperationDocJoinsSummaryAndDescription(t *testing.T) {
	api, _ := mustBuild(t, `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    get: {operationId: both, summary: " Lists. ", description: "Long.\n", responses: {"200": {description: ok}}}
    put: {operationId: desc, description: Only, responses: {"200": {description: ok}}}
    post: {operationId: none, responses: {"200": {description: ok}}}
`)
	for id, want := range map[string]string{"both": "Lists.\n\nLong.", "desc": "Only", "none": ""} {
		if got := opByID(t, api, id).Doc; got != want {
			t.Errorf("%s: doc %q, want %q", id, got, want)
		}
	}
}

func TestRequestBodies(t *testing.T) {
	api, _ := mustBuild(t, `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    post:
      operationId: jsonStruct
      requestBody:
        required: true
        content:
          application/json: {schema: {$ref: "#/components/schemas/Item"}}
      responses: {"200": {description: ok}}
    put:
      operationId: optionalStruct
      requestBody:
        content:
          application/json: {schema: {$ref: "#/components/schemas/Item"}}
      responses: {"200": {description: ok}}
    patch:
      operationId: mixed
      requestBody:
        content:
          application/octet-stream: {}
          application/merge-patch+json: {schema: {type: object, properties: {z: {type: integer}}}}
          application/json: {schema: {$ref: "#/components/schemas/Item"}}
      responses: {"200": {description: ok}}
    delete:
      operationId: rawOnly
      requestBody:
        content:
          text/plain: {schema: {type: string}}
      responses: {"200": {description: ok}}
  /b:
    post:
      operationId: jsonNoSchema
      requestBody:
        content:
          application/json: {}
      responses: {"200": {description: ok}}
    put:
      operationId: jsonSlice
      requestBody:
        content:
          application/json: {schema: {type: array, items: {type: string}}}
      responses: {"200": {description: ok}}
    patch:
      operationId: suffixOnly
      requestBody:
        content:
          application/vnd.x+json: {schema: {$ref: "#/components/schemas/Item"}}
      responses: {"200": {description: ok}}
    get:
      operationId: noBody
      responses: {"200": {description: ok}}
components:
  schemas:
    Item:
      type: object
      required: [id]
      properties: {id: {type: string}}
`)
	tests := []struct {
		id                string
		required, pointer bool
		raw, anyJSON      bool
		accept            string
		kind              GoKind // 0: no Type
		decoder           string
	}{
		{"jsonStruct", true, false, false, true, "application/json", KindNamed, "decodeItem"},
		{"optionalStruct", false, true, false, true, "application/json", KindNamed, "decodeItem"},
		// application/json wins over another JSON media type; raw bodies
		// bypass the one-pass decoder.
		{"mixed", false, true, true, true, "application/json application/merge-patch+json application/octet-stream", KindNamed, ""},
		{"rawOnly", false, false, true, false, "text/plain", 0, ""},
		{"jsonNoSchema", false, false, false, true, "application/json", KindRawJSON, ""},
		{"jsonSlice", false, false, false, true, "application/json", KindSlice, ""},
		{"suffixOnly", false, true, false, true, "application/vnd.x+json", KindNamed, "decodeItem"},
	}
	for _, tt := range tests {
		b := opByID(t, api, tt.id).Body
		if b == nil {
			t.Errorf("%s: no body", tt.id)
			continue
		}
		kind := GoKind(0)
		if b.Type != nil {
			kind = b.Type.Kind
		}
		got := fmt.Sprintf("required=%v pointer=%v raw=%v json=%v accept=%q kind=%d decoder=%q", b.Required, b.Pointer, b.Raw, b.AnyJSON, b.Accept, kind, b.Decoder)
		want := fmt.Sprintf("required=%v pointer=%v raw=%v json=%v accept=%q kind=%d decoder=%q", tt.required, tt.pointer, tt.raw, tt.anyJSON, tt.accept, tt.kind, tt.decoder)
		if got != want {
			t.Errorf("%s:\n got %s\nwant %s", tt.id, got, want)
		}
		if strings.Join(b.ContentTypes, " ") != b.Accept || !slices.IsSorted(b.ContentTypes) {
			t.Errorf("%s: content types %v not sorted or not Accept %q", tt.id, b.ContentTypes, b.Accept)
		}
	}
	if b := opByID(t, api, "mixed").Body; b.Type.Named == nil || b.Type.Named.Name != "Item" {
		t.Errorf("mixed body typed %+v, want Item from application/json", b.Type)
	}
	if b := opByID(t, api, "jsonStruct").Body; b.Check == "" {
		t.Error("JSON body with a schema has no Check")
	}
	if o := opByID(t, api, "noBody"); o.Body != nil {
		t.Errorf("operation without requestBody has body %+v", o.Body)
	}
	if !opByID(t, api, "jsonStruct").Validates || opByID(t, api, "noBody").Validates {
		t.Error("Validates not set exactly where a body or parameter has a Check")
	}
}
