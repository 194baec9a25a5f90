package issuer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/securegen/securegen/runtime/auth"
)

// Errors a Store returns. Implementations wrap or return them as they are,
// so that callers can test them with errors.Is.
var (
	// ErrNotFound means that a refresh token is unknown or has expired.
	ErrNotFound = errors.New("issuer: refresh token not found")
	// ErrRevoked means that a refresh token's family has been revoked.
	ErrRevoked = errors.New("issuer: refresh token family revoked")
	// ErrReused means that a refresh token was redeemed a second time. The
	// Store that returns it has already revoked the token's family.
	ErrReused = errors.New("issuer: refresh token reused")
)

// RefreshRecord is what a Store keeps about one refresh token. The token
// itself is never stored: the Store is given the hex SHA-256 of it.
type RefreshRecord struct {
	// Family identifies the chain of refresh tokens that descend from one
	// login. Every rotation keeps the family; reuse revokes all of it.
	Family string `json:"fam"`
	// Subject is the user (or client) the token was issued to.
	Subject string `json:"sub"`
	// ClientID is the client the token was issued to; "" for requests
	// that named no client.
	ClientID string `json:"cid,omitempty"`
	// Scopes are the scopes granted at login; every rotation keeps them.
	Scopes []string `json:"scope,omitempty"`
	// ExpiresAt is when the token stops being redeemable.
	ExpiresAt time.Time `json:"exp"`
	// Used is set by the Store when the token has been redeemed already.
	Used bool `json:"-"`
	// Revoked is set by the Store when the token's family is revoked.
	Revoked bool `json:"-"`
}

// Rotation is one redemption of a refresh token, as Store.RotateRefresh
// performs it.
type Rotation struct {
	// OldHash is the hash of the token redeemed, NewHash the hash of its
	// successor.
	OldHash, NewHash string
	// Next is the successor's record; its Family must be the old token's.
	Next RefreshRecord
	// FamilyTTL is how long the family stays revoked when the old token
	// turns out to have been redeemed already.
	FamilyTTL time.Duration
	// Grace, when positive, opens a grace period (Config.RefreshGracePeriod)
	// on this redemption: until Grace has passed, and as long as the
	// family does not rotate again, a second redemption of the old token
	// gets Replay back instead of revoking the family. Each rotation of a
	// family closes the grace period of the one before.
	Grace time.Duration
	// Replay is what a redemption within the grace period gets back: the
	// successor pair, sealed by the issuer with a key that only the old
	// token yields, so that the Store holds no usable token. It is kept
	// for Grace only.
	Replay []byte
}

// Store holds the issuer's shared state: refresh tokens, revocations and
// failed-login counters (login attempts are counted before the secret is
// checked, and given back when it was right). Every method is safe for
// concurrent use. A Store shared by several replicas (such as
// redisstore.Store) lets them share refresh tokens, revocations and
// throttling.
type Store interface {
	// SaveRefresh stores a new refresh token under hash until
	// rec.ExpiresAt.
	SaveRefresh(ctx context.Context, hash string, rec RefreshRecord) error

	// LookupRefresh returns the record stored under hash, with Used and
	// Revoked set, or ErrNotFound when there is none or it has expired.
	LookupRefresh(ctx context.Context, hash string) (RefreshRecord, error)

	// RotateRefresh atomically redeems the token stored under r.OldHash
	// and stores r.Next under r.NewHash; of two concurrent redemptions of
	// one token at most one succeeds. It returns ErrNotFound when the old
	// token is unknown or expired, and ErrRevoked when its family is
	// revoked. When the old token was redeemed already, it returns the
	// Replay of that redemption if its grace period is still open (see
	// Rotation.Grace), changing nothing; otherwise it revokes the family
	// for r.FamilyTTL and returns ErrReused. A redemption that succeeds
	// returns a nil replay and a nil error.
	RotateRefresh(ctx context.Context, r Rotation) (replay []byte, err error)

	// RevokeFamily revokes every refresh token of family, and every access
	// token issued from it, for ttl.
	RevokeFamily(ctx context.Context, family string, ttl time.Duration) error

	// RevokeJTI revokes the access token with the JWT ID jti for ttl.
	RevokeJTI(ctx context.Context, jti string, ttl time.Duration) error

	// Revoked reports whether the access token with JWT ID jti, or the
	// refresh token family it was issued from (family may be ""), has
	// been revoked. It implements auth.RevocationChecker (the family is
	// the access token's "sid" claim), so that a service that verifies
	// the issuer's tokens with auth.NewJWT and shares its Store refuses
	// revoked tokens too. On an error it reports the token revoked.
	Revoked(ctx context.Context, jti, family string) (bool, error)

	// ReserveAttempt counts one login attempt under key before its secret
	// is checked, atomically: unless limit attempts are counted already in
	// the current window, it counts one more and reports ok. Otherwise it
	// counts nothing and reports, in retryAfter, the time until the window
	// ends. The window starts with its first counted attempt and lasts
	// window. An attempt stays counted, as a failure, unless
	// ReleaseAttempt takes it back or ResetFailures forgets the key, so
	// that of any number of concurrent attempts at most limit get their
	// secret checked in one window.
	ReserveAttempt(ctx context.Context, key string, limit int64, window time.Duration) (ok bool, retryAfter time.Duration, err error)

	// ReleaseAttempt takes back one attempt that ReserveAttempt counted
	// under key, for an attempt that did not fail. It never counts below
	// zero, and does nothing once the window has ended.
	ReleaseAttempt(ctx context.Context, key string) error

	// ResetFailures forgets the failures counted under key.
	ResetFailures(ctx context.Context, key string) error
}

// MemoryStore is a Store held in the memory of one process. It is safe for
// concurrent use. Expired entries are never returned and are swept out as
// the store is used; no goroutine runs in the background.
type MemoryStore struct {
	mu       sync.Mutex
	now      func() time.Time
	refresh  map[string]*memRefresh
	revoked  map[string]time.Time  // "j:"+jti or "f:"+family → expiry
	replays  map[string]*memReplay // family → its latest rotation's grace period
	failures map[string]*memCounter
	ops      int
}

var (
	_ Store                  = (*MemoryStore)(nil)
	_ auth.RevocationChecker = (*MemoryStore)(nil)
)

// memReplay is the grace period of a family's latest rotation.
type memReplay struct {
	oldHash string
	replay  []byte
	expires time.Time
}

type memRefresh struct {
	rec  RefreshRecord
	used bool
}

type memCounter struct {
	n       int64
	expires time.Time
}

// memSweepEvery is how many writes pass between two sweeps of expired
// entries.
const memSweepEvery = 1024

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		now:      time.Now,
		refresh:  make(map[string]*memRefresh),
		revoked:  make(map[string]time.Time),
		replays:  make(map[string]*memReplay),
		failures: make(map[string]*memCounter),
	}
}

// wrote counts a write and sweeps expired entries now and then. The caller
// holds s.mu.
func (s *MemoryStore) wrote(now time.Time) {
	s.ops++
	if s.ops < memSweepEvery {
		return
	}
	s.ops = 0
	for k, r := range s.refresh {
		if !now.Before(r.rec.ExpiresAt) {
			delete(s.refresh, k)
		}
	}
	for k, exp := range s.revoked {
		if !now.Before(exp) {
			delete(s.revoked, k)
		}
	}
	for k, r := range s.replays {
		if !now.Before(r.expires) {
			delete(s.replays, k)
		}
	}
	for k, c := range s.failures {
		if !now.Before(c.expires) {
			delete(s.failures, k)
		}
	}
}

// isRevoked reports whether key is revoked at now. The caller holds s.mu.
func (s *MemoryStore) isRevoked(key string, now time.Time) bool {
	exp, ok := s.revoked[key]
	return ok && now.Before(exp)
}

// SaveRefresh implements Store.
func (s *MemoryStore) SaveRefresh(ctx context.Context, hash string, rec RefreshRecord) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("issuer: memory store: %w", err)
	}
	rec.Scopes = slices.Clone(rec.Scopes)
	rec.Used, rec.Revoked = false, false
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if _, ok := s.refresh[hash]; ok {
		return errors.New("issuer: memory store: refresh token hash already stored")
	}
	s.refresh[hash] = &memRefresh{rec: rec}
	s.wrote(now)
	return nil
}

// LookupRefresh implements Store.
func (s *MemoryStore) LookupRefresh(ctx context.Context, hash string) (RefreshRecord, error) {
	if err := ctx.Err(); err != nil {
		return RefreshRecord{}, fmt.Errorf("issuer: memory store: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	r, ok := s.refresh[hash]
	if !ok || !now.Before(r.rec.ExpiresAt) {
		return RefreshRecord{}, ErrNotFound
	}
	rec := r.rec
	rec.Scopes = slices.Clone(rec.Scopes)
	rec.Used = r.used
	rec.Revoked = s.isRevoked("f:"+rec.Family, now)
	return rec, nil
}

// RotateRefresh implements Store.
func (s *MemoryStore) RotateRefresh(ctx context.Context, rot Rotation) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("issuer: memory store: %w", err)
	}
	next := rot.Next
	next.Scopes = slices.Clone(next.Scopes)
	next.Used, next.Revoked = false, false
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	r, ok := s.refresh[rot.OldHash]
	if !ok || !now.Before(r.rec.ExpiresAt) {
		return nil, ErrNotFound
	}
	if r.rec.Family != next.Family {
		return nil, errors.New("issuer: memory store: rotation would change the token family")
	}
	if s.isRevoked("f:"+next.Family, now) {
		return nil, ErrRevoked
	}
	if r.used {
		if g, ok := s.replays[next.Family]; ok && g.oldHash == rot.OldHash && now.Before(g.expires) {
			return slices.Clone(g.replay), nil
		}
		delete(s.replays, next.Family)
		s.revoked["f:"+next.Family] = now.Add(rot.FamilyTTL)
		s.wrote(now)
		return nil, ErrReused
	}
	if _, ok := s.refresh[rot.NewHash]; ok {
		return nil, errors.New("issuer: memory store: refresh token hash already stored")
	}
	r.used = true
	s.refresh[rot.NewHash] = &memRefresh{rec: next}
	if rot.Grace > 0 {
		s.replays[next.Family] = &memReplay{oldHash: rot.OldHash, replay: slices.Clone(rot.Replay), expires: now.Add(rot.Grace)}
	} else {
		delete(s.replays, next.Family)
	}
	s.wrote(now)
	return nil, nil
}

// RevokeFamily implements Store.
func (s *MemoryStore) RevokeFamily(ctx context.Context, family string, ttl time.Duration) error {
	if err := s.revoke(ctx, "f:"+family, ttl); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.replays, family)
	return nil
}

// RevokeJTI implements Store.
func (s *MemoryStore) RevokeJTI(ctx context.Context, jti string, ttl time.Duration) error {
	return s.revoke(ctx, "j:"+jti, ttl)
}

func (s *MemoryStore) revoke(ctx context.Context, key string, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("issuer: memory store: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if exp := now.Add(ttl); exp.After(s.revoked[key]) {
		s.revoked[key] = exp
	}
	s.wrote(now)
	return nil
}

// Revoked implements Store.
func (s *MemoryStore) Revoked(ctx context.Context, jti, family string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return true, fmt.Errorf("issuer: memory store: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.isRevoked("j:"+jti, now) {
		return true, nil
	}
	return family != "" && s.isRevoked("f:"+family, now), nil
}

// ReserveAttempt implements Store.
func (s *MemoryStore) ReserveAttempt(ctx context.Context, key string, limit int64, window time.Duration) (bool, time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return false, 0, fmt.Errorf("issuer: memory store: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	c, ok := s.failures[key]
	if !ok || !now.Before(c.expires) {
		c = &memCounter{expires: now.Add(window)}
	}
	if c.n >= limit {
		return false, c.expires.Sub(now), nil
	}
	c.n++
	s.failures[key] = c
	s.wrote(now)
	return true, c.expires.Sub(now), nil
}

// ReleaseAttempt implements Store.
func (s *MemoryStore) ReleaseAttempt(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("issuer: memory store: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.failures[key]
	if !ok || !s.now().Before(c.expires) {
		return nil
	}
	if c.n--; c.n <= 0 {
		delete(s.failures, key)
	}
	return nil
}

// ResetFailures implements Store.
func (s *MemoryStore) ResetFailures(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("issuer: memory store: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.failures, key)
	return nil
}
