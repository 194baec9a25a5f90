package auth

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// introspectionServer is an RFC 7662 endpoint that knows the tokens in
// responses, requires client credentials, and counts its requests.
type introspectionServer struct {
	*httptest.Server
	hits  atomic.Int64
	clock *testClock

	mu        sync.Mutex
	responses map[string]map[string]any
	status    int
	body      string
}

const (
	introspectClient = "resource-server"
	introspectSecret = "s3cret&=:"
)

func newIntrospectionServer(t *testing.T) *introspectionServer {
	t.Helper()
	s := &introspectionServer{clock: &testClock{now: testNow}, responses: map[string]map[string]any{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		user, pass, ok := r.BasicAuth()
		if r.Method != http.MethodPost || !ok || user != "resource-server" || pass != "s3cret%26%3D%3A" {
			http.Error(w, "unauthorized client", http.StatusUnauthorized)
			return
		}
		if err := r.ParseForm(); err != nil || r.PostForm.Get("token_type_hint") != "access_token" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		resp, status, body := s.responses[r.PostForm.Get("token")], s.status, s.body
		s.mu.Unlock()
		if status != 0 {
			w.WriteHeader(status)
			return
		}
		if body != "" {
			w.Write([]byte(body))
			return
		}
		if resp == nil {
			resp = map[string]any{"active": false}
		}
		json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *introspectionServer) add(token string, resp map[string]any) {
	s.mu.Lock()
	s.responses[token] = resp
	s.mu.Unlock()
}

func (s *introspectionServer) config() IntrospectionConfig {
	return IntrospectionConfig{URL: s.URL, ClientID: introspectClient, ClientSecret: introspectSecret, Now: s.clock.Now}
}

func activeResponse() map[string]any {
	return map[string]any{
		"active":    true,
		"sub":       "alice",
		"scope":     "orders:read orders:write",
		"client_id": "web",
		"iss":       testIssuer,
		"aud":       []string{testAudience},
		"exp":       testNow.Add(time.Hour).Unix(),
	}
}

func newIntrospection(t *testing.T, cfg IntrospectionConfig) Verifier {
	t.Helper()
	v, err := NewIntrospection(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestIntrospectionActiveToken(t *testing.T) {
	srv := newIntrospectionServer(t)
	srv.add("opaque-token-1", activeResponse())
	v := newIntrospection(t, srv.config())
	p := mustAccept(t, v, "opaque-token-1")
	if p.Subject != "alice" || p.Scheme != "bearer" || !slices.Equal(p.Scopes, []string{"orders:read", "orders:write"}) {
		t.Errorf("principal %+v", p)
	}
	if p.Claims["client_id"] != "web" {
		t.Errorf("claims %v, want the introspection response", p.Claims)
	}
}

func TestIntrospectionSubjectFallsBackToUsername(t *testing.T) {
	srv := newIntrospectionServer(t)
	srv.add("opaque-token-1", map[string]any{"active": true, "username": "bob"})
	p := mustAccept(t, newIntrospection(t, srv.config()), "opaque-token-1")
	if p.Subject != "bob" {
		t.Errorf("subject = %q, want bob", p.Subject)
	}
}

func TestIntrospectionInactiveTokenRejected(t *testing.T) {
	srv := newIntrospectionServer(t)
	srv.add("revoked-token-123456", map[string]any{"active": false, "sub": "alice"})
	srv.add("strange-token-123456", map[string]any{"active": "true", "sub": "alice"})
	v := newIntrospection(t, srv.config())
	for _, tok := range []string{"revoked-token-123456", "strange-token-123456", "unknown-token-123456", "revoked-token-123456"} {
		mustReject(t, v, tok)
	}
	if n := srv.hits.Load(); n != 4 {
		t.Errorf("%d requests, want 4: rejections are not cached", n)
	}
}

func TestIntrospectionCacheHit(t *testing.T) {
	srv := newIntrospectionServer(t)
	srv.add("opaque-token-1", activeResponse())
	cfg := srv.config()
	cfg.CacheTTL = 30 * time.Second
	v := newIntrospection(t, cfg)
	for range 5 {
		p := mustAccept(t, v, "opaque-token-1")
		p.Scopes[0] = "mutated" // must not leak into the cache
	}
	if n := srv.hits.Load(); n != 1 {
		t.Fatalf("%d requests for one token, want 1", n)
	}
	if p := mustAccept(t, v, "opaque-token-1"); p.Scopes[0] != "orders:read" {
		t.Errorf("cached scopes were changed through a principal: %v", p.Scopes)
	}
	srv.clock.Advance(31 * time.Second)
	mustAccept(t, v, "opaque-token-1")
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("%d requests, want 2 once the cache TTL passed", n)
	}
}

func TestIntrospectionCacheNeverOutlivesExp(t *testing.T) {
	srv := newIntrospectionServer(t)
	resp := activeResponse()
	resp["exp"] = testNow.Add(10 * time.Second).Unix()
	srv.add("opaque-token-1", resp)
	v := newIntrospection(t, srv.config()) // CacheTTL defaults to a minute
	mustAccept(t, v, "opaque-token-1")
	srv.clock.Advance(11 * time.Second)
	mustReject(t, v, "opaque-token-1")
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("%d requests, want 2: the cached result expires with the token", n)
	}
}

func TestIntrospectionCacheIsKeyedByTokenHash(t *testing.T) {
	srv := newIntrospectionServer(t)
	srv.add("opaque-token-1", activeResponse())
	v := newIntrospection(t, srv.config())
	mustAccept(t, v, "opaque-token-1")
	iv := v.(*introspectVerifier)
	if _, ok := iv.cache[sha256.Sum256([]byte("opaque-token-1"))]; !ok || len(iv.cache) != 1 {
		t.Fatalf("cache %v is not keyed by the token's SHA-256", iv.cache)
	}
	for _, e := range iv.cache {
		b, _ := json.Marshal(e.claims)
		if strings.Contains(string(b), "opaque-token-1") {
			t.Fatal("the cache holds the raw token")
		}
	}
}

func TestIntrospectionCacheIsBounded(t *testing.T) {
	srv := newIntrospectionServer(t)
	for _, tok := range []string{"token-a", "token-b", "token-c"} {
		srv.add(tok, activeResponse())
	}
	cfg := srv.config()
	cfg.CacheSize = 2
	v := newIntrospection(t, cfg)
	mustAccept(t, v, "token-a")
	mustAccept(t, v, "token-b")
	mustAccept(t, v, "token-c") // evicts token-a, the oldest
	if n := len(v.(*introspectVerifier).cache); n != 2 {
		t.Fatalf("cache holds %d results, want 2", n)
	}
	hits := srv.hits.Load()
	mustAccept(t, v, "token-c")
	if srv.hits.Load() != hits {
		t.Fatal("token-c was evicted, want it cached")
	}
	mustAccept(t, v, "token-a")
	if srv.hits.Load() != hits+1 {
		t.Fatal("token-a was still cached, want it evicted as the oldest")
	}
}

func TestIntrospectionEndpointDownRejects(t *testing.T) {
	tests := map[string]func(s *introspectionServer){
		"status 500": func(s *introspectionServer) { s.status = http.StatusInternalServerError },
		"status 401": func(s *introspectionServer) { s.status = http.StatusUnauthorized },
		"garbage":    func(s *introspectionServer) { s.body = "<html>oops</html>" },
		"not object": func(s *introspectionServer) { s.body = "null" },
		"oversized":  func(s *introspectionServer) { s.body = `{"active":true,"pad":"` + strings.Repeat("x", 2<<20) + `"}` },
		"closed":     nil,
	}
	for name, breakIt := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newIntrospectionServer(t)
			srv.add("opaque-token-1", activeResponse())
			v := newIntrospection(t, srv.config())
			if breakIt == nil {
				srv.Close()
			} else {
				srv.mu.Lock()
				breakIt(srv)
				srv.mu.Unlock()
			}
			mustReject(t, v, "opaque-token-1")
		})
	}
}

func TestIntrospectionWrongClientCredentialsReject(t *testing.T) {
	srv := newIntrospectionServer(t)
	srv.add("opaque-token-1", activeResponse())
	cfg := srv.config()
	cfg.ClientSecret = "wrong"
	mustReject(t, newIntrospection(t, cfg), "opaque-token-1")
}

func TestIntrospectionAudienceAndIssuer(t *testing.T) {
	srv := newIntrospectionServer(t)
	srv.add("opaque-token-1", activeResponse())
	other := activeResponse()
	other["aud"] = "api://other"
	srv.add("other-aud", other)
	evil := activeResponse()
	evil["iss"] = "https://evil.test"
	srv.add("other-iss", evil)
	cfg := srv.config()
	cfg.Audience, cfg.Issuer = []string{testAudience}, testIssuer
	v := newIntrospection(t, cfg)
	mustAccept(t, v, "opaque-token-1")
	mustReject(t, v, "other-aud")
	mustReject(t, v, "other-iss")
}

func TestNewIntrospectionRequiresURL(t *testing.T) {
	for _, cfg := range []IntrospectionConfig{{}, {URL: "/introspect"}, {URL: "https://as/introspect", CacheTTL: -time.Second}} {
		if _, err := NewIntrospection(cfg); err == nil {
			t.Errorf("NewIntrospection(%+v) succeeded", cfg)
		}
	}
}

// TestIntrospectedRefreshTokenIsRefused: an endpoint may answer "active"
// for a refresh token or an ID token; a response whose token_type,
// token_use or typ names anything but an access token is refused, and is
// not cached. Responses that name an access token, or no kind, pass.
func TestIntrospectedRefreshTokenIsRefused(t *testing.T) {
	tests := []struct {
		member string
		value  any
		ok     bool
	}{
		{"token_type", "Bearer", true},
		{"token_type", "bearer", true},
		{"token_type", "access_token", true},
		{"token_use", "access", true},
		{"token_use", "access_token", true},
		{"typ", "Bearer", true},
		{"typ", "at+jwt", true},
		{"token_type", "refresh_token", false},
		{"token_type", "Refresh", false},
		{"token_type", "id_token", false},
		{"token_type", "DPoP", false},
		{"token_type", "", false},
		{"token_type", true, false},
		{"token_use", "refresh", false},
		{"token_use", "refresh_token", false},
		{"token_use", "id", false},
		{"token_use", "id_token", false},
		{"token_use", []any{"access"}, false},
		{"typ", "Refresh", false},
		{"typ", "Offline", false},
		{"typ", "ID", false},
	}
	srv := newIntrospectionServer(t)
	v := newIntrospection(t, srv.config())
	for i, tt := range tests {
		token := "opaque-token-" + string(rune('a'+i))
		resp := activeResponse()
		resp[tt.member] = tt.value
		srv.add(token, resp)
		if tt.ok {
			mustAccept(t, v, token)
			continue
		}
		before := srv.hits.Load()
		for range 2 {
			err := mustReject(t, v, token)
			var kind *IntrospectedKindError
			if s, isString := tt.value.(string); isString && (!errors.As(err, &kind) || kind.Member != tt.member || kind.Value != s) {
				t.Errorf("%s %q: error %v, want an IntrospectedKindError", tt.member, s, err)
			}
		}
		if n := srv.hits.Load() - before; n != 2 {
			t.Errorf("%s %v: %d requests for two attempts, want 2: a refusal is never cached", tt.member, tt.value, n)
		}
	}
	// Both members present: each must name an access token.
	resp := activeResponse()
	resp["token_type"], resp["token_use"] = "Bearer", "refresh_token"
	srv.add("mixed-token", resp)
	mustReject(t, v, "mixed-token")
}
