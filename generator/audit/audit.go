// Package audit reports the security of every operation of a spec, and
// findings about it, from the same model the generated code is rendered
// from.
//
// # Report
//
// A Report has one row per operation and a list of findings, each with a
// severity (error, warning or note), a code, a location and a message. A
// row is the operation's auth.Operation, built by the same function the
// generated Operations table is rendered from: method, path, operation id
// and alternatives, each an AND of needs (a scheme and its scopes), and
// whether an object-level check (x-securegen-authorize, or generation with
// -authorize-objects) runs before the operation; from it follow whether
// the operation is public and whether it admits anonymous callers.
//
// # JSON shape
//
// WriteJSON writes this shape, which is stable: fields may be added, none
// will be removed or change meaning.
//
//	{
//	  "operations": [
//	    {
//	      "method": "GET",
//	      "path": "/pets/{petId}",
//	      "operationId": "getPet",
//	      "public": false,
//	      "anonymous": false,
//	      "objectCheck": true,
//	      "rateLimit": {"requests": 100, "period": "1m0s", "burst": 20, "by": "principal"},
//	      "alternatives": [
//	        [{"scheme": "oauth", "type": "oauth2", "scopes": ["read"]}],
//	        [{"scheme": "apiKey", "type": "apiKey", "scopes": []}]
//	      ]
//	    }
//	  ],
//	  "findings": [
//	    {
//	      "severity": "warning",
//	      "code": "apikey-in-query",
//	      "location": "spec.yaml#/components/securitySchemes/apiKey",
//	      "message": "..."
//	    }
//	  ]
//	}
//
// operations, findings, alternatives and scopes are always arrays, never
// null. An alternative is an AND of its entries, alternatives an OR; an
// empty alternative ([]) admits anonymous callers. A public operation has
// no alternatives; an operation that is not public and has no
// alternatives refuses every request. type is the scheme's type as the spec
// spells it ("http bearer", "apiKey", "oauth2", "http negotiate", ...).
// objectCheck is true when the generated server asks the Server's
// Authorize method whether the caller may act on the object the request
// names. rateLimit is the operation's x-securegen-rate-limit, or null.
// severity is "error", "warning" or "note". location is
// "file#pointer", where pointer is a JSON pointer into the file.
//
// # Finding codes
//
// See the Code constants: implicit-public, undeclared-scheme,
// undeclared-scope, unused-scheme, apikey-in-query, http-basic,
// cookie-apikey, indistinguishable-schemes, unsupported-scheme,
// object-check-missing.
package audit

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/securegen/securegen/generator"
	"github.com/securegen/securegen/generator/diag"
	"github.com/securegen/securegen/generator/model"
	"github.com/securegen/securegen/runtime/auth"
)

// Finding codes.
const (
	// CodeImplicitPublic (warning): an operation has no security and the
	// spec has no root default, and it does not say security: [] either.
	CodeImplicitPublic = "implicit-public"
	// CodeUndeclaredScheme (error): a requirement names a scheme that
	// components.securitySchemes does not declare; the alternative admits
	// nobody.
	CodeUndeclaredScheme = "undeclared-scheme"
	// CodeUndeclaredScope (warning): a requirement uses a scope that no
	// flow of the oauth2 scheme declares.
	CodeUndeclaredScope = "undeclared-scope"
	// CodeUnusedScheme (warning): a declared scheme no operation uses.
	CodeUnusedScheme = "unused-scheme"
	// CodeAPIKeyInQuery (warning): an apiKey travels in the query string,
	// where it ends up in logs.
	CodeAPIKeyInQuery = "apikey-in-query"
	// CodeHTTPBasic (note): http basic sends a password with every request.
	CodeHTTPBasic = "http-basic"
	// CodeCookieAPIKey (note): an apiKey in a cookie invites CSRF.
	CodeCookieAPIKey = "cookie-apikey"
	// CodeIndistinguishableSchemes (warning when operations use both, note
	// otherwise): two schemes whose credentials look the same on the wire,
	// such as two http bearer schemes (oauth2 and openIdConnect tokens are
	// bearer tokens too), an apiKey in the Authorization header beside an
	// http scheme, or two apiKeys of the same name in the same place.
	CodeIndistinguishableSchemes = "indistinguishable-schemes"
	// CodeUnsupportedScheme (error when used, warning when not): a scheme
	// securegen cannot verify, such as http negotiate; the generated
	// server refuses every request that only it could admit.
	CodeUnsupportedScheme = "unsupported-scheme"
	// CodeObjectCheckMissing (note): a secured operation has a path
	// parameter, which usually names an object, and no object-level check
	// runs before it: whether this caller may act on that object is left
	// to the handler (OWASP API1, Broken Object Level Authorization).
	CodeObjectCheckMissing = "object-check-missing"
)

// Report is the audit of one spec.
type Report struct {
	// Operations are in the order of the spec.
	Operations []Operation
	// SchemeTypes maps the key of every declared scheme to its type as the
	// spec spells it ("http bearer", "apiKey", "oauth2", ...).
	SchemeTypes map[string]string
	// Findings are sorted: errors first, then by location and code.
	Findings []Finding
}

// Operation is one row of the report: an operation with the security it
// requires, as runtime/auth states it and the generated code enforces it.
type Operation struct {
	auth.Operation
	// RateLimit is the operation's limit (x-securegen-rate-limit); nil for
	// none.
	RateLimit *model.RateLimit
	// Refused is set when the operation has no alternatives and yet is not
	// public: every alternative the spec gives it names an undeclared
	// scheme and was dropped, so it admits nobody. (Generation refuses
	// such a spec; only the audit's lenient model has such operations.)
	Refused bool
}

// Public reports whether the operation requires nothing.
func (o Operation) Public() bool { return !o.Refused && o.Operation.Public() }

// Finding is one problem or remark about the spec's security.
type Finding struct {
	Severity diag.Severity
	Code     string
	Location diag.Location
	Message  string
}

// Options say how the spec is generated, so that the audit reports what
// the generated server does.
type Options struct {
	// AuthorizeObjects audits the spec as securegen generate
	// -authorize-objects generates it (see
	// model.Options.AuthorizeObjects).
	AuthorizeObjects bool
}

// Run loads the spec at path, builds its model as generation does except
// that undeclared schemes become findings instead of errors, and audits
// it. An error means the spec could not be loaded or modeled.
func Run(ctx context.Context, path string) (*Report, error) {
	return RunWith(ctx, path, Options{})
}

// RunWith is Run for a spec generated with opts.
func RunWith(ctx context.Context, path string, opts Options) (*Report, error) {
	var sink diag.Sink
	api, err := generator.LoadModel(ctx, path, model.Options{LenientSecurity: true, AuthorizeObjects: opts.AuthorizeObjects}, &sink)
	if err != nil {
		if _, ok := errors.AsType[*generator.ModelError](err); ok {
			return nil, fmt.Errorf("audit: model of %s: %w", path, err)
		}
		return nil, fmt.Errorf("audit: %w", err)
	}
	return Audit(api, sink.All()), nil
}

// Audit reports on api. diags are the diagnostics recorded while loading
// and modeling it with model.Options.LenientSecurity: the undeclared
// schemes among them become findings.
func Audit(api *model.API, diags []diag.Diagnostic) *Report {
	r := &Report{Operations: []Operation{}, SchemeTypes: map[string]string{}, Findings: []Finding{}}
	if api == nil {
		return r
	}
	for _, sc := range api.Schemes {
		if sc != nil {
			r.SchemeTypes[sc.Key] = sc.SpecType
		}
	}
	a := auditor{api: api, report: r, seen: map[string]bool{}}
	a.operations()
	a.undeclaredSchemes(diags)
	a.schemes()
	sort.SliceStable(r.Findings, func(i, j int) bool {
		x, y := r.Findings[i], r.Findings[j]
		if x.Severity != y.Severity {
			return x.Severity > y.Severity
		}
		if x.Location.File != y.Location.File {
			return x.Location.File < y.Location.File
		}
		if x.Location.Pointer != y.Location.Pointer {
			return x.Location.Pointer < y.Location.Pointer
		}
		return x.Code < y.Code
	})
	return r
}

type auditor struct {
	api    *model.API
	report *Report
	// seen holds code and location of findings already made.
	seen map[string]bool
}

func (a *auditor) add(sev diag.Severity, code string, loc diag.Location, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	key := code + "\x00" + loc.File + "\x00" + loc.Pointer + "\x00" + msg
	if a.seen[key] {
		return
	}
	a.seen[key] = true
	a.report.Findings = append(a.report.Findings, Finding{Severity: sev, Code: code, Location: loc, Message: msg})
}

// operations adds a row for every operation, with the requirement the
// generated code is rendered from, and checks its scopes.
func (a *auditor) operations() {
	for _, op := range a.api.Operations {
		if op == nil {
			continue
		}
		row := Operation{Operation: op.Requirement(), RateLimit: op.RateLimit, Refused: !op.Security.Public && len(op.Security.Alternatives) == 0}
		a.report.Operations = append(a.report.Operations, row)
		for _, alt := range op.Security.Alternatives {
			for _, u := range alt {
				if u.Scheme != nil {
					a.checkScopes(op, u.Scheme, u.Scopes)
				}
			}
		}
		if op.Security.Public && op.Security.Implicit {
			a.add(diag.Warning, CodeImplicitPublic, op.Location,
				"operation %s %s (%s) has no security and the spec has no root default: it is public; write security: [] if that is intended",
				op.Method, op.Path, op.ID)
		}
		a.objectCheck(op, row)
	}
}

// objectCheck notes a secured operation that takes a path parameter and
// has no object-level check. An operation that admits nobody is left
// alone: no caller reaches any object through it.
func (a *auditor) objectCheck(op *model.Operation, row Operation) {
	if op.ObjectCheck || op.Security.Public || row.Refused {
		return
	}
	var names []string
	for _, p := range op.Params {
		if p != nil && p.In == model.InPath {
			names = append(names, p.Name)
		}
	}
	if len(names) == 0 {
		return
	}
	noun := "parameter"
	if len(names) > 1 {
		noun = "parameters"
	}
	a.add(diag.Note, CodeObjectCheckMissing, op.Location,
		"operation %s %s (%s) is secured and takes the path %s %s, but no object-level check runs before it: unless its handler checks, any caller who passes security can act on any object it names; set %s: true or generate with -authorize-objects",
		op.Method, op.Path, op.ID, noun, strings.Join(names, ", "), model.AuthorizeExtension)
}

// checkScopes reports scopes that op needs of the oauth2 scheme sc and
// that no flow of sc declares.
func (a *auditor) checkScopes(op *model.Operation, sc *model.Scheme, scopes []string) {
	if sc.Type != model.OAuth2 {
		return
	}
	declared := map[string]bool{}
	for _, f := range sc.Flows {
		if f == nil {
			continue
		}
		for _, s := range f.Scopes {
			declared[s] = true
		}
	}
	loc := diag.Location{File: op.Location.File, Pointer: op.Location.Pointer + "/security"}
	if op.Security.Inherited {
		loc.Pointer = "/security"
	}
	for _, s := range scopes {
		if !declared[s] {
			a.add(diag.Warning, CodeUndeclaredScope, loc,
				"scope %q of scheme %q is not declared by any of its flows", s, sc.Key)
		}
	}
}

// requirementPointer matches the pointer of a security requirement's entry:
// .../security/<index>/<scheme>.
var requirementPointer = regexp.MustCompile(`(?:^|/)security/[0-9]+/([^/]+)$`)

// undeclaredSchemes turns the diagnostics of undeclared schemes into
// findings. Model.Build records them, with LenientSecurity, as errors at
// the requirement's entry.
func (a *auditor) undeclaredSchemes(diags []diag.Diagnostic) {
	declared := map[string]bool{}
	for _, sc := range a.api.Schemes {
		if sc != nil {
			declared[sc.Key] = true
		}
	}
	for _, d := range diags {
		if d.Severity != diag.Error {
			continue
		}
		m := requirementPointer.FindStringSubmatch(d.Location.Pointer)
		if m == nil {
			continue
		}
		key := strings.NewReplacer("~1", "/", "~0", "~").Replace(m[1])
		if declared[key] {
			continue
		}
		a.add(diag.Error, CodeUndeclaredScheme, d.Location,
			"security requirement names scheme %q, which components.securitySchemes does not declare; the alternative admits nobody", key)
	}
}

// wireClass says how a scheme's credential looks on the wire; schemes of
// one class cannot be told apart.
func wireClass(sc *model.Scheme) string {
	switch sc.Type {
	case model.HTTPBearer, model.OAuth2, model.OpenIDConnect:
		return "authorization bearer"
	case model.HTTPBasic:
		return "authorization basic"
	case model.APIKey:
		switch sc.In {
		case "header":
			if strings.EqualFold(sc.KeyName, "Authorization") {
				return "authorization header"
			}
			return "header " + strings.ToLower(sc.KeyName)
		case "query":
			return "query " + sc.KeyName
		case "cookie":
			return "cookie " + sc.KeyName
		}
	}
	return ""
}

// clash reports whether the credentials of x and y look alike.
func clash(x, y *model.Scheme) bool {
	cx, cy := wireClass(x), wireClass(y)
	if cx == "" || cy == "" {
		return false
	}
	if cx == cy {
		return true
	}
	// An apiKey in the Authorization header reads whatever is there.
	auth := func(c string) bool { return strings.HasPrefix(c, "authorization ") }
	return (cx == "authorization header" && auth(cy)) || (cy == "authorization header" && auth(cx))
}

func (a *auditor) schemes() {
	var list []*model.Scheme
	for _, sc := range a.api.Schemes {
		if sc != nil {
			list = append(list, sc)
		}
	}
	for i, sc := range list {
		if !sc.Used {
			a.add(diag.Warning, CodeUnusedScheme, sc.Location, "security scheme %q is declared but no operation uses it", sc.Key)
		}
		switch sc.Type {
		case model.Unsupported:
			sev, tail := diag.Error, "the generated server refuses every request that only it could admit"
			if !sc.Used {
				sev, tail = diag.Warning, "no operation uses it, but one that did would refuse every request that only it could admit"
			}
			a.add(sev, CodeUnsupportedScheme, sc.Location, "security scheme %q has type %q, which securegen cannot verify: %s", sc.Key, sc.SpecType, tail)
		case model.HTTPBasic:
			a.add(diag.Note, CodeHTTPBasic, sc.Location,
				"security scheme %q is http basic: a password travels with every request; require TLS and consider tokens", sc.Key)
		case model.APIKey:
			switch sc.In {
			case "query":
				a.add(diag.Warning, CodeAPIKeyInQuery, sc.Location,
					"security scheme %q takes its key from the query parameter %q: keys in URLs leak into logs, histories and Referer headers", sc.Key, sc.KeyName)
			case "cookie":
				a.add(diag.Note, CodeCookieAPIKey, sc.Location,
					"security scheme %q takes its key from the cookie %q: browsers send it on cross-site requests, so protect state-changing operations against CSRF", sc.Key, sc.KeyName)
			}
		}
		for _, other := range list[:i] {
			if clash(other, sc) {
				sev := diag.Note
				if other.Used && sc.Used {
					sev = diag.Warning
				}
				a.add(sev, CodeIndistinguishableSchemes, sc.Location,
					"security schemes %q (%s) and %q (%s) cannot be told apart on the wire: a credential meant for one reaches the other's verifier",
					other.Key, describeScheme(other), sc.Key, describeScheme(sc))
			}
		}
	}
}

func describeScheme(sc *model.Scheme) string {
	if sc.Type == model.APIKey {
		return fmt.Sprintf("apiKey in %s %q", sc.In, sc.KeyName)
	}
	return sc.SpecType
}

// Fails reports whether some finding is at least as severe as min.
func (r *Report) Fails(min diag.Severity) bool {
	for _, f := range r.Findings {
		if f.Severity >= min {
			return true
		}
	}
	return false
}
