package model

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/securegen/securegen/generator/diag"
)

func (b *builder) buildSchemes() {
	if b.doc.Components == nil {
		return
	}
	var fields Namespace
	defs := b.doc.Components.SecuritySchemes
	for _, key := range sortedKeys(defs) {
		ptr := "/components/securitySchemes/" + escapeToken(key)
		ref := defs[key]
		if ref == nil || ref.Value == nil {
			b.warn(ptr, "security scheme has no value; operations that use it refuse every request")
			continue
		}
		ss := ref.Value
		sc := &Scheme{
			Key:         key,
			GoName:      fields.Unique(GoName(key)),
			Description: strings.TrimSpace(ss.Description),
			Location:    b.loc(ptr),
			SpecType:    ss.Type,
		}
		switch strings.ToLower(ss.Type) {
		case "http":
			sc.SpecType = "http " + strings.ToLower(ss.Scheme)
			switch strings.ToLower(ss.Scheme) {
			case "bearer":
				sc.Type = HTTPBearer
			case "basic":
				sc.Type = HTTPBasic
			default:
				sc.Type = Unsupported
				b.warn(ptr, "http scheme %q cannot be verified by securegen; requests that only it could admit are refused", ss.Scheme)
			}
		case "apikey":
			sc.Type = APIKey
			sc.KeyName = ss.Name
			sc.In = strings.ToLower(ss.In)
			switch sc.In {
			case "header", "query", "cookie":
			default:
				sc.Type = Unsupported
				b.warn(ptr+"/in", "apiKey location %q is not header, query or cookie; requests that only it could admit are refused", ss.In)
			}
			if sc.KeyName == "" && sc.Type == APIKey {
				sc.Type = Unsupported
				b.warn(ptr+"/name", "apiKey has no name; requests that only it could admit are refused")
			}
			if sc.Type == APIKey {
				sc.Where = fmt.Sprintf(" in %s %q", sc.In, sc.KeyName)
			}
		case "oauth2":
			sc.Type = OAuth2
			sc.Flows = flows(ss.Flows)
		case "openidconnect":
			sc.Type = OpenIDConnect
		case "mutualtls":
			sc.Type = MutualTLS
		default:
			sc.Type = Unsupported
			b.warn(ptr+"/type", "security scheme type %q is unknown; requests that only it could admit are refused", ss.Type)
		}
		if sc.Type == Unsupported {
			// No verifier could help: the scheme gets no Security field.
			sc.GoName = ""
		}
		b.schemes[key] = sc
		b.api.Schemes = append(b.api.Schemes, sc)
	}
}

func flows(f *openapi3.OAuthFlows) []*Flow {
	if f == nil {
		return nil
	}
	var out []*Flow
	add := func(name string, fl *openapi3.OAuthFlow) {
		if fl == nil {
			return
		}
		out = append(out, &Flow{Name: name, AuthorizationURL: fl.AuthorizationURL, TokenURL: fl.TokenURL,
			RefreshURL: fl.RefreshURL, Scopes: sortedKeys(fl.Scopes)})
	}
	add("authorizationCode", f.AuthorizationCode)
	add("clientCredentials", f.ClientCredentials)
	add("implicit", f.Implicit)
	add("password", f.Password)
	return out
}

// security normalizes the requirement that applies to op.
func (b *builder) security(op *openapi3.Operation, ptr string) (Security, error) {
	reqs, base := b.doc.Security, "/security"
	var sec Security
	if op.Security != nil {
		reqs, base = *op.Security, ptr+"/security"
	} else {
		sec.Inherited = true
		sec.Implicit = b.doc.Security == nil
	}
	if len(reqs) == 0 {
		sec.Public = true
		return sec, nil
	}
	seen := map[string]bool{}
	for i, req := range reqs {
		var alt []Need
		dropped := false
		for _, key := range sortedKeys(req) {
			sc := b.schemes[key]
			if sc == nil {
				loc := b.loc(fmt.Sprintf("%s/%d/%s", base, i, escapeToken(key)))
				if b.lenient {
					// Audit's reading: an error finding, and the alternative
					// dropped, so that it admits nobody.
					b.sink.Add(diag.Errorf(loc, "security requirement names scheme %q, which components.securitySchemes does not declare", key).Diagnostic)
					dropped = true
					continue
				}
				// Generation fails closed and goes on: the alternative
				// keeps a scheme that securegen cannot verify, so it admits
				// nobody, and a large spec with one slip can still be served.
				b.sink.Warnf(loc, "security requirement names scheme %q, which components.securitySchemes does not declare; that alternative admits nobody", key)
				sc = b.undeclaredScheme(key, loc)
			}
			var scopes []string
			for _, s := range req[key] {
				if !slices.Contains(scopes, s) {
					scopes = append(scopes, s)
				}
			}
			alt = append(alt, Need{Scheme: sc, Scopes: scopes})
		}
		if dropped {
			continue
		}
		sig := altSignature(alt)
		if seen[sig] {
			continue
		}
		seen[sig] = true
		sec.Alternatives = append(sec.Alternatives, alt)
	}
	return sec, nil
}

// undeclaredScheme returns the stand-in for a scheme that requirements
// name but the spec does not declare: an unsupported scheme, with no
// verifier field, which admits nobody.
func (b *builder) undeclaredScheme(key string, loc diag.Location) *Scheme {
	sc := &Scheme{Key: key, Type: Unsupported, SpecType: "undeclared", Location: loc, Undeclared: true}
	b.schemes[key] = sc
	b.api.Schemes = append(b.api.Schemes, sc)
	return sc
}

func altSignature(alt []Need) string {
	var sb strings.Builder
	for _, u := range alt {
		sb.WriteString(u.Scheme.Key)
		sb.WriteByte('[')
		sb.WriteString(strings.Join(u.Scopes, " "))
		sb.WriteString("];")
	}
	return sb.String()
}

// buildScopes declares a constant for every scope the schemes declare and
// every scope or role the requirements use.
func (b *builder) buildScopes() {
	docs := map[string]string{}
	values := map[string]bool{}
	for _, sc := range b.api.Schemes {
		if b.doc.Components == nil {
			break
		}
		if sc.Undeclared {
			continue
		}
		ss := b.doc.Components.SecuritySchemes[sc.Key].Value
		for _, fl := range sc.Flows {
			for _, s := range fl.Scopes {
				values[s] = true
				if docs[s] == "" && ss != nil && ss.Flows != nil {
					for _, f := range []*openapi3.OAuthFlow{ss.Flows.AuthorizationCode, ss.Flows.ClientCredentials, ss.Flows.Implicit, ss.Flows.Password} {
						if f != nil && f.Scopes[s] != "" {
							docs[s] = f.Scopes[s]
							break
						}
					}
				}
			}
		}
	}
	for _, op := range b.api.Operations {
		for _, alt := range op.Security.Alternatives {
			for _, u := range alt {
				for _, s := range u.Scopes {
					values[s] = true
				}
			}
		}
	}
	for _, v := range sortedKeys(values) {
		c := &ScopeConst{Name: b.names.Unique("Scope" + GoName(v)), Value: v, Doc: docs[v]}
		b.scopes[v] = c
		b.api.Scopes = append(b.api.Scopes, c)
	}
}

// ScopeName returns the name of the constant declared for scope.
func (api *API) ScopeName(scope string) string {
	if api.scopeNames == nil {
		api.scopeNames = make(map[string]string, len(api.Scopes))
		for _, c := range api.Scopes {
			api.scopeNames[c.Value] = c.Name
		}
	}
	return api.scopeNames[scope]
}

// markUsedSchemes records which schemes operations use, and where an
// issuer's token endpoint goes.
func (b *builder) markUsedSchemes() {
	patterns := map[string]bool{}
	for _, op := range b.api.Operations {
		patterns["POST "+muxPathOf(op.Pattern)] = true
		for _, alt := range op.Security.Alternatives {
			for _, u := range alt {
				u.Scheme.Used = true
			}
		}
	}
	for _, sc := range b.api.Schemes {
		if sc.Type != OAuth2 {
			continue
		}
		for _, fl := range sc.Flows {
			if fl.Name != "password" && fl.Name != "clientCredentials" {
				continue
			}
			for _, raw := range []string{fl.TokenURL, fl.RefreshURL} {
				p, ok := localPath(raw)
				if !ok || patterns["POST "+p] || slices.Contains(sc.TokenPaths, p) {
					continue
				}
				sc.TokenPaths = append(sc.TokenPaths, p)
				b.api.HasTokenPaths = true
			}
		}
	}
}

// localPath returns the path of a URL that points at the API itself: a
// relative reference such as "/token" or "token".
func localPath(raw string) (string, bool) {
	if raw == "" {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Path == "" || strings.ContainsAny(u.Path, "{}") {
		return "", false
	}
	p := u.Path
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p, true
}

func muxPathOf(pattern string) string {
	_, p, _ := strings.Cut(pattern, " ")
	return p
}
