package issuer_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/securegen/securegen/runtime/auth"
	"github.com/securegen/securegen/runtime/issuer"
	"github.com/securegen/securegen/runtime/password"
)

const (
	testIssuer   = "https://issuer.test"
	testAudience = "https://api.test"
	alicePW      = "correct horse battery staple"
	bobPW        = "hunter2-but-longer"
	svcSecret    = "s3rvice-secret-value"
	appSecret    = "app-secret-value"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// hashes are made once: bcrypt at its minimum cost keeps tests fast.
var hashes = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, pw := range []string{alicePW, bobPW, svcSecret, appSecret} {
		h, err := password.HashBcrypt(pw, bcrypt.MinCost)
		if err != nil {
			panic(err)
		}
		m[pw] = h
	}
	return m
})

// env is an issuer mounted on an httptest server.
type env struct {
	t     *testing.T
	srv   *issuer.Server
	ts    *httptest.Server
	clock *clock
}

func baseConfig() issuer.Config {
	h := hashes()
	return issuer.Config{
		Issuer:   testIssuer,
		Audience: []string{testAudience},
		Authenticate: issuer.Users([]issuer.User{
			{Username: "alice", PasswordHash: h[alicePW], Scopes: []string{"read", "write"}},
			{Username: "bob", PasswordHash: h[bobPW], Scopes: []string{"read"}},
		}),
		Clients: []issuer.Client{
			{ID: "app", SecretHash: h[appSecret], Grants: []string{issuer.GrantPassword, issuer.GrantRefreshToken}},
			{ID: "app2", SecretHash: h[appSecret], Grants: []string{issuer.GrantPassword, issuer.GrantRefreshToken}},
			{ID: "svc", SecretHash: h[svcSecret], Scopes: []string{"jobs:run", "jobs:read"}, Grants: []string{issuer.GrantClientCredentials}},
		},
		// Tests name the client address in a header.
		ClientAddress: func(r *http.Request) string { return "addr-" + r.Header.Get("X-Test-Addr") },
	}
}

func newEnv(t *testing.T, mutate func(*issuer.Config)) *env {
	t.Helper()
	c := &clock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	cfg := baseConfig()
	cfg.Now = c.Now
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := issuer.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &env{t: t, srv: srv, ts: mount(t, srv), clock: c}
}

// mount serves srv's token endpoint at /token and its routes.
func mount(t *testing.T, srv *issuer.Server) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("/token", srv.TokenHandler())
	for _, r := range srv.Routes() {
		mux.Handle(r.Pattern, r.Handler)
	}
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

// reply is an answer of the token or revocation endpoint.
type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (r reply) str(name string) string { s, _ := r.body[name].(string); return s }

// post sends form to path with the Basic credentials basic (user, password)
// when not nil, from client address addr.
func post(t *testing.T, base, path string, form url.Values, basic []string, addr string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Test-Addr", addr)
	if basic != nil {
		req.SetBasicAuth(basic[0], basic[1])
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) reply {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			t.Fatalf("body %q is not a JSON object: %v", raw, err)
		}
	}
	return r
}

func (e *env) token(form url.Values, basic ...string) reply {
	e.t.Helper()
	if len(basic) == 0 {
		basic = nil
	}
	return post(e.t, e.ts.URL, "/token", form, basic, "1")
}

func (e *env) login(user, pw, scope string) reply {
	e.t.Helper()
	f := url.Values{"grant_type": {"password"}, "username": {user}, "password": {pw}}
	if scope != "" {
		f.Set("scope", scope)
	}
	return e.token(f, "app", appSecret)
}

func (e *env) refresh(token string) reply {
	e.t.Helper()
	return e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}}, "app", appSecret)
}

func (e *env) verify(token string) (*auth.Principal, error) {
	return e.srv.Verify(context.Background(), auth.Credential{Scheme: "oauth", Token: token})
}

func mustOK(t *testing.T, r reply) reply {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d, body %s; want 200", r.status, r.raw)
	}
	return r
}

func wantError(t *testing.T, r reply, status int, code string) {
	t.Helper()
	if r.status != status || r.str("error") != code {
		t.Fatalf("got %d %s; want %d with error %q", r.status, r.raw, status, code)
	}
	if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Pragma") != "no-cache" {
		t.Errorf("error answer has Cache-Control %q, Pragma %q; want no-store, no-cache", r.header.Get("Cache-Control"), r.header.Get("Pragma"))
	}
}

// jwtParts decodes a compact JWS's header and claims.
func jwtParts(t *testing.T, token string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a compact JWS", token)
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
	}
	return header, claims
}

func jwksKids(t *testing.T, base string) []string {
	t.Helper()
	resp, err := http.Get(base + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Keys []struct {
			Kid string `json:"kid"`
			D   string `json:"d"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range doc.Keys {
		if k.D != "" {
			t.Fatalf("JWKS publishes a private key")
		}
		kids = append(kids, k.Kid)
	}
	return kids
}

func TestPasswordGrantIssuesTokens(t *testing.T) {
	e := newEnv(t, nil)
	r := mustOK(t, e.login("alice", alicePW, ""))
	if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Pragma") != "no-cache" {
		t.Errorf("Cache-Control %q, Pragma %q; want no-store, no-cache", r.header.Get("Cache-Control"), r.header.Get("Pragma"))
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	if r.str("token_type") != "Bearer" {
		t.Errorf("token_type %q", r.str("token_type"))
	}
	if r.body["expires_in"] != float64(900) {
		t.Errorf("expires_in %v, want 900", r.body["expires_in"])
	}
	if rt, err := base64.RawURLEncoding.DecodeString(r.str("refresh_token")); err != nil || len(rt) < 32 {
		t.Errorf("refresh_token %q is not 256 random bits", r.str("refresh_token"))
	}
	if r.str("scope") != "read write" {
		t.Errorf("scope %q, want %q", r.str("scope"), "read write")
	}
	p, err := e.verify(r.str("access_token"))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if p.Subject != "alice" || p.Scheme != "oauth" || !slices.Equal(p.Scopes, []string{"read", "write"}) || p.Claims["jti"] == nil {
		t.Errorf("principal %+v", p)
	}
}

func TestAccessTokenClaims(t *testing.T) {
	for _, alg := range []string{"", issuer.ES256, issuer.RS256} {
		t.Run("alg="+alg, func(t *testing.T) {
			e := newEnv(t, func(c *issuer.Config) { c.Algorithm = alg })
			r := mustOK(t, e.login("alice", alicePW, "read"))
			r2 := mustOK(t, e.login("alice", alicePW, "read"))
			tok := r.str("access_token")
			h, c := jwtParts(t, tok)
			_, c2 := jwtParts(t, r2.str("access_token"))

			wantAlg := alg
			if wantAlg == "" {
				wantAlg = "EdDSA"
			}
			if h["alg"] != wantAlg || h["typ"] != "at+jwt" {
				t.Errorf("header %v", h)
			}
			kids := jwksKids(t, e.ts.URL)
			if kid, _ := h["kid"].(string); kid == "" || !slices.Contains(kids, kid) {
				t.Errorf("kid %v not among the published %v", h["kid"], kids)
			}
			now := e.clock.Now().Unix()
			want := map[string]any{"iss": testIssuer, "sub": "alice", "aud": testAudience, "scope": "read", "iat": float64(now), "exp": float64(now + 900), "client_id": "app"}
			for k, v := range want {
				if c[k] != v {
					t.Errorf("claim %s = %v, want %v", k, c[k], v)
				}
			}
			if jti, _ := c["jti"].(string); jti == "" || jti == c2["jti"] {
				t.Errorf("jti %v is empty or not unique (%v)", c["jti"], c2["jti"])
			}
			allowed := []string{"iss", "sub", "aud", "exp", "iat", "jti", "scope", "client_id", "sid"}
			for k := range c {
				if !slices.Contains(allowed, k) {
					t.Errorf("unexpected claim %q", k)
				}
			}
			for _, secret := range []string{alicePW, appSecret, r.str("refresh_token"), hashes()[alicePW]} {
				payload, _ := json.Marshal(c)
				if strings.Contains(string(payload), secret) || strings.Contains(tok, secret) {
					t.Errorf("token carries a secret")
				}
			}
			if _, err := e.verify(tok); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}

func TestScopeIsIntersectionAndOverreachIsInvalidScope(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		user, pw, scope string
		want            string // granted scope, or "" for invalid_scope
	}{
		{"alice", alicePW, "", "read write"},
		{"alice", alicePW, "read", "read"},
		{"alice", alicePW, "write read write", "write read"},
		{"bob", bobPW, "", "read"},
		{"bob", bobPW, "write", ""},
		{"bob", bobPW, "read admin", ""},
		{"alice", alicePW, "read\"x", ""},
	}
	for _, tt := range tests {
		r := e.login(tt.user, tt.pw, tt.scope)
		if tt.want == "" {
			wantError(t, r, http.StatusBadRequest, "invalid_scope")
			continue
		}
		mustOK(t, r)
		if r.str("scope") != tt.want {
			t.Errorf("%s asking %q got scope %q, want %q", tt.user, tt.scope, r.str("scope"), tt.want)
		}
		p, err := e.verify(r.str("access_token"))
		if err != nil || strings.Join(p.Scopes, " ") != tt.want {
			t.Errorf("%s asking %q: Verify %v, %v", tt.user, tt.scope, p, err)
		}
	}
}

func TestRefreshTokenRotatesOnEveryUse(t *testing.T) {
	e := newEnv(t, nil)
	r0 := mustOK(t, e.login("alice", alicePW, ""))
	r1 := mustOK(t, e.refresh(r0.str("refresh_token")))
	if r1.str("refresh_token") == "" || r1.str("refresh_token") == r0.str("refresh_token") {
		t.Fatalf("refresh token not rotated: %q", r1.str("refresh_token"))
	}
	if r1.str("access_token") == r0.str("access_token") || r1.str("scope") != "read write" {
		t.Errorf("refresh answer %s", r1.raw)
	}
	if p, err := e.verify(r1.str("access_token")); err != nil || p.Subject != "alice" {
		t.Errorf("Verify refreshed token: %v %v", p, err)
	}
	// A narrower scope for the access token; the refresh token keeps its own.
	r2 := mustOK(t, e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r1.str("refresh_token")}, "scope": {"read"}}, "app", appSecret))
	if r2.str("scope") != "read" {
		t.Errorf("narrowed scope %q", r2.str("scope"))
	}
	wantError(t, e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r2.str("refresh_token")}, "scope": {"admin"}}, "app", appSecret), http.StatusBadRequest, "invalid_scope")
	r3 := mustOK(t, e.refresh(r2.str("refresh_token")))
	if r3.str("scope") != "read write" {
		t.Errorf("scope after narrowing %q, want the original", r3.str("scope"))
	}
	// A refresh token is bound to its client.
	other := mustOK(t, e.refresh(r3.str("refresh_token")))
	wantError(t, e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {other.str("refresh_token")}}, "app2", appSecret), http.StatusBadRequest, "invalid_grant")
	// Expired refresh tokens are refused.
	e.clock.Advance(issuer.DefaultRefreshTokenTTL + time.Second)
	wantError(t, e.refresh(other.str("refresh_token")), http.StatusBadRequest, "invalid_grant")
}

func TestRefreshTokenReuseRevokesFamily(t *testing.T) {
	e := newEnv(t, nil)
	r0 := mustOK(t, e.login("alice", alicePW, ""))
	sibling := mustOK(t, e.login("alice", alicePW, "")) // another family
	r1 := mustOK(t, e.refresh(r0.str("refresh_token")))
	r2 := mustOK(t, e.refresh(r1.str("refresh_token")))

	// The stolen r0 is replayed.
	wantError(t, e.refresh(r0.str("refresh_token")), http.StatusBadRequest, "invalid_grant")

	// The newest token of the family stops working, and so do the access
	// tokens issued from it.
	wantError(t, e.refresh(r2.str("refresh_token")), http.StatusBadRequest, "invalid_grant")
	if _, err := e.verify(r2.str("access_token")); err == nil {
		t.Error("access token of a revoked family still verifies")
	}
	// Another family is untouched.
	mustOK(t, e.refresh(sibling.str("refresh_token")))
}

func TestConcurrentRefreshOnlyOneWins(t *testing.T) {
	e := newEnv(t, nil)
	r0 := mustOK(t, e.login("alice", alicePW, ""))
	const n = 8
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Go(func() { codes[i] = e.refresh(r0.str("refresh_token")).status })
	}
	wg.Wait()
	if ok := slices.Index(codes, 200); ok < 0 || slices.Contains(codes[ok+1:], 200) {
		t.Errorf("statuses %v: want exactly one 200", codes)
	}
}

func TestRevocationEndpoint(t *testing.T) {
	e := newEnv(t, nil)
	revoke := func(token, hint string, basic ...string) reply {
		f := url.Values{"token": {token}}
		if hint != "" {
			f.Set("token_type_hint", hint)
		}
		return post(t, e.ts.URL, "/oauth2/revoke", f, basic, "1")
	}

	t.Run("refresh token revokes its family", func(t *testing.T) {
		r0 := mustOK(t, e.login("alice", alicePW, ""))
		r1 := mustOK(t, e.refresh(r0.str("refresh_token")))
		if rv := revoke(r1.str("refresh_token"), "refresh_token", "app", appSecret); rv.status != 200 || rv.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("revoke: %d %s", rv.status, rv.raw)
		}
		wantError(t, e.refresh(r1.str("refresh_token")), http.StatusBadRequest, "invalid_grant")
		if _, err := e.verify(r1.str("access_token")); err == nil {
			t.Error("access token of a revoked family still verifies")
		}
	})

	t.Run("access token is revoked by jti", func(t *testing.T) {
		a := mustOK(t, e.login("alice", alicePW, ""))
		b := mustOK(t, e.login("alice", alicePW, ""))
		mustOK(t, revoke(a.str("access_token"), "access_token", "app", appSecret))
		if _, err := e.verify(a.str("access_token")); err == nil {
			t.Error("revoked access token still verifies")
		}
		if _, err := e.verify(b.str("access_token")); err != nil {
			t.Errorf("unrelated access token fails: %v", err)
		}
		mustOK(t, e.refresh(a.str("refresh_token"))) // only the access token was revoked
	})

	t.Run("client_credentials token", func(t *testing.T) {
		cc := mustOK(t, e.token(url.Values{"grant_type": {"client_credentials"}}, "svc", svcSecret))
		mustOK(t, revoke(cc.str("access_token"), "", "svc", svcSecret))
		if _, err := e.verify(cc.str("access_token")); err == nil {
			t.Error("revoked access token still verifies")
		}
	})

	t.Run("another client's token is left alone", func(t *testing.T) {
		a := mustOK(t, e.login("alice", alicePW, ""))
		mustOK(t, revoke(a.str("access_token"), "", "svc", svcSecret))
		mustOK(t, revoke(a.str("refresh_token"), "", "svc", svcSecret))
		if _, err := e.verify(a.str("access_token")); err != nil {
			t.Errorf("token revoked by another client: %v", err)
		}
		mustOK(t, e.refresh(a.str("refresh_token")))
	})

	t.Run("unknown token is 200", func(t *testing.T) {
		mustOK(t, revoke("no-such-token", "", "app", appSecret))
	})

	t.Run("client must authenticate", func(t *testing.T) {
		wantError(t, revoke("x", "", "app", "wrong"), http.StatusUnauthorized, "invalid_client")
		wantError(t, revoke("", "", "app", appSecret), http.StatusBadRequest, "invalid_request")
	})
}

func TestErrorResponsesFollowRFC6749Section5_2(t *testing.T) {
	e := newEnv(t, nil)
	pw := func(extra ...string) url.Values {
		f := url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {alicePW}}
		for i := 0; i+1 < len(extra); i += 2 {
			f.Set(extra[i], extra[i+1])
		}
		return f
	}
	tests := []struct {
		name      string
		form      url.Values
		basic     []string
		status    int
		code      string
		challenge bool
	}{
		{"missing grant_type", url.Values{"username": {"alice"}}, []string{"app", appSecret}, 400, "invalid_request", false},
		{"missing username", url.Values{"grant_type": {"password"}, "password": {"x"}}, []string{"app", appSecret}, 400, "invalid_request", false},
		{"missing password", url.Values{"grant_type": {"password"}, "username": {"alice"}}, []string{"app", appSecret}, 400, "invalid_request", false},
		{"missing refresh_token", url.Values{"grant_type": {"refresh_token"}}, []string{"app", appSecret}, 400, "invalid_request", false},
		{"basic and form secret", pw("client_id", "app", "client_secret", appSecret), []string{"app", appSecret}, 400, "invalid_request", false},
		{"repeated parameter", url.Values{"grant_type": {"password", "password"}}, []string{"app", appSecret}, 400, "invalid_request", false},
		{"wrong secret by basic", pw(), []string{"app", "wrong"}, 401, "invalid_client", true},
		{"unknown client by basic", pw(), []string{"nobody", "x"}, 401, "invalid_client", true},
		{"wrong secret by form", pw("client_id", "app", "client_secret", "wrong"), nil, 401, "invalid_client", false},
		{"confidential client without secret", pw("client_id", "app"), nil, 401, "invalid_client", false},
		{"no client", pw(), nil, 401, "invalid_client", false},
		{"wrong password", pw("password", "wrong"), []string{"app", appSecret}, 400, "invalid_grant", false},
		{"unknown user", pw("username", "mallory"), []string{"app", appSecret}, 400, "invalid_grant", false},
		{"bad refresh token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"forged"}}, []string{"app", appSecret}, 400, "invalid_grant", false},
		{"scope beyond the user's", pw("scope", "admin"), []string{"app", appSecret}, 400, "invalid_scope", false},
		{"client may not use password", pw(), []string{"svc", svcSecret}, 400, "unauthorized_client", false},
		{"client may not use client_credentials", url.Values{"grant_type": {"client_credentials"}}, []string{"app", appSecret}, 400, "unauthorized_client", false},
		{"unsupported grant", url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}, []string{"app", appSecret}, 400, "unsupported_grant_type", false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A fresh address each time, so that failures do not throttle.
			r := post(t, e.ts.URL, "/token", tt.form, tt.basic, "errors-"+strconv.Itoa(i))
			wantError(t, r, tt.status, tt.code)
			if got := r.header.Get("WWW-Authenticate"); (got != "") != tt.challenge || (tt.challenge && !strings.HasPrefix(got, "Basic")) {
				t.Errorf("WWW-Authenticate %q, want a Basic challenge: %v", got, tt.challenge)
			}
			if strings.Contains(r.raw, appSecret) || strings.Contains(r.raw, alicePW) {
				t.Error("error answer echoes a credential")
			}
		})
	}
}

func TestNonFormRequestIsInvalidRequest(t *testing.T) {
	e := newEnv(t, nil)
	form := url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {alicePW}}.Encode()
	tests := []struct {
		name, method, ctype, query, body string
	}{
		{"JSON body", http.MethodPost, "application/json", "", `{"grant_type":"password","username":"alice"}`},
		{"no content type", http.MethodPost, "", "", form},
		{"GET", http.MethodGet, "", "?" + form, ""},
		{"parameters in the URL", http.MethodPost, "application/x-www-form-urlencoded", "?" + form, ""},
		{"multipart", http.MethodPost, "multipart/form-data; boundary=x", "", "--x--"},
		{"oversized body", http.MethodPost, "application/x-www-form-urlencoded", "", form + "&pad=" + strings.Repeat("a", 70<<10)},
		{"malformed form", http.MethodPost, "application/x-www-form-urlencoded", "", "grant_type=%zz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, e.ts.URL+"/token"+tt.query, strings.NewReader(tt.body))
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			req.SetBasicAuth("app", appSecret)
			wantError(t, do(t, req), http.StatusBadRequest, "invalid_request")
		})
	}
}

func TestThrottlePerUsername(t *testing.T) {
	e := newEnv(t, nil)
	f := func(pw string) url.Values {
		return url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {pw}}
	}
	for i := range 5 { // each from another address
		wantError(t, post(t, e.ts.URL, "/token", f("wrong"), []string{"app", appSecret}, "u"+strconv.Itoa(i)), 400, "invalid_grant")
	}
	// Even the right password, from a fresh address, is refused now.
	r := post(t, e.ts.URL, "/token", f(alicePW), []string{"app", appSecret}, "fresh")
	wantError(t, r, http.StatusTooManyRequests, "slow_down")
	if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 || ra > 15*60 {
		t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
	}
	// Another user is not affected.
	mustOK(t, post(t, e.ts.URL, "/token", url.Values{"grant_type": {"password"}, "username": {"bob"}, "password": {bobPW}}, []string{"app", appSecret}, "fresh"))
}

func TestThrottlePerClientAddress(t *testing.T) {
	e := newEnv(t, nil)
	for i := range 5 { // each against another username
		f := url.Values{"grant_type": {"password"}, "username": {"user" + strconv.Itoa(i)}, "password": {"guess"}}
		wantError(t, post(t, e.ts.URL, "/token", f, []string{"app", appSecret}, "attacker"), 400, "invalid_grant")
	}
	good := url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {alicePW}}
	r := post(t, e.ts.URL, "/token", good, []string{"app", appSecret}, "attacker")
	wantError(t, r, http.StatusTooManyRequests, "slow_down")
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	mustOK(t, post(t, e.ts.URL, "/token", good, []string{"app", appSecret}, "elsewhere"))

	// Failed client authentication counts against the address too.
	for range 5 {
		wantError(t, post(t, e.ts.URL, "/token", good, []string{"app", "wrong"}, "client-guesser"), 401, "invalid_client")
	}
	wantError(t, post(t, e.ts.URL, "/token", good, []string{"app", appSecret}, "client-guesser"), http.StatusTooManyRequests, "slow_down")
}

func TestKeyRotationKeepsOldKeyForOverlap(t *testing.T) {
	e := newEnv(t, nil)
	old := mustOK(t, e.login("alice", alicePW, ""))
	oldHeader, _ := jwtParts(t, old.str("access_token"))
	if err := e.srv.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	fresh := mustOK(t, e.login("alice", alicePW, ""))
	freshHeader, _ := jwtParts(t, fresh.str("access_token"))
	if oldHeader["kid"] == freshHeader["kid"] {
		t.Fatalf("Rotate did not change the signing key (kid %v)", oldHeader["kid"])
	}
	kids := jwksKids(t, e.ts.URL)
	for _, kid := range []any{oldHeader["kid"], freshHeader["kid"]} {
		if !slices.Contains(kids, kid.(string)) {
			t.Errorf("JWKS %v lacks %v", kids, kid)
		}
	}
	for _, r := range []reply{old, fresh} {
		if _, err := e.verify(r.str("access_token")); err != nil {
			t.Errorf("Verify after rotation: %v", err)
		}
	}
	// One access token lifetime later the old key is gone.
	e.clock.Advance(issuer.DefaultAccessTokenTTL + time.Second)
	if kids := jwksKids(t, e.ts.URL); slices.Contains(kids, oldHeader["kid"].(string)) {
		t.Errorf("retired key still published after the overlap: %v", kids)
	}
}

func TestKeyRotationIsAutomatic(t *testing.T) {
	e := newEnv(t, func(c *issuer.Config) { c.KeyRotation = 24 * time.Hour })
	first := mustOK(t, e.login("alice", alicePW, ""))
	h1, _ := jwtParts(t, first.str("access_token"))
	kids := jwksKids(t, e.ts.URL)
	if len(kids) != 2 {
		t.Fatalf("JWKS %v: want the signing key and the next one, published in advance", kids)
	}
	e.clock.Advance(24*time.Hour - time.Minute)
	last := mustOK(t, e.login("alice", alicePW, ""))
	e.clock.Advance(time.Minute)
	second := mustOK(t, e.login("alice", alicePW, ""))
	h2, _ := jwtParts(t, second.str("access_token"))
	if h1["kid"] == h2["kid"] || !slices.Contains(kids, h2["kid"].(string)) {
		t.Errorf("after a period, kid %v → %v; want the pre-published next key (%v)", h1["kid"], h2["kid"], kids)
	}
	if _, err := e.verify(last.str("access_token")); err != nil {
		t.Errorf("token signed just before rotation fails: %v", err)
	}
	if kids := jwksKids(t, e.ts.URL); !slices.Contains(kids, h1["kid"].(string)) || len(kids) != 3 {
		t.Errorf("JWKS after rotation %v; want retired, current and next", kids)
	}
}

func TestSuppliedKeys(t *testing.T) {
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	_, oldKey, _ := ed25519.GenerateKey(rand.Reader)
	a := newEnv(t, func(c *issuer.Config) { c.Keys = []crypto.Signer{edKey, oldKey} })
	b := newEnv(t, func(c *issuer.Config) { c.Keys = []crypto.Signer{edKey} })
	tok := mustOK(t, a.login("alice", alicePW, "")).str("access_token")
	if _, err := b.verify(tok); err != nil {
		t.Errorf("replica sharing Keys rejects the token: %v", err)
	}
	if kids := jwksKids(t, a.ts.URL); len(kids) != 2 {
		t.Errorf("JWKS %v: want both supplied keys", kids)
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	for name, cfg := range map[string]func(*issuer.Config){
		"EC key for EdDSA":  func(c *issuer.Config) { c.Keys = []crypto.Signer{ec} },
		"small RSA key":     func(c *issuer.Config) { c.Algorithm = issuer.RS256; c.Keys = []crypto.Signer{small} },
		"unknown algorithm": func(c *issuer.Config) { c.Algorithm = "HS256" },
		"no issuer":         func(c *issuer.Config) { c.Issuer = "" },
		"client without grants": func(c *issuer.Config) {
			c.Clients = append(c.Clients, issuer.Client{ID: "x", SecretHash: hashes()[appSecret]})
		},
		"public client not allowed": func(c *issuer.Config) {
			c.Clients = append(c.Clients, issuer.Client{ID: "x", Grants: []string{issuer.GrantPassword}})
		},
	} {
		c := baseConfig()
		cfg(&c)
		if _, err := issuer.New(c); err == nil {
			t.Errorf("%s: New accepted the config", name)
		}
	}
}

func TestClientCredentialsGrant(t *testing.T) {
	e := newEnv(t, nil)
	r := mustOK(t, e.token(url.Values{"grant_type": {"client_credentials"}}, "svc", svcSecret))
	if _, ok := r.body["refresh_token"]; ok {
		t.Error("client_credentials answer has a refresh token (RFC 6749 §4.4.3)")
	}
	if r.str("scope") != "jobs:run jobs:read" || r.str("token_type") != "Bearer" {
		t.Errorf("answer %s", r.raw)
	}
	p, err := e.verify(r.str("access_token"))
	if err != nil || p.Subject != "svc" {
		t.Fatalf("Verify: %v %v", p, err)
	}
	// Form authentication and a narrower scope.
	r = mustOK(t, e.token(url.Values{"grant_type": {"client_credentials"}, "client_id": {"svc"}, "client_secret": {svcSecret}, "scope": {"jobs:read"}}))
	if r.str("scope") != "jobs:read" {
		t.Errorf("scope %q", r.str("scope"))
	}
	wantError(t, e.token(url.Values{"grant_type": {"client_credentials"}, "scope": {"jobs:delete"}}, "svc", svcSecret), 400, "invalid_scope")
}

func TestPublicClients(t *testing.T) {
	e := newEnv(t, func(c *issuer.Config) {
		c.AllowPublicClients = true
		c.Clients = append(c.Clients, issuer.Client{ID: "spa", Grants: []string{issuer.GrantPassword, issuer.GrantRefreshToken}})
	})
	f := url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {alicePW}, "client_id": {"spa"}}
	r := mustOK(t, e.token(f))
	mustOK(t, e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r.str("refresh_token")}, "client_id": {"spa"}}))
	f.Del("client_id")
	mustOK(t, e.token(f))
	wantError(t, e.token(url.Values{"grant_type": {"client_credentials"}, "client_id": {"spa"}}), 400, "unauthorized_client")

	closed := newEnv(t, nil)
	wantError(t, closed.token(f), 401, "invalid_client")
}

func TestMetadataDescribesEndpoints(t *testing.T) {
	e := newEnv(t, func(c *issuer.Config) { c.TokenPath = "/oauth2/token" })
	resp, err := http.Get(e.ts.URL + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var md map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&md); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"issuer":              testIssuer,
		"token_endpoint":      testIssuer + "/oauth2/token",
		"jwks_uri":            testIssuer + "/.well-known/jwks.json",
		"revocation_endpoint": testIssuer + "/oauth2/revoke",
	} {
		if md[k] != v {
			t.Errorf("%s = %v, want %v", k, md[k], v)
		}
	}
	if g, _ := md["grant_types_supported"].([]any); len(g) != 3 {
		t.Errorf("grant_types_supported %v", md["grant_types_supported"])
	}
	var patterns []string
	for _, r := range e.srv.Routes() {
		patterns = append(patterns, r.Pattern)
	}
	want := []string{"POST /oauth2/revoke", "GET /.well-known/jwks.json", "GET /.well-known/oauth-authorization-server"}
	if !slices.Equal(patterns, want) {
		t.Errorf("Routes %v, want %v", patterns, want)
	}
}

func TestVerifyRejectsBadTokens(t *testing.T) {
	e := newEnv(t, nil)
	good := mustOK(t, e.login("alice", alicePW, "")).str("access_token")
	other := newEnv(t, nil) // same issuer name, different key
	foreign := mustOK(t, other.login("alice", alicePW, "")).str("access_token")
	wrongAud := newEnv(t, func(c *issuer.Config) { c.Audience = []string{"https://elsewhere"} })
	parts := strings.Split(good, ".")
	_, claims := jwtParts(t, good)
	claims["scope"] = "read write admin"
	forgedPayload, _ := json.Marshal(claims)
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"at+jwt"}`))

	tests := map[string]string{
		"empty":            "",
		"garbage":          "not.a.jwt",
		"other key":        foreign,
		"tampered claims":  parts[0] + "." + base64.RawURLEncoding.EncodeToString(forgedPayload) + "." + parts[2],
		"alg none":         noneHeader + "." + parts[1] + ".",
		"signature cut":    parts[0] + "." + parts[1] + ".",
		"too long":         good + strings.Repeat("A", 9000),
		"wrong audience":   mustOK(t, wrongAud.login("alice", alicePW, "")).str("access_token"),
		"header not typed": base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"EdDSA"}`)) + "." + parts[1] + "." + parts[2],
	}
	for name, tok := range tests {
		if _, err := e.verify(tok); err == nil {
			t.Errorf("%s: Verify accepted it", name)
		}
	}
	e.clock.Advance(issuer.DefaultAccessTokenTTL + time.Second)
	if _, err := e.verify(good); err == nil {
		t.Error("expired: Verify accepted it")
	}
}

// TestTokensVerifyWithAuthNewJWT shows that another service verifies the
// issuer's tokens from its published key set alone.
func TestTokensVerifyWithAuthNewJWT(t *testing.T) {
	for _, alg := range []string{issuer.EdDSA, issuer.ES256, issuer.RS256} {
		t.Run(alg, func(t *testing.T) {
			// With KeyRotation the next key is published a period before it
			// signs, so a verifier that cached the key set already knows it.
			e := newEnv(t, func(c *issuer.Config) { c.Algorithm = alg; c.Now = nil; c.KeyRotation = 24 * time.Hour })
			v, err := auth.NewJWT(auth.JWTConfig{
				JWKSURL:  e.ts.URL + "/.well-known/jwks.json",
				Issuer:   testIssuer,
				Audience: []string{testAudience},
			})
			if err != nil {
				t.Fatal(err)
			}
			tok := mustOK(t, e.login("alice", alicePW, "read")).str("access_token")
			p, err := v.Verify(context.Background(), auth.Credential{Scheme: "oauth", Token: tok})
			if err != nil {
				t.Fatalf("auth.NewJWT verifier: %v", err)
			}
			if p.Subject != "alice" || !slices.Equal(p.Scopes, []string{"read"}) {
				t.Errorf("principal %+v", p)
			}
			// After a rotation the new key is found by its kid.
			if err := e.srv.Rotate(context.Background()); err != nil {
				t.Fatal(err)
			}
			tok2 := mustOK(t, e.login("alice", alicePW, "")).str("access_token")
			if _, err := v.Verify(context.Background(), auth.Credential{Scheme: "oauth", Token: tok2}); err != nil {
				t.Errorf("token signed after rotation: %v", err)
			}
			if _, err := v.Verify(context.Background(), auth.Credential{Scheme: "oauth", Token: tok}); err != nil {
				t.Errorf("token signed before rotation: %v", err)
			}
		})
	}
}

// BenchmarkPasswordGrant measures a password grant through the token
// handler. The user's password and the client's secret are hashed with the
// cost the sub-benchmark names, so each grant makes two checks at it:
// bcrypt at cost 10 (bcrypt.DefaultCost), and argon2id at
// password.DefaultArgon2id (m=64 MiB, t=3, p=2).
func BenchmarkPasswordGrant(b *testing.B) {
	b.Run("bcrypt-cost10", func(b *testing.B) {
		benchPasswordGrant(b, func(pw string) (string, error) { return password.HashBcrypt(pw, 10) })
	})
	b.Run("argon2id-m64MiB-t3-p2", func(b *testing.B) {
		benchPasswordGrant(b, func(pw string) (string, error) { return password.HashArgon2id(pw, password.DefaultArgon2id) })
	})
}

func benchPasswordGrant(b *testing.B, hash func(string) (string, error)) {
	userHash, err := hash(alicePW)
	if err != nil {
		b.Fatal(err)
	}
	clientHash, err := hash(appSecret)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := issuer.New(issuer.Config{
		Issuer:       testIssuer,
		Authenticate: issuer.Users([]issuer.User{{Username: "alice", PasswordHash: userHash, Scopes: []string{"read"}}}),
		Clients:      []issuer.Client{{ID: "app", SecretHash: clientHash, Grants: []string{issuer.GrantPassword, issuer.GrantRefreshToken}}},
	})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.TokenHandler()
	body := url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {alicePW}}.Encode()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("app", appSecret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkRefreshGrant measures a refresh_token grant through the token
// handler (rotation in the memory store and an EdDSA signature). The client
// secret is hashed with bcrypt at cost 4 (bcrypt.MinCost), so that the
// figure shows the grant itself; a real client adds one check of its
// secret at its own cost (about the bcrypt-cost10 figure of
// BenchmarkPasswordGrant halved).
func BenchmarkRefreshGrant(b *testing.B) {
	srv, err := issuer.New(baseConfig())
	if err != nil {
		b.Fatal(err)
	}
	h := srv.TokenHandler()
	send := func(form url.Values) map[string]any {
		req := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("app", appSecret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		var m map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &m)
		return m
	}
	rt := send(url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {alicePW}})["refresh_token"].(string)
	b.ResetTimer()
	for b.Loop() {
		rt = send(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})["refresh_token"].(string)
	}
}

// FuzzVerify feeds arbitrary tokens to Verify: it must never panic, and
// must accept nothing it did not sign.
func FuzzVerify(f *testing.F) {
	srv, err := issuer.New(issuer.Config{Issuer: testIssuer})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("")
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJFZERTQSIsInR5cCI6ImF0K2p3dCJ9.e30.")
	f.Fuzz(func(t *testing.T, token string) {
		if p, err := srv.Verify(context.Background(), auth.Credential{Token: token}); err == nil {
			t.Fatalf("accepted a forged token: %+v", p)
		}
	})
}

// FuzzTokenEndpoint feeds arbitrary bodies to the token endpoint: it must
// never panic nor answer 200 without the right password.
func FuzzTokenEndpoint(f *testing.F) {
	cfg := baseConfig()
	cfg.Throttle.MaxFailures = -1
	srv, err := issuer.New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	h := srv.TokenHandler()
	f.Add("grant_type=password&username=alice&password=x", "app:"+appSecret)
	f.Add("grant_type=refresh_token&refresh_token=abc", "")
	f.Add("grant_type=client_credentials&client_id=svc&client_secret=x&scope=a%20b", "")
	f.Fuzz(func(t *testing.T, body, basic string) {
		req := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if user, pw, ok := strings.Cut(basic, ":"); ok {
			req.SetBasicAuth(user, pw)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK && !strings.Contains(body, url.QueryEscape(alicePW)) && !strings.Contains(body, svcSecret) && !strings.Contains(body, bobPW) {
			t.Fatalf("200 without a credential: %q %q → %s", body, basic, rec.Body)
		}
	})
}

// TestLongBcryptPasswordIsInvalidGrant: a password longer than bcrypt's
// 72 bytes whose first 72 bytes are right is a wrong password (400
// invalid_grant), neither a login nor a server error.
func TestLongBcryptPasswordIsInvalidGrant(t *testing.T) {
	pw72 := strings.Repeat("p", password.MaxBcryptBytes)
	h, err := password.HashBcrypt(pw72, bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *issuer.Config) {
		c.Authenticate = issuer.Users([]issuer.User{{Username: "long", PasswordHash: h, Scopes: []string{"read"}}})
	})
	mustOK(t, e.login("long", pw72, ""))
	wantError(t, e.login("long", pw72+"-suffix", ""), http.StatusBadRequest, "invalid_grant")
}
