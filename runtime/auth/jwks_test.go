package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// jwkOf encodes pub as a JWK with the given kid.
func jwkOf(t testing.TB, kid string, pub crypto.PublicKey) map[string]any {
	t.Helper()
	b64 := base64.RawURLEncoding.EncodeToString
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return map[string]any{"kty": "RSA", "kid": kid, "use": "sig", "n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
	case *ecdsa.PublicKey:
		raw, err := k.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		size := (len(raw) - 1) / 2
		return map[string]any{"kty": "EC", "kid": kid, "crv": k.Curve.Params().Name, "x": b64(raw[1 : 1+size]), "y": b64(raw[1+size:])}
	case ed25519.PublicKey:
		return map[string]any{"kty": "OKP", "kid": kid, "crv": "Ed25519", "x": b64(k)}
	}
	t.Fatalf("jwkOf: unsupported key %T", pub)
	return nil
}

// testClock is a settable clock.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// jwksServer is a JWKS endpoint (and, at /.well-known/openid-configuration,
// a discovery endpoint) whose keys and failure mode tests change.
type jwksServer struct {
	*httptest.Server
	hits          atomic.Int64 // requests for the key set
	discoveryHits atomic.Int64
	clock         *testClock

	mu       sync.Mutex
	keys     []any
	status   int           // non-200: answer with it
	body     string        // non-empty: answer with it instead of the keys
	delay    time.Duration // before answering the key set
	issuer   string        // issuer in the discovery document
	jwksPath string
	stop     chan struct{} // closed at cleanup to cut delays short
}

func newJWKSServer(t *testing.T, keys ...map[string]any) *jwksServer {
	t.Helper()
	s := &jwksServer{clock: &testClock{now: testNow}, jwksPath: "/jwks.json", stop: make(chan struct{})}
	for _, k := range keys {
		s.keys = append(s.keys, k)
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	t.Cleanup(func() { close(s.stop) }) // runs before s.Close
	return s
}

func (s *jwksServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	keys, status, body, delay, issuer := s.keys, s.status, s.body, s.delay, s.issuer
	s.mu.Unlock()
	if r.URL.Path == "/.well-known/openid-configuration" {
		s.discoveryHits.Add(1)
		json.NewEncoder(w).Encode(map[string]any{"issuer": issuer, "jwks_uri": s.URL + s.jwksPath})
		return
	}
	s.hits.Add(1)
	select {
	case <-time.After(delay):
	case <-s.stop:
	}
	if status != 0 {
		w.WriteHeader(status)
		return
	}
	if body != "" {
		w.Write([]byte(body))
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"keys": keys})
}

func (s *jwksServer) set(f func(s *jwksServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// config trusts the server's key set, on its clock, with short refresh
// intervals: 10s between unknown-kid refreshes, 1m before keys are stale.
func (s *jwksServer) config() JWTConfig {
	return JWTConfig{
		Issuer:             testIssuer,
		Audience:           []string{testAudience},
		JWKSURL:            s.URL + s.jwksPath,
		MinRefreshInterval: 10 * time.Second,
		RefreshInterval:    time.Minute,
		Now:                s.clock.Now,
	}
}

func TestJWKSFirstFetchIsLazy(t *testing.T) {
	srv := newJWKSServer(t, jwkOf(t, "rsa", &testKeys().rsa.PublicKey))
	v := newJWT(t, srv.config())
	if n := srv.hits.Load(); n != 0 {
		t.Fatalf("NewJWT fetched the key set %d times, want 0", n)
	}
	mustAccept(t, v, sign(t, jwt.SigningMethodRS256, testKeys().rsa, "rsa", validClaims(), nil))
	mustAccept(t, v, sign(t, jwt.SigningMethodRS256, testKeys().rsa, "rsa", validClaims(), nil))
	if n := srv.hits.Load(); n != 1 {
		t.Fatalf("key set fetched %d times, want 1", n)
	}
}

func TestJWKSAcceptsEveryKeyType(t *testing.T) {
	k := testKeys()
	srv := newJWKSServer(t,
		jwkOf(t, "rsa", &k.rsa.PublicKey),
		jwkOf(t, "ec256", &k.ec256.PublicKey),
		jwkOf(t, "ec384", &k.ec384.PublicKey),
		jwkOf(t, "ec521", &k.ec521.PublicKey),
		jwkOf(t, "ed", k.ed.Public()),
	)
	v := newJWT(t, srv.config())
	for _, tc := range []struct {
		m   jwt.SigningMethod
		key any
		kid string
	}{
		{jwt.SigningMethodRS256, k.rsa, "rsa"},
		{jwt.SigningMethodPS512, k.rsa, "rsa"},
		{jwt.SigningMethodES256, k.ec256, "ec256"},
		{jwt.SigningMethodES384, k.ec384, "ec384"},
		{jwt.SigningMethodES512, k.ec521, "ec521"},
		{jwt.SigningMethodEdDSA, k.ed, "ed"},
	} {
		mustAccept(t, v, sign(t, tc.m, tc.key, tc.kid, validClaims(), nil))
	}
}

func TestJWKSIgnoresOctKeys(t *testing.T) {
	k := testKeys()
	oct := map[string]any{"kty": "oct", "kid": "hs", "k": base64.RawURLEncoding.EncodeToString(k.hmac)}
	srv := newJWKSServer(t, oct, jwkOf(t, "rsa", &k.rsa.PublicKey))
	v := newJWT(t, srv.config())
	mustAccept(t, v, sign(t, jwt.SigningMethodRS256, k.rsa, "rsa", validClaims(), nil))
	mustReject(t, v, sign(t, jwt.SigningMethodHS256, k.hmac, "hs", validClaims(), nil))
}

func TestJWKSHonoursKeyAlgAndUse(t *testing.T) {
	k := testKeys()
	pinned := jwkOf(t, "rsa", &k.rsa.PublicKey)
	pinned["alg"] = "RS256"
	enc := jwkOf(t, "enc", &k.rsa.PublicKey)
	enc["use"] = "enc"
	srv := newJWKSServer(t, pinned, enc)
	v := newJWT(t, srv.config())
	mustAccept(t, v, sign(t, jwt.SigningMethodRS256, k.rsa, "rsa", validClaims(), nil))
	mustReject(t, v, sign(t, jwt.SigningMethodPS256, k.rsa, "rsa", validClaims(), nil))
	mustReject(t, v, sign(t, jwt.SigningMethodRS256, k.rsa, "enc", validClaims(), nil))
}

func TestJWKSKeyRotationPickedUpWithoutRestart(t *testing.T) {
	k := testKeys()
	srv := newJWKSServer(t, jwkOf(t, "2024", &k.rsa.PublicKey))
	v := newJWT(t, srv.config())
	mustAccept(t, v, sign(t, jwt.SigningMethodRS256, k.rsa, "2024", validClaims(), nil))

	srv.set(func(s *jwksServer) { s.keys = []any{jwkOf(t, "2025", &k.ec256.PublicKey)} })
	srv.clock.Advance(11 * time.Second) // past MinRefreshInterval
	p := mustAccept(t, v, sign(t, jwt.SigningMethodES256, k.ec256, "2025", validClaims(), nil))
	if p.Subject != "alice" {
		t.Errorf("subject = %q", p.Subject)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("key set fetched %d times, want 2", n)
	}
	// The retired key is gone from the cache.
	mustReject(t, v, sign(t, jwt.SigningMethodRS256, k.rsa, "2024", validClaims(), nil))
}

func TestJWKSUnknownKidRefreshIsRateLimited(t *testing.T) {
	k := testKeys()
	srv := newJWKSServer(t, jwkOf(t, "rsa", &k.rsa.PublicKey))
	v := newJWT(t, srv.config())
	mustAccept(t, v, sign(t, jwt.SigningMethodRS256, k.rsa, "rsa", validClaims(), nil))
	for i := range 20 {
		kid := "unknown-" + string(rune('a'+i))
		err := mustReject(t, v, sign(t, jwt.SigningMethodRS256, k.rsa, kid, validClaims(), nil))
		if !errors.Is(err, errJWTUnknownKid) {
			t.Fatalf("error = %v, want the unknown-kid error", err)
		}
		srv.clock.Advance(time.Second / 4)
	}
	if n := srv.hits.Load(); n != 1 {
		t.Fatalf("key set fetched %d times within MinRefreshInterval, want 1", n)
	}
	srv.clock.Advance(10 * time.Second)
	mustReject(t, v, sign(t, jwt.SigningMethodRS256, k.rsa, "still-unknown", validClaims(), nil))
	mustReject(t, v, sign(t, jwt.SigningMethodRS256, k.rsa, "still-unknown-2", validClaims(), nil))
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("key set fetched %d times, want 2 (one more after MinRefreshInterval)", n)
	}
}

func TestJWKSConcurrentUnknownKidCausesSingleFetch(t *testing.T) {
	k := testKeys()
	srv := newJWKSServer(t, jwkOf(t, "old", &k.rsa.PublicKey))
	v := newJWT(t, srv.config())
	mustAccept(t, v, sign(t, jwt.SigningMethodRS256, k.rsa, "old", validClaims(), nil))

	srv.set(func(s *jwksServer) {
		s.keys = []any{jwkOf(t, "new", &k.ec256.PublicKey)}
		s.delay = 200 * time.Millisecond
	})
	srv.clock.Advance(11 * time.Second)
	token := sign(t, jwt.SigningMethodES256, k.ec256, "new", validClaims(), nil)
	const n = 32
	errs := make(chan error, n)
	var start sync.WaitGroup
	start.Add(1)
	for range n {
		go func() {
			start.Wait()
			_, err := v.Verify(context.Background(), Credential{Token: token})
			errs <- err
		}()
	}
	start.Done()
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Verify failed: %v", err)
		}
	}
	if got := srv.hits.Load(); got != 2 {
		t.Fatalf("key set fetched %d times, want 2 (the first fetch and one shared refresh)", got)
	}
}

func TestJWKSWaitingForFetchHonoursContext(t *testing.T) {
	k := testKeys()
	srv := newJWKSServer(t, jwkOf(t, "rsa", &k.rsa.PublicKey))
	srv.set(func(s *jwksServer) { s.delay = 2 * time.Second })
	v := newJWT(t, srv.config())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := v.Verify(ctx, Credential{Token: sign(t, jwt.SigningMethodRS256, k.rsa, "rsa", validClaims(), nil)})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Verify returned after %v, not when its context ended", d)
	}
}

func TestJWKSEndpointDownKeepsCachedKeys(t *testing.T) {
	k := testKeys()
	for name, breakIt := range map[string]func(s *jwksServer){
		"status 500":   func(s *jwksServer) { s.status = http.StatusInternalServerError },
		"garbage":      func(s *jwksServer) { s.body = "<html>maintenance</html>" },
		"no keys":      func(s *jwksServer) { s.body = `{"keys":[]}` },
		"broken keys":  func(s *jwksServer) { s.body = `{"keys":[{"kty":"RSA","kid":"rsa","n":"AQAB","e":"AQAB"}]}` },
		"oversized":    func(s *jwksServer) { s.body = `{"keys":[],"pad":"` + strings.Repeat("x", 2<<20) + `"}` },
		"server close": nil,
	} {
		t.Run(name, func(t *testing.T) {
			srv := newJWKSServer(t, jwkOf(t, "rsa", &k.rsa.PublicKey))
			v := newJWT(t, srv.config())
			token := sign(t, jwt.SigningMethodRS256, k.rsa, "rsa", validClaims(), nil)
			mustAccept(t, v, token)
			if breakIt == nil {
				srv.Close()
			} else {
				srv.set(breakIt)
			}
			hits := srv.hits.Load()
			srv.clock.Advance(2 * time.Minute) // keys are stale: the next Verify refreshes
			mustAccept(t, v, token)
			mustReject(t, v, sign(t, jwt.SigningMethodRS256, k.rsa, "other", validClaims(), nil))
			srv.clock.Advance(11 * time.Second)
			mustAccept(t, v, token)
			if breakIt != nil && srv.hits.Load() == hits {
				t.Fatal("no refresh was attempted: the test proved nothing")
			}
		})
	}
}

func TestJWKSStaleKeysAreRefreshed(t *testing.T) {
	k := testKeys()
	srv := newJWKSServer(t, jwkOf(t, "rsa", &k.rsa.PublicKey))
	v := newJWT(t, srv.config())
	token := sign(t, jwt.SigningMethodRS256, k.rsa, "rsa", validClaims(), nil)
	mustAccept(t, v, token)
	srv.clock.Advance(30 * time.Second)
	mustAccept(t, v, token)
	if n := srv.hits.Load(); n != 1 {
		t.Fatalf("fresh keys refetched: %d fetches, want 1", n)
	}
	// The key was revoked at the endpoint; once the cache is older than
	// RefreshInterval the next Verify notices.
	srv.set(func(s *jwksServer) { s.keys = []any{jwkOf(t, "ed", k.ed.Public())} })
	srv.clock.Advance(31 * time.Second)
	mustReject(t, v, token)
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
}

func TestJWKSFirstFetchFailureRejects(t *testing.T) {
	k := testKeys()
	srv := newJWKSServer(t)
	srv.set(func(s *jwksServer) { s.status = http.StatusServiceUnavailable })
	v := newJWT(t, srv.config())
	err := mustReject(t, v, sign(t, jwt.SigningMethodRS256, k.rsa, "rsa", validClaims(), nil))
	if !strings.Contains(err.Error(), "503") {
		t.Errorf("error = %v, want it to report the endpoint's status", err)
	}
}

func TestJWKSTokenWithoutKidUsesTheOnlyFittingKey(t *testing.T) {
	k := testKeys()
	srv := newJWKSServer(t, jwkOf(t, "rsa", &k.rsa.PublicKey), jwkOf(t, "ec", &k.ec256.PublicKey))
	v := newJWT(t, srv.config())
	mustAccept(t, v, sign(t, jwt.SigningMethodES256, k.ec256, "", validClaims(), nil))
	srv2 := newJWKSServer(t, jwkOf(t, "a", &k.rsa.PublicKey), jwkOf(t, "b", &k.rsaOther.PublicKey))
	mustReject(t, newJWT(t, srv2.config()), sign(t, jwt.SigningMethodRS256, k.rsa, "", validClaims(), nil))
}

func TestOIDCDiscovery(t *testing.T) {
	k := testKeys()
	srv := newJWKSServer(t, jwkOf(t, "rsa", &k.rsa.PublicKey))
	srv.set(func(s *jwksServer) { s.issuer = testIssuer })
	discovery := func(issuer string) JWTConfig {
		cfg := srv.config()
		cfg.JWKSURL, cfg.Issuer = "", issuer
		cfg.DiscoveryURL = srv.URL + "/.well-known/openid-configuration"
		return cfg
	}
	token := sign(t, jwt.SigningMethodRS256, k.rsa, "rsa", validClaims(), nil)

	t.Run("configured issuer", func(t *testing.T) {
		v := newJWT(t, discovery(testIssuer))
		mustAccept(t, v, token)
	})
	t.Run("adopted issuer", func(t *testing.T) {
		v := newJWT(t, discovery(""))
		mustAccept(t, v, token)
		claims := validClaims()
		claims["iss"] = "https://evil.test"
		err := mustReject(t, v, sign(t, jwt.SigningMethodRS256, k.rsa, "rsa", claims, nil))
		if !errors.Is(err, jwt.ErrTokenInvalidIssuer) {
			t.Errorf("error = %v, want jwt.ErrTokenInvalidIssuer", err)
		}
	})
	t.Run("mismatching issuer", func(t *testing.T) {
		before := srv.hits.Load()
		v := newJWT(t, discovery("https://another-issuer.test"))
		err := mustReject(t, v, token)
		if !strings.Contains(err.Error(), "does not match the configured issuer") {
			t.Errorf("error = %v, want an issuer mismatch", err)
		}
		if srv.hits.Load() != before {
			t.Error("the key set of a mismatching discovery document was fetched")
		}
	})
	if srv.discoveryHits.Load() == 0 {
		t.Fatal("discovery document never fetched")
	}
}
