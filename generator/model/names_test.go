package model

import (
	"go/token"
	"slices"
	"testing"
)

func TestGoNameSpellsInitialismsAndAlwaysGivesAnIdentifier(t *testing.T) {
	tests := []struct{ in, want string }{
		{"id", "ID"},
		{"Id", "ID"},
		{"user_id", "UserID"},
		{"userId", "UserID"},
		{"userIDs", "UserIDs"},
		{"url", "URL"},
		{"redirect_url", "RedirectURL"},
		{"http_server", "HTTPServer"},
		{"HTTPServer", "HTTPServer"},
		{"httpsProxy", "HTTPSProxy"},
		{"x-api-key", "XAPIKey"},
		{"list_items", "ListItems"},
		{"listItems", "ListItems"},
		{"ListItems", "ListItems"},
		{"oauth2_token", "Oauth2Token"},
		// A leading digit cannot start an identifier.
		{"1abc", "N1abc"},
		{"2fa-code", "N2faCode"},
		{"404", "N404"},
		// Keywords are capitalized, which makes them identifiers.
		{"type", "Type"},
		{"func", "Func"},
		// Nothing usable: a placeholder, never "".
		{"", "X"},
		{"---", "X"},
		{"$ref", "Ref"},
		{"a.b.c", "ABC"},
		{"@odata.type", "OdataType"},
		// Non-ASCII runes are spelled by code point, so names stay ASCII.
		{"café", "CafUe9"},
		{"日本", "U65e5U672c"},
		{"Ärger", "Uc4Rger"},
		{"naïve name", "NaUefVeName"},
	}
	for _, tt := range tests {
		got := GoName(tt.in)
		if got != tt.want {
			t.Errorf("GoName(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if !token.IsIdentifier(got) || !token.IsExported(got) {
			t.Errorf("GoName(%q) = %q is not an exported identifier", tt.in, got)
		}
	}
}

func TestLowerNameLowersTheLeadingWordAndAvoidsKeywords(t *testing.T) {
	tests := []struct{ in, want string }{
		{"id", "id"},
		{"ID", "id"},
		{"url", "url"},
		{"url_path", "urlPath"},
		{"HTTPServer", "httpServer"},
		{"user_id", "userID"},
		{"get items by id", "getItemsByID"},
		{"op ListItems", "opListItems"},
		{"1abc", "n1abc"},
		{"", "x"},
		// Go keywords get a trailing underscore.
		{"type", "type_"},
		{"func", "func_"},
		{"range", "range_"},
		{"go", "go_"},
		{"café", "cafUe9"},
	}
	for _, tt := range tests {
		got := lowerName(tt.in)
		if got != tt.want {
			t.Errorf("lowerName(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if !token.IsIdentifier(got) || token.IsExported(got) {
			t.Errorf("lowerName(%q) = %q is not an unexported identifier", tt.in, got)
		}
	}
}

func TestWildcardNameKeepsIdentifiersAndLowersTheRest(t *testing.T) {
	tests := []struct{ in, want string }{
		{"itemId", "itemId"},
		{"item_id", "item_id"},
		{"item-id", "itemID"},
		{"Item.ID", "itemID"},
		{"1st", "n1st"},
		// A keyword is a valid ServeMux wildcard name; the underscore
		// lowerName adds for Go is dropped.
		{"type", "type"},
	}
	for _, tt := range tests {
		if got := wildcardName(tt.in); got != tt.want {
			t.Errorf("wildcardName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNamespaceUniqueAddsSmallestFreeSuffix(t *testing.T) {
	var ns Namespace
	if ns.Taken("A") {
		t.Fatal("zero Namespace reports A taken")
	}
	steps := []struct{ ask, want string }{
		{"A", "A"},
		{"A", "A2"},
		{"A", "A3"},
		// A name that looks like a suffixed one is its own name...
		{"B2", "B2"},
		{"B", "B"},
		// ...and is skipped when suffixing.
		{"B", "B3"},
		// Suffixes go on the name as asked, not on a suffixed one.
		{"A2", "A22"},
	}
	for _, s := range steps {
		if got := ns.Unique(s.ask); got != s.want {
			t.Errorf("Unique(%q) = %q, want %q", s.ask, got, s.want)
		}
		if !ns.Taken(s.want) {
			t.Errorf("Taken(%q) = false after Unique handed it out", s.want)
		}
	}
}

func TestNamespaceReserveMakesNamesTakenWithoutHandingThemOut(t *testing.T) {
	var ns Namespace
	ns.Reserve("Server", "Security")
	for _, n := range []string{"Server", "Security"} {
		if !ns.Taken(n) {
			t.Errorf("Taken(%q) = false after Reserve", n)
		}
	}
	if ns.Taken("Other") {
		t.Error("Taken(Other) = true, never reserved")
	}
	if got := ns.Unique("Server"); got != "Server2" {
		t.Errorf("Unique(Server) after Reserve = %q, want Server2", got)
	}
	if got := ns.Unique("Other"); got != "Other" {
		t.Errorf("Unique(Other) = %q, want Other", got)
	}
}

func TestSchemaNameCollisionsGetDistinctDeterministicNames(t *testing.T) {
	const spec = `
openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    user_id:
      type: object
      properties: {a: {type: string}}
    userId:
      type: object
      properties: {b: {type: string}}
    UserID:
      type: object
      properties: {c: {type: string}}
    Server:
      type: object
      properties: {d: {type: string}}
    Security:
      type: string
`
	// Components are named in the order of their keys: "UserID" <
	// "userId" < "user_id" byte-wise. Reserved package names are taken.
	want := map[string]string{"UserID": "UserID", "userId": "UserID2", "user_id": "UserID3", "Server": "Server2", "Security": "Security2"}
	var first []string
	for run := 0; run < 3; run++ {
		api, _ := mustBuild(t, spec)
		got := map[string]string{}
		for _, ty := range api.Types {
			for k := range want {
				if ty.Location.Pointer == "/components/schemas/"+k {
					got[k] = ty.Name
				}
			}
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("run %d: schema %q named %q, want %q", run, k, got[k], w)
			}
		}
		names := typeNames(api)
		if !slices.IsSorted(names) {
			t.Errorf("types not sorted by name: %v", names)
		}
		if run == 0 {
			first = names
		} else if !slices.Equal(first, names) {
			t.Errorf("run %d names %v differ from run 0 %v", run, names, first)
		}
	}
}

func TestEnumConstantsShareThePackageNamespaceWithTypes(t *testing.T) {
	api, _ := mustBuild(t, `
openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Status:
      type: string
      enum: [active, inactive]
    StatusActive:
      type: object
      properties: {x: {type: string}}
`)
	st := typeNamed(t, api, "Status")
	typeNamed(t, api, "StatusActive")
	var names []string
	for _, v := range st.Values {
		names = append(names, v.Name)
	}
	if want := []string{"StatusActive2", "StatusInactive"}; !slices.Equal(names, want) {
		t.Errorf("enum constants %v, want %v", names, want)
	}
}

func TestOperationNameCollisions(t *testing.T) {
	api, _ := mustBuild(t, `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    get:
      operationId: listItems
      responses: {"200": {description: ok}}
  /b:
    get:
      operationId: list_items
      responses: {"200": {description: ok}}
    post:
      responses: {"200": {description: ok}}
  /c/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
components:
  schemas:
    ListItemsRequest:
      type: object
      properties: {x: {type: string}}
`)
	tests := []struct {
		id, name, handler, request, response, v string
	}{
		{"listItems", "ListItems", "serveListItems", "ListItemsRequest2", "ListItemsResponse", "opListItems"},
		{"list_items", "ListItems2", "serveListItems2", "ListItems2Request", "ListItems2Response", "opListItems2"},
		// Without operationId: method and path words.
		{"postB", "PostB", "servePostB", "PostBRequest", "PostBResponse", "opPostB"},
		{"getCByID", "GetCByID", "serveGetCByID", "GetCByIDRequest", "GetCByIDResponse", "opGetCByID"},
	}
	for _, tt := range tests {
		o := opByID(t, api, tt.id)
		got := [5]string{o.Name, o.HandlerName, o.RequestType, o.ResponseType, o.Var}
		want := [5]string{tt.name, tt.handler, tt.request, tt.response, tt.v}
		if got != want {
			t.Errorf("operation %s: names (Name, HandlerName, RequestType, ResponseType, Var) = %v, want %v", tt.id, got, want)
		}
	}
}

func TestParamGoNamesAvoidRequestFieldsAndOtherLocations(t *testing.T) {
	api, _ := mustBuild(t, `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /items/{id}:
    get:
      operationId: getItem
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - {name: id, in: query, schema: {type: string}}
        - {name: id, in: header, schema: {type: string}}
        - {name: id, in: cookie, schema: {type: string}}
        - {name: body, in: query, schema: {type: string}}
        - {name: Principal, in: header, schema: {type: string}}
        - {name: contentType, in: query, schema: {type: string}}
        - {name: x_id, in: query, schema: {type: string}}
        - {name: X-Id, in: header, schema: {type: string}}
      responses: {"200": {description: ok}}
`)
	o := opByID(t, api, "getItem")
	tests := []struct {
		in   ParamIn
		name string
		want string
	}{
		{InPath, "id", "ID"},
		{InQuery, "id", "IDQuery"},
		{InHeader, "id", "IDHeader"},
		{InCookie, "id", "IDCookie"},
		// The request struct's own fields are taken like another location's.
		{InQuery, "body", "BodyQuery"},
		{InHeader, "Principal", "PrincipalHeader"},
		{InQuery, "contentType", "ContentTypeQuery"},
		{InQuery, "x_id", "XID"},
		{InHeader, "X-Id", "XIDHeader"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		p := paramNamed(t, o, tt.in, tt.name)
		if p.GoName != tt.want {
			t.Errorf("%s parameter %q: GoName %q, want %q", tt.in, tt.name, p.GoName, tt.want)
		}
		if seen[p.GoName] {
			t.Errorf("GoName %q given twice", p.GoName)
		}
		seen[p.GoName] = true
		if slices.Contains(requestReserved, p.GoName) {
			t.Errorf("GoName %q is a field of the request struct", p.GoName)
		}
	}
}

func TestSchemeAndScopeNamesCollide(t *testing.T) {
	api, _ := mustBuild(t, `
openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components:
  securitySchemes:
    api_key: {type: apiKey, in: header, name: X-A}
    apiKey: {type: apiKey, in: header, name: X-B}
    oauth:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: https://example.com/token
          scopes: {"user:read": r, "user.read": r2, read: r3}
`)
	var goNames []string
	for _, sc := range api.Schemes {
		goNames = append(goNames, sc.Key+"="+sc.GoName)
	}
	if want := []string{"apiKey=APIKey", "api_key=APIKey2", "oauth=Oauth"}; !slices.Equal(goNames, want) {
		t.Errorf("scheme fields %v, want %v", goNames, want)
	}
	for scope, want := range map[string]string{"read": "ScopeRead", "user.read": "ScopeUserRead", "user:read": "ScopeUserRead2", "absent": ""} {
		if got := api.ScopeName(scope); got != want {
			t.Errorf("ScopeName(%q) = %q, want %q", scope, got, want)
		}
	}
}
