package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"

	"github.com/securegen/securegen/examples/items/api"
	"github.com/securegen/securegen/runtime/auth"
	"github.com/securegen/securegen/runtime/issuer"
	"github.com/securegen/securegen/runtime/issuer/redisstore"
	"github.com/securegen/securegen/runtime/password"
)

// testIssuer is the iss and aud of the tokens in tests.
const testIssuer = "http://items.test"

// Paths of the issuer's endpoints, as the generated handler mounts them.
const (
	tokenPath  = "/token"
	revokePath = issuer.DefaultRevocationPath
	jwksPath   = issuer.DefaultJWKSPath
)

// reporter is a confidential client that may only use client_credentials.
const (
	reporterID     = "reporter"
	reporterSecret = "reporter-secret"
)

// fixtures hashes the demo users' passwords and the client secret once,
// at bcrypt's least cost, so that tests stay fast.
// fixture is what fixtures makes.
type fixture struct {
	users   []issuer.User
	clients []issuer.Client
}

var fixtures = sync.OnceValues(func() (fixture, error) {
	users, err := hashUsers(demoUsers, bcrypt.MinCost)
	if err != nil {
		return fixture{}, err
	}
	h, err := password.HashBcrypt(reporterSecret, bcrypt.MinCost)
	if err != nil {
		return fixture{}, fmt.Errorf("hash client secret: %w", err)
	}
	clients := []issuer.Client{{
		ID:         reporterID,
		SecretHash: h,
		Scopes:     []string{api.ScopeItemsRead},
		Grants:     []string{issuer.GrantClientCredentials},
	}}
	return fixture{users: users, clients: clients}, nil
})

// testConfig is the configuration of the example with fast hashes.
func testConfig(t *testing.T) config {
	t.Helper()
	f, err := fixtures()
	if err != nil {
		t.Fatal(err)
	}
	return config{Issuer: testIssuer, Users: f.users, Clients: f.clients, Disabled: disabledUsers}
}

// start serves newServer(cfg) on a loopback httptest server.
func start(t *testing.T, cfg config) *httptest.Server {
	t.Helper()
	h, err := newServer(cfg)
	if err != nil {
		t.Fatalf("newServer: %v", err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

// tokenResponse is the token endpoint's answer, success or error.
type tokenResponse struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int64  `json:"expires_in"`
	RefreshToken     string `json:"refresh_token"`
	Scope            string `json:"scope"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// answer is an HTTP response with its body read.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) String() string {
	return fmt.Sprintf("%d %s", a.status, bytes.TrimSpace(a.body))
}

// do sends req and reads the answer.
func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: body}
}

// postForm posts form to base+path, form-encoded, with HTTP Basic client
// credentials when basic is not nil.
func postForm(t *testing.T, base, path string, form url.Values, basic *url.Userinfo) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic != nil {
		secret, _ := basic.Password()
		req.SetBasicAuth(basic.Username(), secret)
	}
	return do(t, req)
}

// call sends method base+path with token as a Bearer credential (none when
// "") and body as JSON (none when nil).
func call(t *testing.T, method, base, path, token string, body any) answer {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return do(t, req)
}

// tokenCall posts a token request and decodes the answer.
func tokenCall(t *testing.T, base string, form url.Values, basic *url.Userinfo) (answer, tokenResponse) {
	t.Helper()
	a := postForm(t, base, tokenPath, form, basic)
	var tr tokenResponse
	if err := json.Unmarshal(a.body, &tr); err != nil {
		t.Fatalf("token endpoint: %v: body %s", err, a)
	}
	return a, tr
}

// login runs the password grant for user (with scope when not "") and
// fails the test unless it succeeds.
func login(t *testing.T, base, user, pw, scope string) tokenResponse {
	t.Helper()
	form := url.Values{"grant_type": {"password"}, "username": {user}, "password": {pw}}
	if scope != "" {
		form.Set("scope", scope)
	}
	a, tr := tokenCall(t, base, form, nil)
	if a.status != http.StatusOK || tr.AccessToken == "" {
		t.Fatalf("login %s: got %s, want 200 with an access token", user, a)
	}
	return tr
}

// refresh runs the refresh_token grant.
func refresh(t *testing.T, base, token string) (answer, tokenResponse) {
	t.Helper()
	return tokenCall(t, base, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}}, nil)
}

// revoke posts token to the revocation endpoint and wants 200.
func revoke(t *testing.T, base, token string) {
	t.Helper()
	if a := postForm(t, base, revokePath, url.Values{"token": {token}}, nil); a.status != http.StatusOK {
		t.Fatalf("revoke: got %s, want 200", a)
	}
}

// wantStatus fails the test unless a has status want.
func wantStatus(t *testing.T, what string, a answer, want int) {
	t.Helper()
	if a.status != want {
		t.Fatalf("%s: got %s, want status %d", what, a, want)
	}
}

// wantInvalidToken checks a 401 that the generated handler answers for a
// token it rejects.
func wantInvalidToken(t *testing.T, what string, a answer) {
	t.Helper()
	wantStatus(t, what, a, http.StatusUnauthorized)
	if got, want := a.header.Get("WWW-Authenticate"), `Bearer realm="Items", error="invalid_token"`; got != want {
		t.Errorf("%s: WWW-Authenticate = %q, want %q", what, got, want)
	}
}

var (
	alice   = demoUsers[0]
	admin   = demoUsers[1]
	bob     = demoUsers[2]
	mallory = demoUsers[3]
)

func TestLoginThenCallProtectedRoute(t *testing.T) {
	ts := start(t, testConfig(t))

	tr := login(t, ts.URL, alice.Username, alice.Password, "")
	if tr.TokenType != "Bearer" || tr.RefreshToken == "" || tr.ExpiresIn <= 0 {
		t.Errorf("token response = %+v, want a Bearer token, a refresh token and expires_in", tr)
	}
	if got, want := tr.Scope, "items:read items:write"; got != want {
		t.Errorf("granted scope = %q, want all of alice's scopes %q", got, want)
	}

	a := call(t, http.MethodGet, ts.URL, "/users/me", tr.AccessToken, nil)
	wantStatus(t, "GET /users/me", a, http.StatusOK)
	var me api.User
	if err := json.Unmarshal(a.body, &me); err != nil {
		t.Fatal(err)
	}
	if me.Username != "alice" || !slices.Equal(me.Scopes, alice.Scopes) {
		t.Errorf("GET /users/me = %+v, want alice with %v", me, alice.Scopes)
	}

	a = call(t, http.MethodPost, ts.URL, "/items", tr.AccessToken, api.NewItem{Name: "Baz"})
	wantStatus(t, "POST /items", a, http.StatusCreated)
	var created api.Item
	if err := json.Unmarshal(a.body, &created); err != nil {
		t.Fatal(err)
	}
	if created.Name != "Baz" || created.Owner != "alice" || created.ID == 0 {
		t.Errorf("POST /items = %+v, want Baz owned by alice", created)
	}

	a = call(t, http.MethodGet, ts.URL, "/items/"+strconv.FormatInt(created.ID, 10), tr.AccessToken, nil)
	wantStatus(t, "GET /items/{itemId}", a, http.StatusOK)

	a = call(t, http.MethodGet, ts.URL, "/items", tr.AccessToken, nil)
	wantStatus(t, "GET /items", a, http.StatusOK)
	var list []api.Item
	if err := json.Unmarshal(a.body, &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[2].ID != created.ID {
		t.Errorf("GET /items = %+v, want the two seeded items and Baz", list)
	}

	a = call(t, http.MethodPost, ts.URL, "/items", tr.AccessToken, api.NewItem{Name: "  "})
	wantStatus(t, "POST /items with a blank name", a, http.StatusBadRequest)
}

func TestNoTokenOrGarbageTokenIs401(t *testing.T) {
	ts := start(t, testConfig(t))

	a := call(t, http.MethodGet, ts.URL, "/items", "", nil)
	wantStatus(t, "no token", a, http.StatusUnauthorized)
	// RFC 6750 §3.1: no error code when no credential was presented.
	if got, want := a.header.Get("WWW-Authenticate"), `Bearer realm="Items"`; got != want {
		t.Errorf("no token: WWW-Authenticate = %q, want %q", got, want)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("no token: Content-Type = %q, want application/problem+json", ct)
	}

	for _, garbage := range []string{"garbage", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.", strings.Repeat("a", 9000)} {
		a := call(t, http.MethodGet, ts.URL, "/users/me", garbage, nil)
		wantInvalidToken(t, "garbage token", a)
		if bytes.Contains(a.body, []byte(garbage)) {
			t.Errorf("garbage token: the answer echoes the credential: %s", a)
		}
	}
}

func TestMissingScopeIs403(t *testing.T) {
	ts := start(t, testConfig(t))

	// A token narrowed at login to items:read may not write, nor delete.
	narrow := login(t, ts.URL, alice.Username, alice.Password, "items:read")
	a := call(t, http.MethodPost, ts.URL, "/items", narrow.AccessToken, api.NewItem{Name: "Qux"})
	wantStatus(t, "POST /items with items:read only", a, http.StatusForbidden)
	if got := a.header.Get("WWW-Authenticate"); !strings.Contains(got, `error="insufficient_scope", scope="items:write"`) {
		t.Errorf("WWW-Authenticate = %q, want insufficient_scope for items:write", got)
	}
	a = call(t, http.MethodDelete, ts.URL, "/items/1", narrow.AccessToken, nil)
	wantStatus(t, "DELETE /items/1 with items:read only", a, http.StatusForbidden)
	if got, want := a.header.Get("WWW-Authenticate"), `Bearer realm="Items", error="insufficient_scope", scope="items:write"`; got != want {
		t.Errorf("WWW-Authenticate = %q, want %q", got, want)
	}
}

// TestOwnershipRule is the object check of DELETE /items/{itemId}: users
// delete only their own items (403 otherwise), admins any, and an item
// that does not exist is 404 before DeleteItem runs.
func TestOwnershipRule(t *testing.T) {
	ts := start(t, testConfig(t))
	al := login(t, ts.URL, alice.Username, alice.Password, "")
	bo := login(t, ts.URL, bob.Username, bob.Password, "")
	adm := login(t, ts.URL, admin.Username, admin.Password, "")

	// Item 1 is alice's, item 2 the admin's.
	a := call(t, http.MethodDelete, ts.URL, "/items/1", bo.AccessToken, nil)
	wantStatus(t, "bob DELETE alice's /items/1", a, http.StatusForbidden)
	if a.header.Get("WWW-Authenticate") != "" {
		t.Errorf("an object denial asks for another token: %q", a.header.Get("WWW-Authenticate"))
	}
	if bytes.Contains(a.body, []byte("does not own")) {
		t.Errorf("the answer repeats the object check's error: %s", a)
	}
	wantStatus(t, "alice DELETE admin's /items/2", call(t, http.MethodDelete, ts.URL, "/items/2", al.AccessToken, nil), http.StatusForbidden)
	wantStatus(t, "alice DELETE missing /items/99", call(t, http.MethodDelete, ts.URL, "/items/99", al.AccessToken, nil), http.StatusNotFound)
	wantStatus(t, "alice DELETE her /items/1", call(t, http.MethodDelete, ts.URL, "/items/1", al.AccessToken, nil), http.StatusNoContent)
	wantStatus(t, "admin DELETE /items/2", call(t, http.MethodDelete, ts.URL, "/items/2", adm.AccessToken, nil), http.StatusNoContent)

	var created api.Item
	a = call(t, http.MethodPost, ts.URL, "/items", bo.AccessToken, api.NewItem{Name: "Bob's"})
	wantStatus(t, "bob POST /items", a, http.StatusCreated)
	if err := json.Unmarshal(a.body, &created); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/items/%d", created.ID)
	wantStatus(t, "alice DELETE bob's item", call(t, http.MethodDelete, ts.URL, path, al.AccessToken, nil), http.StatusForbidden)
	wantStatus(t, "admin DELETE bob's item", call(t, http.MethodDelete, ts.URL, path, adm.AccessToken, nil), http.StatusNoContent)
	wantStatus(t, "admin DELETE it again", call(t, http.MethodDelete, ts.URL, path, adm.AccessToken, nil), http.StatusNotFound)
}

// TestDisabledUserIs403 is FastAPI's get_current_active_user: a valid
// token of a disabled user is refused, 403 without a challenge, by the
// check stacked on the verifier with auth.Then.
func TestDisabledUserIs403(t *testing.T) {
	ts := start(t, testConfig(t))
	tr := login(t, ts.URL, mallory.Username, mallory.Password, "")
	a := call(t, http.MethodGet, ts.URL, "/items", tr.AccessToken, nil)
	wantStatus(t, "disabled user GET /items", a, http.StatusForbidden)
	if got := a.header.Get("WWW-Authenticate"); got != "" {
		t.Errorf("WWW-Authenticate = %q, want none: a new token would not help", got)
	}
	wantStatus(t, "active user GET /items", call(t, http.MethodGet, ts.URL, "/items", login(t, ts.URL, alice.Username, alice.Password, "").AccessToken, nil), http.StatusOK)
}

func TestRefreshRotatesRefreshToken(t *testing.T) {
	ts := start(t, testConfig(t))
	first := login(t, ts.URL, alice.Username, alice.Password, "")

	a, second := refresh(t, ts.URL, first.RefreshToken)
	wantStatus(t, "refresh", a, http.StatusOK)
	if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken {
		t.Fatalf("refresh gave refresh token %q, want a new one", second.RefreshToken)
	}
	if second.Scope != first.Scope {
		t.Errorf("refreshed scope = %q, want the login's %q", second.Scope, first.Scope)
	}
	if got := a.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	wantStatus(t, "GET /users/me with the refreshed token", call(t, http.MethodGet, ts.URL, "/users/me", second.AccessToken, nil), http.StatusOK)

	a, tr := refresh(t, ts.URL, first.RefreshToken)
	if a.status != http.StatusBadRequest || tr.Error != "invalid_grant" {
		t.Errorf("refresh with the old token: got %s, want 400 invalid_grant", a)
	}
}

func TestRefreshTokenReuseRevokesFamily(t *testing.T) {
	ts := start(t, testConfig(t))
	first := login(t, ts.URL, alice.Username, alice.Password, "")
	a, second := refresh(t, ts.URL, first.RefreshToken)
	wantStatus(t, "refresh", a, http.StatusOK)

	// Someone replays the first refresh token: the whole family goes.
	if a, tr := refresh(t, ts.URL, first.RefreshToken); a.status != http.StatusBadRequest || tr.Error != "invalid_grant" {
		t.Fatalf("reuse: got %s, want 400 invalid_grant", a)
	}
	if a, tr := refresh(t, ts.URL, second.RefreshToken); a.status != http.StatusBadRequest || tr.Error != "invalid_grant" {
		t.Errorf("newest refresh token after reuse: got %s, want 400 invalid_grant", a)
	}
	for i, tok := range []string{first.AccessToken, second.AccessToken} {
		wantInvalidToken(t, fmt.Sprintf("access token %d of the revoked family", i+1), call(t, http.MethodGet, ts.URL, "/users/me", tok, nil))
	}

	// Other logins are not affected.
	other := login(t, ts.URL, alice.Username, alice.Password, "")
	wantStatus(t, "a new login", call(t, http.MethodGet, ts.URL, "/users/me", other.AccessToken, nil), http.StatusOK)
}

func TestRevokedTokenIsRejected(t *testing.T) {
	ts := start(t, testConfig(t))

	t.Run("access token", func(t *testing.T) {
		tr := login(t, ts.URL, alice.Username, alice.Password, "")
		wantStatus(t, "before revocation", call(t, http.MethodGet, ts.URL, "/items", tr.AccessToken, nil), http.StatusOK)
		revoke(t, ts.URL, tr.AccessToken)
		wantInvalidToken(t, "revoked access token", call(t, http.MethodGet, ts.URL, "/items", tr.AccessToken, nil))
		// The refresh token of the same login still works.
		a, next := refresh(t, ts.URL, tr.RefreshToken)
		wantStatus(t, "refresh after revoking the access token", a, http.StatusOK)
		wantStatus(t, "new access token", call(t, http.MethodGet, ts.URL, "/items", next.AccessToken, nil), http.StatusOK)
	})

	t.Run("refresh token", func(t *testing.T) {
		tr := login(t, ts.URL, alice.Username, alice.Password, "")
		revoke(t, ts.URL, tr.RefreshToken)
		if a, e := refresh(t, ts.URL, tr.RefreshToken); a.status != http.StatusBadRequest || e.Error != "invalid_grant" {
			t.Errorf("refresh with the revoked token: got %s, want 400 invalid_grant", a)
		}
		wantInvalidToken(t, "access token of the revoked family", call(t, http.MethodGet, ts.URL, "/items", tr.AccessToken, nil))
	})

	t.Run("unknown token", func(t *testing.T) {
		// RFC 7009 §2.2: an invalid token is answered 200 too.
		revoke(t, ts.URL, "not-a-token")
	})
}

func TestTokenEndpointErrors(t *testing.T) {
	cfg := testConfig(t)
	// The failures below must not trip the throttle, which has a test of its own.
	cfg.Throttle.MaxFailures = 100
	ts := start(t, cfg)
	password := func(user, pw string) url.Values {
		return url.Values{"grant_type": {"password"}, "username": {user}, "password": {pw}}
	}
	with := func(v url.Values, kv ...string) url.Values {
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	tests := []struct {
		name      string
		form      url.Values
		basic     *url.Userinfo
		status    int
		code      string
		challenge string // WWW-Authenticate, when one is due
	}{
		{name: "no grant_type", form: url.Values{"username": {"alice"}}, status: 400, code: "invalid_request"},
		{name: "no password", form: url.Values{"grant_type": {"password"}, "username": {"alice"}}, status: 400, code: "invalid_request"},
		{name: "wrong client secret in the body", form: with(password("alice", alice.Password), "client_id", reporterID, "client_secret", "wrong"), status: 401, code: "invalid_client"},
		{name: "wrong client secret with Basic", form: password("alice", alice.Password), basic: url.UserPassword(reporterID, "wrong"), status: 401, code: "invalid_client", challenge: `Basic realm="token", charset="UTF-8"`},
		{name: "wrong password", form: password("alice", "wrong"), status: 400, code: "invalid_grant"},
		{name: "unknown user", form: password("mallory", "wrong"), status: 400, code: "invalid_grant"},
		{name: "scope the user lacks", form: with(password("alice", alice.Password), "scope", "items:admin"), status: 400, code: "invalid_scope"},
		{name: "malformed scope", form: with(password("alice", alice.Password), "scope", "items:\"read"), status: 400, code: "invalid_scope"},
		{name: "client not allowed the grant", form: password("alice", alice.Password), basic: url.UserPassword(reporterID, reporterSecret), status: 400, code: "unauthorized_client"},
		{name: "unsupported grant", form: url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}, status: 400, code: "unsupported_grant_type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, tr := tokenCall(t, ts.URL, tc.form, tc.basic)
			if a.status != tc.status || tr.Error != tc.code {
				t.Errorf("got %s, want %d %s", a, tc.status, tc.code)
			}
			if tr.AccessToken != "" {
				t.Errorf("an error answer carries an access token")
			}
			if got := a.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			if got := a.header.Get("WWW-Authenticate"); got != tc.challenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tc.challenge)
			}
		})
	}

	// The endpoint answers only form-encoded POSTs.
	req, err := http.NewRequest(http.MethodPost, ts.URL+tokenPath, strings.NewReader(`{"grant_type":"password"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	a := do(t, req)
	if a.status != http.StatusBadRequest || !bytes.Contains(a.body, []byte(`"invalid_request"`)) {
		t.Errorf("JSON body: got %s, want 400 invalid_request", a)
	}
	// The registered client may use its own grant.
	a, tr := tokenCall(t, ts.URL, url.Values{"grant_type": {"client_credentials"}}, url.UserPassword(reporterID, reporterSecret))
	wantStatus(t, "client_credentials", a, http.StatusOK)
	if tr.RefreshToken != "" || tr.Scope != "items:read" {
		t.Errorf("client_credentials = %+v, want items:read and no refresh token", tr)
	}
}

func TestRepeatedBadPasswordsAreThrottled(t *testing.T) {
	ts := start(t, testConfig(t))
	bad := url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"guess"}}
	for i := range issuer.DefaultMaxFailures {
		if a, tr := tokenCall(t, ts.URL, bad, nil); a.status != http.StatusBadRequest || tr.Error != "invalid_grant" {
			t.Fatalf("bad password %d: got %s, want 400 invalid_grant", i+1, a)
		}
	}
	// Even the right password is refused until the window ends.
	good := url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {alice.Password}}
	a, tr := tokenCall(t, ts.URL, good, nil)
	if a.status != http.StatusTooManyRequests || tr.AccessToken != "" {
		t.Fatalf("after %d bad passwords: got %s, want 429", issuer.DefaultMaxFailures, a)
	}
	secs, err := strconv.Atoi(a.header.Get("Retry-After"))
	if err != nil || secs <= 0 || secs > int(issuer.DefaultThrottleWindow/time.Second) {
		t.Errorf("Retry-After = %q, want seconds within the throttle window", a.header.Get("Retry-After"))
	}
	if got := a.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
}

func TestTokensVerifyWithJWKSOverHTTP(t *testing.T) {
	ts := start(t, testConfig(t))

	// A second instance of the generated handler, which trusts the
	// issuer only through its published key set.
	v, err := auth.NewJWT(auth.JWTConfig{
		Issuer:     testIssuer,
		Audience:   []string{testIssuer},
		Algorithms: []string{"EdDSA"},
		JWKSURL:    ts.URL + jwksPath,
		HTTPClient: ts.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := api.NewHandler(newItems(), api.Security{Users: v})
	if err != nil {
		t.Fatal(err)
	}
	resource := httptest.NewServer(h)
	t.Cleanup(resource.Close)

	tr := login(t, ts.URL, alice.Username, alice.Password, "")
	a := call(t, http.MethodGet, resource.URL, "/users/me", tr.AccessToken, nil)
	wantStatus(t, "GET /users/me at the JWKS verifier", a, http.StatusOK)
	var me api.User
	if err := json.Unmarshal(a.body, &me); err != nil {
		t.Fatal(err)
	}
	if me.Username != "alice" || !slices.Equal(me.Scopes, alice.Scopes) {
		t.Errorf("GET /users/me = %+v, want alice with %v", me, alice.Scopes)
	}
	wantStatus(t, "POST /items at the JWKS verifier", call(t, http.MethodPost, resource.URL, "/items", tr.AccessToken, api.NewItem{Name: "Baz"}), http.StatusCreated)
	wantStatus(t, "DELETE admin's /items/2 at the JWKS verifier", call(t, http.MethodDelete, resource.URL, "/items/2", tr.AccessToken, nil), http.StatusForbidden)

	// A token signed by another issuer's key is refused.
	other := start(t, testConfig(t))
	foreign := login(t, other.URL, alice.Username, alice.Password, "")
	wantInvalidToken(t, "token signed with another key", call(t, http.MethodGet, resource.URL, "/users/me", foreign.AccessToken, nil))

	// The resource server mounts no token endpoint: it is not the issuer.
	if a := postForm(t, resource.URL, tokenPath, url.Values{"grant_type": {"password"}}, nil); a.status == http.StatusOK {
		t.Errorf("POST /token at the JWKS verifier: got %s, want no token endpoint", a)
	}
}

func TestRedisSharesStateBetweenReplicas(t *testing.T) {
	addr := startRedis(t)
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	prefix := "items-test:" + t.Name() + ":"
	replica := func() *httptest.Server {
		rdb := redis.NewClient(&redis.Options{Addr: addr})
		t.Cleanup(func() { _ = rdb.Close() })
		cfg := testConfig(t)
		cfg.Keys = []crypto.Signer{key}
		cfg.Store = redisstore.New(rdb, prefix)
		return start(t, cfg)
	}
	a, b := replica(), replica()

	tr := login(t, a.URL, alice.Username, alice.Password, "")
	wantStatus(t, "A's access token at B", call(t, http.MethodGet, b.URL, "/users/me", tr.AccessToken, nil), http.StatusOK)

	resp, next := refresh(t, b.URL, tr.RefreshToken)
	wantStatus(t, "A's refresh token at B", resp, http.StatusOK)
	if resp, e := refresh(t, a.URL, tr.RefreshToken); resp.status != http.StatusBadRequest || e.Error != "invalid_grant" {
		t.Errorf("A's refresh token again at A after B redeemed it: got %s, want 400 invalid_grant", resp)
	}
	wantInvalidToken(t, "B's access token after reuse was detected at A", call(t, http.MethodGet, b.URL, "/users/me", next.AccessToken, nil))

	// A revocation made at A holds at B.
	fresh := login(t, a.URL, alice.Username, alice.Password, "")
	wantStatus(t, "before revocation, at B", call(t, http.MethodGet, b.URL, "/items", fresh.AccessToken, nil), http.StatusOK)
	revoke(t, a.URL, fresh.AccessToken)
	wantInvalidToken(t, "access token revoked at A, at B", call(t, http.MethodGet, b.URL, "/items", fresh.AccessToken, nil))
	revoke(t, a.URL, fresh.RefreshToken)
	if resp, e := refresh(t, b.URL, fresh.RefreshToken); resp.status != http.StatusBadRequest || e.Error != "invalid_grant" {
		t.Errorf("refresh token revoked at A, at B: got %s, want 400 invalid_grant", resp)
	}

	// Failed logins at A count at B.
	bad := url.Values{"grant_type": {"password"}, "username": {"admin"}, "password": {"guess"}}
	for range issuer.DefaultMaxFailures {
		tokenCall(t, a.URL, bad, nil)
	}
	good := url.Values{"grant_type": {"password"}, "username": {"admin"}, "password": {admin.Password}}
	if resp, _ := tokenCall(t, b.URL, good, nil); resp.status != http.StatusTooManyRequests {
		t.Errorf("login at B after %d failures at A: got %s, want 429", issuer.DefaultMaxFailures, resp)
	}
}

// skipOrFail skips the test, or fails it when CI is set, so that CI never
// passes by skipping.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " (CI is set, so this fails instead of skipping)")
	}
	t.Skip(msg)
}

// startRedis runs a throwaway redis-server on a free loopback port for the
// test and returns its address.
func startRedis(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		skipOrFail(t, "redis-server not found in PATH (install the redis-server package): %v", err)
	}
	port, err := freePort()
	if err != nil {
		skipOrFail(t, "no free loopback port for redis-server: %v", err)
	}
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		skipOrFail(t, "cannot start redis-server: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return addr
		}
		select {
		case werr := <-exited:
			exited <- werr
			skipOrFail(t, "redis-server exited: %v\n%s", werr, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			skipOrFail(t, "redis-server on %s did not answer: %v\n%s", addr, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	tcp, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("listener address is not TCP")
	}
	return tcp.Port, nil
}

func TestSigningKeyFileIsCreatedThenShared(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signing.pem")
	k1, created, err := loadOrCreateKey(path)
	if err != nil || !created {
		t.Fatalf("first load: created=%v err=%v, want a new key", created, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %v, want 0600", perm)
	}
	k2, created, err := loadOrCreateKey(path)
	if err != nil || created {
		t.Fatalf("second load: created=%v err=%v, want the existing key", created, err)
	}
	if !k1.Equal(k2) {
		t.Error("second load returned another key")
	}
	if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := loadOrCreateKey(path); err == nil {
		t.Error("a malformed key file was accepted")
	}
}

func TestSigningKeyFileCreatedOnceByConcurrentReplicas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signing.pem")
	const n = 8
	keys := make([]ed25519.PrivateKey, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], _, errs[i] = loadOrCreateKey(path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		if !keys[i].Equal(keys[0]) {
			t.Fatalf("replica %d loaded another key than replica 0", i)
		}
	}
}
