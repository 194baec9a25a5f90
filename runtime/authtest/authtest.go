// Package authtest proves, in users' own tests, that a generated handler
// protects every operation exactly as its spec says. For each operation
// of the generated Operations table it checks that:
//
//   - a request with no credential is answered 401 (unless the spec
//     admits anonymous callers) and never reaches the handler;
//   - an invalid credential is answered 401, even where anonymous callers
//     are admitted;
//   - a valid credential without the required scopes is answered 403;
//   - a valid credential with the scopes of any alternative gets past
//     the security check.
//
// The usual setup, which `securegen generate -authtest` writes, serves
// Unimplemented with verifiers from a Fake, so that getting past the
// check shows as 501 Not Implemented (or 400 when the request lacks a
// required parameter, which is bound only after security). Where an
// operation has an object-level check, Unimplemented's check denies, so
// getting past security shows as 403 without a challenge (or 400), and a
// 501 would mean the handler ran although the check denied: a failure.
package authtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"

	"github.com/securegen/securegen/runtime/auth"
)

// Minter presents credentials on a request: valid ones that grant scopes,
// or invalid ones, for a scheme. Fake is a Minter; users with real
// verifiers can write their own (signing real JWTs, say).
type Minter interface {
	Present(r *http.Request, s *auth.Scheme, scopes []string, valid bool) error
}

// Fake mints credentials that the verifiers it hands out accept. Tokens
// name the scheme and the scopes they grant, so a token minted for one
// scheme is refused by another scheme's verifier.
type Fake struct{}

const fakePrefix = "authtest."

// Verifier returns the verifier for scheme: it accepts what Present
// minted as valid for that scheme, and nothing else.
func (Fake) Verifier(scheme string) auth.Verifier {
	return auth.VerifierFunc(func(_ context.Context, c auth.Credential) (*auth.Principal, error) {
		tok := c.Token
		switch {
		case c.Username != "":
			tok = c.Password
		case len(c.Certificates) > 0:
			tok = c.Certificates[0].Subject.CommonName
		}
		payload, ok := strings.CutPrefix(tok, fakePrefix)
		raw, err := base64.RawURLEncoding.DecodeString(payload)
		if !ok || err != nil {
			return nil, errors.New("authtest: not a minted credential")
		}
		name, scopeList, _ := strings.Cut(string(raw), "\n")
		if name != scheme {
			return nil, errors.New("authtest: credential minted for another scheme")
		}
		var scopes []string
		if scopeList != "" {
			scopes = strings.Split(scopeList, "\n")
		}
		return &auth.Principal{Subject: "authtest", Scheme: scheme, Scopes: scopes}, nil
	})
}

// Present puts a credential for s on r where s says it goes.
func (Fake) Present(r *http.Request, s *auth.Scheme, scopes []string, valid bool) error {
	// The token is URL- and cookie-safe whatever the scheme's name and
	// scopes hold.
	tok := fakePrefix + base64.RawURLEncoding.EncodeToString([]byte(strings.Join(append([]string{s.Name}, scopes...), "\n")))
	if !valid {
		tok = "forged" + tok
	}
	switch s.Type {
	case auth.HTTPBearer, auth.OAuth2, auth.OpenIDConnect:
		r.Header.Set("Authorization", "Bearer "+tok)
	case auth.HTTPBasic:
		r.SetBasicAuth("authtest", tok)
	case auth.APIKeyAuth:
		switch s.In {
		case auth.InHeader:
			r.Header.Set(s.KeyName, tok)
		case auth.InQuery:
			q := r.URL.Query()
			q.Set(s.KeyName, tok)
			r.URL.RawQuery = q.Encode()
		case auth.InCookie:
			r.AddCookie(&http.Cookie{Name: s.KeyName, Value: tok})
		}
	case auth.MutualTLS:
		cert := &x509.Certificate{Subject: pkix.Name{CommonName: tok}}
		r.TLS = &tls.ConnectionState{HandshakeComplete: true, PeerCertificates: []*x509.Certificate{cert}}
		if valid {
			// Only a verified chain is a credential; a forged one has none.
			r.TLS.VerifiedChains = [][]*x509.Certificate{{cert}}
		}
	default:
		return fmt.Errorf("authtest: cannot mint credentials for %s scheme %q", s.Type, s.Name)
	}
	return nil
}

// TB is the part of testing.TB that Check uses.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

// Check runs the four checks above against every operation of h, and
// reports each violation on t, naming the operation and the case.
func Check(t TB, h http.Handler, ops []auth.Operation, schemes []*auth.Scheme, m Minter) {
	t.Helper()
	byName := map[string]*auth.Scheme{}
	for _, s := range schemes {
		byName[s.Name] = s
	}
	for _, op := range ops {
		if op.Public() {
			continue
		}
		c := checker{t: t, h: h, op: op, schemes: byName, m: m}
		c.run()
	}
}

type checker struct {
	t       TB
	h       http.Handler
	op      auth.Operation
	schemes map[string]*auth.Scheme
	m       Minter
}

func (c *checker) run() {
	c.t.Helper()
	// 1. No credential.
	w := c.record(nil, false, false)
	switch {
	case !c.op.Anonymous():
		if w.Code != http.StatusUnauthorized {
			c.fail("no credential", w.Code, "401")
		}
	case c.op.ObjectCheck && w.Code == http.StatusNotImplemented:
		c.fail("no credential", w.Code, "the object check's 403: the handler ran although the object check denies")
	case c.op.ObjectCheck && w.Code == http.StatusForbidden && w.Header().Get("WWW-Authenticate") == "":
		// Past security (anonymous callers are admitted), stopped by the
		// denying object check.
	case denied(w.Code):
		c.fail("no credential", w.Code, "past the security check, as the spec admits anonymous callers")
	}
	for i, alt := range c.op.Alternatives {
		if len(alt) == 0 || !c.mintable(alt) {
			continue
		}
		// 2. Invalid credentials, presented for every scheme of the alternative.
		if s := c.serve(alt, false); s != http.StatusUnauthorized {
			c.fail(fmt.Sprintf("invalid credential (alternative %d)", i+1), s, "401")
		}
		// 3. Valid credentials without the scopes.
		if needsScopes(alt) && !c.op.Anonymous() && !c.satisfiedWithoutScopes(alt) {
			if s := c.serveScopes(alt, false); s != http.StatusForbidden {
				c.fail(fmt.Sprintf("valid credential without scopes (alternative %d)", i+1), s, "403")
			}
		}
		// 4. Valid credentials with the scopes.
		w = c.record(alt, true, true)
		switch {
		case c.op.ObjectCheck && w.Code == http.StatusNotImplemented:
			c.fail(fmt.Sprintf("valid credential with scopes (alternative %d)", i+1), w.Code,
				"the object check's 403: the handler ran although the object check denies")
		case c.op.ObjectCheck && w.Code == http.StatusForbidden && w.Header().Get("WWW-Authenticate") == "":
			// Past the security check, stopped by the denying object check.
		case denied(w.Code):
			c.fail(fmt.Sprintf("valid credential with scopes (alternative %d)", i+1), w.Code, "past the security check")
		}
	}
}

func (c *checker) fail(what string, got int, want string) {
	c.t.Helper()
	c.t.Errorf("authtest: %s %s (%s): %s: got %d, want %s", c.op.Method, c.op.Path, c.op.ID, what, got, want)
}

func denied(status int) bool {
	return status == http.StatusUnauthorized || status == http.StatusForbidden
}

func needsScopes(alt []auth.Need) bool {
	for _, n := range alt {
		if len(n.Scopes) > 0 {
			return true
		}
	}
	return false
}

// satisfiedWithoutScopes reports whether credentials for alt's schemes,
// granting no scopes, satisfy another alternative, which makes a 403 for
// alt the wrong expectation.
func (c *checker) satisfiedWithoutScopes(alt []auth.Need) bool {
	for _, other := range c.op.Alternatives {
		if len(other) == 0 || needsScopes(other) {
			continue
		}
		covered := true
		for _, n := range other {
			if !slices.ContainsFunc(alt, func(a auth.Need) bool { return a.Scheme == n.Scheme }) {
				covered = false
			}
		}
		if covered {
			return true
		}
	}
	return false
}

func (c *checker) mintable(alt []auth.Need) bool {
	for _, n := range alt {
		s := c.schemes[n.Scheme]
		if s == nil || s.Type == auth.Unsupported {
			return false
		}
	}
	return true
}

func (c *checker) serve(alt []auth.Need, valid bool) int {
	return c.request(alt, valid, false)
}

func (c *checker) serveScopes(alt []auth.Need, withScopes bool) int {
	return c.request(alt, true, withScopes)
}

func (c *checker) request(alt []auth.Need, valid, withScopes bool) int {
	c.t.Helper()
	return c.record(alt, valid, withScopes).Code
}

func (c *checker) record(alt []auth.Need, valid, withScopes bool) *httptest.ResponseRecorder {
	c.t.Helper()
	r := httptest.NewRequest(c.op.Method, requestPath(c.op.Path), nil)
	for _, n := range alt {
		var scopes []string
		if withScopes {
			scopes = n.Scopes
		}
		if err := c.m.Present(r, c.schemes[n.Scheme], scopes, valid); err != nil {
			c.t.Errorf("authtest: %s: %v", c.op.ID, err)
			return httptest.NewRecorder()
		}
	}
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, r)
	return w
}

// requestPath fills every path parameter of a spec path with "1" and
// drops what some specs append after '#' or '?'.
func requestPath(p string) string {
	if i := strings.IndexAny(p, "#?"); i >= 0 {
		p = p[:i]
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(p, '{')
		j := strings.IndexByte(p, '}')
		if i < 0 || j < i {
			b.WriteString(p)
			break
		}
		b.WriteString(p[:i])
		b.WriteString("1")
		p = p[j+1:]
	}
	out := b.String()
	if !strings.HasPrefix(out, "/") {
		out = "/" + out
	}
	return out
}
