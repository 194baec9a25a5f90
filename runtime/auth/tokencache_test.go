package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// countingJWT returns the verifier NewJWT makes of cfg, and a count of its
// full verifications: of the tokens whose signature it checked, as opposed
// to those it served from its cache.
func countingJWT(t testing.TB, cfg JWTConfig) (*jwtVerifier, *atomic.Int64) {
	t.Helper()
	v := newJWT(t, cfg).(*jwtVerifier)
	var n atomic.Int64
	v.keyfunc = func(tok *jwt.Token) (any, error) {
		n.Add(1)
		return v.keyFor(tok)
	}
	return v, &n
}

// verifyAs verifies token as presented for scheme.
func verifyAs(v Verifier, scheme, token string) (*Principal, error) {
	return v.Verify(context.Background(), Credential{Scheme: scheme, Token: token})
}

// wantVerifications fails unless n full verifications were made so far.
func wantVerifications(t *testing.T, n *atomic.Int64, want int64, when string) {
	t.Helper()
	if got := n.Load(); got != want {
		t.Fatalf("%s: %d full verifications, want %d", when, got, want)
	}
}

func TestTokenKeyOfIsTheSHA256OfTheToken(t *testing.T) {
	tok := "header.payload.signature"
	if got, want := TokenKeyOf(tok), TokenKey(sha256.Sum256([]byte(tok))); got != want {
		t.Errorf("TokenKeyOf = %x, want %x", got, want)
	}
}

func TestJWTCacheServesARepeatedTokenWithoutVerifyingItAgain(t *testing.T) {
	k := testKeys()
	v, n := countingJWT(t, staticConfig())
	claims := validClaims()
	claims["jti"] = "j-1"
	tok := sign(t, jwt.SigningMethodES256, k.ec256, "ec256", claims, nil)

	first := mustAccept(t, v, tok)
	for range 3 {
		p := mustAccept(t, v, tok)
		if p.Subject != first.Subject || p.Scheme != first.Scheme || !slices.Equal(p.Scopes, first.Scopes) || fmt.Sprint(p.Claims) != fmt.Sprint(first.Claims) {
			t.Fatalf("cached principal %+v, want %+v", p, first)
		}
	}
	wantVerifications(t, n, 1, "four Verify calls of one token")
	if got := v.cache.Len(); got != 1 {
		t.Errorf("cache holds %d entries, want 1", got)
	}

	// The cache holds the token's digest and claims, never the token.
	sig := tok[strings.LastIndexByte(tok, '.')+1:]
	for i := range v.cache.shards {
		s := &v.cache.shards[i]
		for key, slot := range s.index {
			if key != TokenKeyOf(tok) {
				t.Errorf("entry under %x, want the token's SHA-256", key)
			}
			held := fmt.Sprintf("%+v %+v", s.slots[slot].tok, *s.slots[slot].tok.Principal)
			if strings.Contains(held, tok) || strings.Contains(held, sig) {
				t.Errorf("the cache holds the token: %s", held)
			}
		}
	}
}

func TestJWTCacheOffWhenCacheSizeIsNegative(t *testing.T) {
	cfg := hmacConfig()
	cfg.CacheSize = -1
	v, n := countingJWT(t, cfg)
	tok := sign(t, jwt.SigningMethodHS256, testKeys().hmac, "", validClaims(), nil)
	for range 3 {
		mustAccept(t, v, tok)
	}
	wantVerifications(t, n, 3, "without a cache")
	if v.cache != nil {
		t.Error("CacheSize -1 made a cache")
	}
}

func TestNewJWTRejectsNegativeCacheTTL(t *testing.T) {
	cfg := hmacConfig()
	cfg.CacheTTL = -time.Second
	if _, err := NewJWT(cfg); err == nil || !strings.Contains(err.Error(), "CacheTTL") {
		t.Fatalf("NewJWT with CacheTTL -1s: %v, want an error naming CacheTTL", err)
	}
}

func TestJWTCacheDefaults(t *testing.T) {
	v := newJWT(t, hmacConfig()).(*jwtVerifier)
	if v.cache == nil || v.cache.ttl != DefaultTokenCacheTTL {
		t.Fatalf("default cache %+v, want one with TTL %v", v.cache, DefaultTokenCacheTTL)
	}
	total := 0
	for i := range v.cache.shards {
		total += v.cache.shards[i].limit
	}
	if total != DefaultTokenCacheSize {
		t.Errorf("default cache holds %d entries, want %d", total, DefaultTokenCacheSize)
	}
}

// TestJWTCacheEntryEndsAtExpLessLeeway: from exp less the leeway on, the
// token is verified afresh (and accepted only as long as the leeway
// allows), never served from the cache.
func TestJWTCacheEntryEndsAtExpLessLeeway(t *testing.T) {
	clock := &testClock{now: testNow}
	cfg := hmacConfig()
	cfg.Now = clock.Now
	cfg.Leeway = 30 * time.Second
	cfg.CacheTTL = time.Hour // so that only exp ends the entry
	v, n := countingJWT(t, cfg)
	claims := validClaims()
	claims["exp"] = testNow.Add(2 * time.Minute).Unix()
	tok := sign(t, jwt.SigningMethodHS256, testKeys().hmac, "", claims, nil)

	mustAccept(t, v, tok)
	clock.Advance(90*time.Second - time.Nanosecond) // just before exp - leeway
	mustAccept(t, v, tok)
	wantVerifications(t, n, 1, "before exp - leeway")

	clock.Advance(time.Nanosecond) // exp - leeway
	if _, ok := v.cache.Get(TokenKeyOf(tok)); ok {
		t.Fatal("entry served at exp - leeway")
	}
	mustAccept(t, v, tok) // the leeway still accepts it, afresh
	mustAccept(t, v, tok)
	wantVerifications(t, n, 3, "within the leeway after exp - leeway")

	clock.Advance(time.Minute) // exp + leeway
	mustReject(t, v, tok)
}

func TestJWTCacheEntryEndsAfterCacheTTL(t *testing.T) {
	clock := &testClock{now: testNow}
	cfg := hmacConfig()
	cfg.Now = clock.Now
	cfg.CacheTTL = 10 * time.Second
	v, n := countingJWT(t, cfg)
	tok := sign(t, jwt.SigningMethodHS256, testKeys().hmac, "", validClaims(), nil)

	mustAccept(t, v, tok)
	clock.Advance(10*time.Second - time.Nanosecond)
	mustAccept(t, v, tok)
	wantVerifications(t, n, 1, "within CacheTTL")
	clock.Advance(time.Nanosecond)
	mustAccept(t, v, tok)
	wantVerifications(t, n, 2, "at CacheTTL")
	clock.Advance(5 * time.Second) // cached again by the verification at CacheTTL
	mustAccept(t, v, tok)
	wantVerifications(t, n, 2, "within the second CacheTTL")
}

// TestJWTCacheHonoursNotBefore: a token is not cached before its nbf, and
// a cached one is not served before its nbf either, even when the clock
// steps back.
func TestJWTCacheHonoursNotBefore(t *testing.T) {
	clock := &testClock{now: testNow}
	cfg := hmacConfig()
	cfg.Now = clock.Now
	cfg.Leeway = 5 * time.Second
	v, n := countingJWT(t, cfg)
	claims := validClaims()
	claims["nbf"] = testNow.Add(time.Minute).Unix()
	claims["iat"] = testNow.Unix()
	tok := sign(t, jwt.SigningMethodHS256, testKeys().hmac, "", claims, nil)

	mustReject(t, v, tok)
	if got := v.cache.Len(); got != 0 {
		t.Fatalf("a token not yet valid was cached (%d entries)", got)
	}
	clock.Advance(55 * time.Second) // nbf - leeway
	mustAccept(t, v, tok)
	mustAccept(t, v, tok)
	wantVerifications(t, n, 2, "from nbf - leeway on")

	clock.Advance(-time.Second) // the clock steps back before nbf - leeway
	if _, ok := v.cache.Get(TokenKeyOf(tok)); ok {
		t.Fatal("entry served before nbf - leeway")
	}
	mustReject(t, v, tok)
	wantVerifications(t, n, 3, "after the clock stepped back")
}

// TestJWTCacheIssuedInTheFutureIsNotServedEarly: "iat" bounds an entry as
// "nbf" does.
func TestJWTCacheIssuedInTheFutureIsNotServedEarly(t *testing.T) {
	clock := &testClock{now: testNow}
	cfg := hmacConfig()
	cfg.Now = clock.Now
	v, _ := countingJWT(t, cfg)
	claims := validClaims()
	delete(claims, "nbf")
	claims["iat"] = testNow.Add(time.Minute).Unix()
	tok := sign(t, jwt.SigningMethodHS256, testKeys().hmac, "", claims, nil)
	clock.Advance(time.Minute)
	mustAccept(t, v, tok)
	clock.Advance(-time.Second)
	mustReject(t, v, tok)
}

func TestJWTCacheRevocationWhileCached(t *testing.T) {
	k := testKeys()
	list := &revocationList{jtis: map[string]bool{}, sids: map[string]bool{}}
	cfg := staticConfig()
	cfg.Revocation = list
	v, n := countingJWT(t, cfg)
	claims := validClaims()
	claims["jti"], claims["sid"] = "live", "fam"
	tok := sign(t, jwt.SigningMethodEdDSA, k.ed, "ed", claims, nil)

	mustAccept(t, v, tok)
	mustAccept(t, v, tok)
	if want := [][2]string{{"live", "fam"}, {"live", "fam"}}; !slices.Equal(list.asked, want) {
		t.Fatalf("asked %v, want the checker asked on every Verify: %v", list.asked, want)
	}

	list.jtis["live"] = true
	if err := mustReject(t, v, tok); !errors.Is(err, ErrTokenRevoked) {
		t.Errorf("revoked jti: %v, want ErrTokenRevoked", err)
	}
	list.jtis["live"], list.sids["fam"] = false, true
	if err := mustReject(t, v, tok); !errors.Is(err, ErrTokenRevoked) {
		t.Errorf("revoked family: %v, want ErrTokenRevoked", err)
	}
	list.sids["fam"], list.err = false, errors.New("store down")
	if err := mustReject(t, v, tok); !errors.Is(err, list.err) {
		t.Errorf("checker error: %v, want it wrapped (fail closed)", err)
	}
	list.err = nil
	mustAccept(t, v, tok)
	// The refusals above came from the cached entry, not from new
	// verifications.
	wantVerifications(t, n, 1, "revocation checks of a cached token")
	if len(list.asked) != 6 {
		t.Errorf("checker asked %d times, want 6 (every Verify)", len(list.asked))
	}
}

// TestJWTCacheOnlyHoldsAcceptedTokens: forged, expired and otherwise
// refused tokens never enter the cache.
func TestJWTCacheOnlyHoldsAcceptedTokens(t *testing.T) {
	k := testKeys()
	list := &revocationList{jtis: map[string]bool{"gone": true}}
	cfg := staticConfig()
	cfg.Revocation = list
	v, _ := countingJWT(t, cfg)
	token := func(mutate func(jwt.MapClaims)) string {
		c := validClaims()
		c["jti"] = "live"
		mutate(c)
		return sign(t, jwt.SigningMethodES256, k.ec256, "ec256", c, nil)
	}
	good := token(func(jwt.MapClaims) {})
	parts := strings.Split(good, ".")
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	evil := strings.Split(token(func(c jwt.MapClaims) { c["sub"] = "mallory" }), ".")
	for name, tok := range map[string]string{
		"expired":        token(func(c jwt.MapClaims) { c["exp"] = testNow.Add(-time.Hour).Unix() }),
		"not yet valid":  token(func(c jwt.MapClaims) { c["nbf"] = testNow.Add(time.Hour).Unix() }),
		"wrong audience": token(func(c jwt.MapClaims) { c["aud"] = "api://elsewhere" }),
		"revoked":        token(func(c jwt.MapClaims) { c["jti"] = "gone" }),
		"no jti":         token(func(c jwt.MapClaims) { delete(c, "jti") }),
		"bad scope":      token(func(c jwt.MapClaims) { c["scope"] = 7 }),
		"other key":      sign(t, jwt.SigningMethodES256, other, "ec256", validClaims(), nil),
		"tampered":       parts[0] + "." + evil[1] + "." + parts[2],
		"no signature":   parts[0] + "." + parts[1] + ".",
	} {
		mustReject(t, v, tok)
		if got := v.cache.Len(); got != 0 {
			t.Fatalf("%s: refused token cached (%d entries)", name, got)
		}
	}
	mustAccept(t, v, good)
	if got := v.cache.Len(); got != 1 {
		t.Errorf("%d entries after an accepted token, want 1", got)
	}
}

func TestJWTCachePrincipalIsACopy(t *testing.T) {
	cfg := hmacConfig()
	cfg.ScopeClaim = "realm_access.roles"
	v, n := countingJWT(t, cfg)
	claims := validClaims()
	claims["realm_access"] = map[string]any{"roles": []any{"reader", "writer"}}
	tok := sign(t, jwt.SigningMethodHS256, testKeys().hmac, "", claims, nil)

	check := func(p *Principal) {
		t.Helper()
		roles := p.Claims["realm_access"].(map[string]any)["roles"].([]any)
		if p.Subject != "alice" || !slices.Equal(p.Scopes, []string{"reader", "writer"}) || p.Claims["sub"] != "alice" || len(roles) != 2 || roles[0] != "reader" || p.Claims["extra"] != nil {
			t.Fatalf("principal changed by an earlier caller: %+v", p)
		}
	}
	mutate := func(p *Principal) {
		p.Subject = "mallory"
		p.Scopes[0] = "admin"
		p.Scopes = append(p.Scopes, "root")
		p.Claims["sub"] = "mallory"
		p.Claims["extra"] = true
		realm := p.Claims["realm_access"].(map[string]any)
		realm["roles"].([]any)[0] = "admin"
		realm["more"] = 1
	}
	p := mustAccept(t, v, tok) // the verification that fills the cache
	check(p)
	mutate(p)
	for range 2 {
		p := mustAccept(t, v, tok)
		check(p)
		mutate(p)
	}
	wantVerifications(t, n, 1, "three Verify calls")
}

func TestJWTCachePrincipalHasTheCredentialsScheme(t *testing.T) {
	v, _ := countingJWT(t, hmacConfig())
	tok := sign(t, jwt.SigningMethodHS256, testKeys().hmac, "", validClaims(), nil)
	for _, scheme := range []string{"first", "second"} {
		p, err := verifyAs(v, scheme, tok)
		if err != nil {
			t.Fatal(err)
		}
		if p.Scheme != scheme {
			t.Errorf("Scheme %q, want %q", p.Scheme, scheme)
		}
	}
}

// TestJWTCacheKeySetRefreshVerifiesAgain: a token cached with one key set
// is verified again once the keys are fetched anew, so a key removed from
// the endpoint stops verifying, cache or not.
func TestJWTCacheKeySetRefreshVerifiesAgain(t *testing.T) {
	k := testKeys()
	srv := newJWKSServer(t, jwkOf(t, "rsa", &k.rsa.PublicKey))
	cfg := srv.config()
	cfg.CacheTTL = time.Hour
	v, n := countingJWT(t, cfg)
	tok := sign(t, jwt.SigningMethodRS256, k.rsa, "rsa", validClaims(), nil)
	mustAccept(t, v, tok)
	srv.clock.Advance(30 * time.Second)
	mustAccept(t, v, tok)
	wantVerifications(t, n, 1, "with the same key set")

	srv.set(func(s *jwksServer) { s.keys = []any{jwkOf(t, "ed", k.ed.Public())} })
	srv.clock.Advance(31 * time.Second) // the key set is stale
	mustReject(t, v, tok)
	if got := srv.hits.Load(); got != 2 {
		t.Errorf("%d key set fetches, want 2", got)
	}
}

func TestTokenCacheIsBounded(t *testing.T) {
	for _, size := range []int{1, 5, 16, 100, 1000} {
		c, err := NewTokenCache(TokenCacheConfig{Size: size, Now: func() time.Time { return testNow }})
		if err != nil {
			t.Fatal(err)
		}
		p := &Principal{Subject: "alice"}
		var last TokenKey
		for i := range 10 * size {
			last = TokenKeyOf(fmt.Sprint("token-", i))
			c.Put(last, CachedToken{Principal: p})
			if got := c.Len(); got > size {
				t.Fatalf("size %d: %d entries after %d Puts", size, got, i+1)
			}
		}
		if got := c.Len(); got < size*3/4 {
			t.Errorf("size %d: only %d entries after %d Puts", size, got, 10*size)
		}
		if _, ok := c.Get(last); !ok {
			t.Errorf("size %d: the last entry put is gone", size)
		}
	}
}

func TestJWTCacheIsBounded(t *testing.T) {
	cfg := hmacConfig()
	cfg.CacheSize = 8
	v, _ := countingJWT(t, cfg)
	for i := range 100 {
		c := validClaims()
		c["jti"] = fmt.Sprint("j-", i)
		mustAccept(t, v, sign(t, jwt.SigningMethodHS256, testKeys().hmac, "", c, nil))
		if got := v.cache.Len(); got > 8 {
			t.Fatalf("%d entries after %d tokens, want at most CacheSize 8", got, i+1)
		}
	}
}

// TestTokenCacheEvictionGivesServedEntriesASecondChance checks the clock
// eviction on one shard: an entry served since the hand last passed
// survives, and expired entries go first.
func TestTokenCacheEvictionGivesServedEntriesASecondChance(t *testing.T) {
	clock := &testClock{now: testNow}
	c := &TokenCache{shards: []tokenShard{{index: map[TokenKey]int32{}, limit: 4}}, ttl: time.Hour, now: clock.Now}
	key := func(name string) TokenKey { return TokenKeyOf(name) }
	put := func(name string, ttl time.Duration) {
		c.Put(key(name), CachedToken{Principal: &Principal{Subject: name}, NotAfter: clock.Now().Add(ttl)})
	}
	has := func(name string) bool {
		s := &c.shards[0]
		_, ok := s.index[key(name)]
		return ok
	}
	for _, name := range []string{"a", "b", "c", "d"} {
		put(name, time.Hour)
	}
	if _, ok := c.Get(key("a")); !ok {
		t.Fatal("a is missing")
	}
	put("e", time.Hour)
	if !has("a") || has("b") || !has("e") {
		t.Fatalf("after e: a %v b %v e %v, want a kept (served), b evicted", has("a"), has("b"), has("e"))
	}
	put("f", time.Minute)
	clock.Advance(2 * time.Minute) // f expires
	for _, name := range []string{"a", "c", "d", "e"} {
		c.Get(key(name)) // all served: only f is unreferenced
	}
	put("g", time.Hour)
	if has("f") || !has("g") || c.Len() != 4 {
		t.Fatalf("after g: f %v g %v, %d entries; want the expired f replaced", has("f"), has("g"), c.Len())
	}
}

// TestTokenCacheReusesExpiredSlotsBeforeGrowing: a steady stream of new
// tokens keeps the cache at what one TTL sees, not at its size.
func TestTokenCacheReusesExpiredSlotsBeforeGrowing(t *testing.T) {
	clock := &testClock{now: testNow}
	c := &TokenCache{shards: []tokenShard{{index: map[TokenKey]int32{}, limit: 1000}}, ttl: 10 * time.Second, now: clock.Now}
	for i := range 600 { // ten new tokens a second for a minute
		c.Put(TokenKeyOf(fmt.Sprint("token-", i)), CachedToken{Principal: &Principal{Subject: "alice"}})
		if i%10 == 9 {
			clock.Advance(time.Second)
		}
	}
	if got := len(c.shards[0].slots); got > 110 {
		t.Errorf("%d slots in use for 100 live tokens", got)
	}
	if got := c.Len(); got > 110 {
		t.Errorf("%d entries for 100 live tokens", got)
	}
}

func TestTokenCacheWindow(t *testing.T) {
	clock := &testClock{now: testNow}
	c, err := NewTokenCache(TokenCacheConfig{TTL: time.Minute, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	k := TokenKeyOf("t")
	p := &Principal{Subject: "alice"}
	// An empty window is not stored.
	c.Put(k, CachedToken{Principal: p, NotAfter: testNow})
	c.Put(k, CachedToken{Principal: p, NotBefore: testNow.Add(2 * time.Minute)})
	if c.Len() != 0 {
		t.Fatalf("%d entries, want none", c.Len())
	}
	c.Put(k, CachedToken{Principal: p, NotBefore: testNow.Add(10 * time.Second), NotAfter: testNow.Add(time.Hour)})
	if _, ok := c.Get(k); ok {
		t.Error("served before NotBefore")
	}
	clock.Advance(10 * time.Second)
	e, ok := c.Get(k)
	if !ok || !e.NotAfter.Equal(testNow.Add(time.Minute)) {
		t.Fatalf("Get = %+v, %v; want the entry, ending at the Put plus the TTL", e, ok)
	}
	clock.Advance(50 * time.Second)
	if _, ok := c.Get(k); ok {
		t.Error("served after the TTL")
	}
	if c.Len() != 0 {
		t.Errorf("an expired entry found by Get stays: %d entries", c.Len())
	}

	var disabled *TokenCache
	disabled.Put(k, CachedToken{Principal: p})
	if _, ok := disabled.Get(k); ok || disabled.Len() != 0 {
		t.Error("a nil TokenCache cached")
	}
	if c, err := NewTokenCache(TokenCacheConfig{Size: -1}); c != nil || err != nil {
		t.Errorf("NewTokenCache(Size -1) = %v, %v; want nil, nil", c, err)
	}
}

// syncRevocations is a RevocationChecker safe for concurrent use.
type syncRevocations struct {
	mu      sync.Mutex
	revoked map[string]bool
}

func (s *syncRevocations) Revoked(_ context.Context, jti, _ string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.revoked[jti], nil
}

// TestJWTCacheConcurrentUse runs valid, revoked and forged tokens through
// a small cache from many goroutines while the clock moves, revocations
// change and callers mutate their principals; run it with -race.
func TestJWTCacheConcurrentUse(t *testing.T) {
	clock := &testClock{now: testNow}
	revs := &syncRevocations{revoked: map[string]bool{"j-revoked-0": true, "j-revoked-1": true}}
	cfg := hmacConfig()
	cfg.Now = clock.Now
	cfg.CacheSize = 16             // fewer than the tokens: entries are evicted all along
	cfg.CacheTTL = 3 * time.Second // and expire while the clock moves
	cfg.Revocation = revs
	v, _ := countingJWT(t, cfg)

	type probe struct {
		token, subject string
		revoked, valid bool
	}
	var probes []probe
	for i := range 40 {
		c := validClaims()
		c["sub"] = fmt.Sprint("user-", i)
		c["jti"] = fmt.Sprint("j-", i)
		probes = append(probes, probe{token: sign(t, jwt.SigningMethodHS256, testKeys().hmac, "", c, nil), subject: c["sub"].(string), valid: true})
	}
	for i := range 2 {
		c := validClaims()
		c["jti"] = fmt.Sprint("j-revoked-", i)
		probes = append(probes, probe{token: sign(t, jwt.SigningMethodHS256, testKeys().hmac, "", c, nil), revoked: true})
	}
	forged := probes[0].token[:strings.LastIndexByte(probes[0].token, '.')+1] + strings.Repeat("A", 43)
	probes = append(probes, probe{token: forged})
	// Revoked while the others run: refused by the end.
	late := probes[39]

	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 400 {
				pr := probes[(g*7+i*13)%len(probes)]
				if g == 0 && i%50 == 0 {
					clock.Advance(time.Second)
				}
				p, err := verifyAs(v, "bearer", pr.token)
				switch {
				case pr.valid && pr.token == late.token:
					// Either, depending on when the revocation lands.
				case pr.valid && (err != nil || p.Subject != pr.subject):
					errs <- fmt.Errorf("%s: %+v, %v", pr.subject, p, err)
					return
				case pr.revoked && !errors.Is(err, ErrTokenRevoked):
					errs <- fmt.Errorf("revoked token: %v, want ErrTokenRevoked", err)
					return
				case !pr.valid && !pr.revoked && err == nil:
					errs <- errors.New("forged token accepted")
					return
				}
				if p != nil {
					p.Scopes[0] = "mutated"
					p.Claims["sub"] = "mutated"
				}
				if g == 1 && i == 200 {
					revs.mu.Lock()
					revs.revoked["j-39"] = true
					revs.mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := v.cache.Len(); got > 16 {
		t.Errorf("%d entries, want at most 16", got)
	}
	if err := mustReject(t, v, late.token); !errors.Is(err, ErrTokenRevoked) {
		t.Errorf("token revoked during the run: %v, want ErrTokenRevoked", err)
	}
	for _, pr := range probes[:39] {
		if p := mustAccept(t, v, pr.token); p.Subject != pr.subject || p.Scopes[0] != "orders:read" || p.Claims["sub"] != pr.subject {
			t.Fatalf("principal %+v, want %s's, unchanged by callers", p, pr.subject)
		}
	}
}

// BenchmarkJWTCache compares a token presented again, served from the
// cache, with its full verification (the cache off), per algorithm.
func BenchmarkJWTCache(b *testing.B) {
	k := testKeys()
	claims := validClaims()
	claims["jti"] = "bench-jti"
	algs := []struct {
		name   string
		method jwt.SigningMethod
		key    any
		kid    string
		cfg    func() JWTConfig
	}{
		{"ES256", jwt.SigningMethodES256, k.ec256, "ec256", staticConfig},
		{"EdDSA", jwt.SigningMethodEdDSA, k.ed, "ed", staticConfig},
		{"RS256", jwt.SigningMethodRS256, k.rsa, "rsa", staticConfig},
		{"HS256", jwt.SigningMethodHS256, k.hmac, "", hmacConfig},
	}
	for _, alg := range algs {
		tok := sign(b, alg.method, alg.key, alg.kid, claims, nil)
		for _, mode := range []struct {
			name string
			size int
		}{{"cached", 0}, {"uncached", -1}} {
			b.Run(alg.name+"/"+mode.name, func(b *testing.B) {
				cfg := alg.cfg()
				cfg.CacheSize = mode.size
				v := newJWT(b, cfg)
				ctx := context.Background()
				c := Credential{Scheme: "bearer", Token: tok}
				if _, err := v.Verify(ctx, c); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := v.Verify(ctx, c); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
