package auth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAuthorizationParsing(t *testing.T) {
	bearer := &Scheme{Name: "b", Type: HTTPBearer}
	basic := &Scheme{Name: "u", Type: HTTPBasic}
	tests := []struct {
		header    string
		scheme    *Scheme
		presented bool
		valid     bool
		token     string
	}{
		{"", bearer, false, false, ""},
		{"Bearer abc.def-ghi_~+/==", bearer, true, true, "abc.def-ghi_~+/=="},
		{"bearer   abc", bearer, true, true, "abc"},
		{"Bearer", bearer, true, false, ""},
		{"Bearer ", bearer, true, false, ""},
		{"Bearer a b", bearer, true, false, ""},
		{"Bearer a=b", bearer, true, false, ""},
		{"Bearerabc", bearer, false, false, ""},
		{"Basic dXNlcjpwYXNz", bearer, false, false, ""},
		{"Basic dXNlcjpwYXNz", basic, true, true, ""},
		{"BASIC dXNlcjpwYXNz", basic, true, true, ""},
		{"Basic !!!", basic, true, false, ""},
		{"Basic dXNlcg==", basic, true, false, ""}, // no colon
		{"Bearer abc", basic, false, false, ""},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		if tt.header != "" {
			r.Header.Set("Authorization", tt.header)
		}
		c, presented, err := Extract(r, tt.scheme)
		if presented != tt.presented || (err == nil) != tt.valid && presented {
			t.Errorf("%q for %s: presented %v, err %v; want presented %v, valid %v", tt.header, tt.scheme.Type, presented, err, tt.presented, tt.valid)
		}
		if tt.token != "" && c.Token != tt.token {
			t.Errorf("%q: token %q, want %q", tt.header, c.Token, tt.token)
		}
	}
}

// FuzzExtract feeds arbitrary Authorization headers, cookies and queries
// to every kind of scheme: extraction never panics, and what it returns
// as valid is consistent with the input.
func FuzzExtract(f *testing.F) {
	f.Add("Bearer abc", "k=v", "session=x")
	f.Add("Basic dXNlcjpwYXNz", "api_key=%zz", "session")
	f.Add("bEaReR \x00\xff", ";;;", "=;=")
	schemes := []*Scheme{
		{Name: "b", Type: HTTPBearer}, {Name: "o", Type: OAuth2}, {Name: "u", Type: HTTPBasic},
		{Name: "h", Type: APIKeyAuth, In: InHeader, KeyName: "Authorization"},
		{Name: "q", Type: APIKeyAuth, In: InQuery, KeyName: "api_key"},
		{Name: "c", Type: APIKeyAuth, In: InCookie, KeyName: "session"},
		{Name: "m", Type: MutualTLS},
	}
	f.Fuzz(func(t *testing.T, authz, query, cookie string) {
		r := &http.Request{Header: http.Header{}, URL: httptest.NewRequest("GET", "/", nil).URL}
		r.Header.Set("Authorization", authz)
		r.Header.Set("Cookie", cookie)
		r.URL.RawQuery = query
		for _, s := range schemes {
			c, presented, err := Extract(r, s)
			if !presented && (c.Token != "" || c.Username != "" || err != nil) {
				t.Fatalf("%s: absent credential carries data: %+v %v", s.Type, c, err)
			}
			if presented && err == nil && s.Type == HTTPBearer && (!isToken68(c.Token) || !strings.Contains(authz, c.Token)) {
				t.Fatalf("bearer token %q accepted from %q", c.Token, authz)
			}
			if s.Type == MutualTLS && presented {
				t.Fatal("mutualTLS credential without TLS")
			}
		}
	})
}

// guardWithAnonymous returns a guard and a requirement that admits
// anonymous callers or callers of s, as `security: [{}, {s: []}]` does;
// s's verifier accepts every credential and counts its calls.
func guardWithAnonymous(s *Scheme) (*Guard, *Requirement, *int) {
	calls := new(int)
	s.Verifier = VerifierFunc(func(context.Context, Credential) (*Principal, error) {
		*calls++
		return &Principal{Subject: "someone"}, nil
	})
	req := &Requirement{Operation: "op", Alternatives: [][]Use{{}, {{Scheme: s}}}}
	return &Guard{Realm: "api", Logger: slog.New(slog.DiscardHandler)}, req, calls
}

// TestDuplicatedAuthorizationIsMalformed: several Authorization header
// lines are a malformed credential of every scheme that reads the header,
// even when one of them would verify, and never read as "no credential".
func TestDuplicatedAuthorizationIsMalformed(t *testing.T) {
	for _, lines := range [][]string{
		{"", "Bearer forged"},
		{"Bearer ok", "Bearer forged"},
		{"Basic dXNlcjpwYXNz", "Bearer forged"},
		{"Bearer ok", ""},
	} {
		for _, typ := range []SchemeType{HTTPBearer, OAuth2, OpenIDConnect, HTTPBasic} {
			s := &Scheme{Name: "s", Type: typ}
			r := httptest.NewRequest("GET", "/", nil)
			r.Header["Authorization"] = lines
			c, presented, err := Extract(r, s)
			if !presented || !errors.Is(err, errMalformed) || c.Token != "" || c.Password != "" {
				t.Errorf("%s, %q: presented %v, err %v, credential %+v; want a malformed credential", typ, lines, presented, err, c)
			}

			g, req, calls := guardWithAnonymous(s)
			ps, d := g.Check(r, req)
			if d == nil || ps != nil {
				t.Fatalf("%s, %q: admitted as %v", typ, lines, ps)
			}
			if d.Status != http.StatusUnauthorized || *calls != 0 {
				t.Errorf("%s, %q: status %d after %d verifier calls; want 401 and none", typ, lines, d.Status, *calls)
			}
			if wantInvalid := typ != HTTPBasic; wantInvalid != strings.Contains(strings.Join(d.Challenges, ", "), `error="invalid_token"`) {
				t.Errorf("%s, %q: challenges %q", typ, lines, d.Challenges)
			}
		}
	}
}

// TestEmptyAuthorizationIsMalformed: an Authorization header line that is
// empty (or blank) is a malformed credential, not an absent one.
func TestEmptyAuthorizationIsMalformed(t *testing.T) {
	for _, v := range []string{"", " ", "\t"} {
		for _, typ := range []SchemeType{HTTPBearer, OAuth2, OpenIDConnect, HTTPBasic} {
			s := &Scheme{Name: "s", Type: typ}
			r := httptest.NewRequest("GET", "/", nil)
			r.Header["Authorization"] = []string{v}
			if _, presented, err := Extract(r, s); !presented || !errors.Is(err, errMalformed) {
				t.Errorf("%s, %q: presented %v, err %v; want a malformed credential", typ, v, presented, err)
			}
			g, req, calls := guardWithAnonymous(s)
			if ps, d := g.Check(r, req); d == nil || d.Status != http.StatusUnauthorized || *calls != 0 {
				t.Errorf("%s, %q: principals %v, denial %v, %d verifier calls; want 401 and none", typ, v, ps, d, *calls)
			} else if typ != HTTPBasic && !strings.Contains(d.Challenges[0], `error="invalid_token"`) {
				t.Errorf("%s, %q: challenge %q lacks invalid_token", typ, v, d.Challenges[0])
			}
		}
	}
	// No Authorization line at all is still no credential.
	g, req, _ := guardWithAnonymous(&Scheme{Name: "s", Type: HTTPBearer})
	if ps, d := g.Check(httptest.NewRequest("GET", "/", nil), req); d != nil || ps != nil {
		t.Errorf("no Authorization: principals %v, denial %v; want anonymous", ps, d)
	}
}

// TestRepeatedAPIKeyIsMalformed: an API key whose header, query parameter
// or cookie is repeated, empty, or hidden in a query or cookie header that
// does not parse, is a malformed credential, never an absent one.
func TestRepeatedAPIKeyIsMalformed(t *testing.T) {
	header := &Scheme{Name: "h", Type: APIKeyAuth, In: InHeader, KeyName: "X-API-Key"}
	query := &Scheme{Name: "q", Type: APIKeyAuth, In: InQuery, KeyName: "api_key"}
	cookie := &Scheme{Name: "c", Type: APIKeyAuth, In: InCookie, KeyName: "session"}
	tests := []struct {
		name   string
		scheme *Scheme
		edit   func(r *http.Request)
		valid  bool // presented and well-formed; otherwise presented and malformed
	}{
		{"one header", header, func(r *http.Request) { r.Header["X-Api-Key"] = []string{"k1"} }, true},
		{"two header lines", header, func(r *http.Request) { r.Header["X-Api-Key"] = []string{"k1", "forged"} }, false},
		{"empty then key", header, func(r *http.Request) { r.Header["X-Api-Key"] = []string{"", "forged"} }, false},
		{"empty header", header, func(r *http.Request) { r.Header["X-Api-Key"] = []string{""} }, false},
		{"one query parameter", query, func(r *http.Request) { r.URL.RawQuery = "api_key=k1&x=1" }, true},
		{"repeated query parameter", query, func(r *http.Request) { r.URL.RawQuery = "api_key=k1&api_key=forged" }, false},
		{"escaped repeat", query, func(r *http.Request) { r.URL.RawQuery = "api_key=k1&api%5Fkey=forged" }, false},
		{"bad escape in the key", query, func(r *http.Request) { r.URL.RawQuery = "api_key=%zz" }, false},
		{"semicolon", query, func(r *http.Request) { r.URL.RawQuery = "x=1;api_key=forged" }, false},
		{"too many parameters", query, func(r *http.Request) {
			r.URL.RawQuery = "api_key=forged" + strings.Repeat("&a=1", 20000)
		}, false},
		{"one cookie", cookie, func(r *http.Request) { r.Header.Set("Cookie", "a=1; session=k1") }, true},
		{"repeated cookie", cookie, func(r *http.Request) { r.Header.Set("Cookie", "session=k1; session=forged") }, false},
		{"cookie in two lines", cookie, func(r *http.Request) { r.Header["Cookie"] = []string{"session=k1", "session=forged"} }, false},
		{"unparseable cookie value", cookie, func(r *http.Request) { r.Header.Set("Cookie", `session="k1`) }, false},
		{"empty cookie", cookie, func(r *http.Request) { r.Header.Set("Cookie", "session=") }, false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		tt.edit(r)
		c, presented, err := Extract(r, tt.scheme)
		if tt.valid {
			if !presented || err != nil || c.Token != "k1" {
				t.Errorf("%s: presented %v, err %v, token %q; want k1", tt.name, presented, err, c.Token)
			}
			continue
		}
		if !presented || !errors.Is(err, errMalformed) {
			t.Errorf("%s: presented %v, err %v; want a malformed credential", tt.name, presented, err)
		}
		g, req, calls := guardWithAnonymous(tt.scheme)
		if ps, d := g.Check(r, req); d == nil || d.Status != http.StatusUnauthorized || *calls != 0 {
			t.Errorf("%s: principals %v, denial %v, %d verifier calls; want 401 and none", tt.name, ps, d, *calls)
		}
	}
	// A query without the key that parses is no credential.
	r := httptest.NewRequest("GET", "/?x=1&y=2", nil)
	if _, presented, err := Extract(r, query); presented || err != nil {
		t.Errorf("query without the key: presented %v, err %v", presented, err)
	}
}
