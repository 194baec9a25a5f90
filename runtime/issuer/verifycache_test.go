package issuer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/securegen/securegen/runtime/auth"
)

// cacheClock is a settable time source.
type cacheClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *cacheClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *cacheClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// flakyStore is a Store whose revocation checks fail while down is set.
type flakyStore struct {
	Store
	down atomic.Bool
}

var errStoreDown = errors.New("store down")

func (s *flakyStore) Revoked(ctx context.Context, jti, family string) (bool, error) {
	if s.down.Load() {
		return false, errStoreDown
	}
	return s.Store.Revoked(ctx, jti, family)
}

// cacheEnv is a Server on a settable clock that counts its full
// verifications: the tokens whose signature it checked, as opposed to
// those it served from its cache.
type cacheEnv struct {
	t      *testing.T
	srv    *Server
	clock  *cacheClock
	store  *flakyStore
	parsed atomic.Int64
}

func newCacheEnv(t *testing.T, mutate func(*Config)) *cacheEnv {
	t.Helper()
	e := &cacheEnv{t: t, clock: &cacheClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}, store: &flakyStore{Store: NewMemoryStore()}}
	cfg := Config{Issuer: "https://issuer.test", Now: e.clock.Now, Store: e.store}
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv.keyfunc = func(tok *jwt.Token) (any, error) {
		e.parsed.Add(1)
		return srv.keyFor(tok)
	}
	e.srv = srv
	return e
}

// mint issues an access token to sub with scopes, in the refresh token
// family fam when fam is not empty, and returns it with its jti.
func (e *cacheEnv) mint(sub string, scopes []string, fam string) (token, jti string) {
	e.t.Helper()
	resp, oerr := e.srv.issue(context.Background(), RefreshRecord{Subject: sub, Family: fam}, scopes, fam != "", "")
	if oerr != nil {
		e.t.Fatalf("issue: %v", oerr)
	}
	c, err := e.srv.parse(resp.AccessToken)
	if err != nil {
		e.t.Fatalf("parse: %v", err)
	}
	e.parsed.Add(-1) // reading the jti is no verification
	return resp.AccessToken, c.jti
}

func (e *cacheEnv) verify(token string) (*auth.Principal, error) {
	return e.srv.Verify(context.Background(), auth.Credential{Scheme: "oauth", Token: token})
}

func (e *cacheEnv) accept(token string) *auth.Principal {
	e.t.Helper()
	p, err := e.verify(token)
	if err != nil {
		e.t.Fatalf("Verify: %v", err)
	}
	return p
}

func (e *cacheEnv) reject(token string) error {
	e.t.Helper()
	p, err := e.verify(token)
	if err == nil {
		e.t.Fatalf("Verify accepted it: %+v", p)
	}
	return err
}

func (e *cacheEnv) wantParsed(want int64, when string) {
	e.t.Helper()
	if got := e.parsed.Load(); got != want {
		e.t.Fatalf("%s: %d full verifications, want %d", when, got, want)
	}
}

func TestVerifyCacheServesARepeatedToken(t *testing.T) {
	e := newCacheEnv(t, nil)
	tok, _ := e.mint("alice", []string{"read", "write"}, "")
	for range 4 {
		p := e.accept(tok)
		if p.Subject != "alice" || p.Scheme != "oauth" || !slices.Equal(p.Scopes, []string{"read", "write"}) || p.Claims["sub"] != "alice" {
			t.Fatalf("principal %+v", p)
		}
	}
	e.wantParsed(1, "four Verify calls of one token")
	if got := e.srv.cache.Len(); got != 1 {
		t.Errorf("%d entries, want 1", got)
	}
}

func TestVerifyCacheOffWhenCacheSizeIsNegative(t *testing.T) {
	e := newCacheEnv(t, func(c *Config) { c.CacheSize = -1 })
	tok, _ := e.mint("alice", nil, "")
	for range 3 {
		e.accept(tok)
	}
	e.wantParsed(3, "without a cache")
}

func TestNewRejectsNegativeCacheTTL(t *testing.T) {
	if _, err := New(Config{Issuer: "https://issuer.test", CacheTTL: -time.Second}); err == nil || !strings.Contains(err.Error(), "CacheTTL") {
		t.Fatalf("New with CacheTTL -1s: %v, want an error naming CacheTTL", err)
	}
}

// TestVerifyCacheEntryEndsAtExpLessLeeway: from exp less the leeway on,
// the token is verified afresh, and refused once the leeway is over.
func TestVerifyCacheEntryEndsAtExpLessLeeway(t *testing.T) {
	e := newCacheEnv(t, func(c *Config) { c.Leeway = 10 * time.Second; c.CacheTTL = time.Hour })
	tok, _ := e.mint("alice", nil, "")
	e.accept(tok)
	e.clock.Advance(DefaultAccessTokenTTL - 10*time.Second - time.Nanosecond)
	e.accept(tok)
	e.wantParsed(1, "before exp - leeway")
	e.clock.Advance(time.Nanosecond)
	e.accept(tok)
	e.accept(tok)
	e.wantParsed(3, "from exp - leeway on")
	e.clock.Advance(20 * time.Second)
	e.reject(tok)
}

func TestVerifyCacheEntryEndsAfterCacheTTL(t *testing.T) {
	e := newCacheEnv(t, func(c *Config) { c.CacheTTL = 30 * time.Second })
	tok, _ := e.mint("alice", nil, "")
	e.accept(tok)
	e.clock.Advance(30*time.Second - time.Nanosecond)
	e.accept(tok)
	e.wantParsed(1, "within CacheTTL")
	e.clock.Advance(time.Nanosecond)
	e.accept(tok)
	e.wantParsed(2, "at CacheTTL")
}

// TestVerifyCacheNotServedBeforeIssuedAt: when the clock steps back before
// a cached token's iat, the token is refused as a fresh verification
// refuses it.
func TestVerifyCacheNotServedBeforeIssuedAt(t *testing.T) {
	e := newCacheEnv(t, nil)
	tok, _ := e.mint("alice", nil, "")
	e.accept(tok)
	e.clock.Advance(-time.Second)
	e.reject(tok)
	e.wantParsed(2, "after the clock stepped back")
}

func TestVerifyCacheRevocationWhileCached(t *testing.T) {
	ctx := context.Background()
	e := newCacheEnv(t, nil)
	tok, jti := e.mint("alice", nil, "")
	famTok, _ := e.mint("bob", nil, "fam-1")
	for range 2 {
		e.accept(tok)
		e.accept(famTok)
	}
	e.wantParsed(2, "two tokens, twice each")

	if err := e.srv.store.RevokeJTI(ctx, jti, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := e.reject(tok); !errors.Is(err, errTokenRevoked) {
		t.Errorf("revoked jti: %v, want errTokenRevoked", err)
	}
	if err := e.srv.store.RevokeFamily(ctx, "fam-1", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := e.reject(famTok); !errors.Is(err, errTokenRevoked) {
		t.Errorf("revoked family: %v, want errTokenRevoked", err)
	}

	live, _ := e.mint("carol", nil, "")
	e.accept(live)
	e.store.down.Store(true)
	if err := e.reject(live); !errors.Is(err, errStoreDown) {
		t.Errorf("store down: %v, want its error wrapped (fail closed)", err)
	}
	e.store.down.Store(false)
	e.accept(live)
	// Every refusal above came from a cached entry.
	e.wantParsed(3, "revocation checks of cached tokens")
}

// TestVerifyCacheOnlyHoldsAcceptedTokens: refused tokens never enter the
// cache.
func TestVerifyCacheOnlyHoldsAcceptedTokens(t *testing.T) {
	ctx := context.Background()
	e := newCacheEnv(t, nil)
	good, _ := e.mint("alice", nil, "")
	revoked, jti := e.mint("alice", nil, "")
	if err := e.srv.store.RevokeJTI(ctx, jti, time.Hour); err != nil {
		t.Fatal(err)
	}
	other := newCacheEnv(t, nil) // another key
	foreign, _ := other.mint("alice", nil, "")
	parts := strings.Split(good, ".")
	for name, tok := range map[string]string{
		"revoked":       revoked,
		"foreign":       foreign,
		"no signature":  parts[0] + "." + parts[1] + ".",
		"swapped parts": parts[0] + "." + strings.Split(foreign, ".")[1] + "." + parts[2],
	} {
		e.reject(tok)
		if got := e.srv.cache.Len(); got != 0 {
			t.Fatalf("%s: refused token cached (%d entries)", name, got)
		}
	}
	e.clock.Advance(DefaultAccessTokenTTL)
	e.reject(good)
	if got := e.srv.cache.Len(); got != 0 {
		t.Fatalf("expired token cached (%d entries)", got)
	}
}

func TestVerifyCachePrincipalIsACopy(t *testing.T) {
	e := newCacheEnv(t, nil)
	tok, _ := e.mint("alice", []string{"read", "write"}, "")
	for range 3 {
		p := e.accept(tok)
		if p.Subject != "alice" || !slices.Equal(p.Scopes, []string{"read", "write"}) || p.Claims["sub"] != "alice" || p.Claims["extra"] != nil {
			t.Fatalf("principal changed by an earlier caller: %+v", p)
		}
		p.Subject = "mallory"
		p.Scopes[0] = "admin"
		p.Claims["sub"] = "mallory"
		p.Claims["extra"] = true
	}
	e.wantParsed(1, "three Verify calls")
}

func TestVerifyCacheIsBounded(t *testing.T) {
	e := newCacheEnv(t, func(c *Config) { c.CacheSize = 4 })
	for i := range 40 {
		tok, _ := e.mint(fmt.Sprint("user-", i), nil, "")
		e.accept(tok)
		if got := e.srv.cache.Len(); got > 4 {
			t.Fatalf("%d entries after %d tokens, want at most CacheSize 4", got, i+1)
		}
	}
}

// TestVerifyCacheConcurrentUse verifies, revokes and mutates principals
// from many goroutines on a small cache; run it with -race.
func TestVerifyCacheConcurrentUse(t *testing.T) {
	ctx := context.Background()
	e := newCacheEnv(t, func(c *Config) { c.CacheSize = 8; c.CacheTTL = 2 * time.Second })
	type probe struct{ token, jti, sub string }
	var probes []probe
	for i := range 24 {
		sub := fmt.Sprint("user-", i)
		tok, jti := e.mint(sub, []string{"read"}, "")
		probes = append(probes, probe{tok, jti, sub})
	}
	revoked := probes[23]
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				pr := probes[(g*5+i*7)%len(probes)]
				if g == 0 && i%50 == 0 {
					e.clock.Advance(time.Second)
				}
				if g == 1 && i == 150 {
					if err := e.srv.store.RevokeJTI(ctx, revoked.jti, time.Hour); err != nil {
						errs <- err
						return
					}
				}
				p, err := e.verify(pr.token)
				if pr.token == revoked.token {
					continue // either, depending on when the revocation lands
				}
				if err != nil || p.Subject != pr.sub {
					errs <- fmt.Errorf("%s: %+v, %v", pr.sub, p, err)
					return
				}
				p.Scopes[0] = "mutated"
				p.Claims["sub"] = "mutated"
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := e.srv.cache.Len(); got > 8 {
		t.Errorf("%d entries, want at most 8", got)
	}
	if err := e.reject(revoked.token); !errors.Is(err, errTokenRevoked) {
		t.Errorf("revoked during the run: %v, want errTokenRevoked", err)
	}
	for _, pr := range probes[:23] {
		if p := e.accept(pr.token); p.Subject != pr.sub || p.Scopes[0] != "read" || p.Claims["sub"] != pr.sub {
			t.Fatalf("principal %+v, want %s's, unchanged by callers", p, pr.sub)
		}
	}
}
