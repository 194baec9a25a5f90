package auth

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Defaults of the verified-token cache of NewJWT (JWTConfig.CacheSize and
// JWTConfig.CacheTTL) and of TokenCacheConfig.
const (
	// DefaultTokenCacheSize is the default bound on the number of
	// verified tokens a TokenCache holds.
	DefaultTokenCacheSize = 10_000
	// DefaultTokenCacheTTL is the default longest time a verified token
	// is served from a TokenCache.
	DefaultTokenCacheTTL = time.Minute
)

const (
	// tokenCacheShards is the most shards a TokenCache is split into, so
	// that concurrent requests seldom wait on each other's lock.
	tokenCacheShards = 16
	// tokenCacheScan is the most entries an insertion into a full shard
	// looks at for one to evict: the clock hand gives referenced entries a
	// second chance, but only this many, so each insertion is O(1).
	tokenCacheScan = 8
)

// errTokenCacheTTL is what NewTokenCache returns, wrapped, for a negative
// TTL.
var errTokenCacheTTL = errors.New("auth: token cache: TTL is negative")

// TokenKey identifies a token in a TokenCache: the SHA-256 digest of the
// token. A TokenCache holds keys, never tokens, so that what it holds
// cannot be presented as a credential.
type TokenKey [sha256.Size]byte

// TokenKeyOf returns the key of token: its SHA-256 digest.
func TokenKeyOf(token string) TokenKey {
	return sha256.Sum256([]byte(token))
}

// TokenCacheConfig configures NewTokenCache.
type TokenCacheConfig struct {
	// Size is the most entries the cache holds: 0 means
	// DefaultTokenCacheSize, and a negative Size disables the cache
	// (NewTokenCache returns nil, which caches nothing).
	Size int

	// TTL is the longest time an entry is served after it was stored,
	// whatever the token's own lifetime: 0 means DefaultTokenCacheTTL. It
	// must not be negative.
	TTL time.Duration

	// Now returns the current time; it defaults to time.Now and is meant
	// for tests. Verifiers pass the clock they check "exp" and "nbf" with.
	Now func() time.Time
}

// CachedToken is what a TokenCache holds for one verified token: the
// principal it stands for, what a verifier needs to check again on every
// use (its revocation), and when it may be served.
type CachedToken struct {
	// Principal is the principal the token stands for. Put stores a deep
	// copy and Get returns a new deep copy each time, so that no caller
	// can change what another one is served.
	Principal *Principal

	// JTI and SID are the token's "jti" and "sid" claims ("" when it has
	// none), for the revocation check that a verifier makes on every
	// request, cache hit or not.
	JTI, SID string

	// NotBefore is the earliest time the entry is served: the token's
	// "nbf" (and "iat") less the verifier's leeway. Put raises it to the
	// time of the Put, so an entry is never served before the
	// verification that stored it, even when the clock steps back.
	NotBefore time.Time

	// NotAfter is when the entry stops being served: the token's "exp"
	// less the verifier's leeway, so that a cached token is never
	// accepted when a fresh verification would refuse it. Put lowers it
	// to the time of the Put plus the cache's TTL; zero (a token without
	// "exp") means that TTL alone.
	NotAfter time.Time

	// Keys identifies, when not nil, the verification keys that verified
	// the token, such as the key set a JWKS verifier had fetched. The
	// cache does not look at it: a verifier whose keys can change
	// compares it with its current keys on a hit, and verifies the token
	// again when they differ.
	Keys any
}

// TokenCache remembers tokens that a verifier has verified, so that a
// token presented again is not verified again until its entry ends.
// Entries are keyed by TokenKey, the SHA-256 of the token, and hold the
// resulting principal, never the token.
//
// The cache is bounded: it holds at most its configured size of entries,
// and a Put into a full cache evicts an entry (an expired one, or one not
// served since the clock hand last passed it, among a few looked at, else
// the one under the hand), in constant time. Before it grows, a Put reuses
// the slot under the hand when that entry has expired, so the cache stays
// near the number of tokens seen in one TTL rather than filling up. It is
// split into shards, each with its own lock, and is safe for concurrent
// use.
//
// A nil *TokenCache is a valid, disabled cache: Get always misses and Put
// does nothing.
//
// Only a verifier should Put, and only tokens that passed every check:
// what is in the cache is served without its signature being checked.
type TokenCache struct {
	shards []tokenShard
	ttl    time.Duration
	now    func() time.Time
}

// tokenShard is one independently locked part of a TokenCache.
type tokenShard struct {
	mu    sync.Mutex
	index map[TokenKey]int32 // key → slot
	slots []tokenSlot        // grows up to limit, then is reused
	free  []int32            // slots emptied by expiry, reused first
	hand  int                // the clock hand over slots
	limit int
}

// tokenSlot holds one entry, or none while it is on the free list.
type tokenSlot struct {
	key TokenKey
	ref bool // served since the clock hand last passed
	tok CachedToken
}

// NewTokenCache returns a cache configured by cfg, or nil (a disabled
// cache) when cfg.Size is negative.
func NewTokenCache(cfg TokenCacheConfig) (*TokenCache, error) {
	if cfg.TTL < 0 {
		return nil, fmt.Errorf("%w: %v", errTokenCacheTTL, cfg.TTL)
	}
	if cfg.Size < 0 {
		return nil, nil
	}
	size := cfg.Size
	if size == 0 {
		size = DefaultTokenCacheSize
	}
	ttl := cfg.TTL
	if ttl == 0 {
		ttl = DefaultTokenCacheTTL
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	n := min(tokenCacheShards, size)
	c := &TokenCache{shards: make([]tokenShard, n), ttl: ttl, now: now}
	for i := range c.shards {
		// The limits add up to size exactly.
		limit := size / n
		if i < size%n {
			limit++
		}
		c.shards[i] = tokenShard{index: make(map[TokenKey]int32), limit: limit}
	}
	return c, nil
}

// shard returns the shard of key. Keys are SHA-256 digests, so their first
// bytes spread evenly.
func (c *TokenCache) shard(key TokenKey) *tokenShard {
	return &c.shards[(uint(key[0])<<8|uint(key[1]))%uint(len(c.shards))]
}

// Get returns the entry of key when there is one that may be served now,
// with a new deep copy of its principal.
func (c *TokenCache) Get(key TokenKey) (CachedToken, bool) {
	if c == nil {
		return CachedToken{}, false
	}
	now := c.now()
	s := c.shard(key)
	s.mu.Lock()
	i, ok := s.index[key]
	if !ok {
		s.mu.Unlock()
		return CachedToken{}, false
	}
	slot := &s.slots[i]
	if !now.Before(slot.tok.NotAfter) {
		s.removeLocked(i)
		s.mu.Unlock()
		return CachedToken{}, false
	}
	if now.Before(slot.tok.NotBefore) {
		s.mu.Unlock()
		return CachedToken{}, false
	}
	slot.ref = true
	t := slot.tok
	s.mu.Unlock()
	// The stored principal is never changed after Put, so it is copied
	// outside the lock.
	t.Principal = clonePrincipal(t.Principal)
	return t, true
}

// Put stores t under key, with a deep copy of its principal, after
// narrowing its window as CachedToken describes. An entry whose window is
// empty is not stored.
func (c *TokenCache) Put(key TokenKey, t CachedToken) {
	if c == nil || t.Principal == nil {
		return
	}
	now := c.now()
	if t.NotBefore.Before(now) {
		t.NotBefore = now
	}
	if limit := now.Add(c.ttl); t.NotAfter.IsZero() || t.NotAfter.After(limit) {
		t.NotAfter = limit
	}
	if !t.NotBefore.Before(t.NotAfter) {
		return
	}
	t.Principal = clonePrincipal(t.Principal)
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.index[key]; ok {
		s.slots[i].tok = t
		s.slots[i].ref = true
		return
	}
	var i int32
	switch {
	case len(s.free) > 0:
		i = s.free[len(s.free)-1]
		s.free = s.free[:len(s.free)-1]
	case len(s.slots) > 0 && !now.Before(s.slots[s.hand].tok.NotAfter):
		// The entry under the hand, among the oldest, has expired: reuse
		// its slot rather than grow, so that the cache holds about what
		// is live rather than all it ever held.
		i = int32(s.hand)
		delete(s.index, s.slots[i].key)
		s.hand = (s.hand + 1) % len(s.slots)
	case len(s.slots) < s.limit:
		i = int32(len(s.slots))
		s.slots = append(s.slots, tokenSlot{})
	default:
		i = s.victimLocked(now)
		delete(s.index, s.slots[i].key)
	}
	s.slots[i] = tokenSlot{key: key, tok: t}
	s.index[key] = i
}

// Len returns the number of entries, counting expired ones that have not
// been dropped yet. It is never more than the cache's size.
func (c *TokenCache) Len() int {
	if c == nil {
		return 0
	}
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.index)
		s.mu.Unlock()
	}
	return n
}

// victimLocked picks the slot of a full shard to reuse: the first expired
// or unreferenced one within tokenCacheScan steps of the clock hand
// (clearing the reference bits it passes), or else the one the hand ends
// on. Every slot of a full shard is in use.
func (s *tokenShard) victimLocked(now time.Time) int32 {
	for range tokenCacheScan {
		slot := &s.slots[s.hand]
		if !slot.ref || !now.Before(slot.tok.NotAfter) {
			break
		}
		slot.ref = false
		s.hand = (s.hand + 1) % len(s.slots)
	}
	i := int32(s.hand)
	s.hand = (s.hand + 1) % len(s.slots)
	return i
}

// removeLocked drops the entry in slot i and puts the slot on the free
// list.
func (s *tokenShard) removeLocked(i int32) {
	delete(s.index, s.slots[i].key)
	s.slots[i] = tokenSlot{}
	s.free = append(s.free, i)
}

// clonePrincipal returns a deep copy of p: its Scopes, and its Claims with
// every map and slice in them, are new. Other claim values (strings,
// numbers, booleans: all a JSON claim can hold besides objects and arrays)
// are immutable and shared.
func clonePrincipal(p *Principal) *Principal {
	if p == nil {
		return nil
	}
	cp := *p
	cp.Scopes = slices.Clone(p.Scopes)
	if p.Claims != nil {
		cp.Claims = cloneClaimMap(p.Claims)
	}
	return &cp
}

// cloneClaimMap returns a deep copy of m.
func cloneClaimMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneClaim(v)
	}
	return out
}

// cloneClaim returns a deep copy of a claim value.
func cloneClaim(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if x == nil {
			return x
		}
		return cloneClaimMap(x)
	case []any:
		if x == nil {
			return x
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneClaim(e)
		}
		return out
	case []string:
		return slices.Clone(x)
	default:
		return v
	}
}
