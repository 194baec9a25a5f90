// Package redisstore is an issuer.Store kept in Redis, so that several
// replicas of an API share refresh tokens, revocations and failed-login
// counters. Every operation that reads and then writes runs as one Lua
// script, so it is atomic across replicas: of two replicas redeeming the
// same refresh token at once, at most one succeeds.
//
// It is a module of its own, so that the runtime module, which every
// generated server imports, does not depend on the Redis client.
//
// Redis Cluster is not supported: a script touches keys that it derives
// from stored values, which may live in other slots. Use a single Redis
// (with replicas and Sentinel for availability).
package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/securegen/securegen/runtime/auth"
	"github.com/securegen/securegen/runtime/issuer"
)

// DefaultPrefix is the key prefix New uses when given "".
const DefaultPrefix = "securegen:issuer:"

// Store is an issuer.Store in Redis. It is safe for concurrent use.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
}

var (
	_ issuer.Store           = (*Store)(nil)
	_ auth.RevocationChecker = (*Store)(nil)
)

// New returns a Store that keeps its keys, all starting with prefix
// (DefaultPrefix when ""), in the Redis that client talks to. Stores with
// the same prefix on the same Redis share their state.
//
// Keys: prefix+"rt:"+hash is a hash (fields d: the record as JSON, f: the
// family, u: set once redeemed) that expires with the refresh token;
// prefix+"fam:"+family and prefix+"jti:"+jti mark revocations and expire
// with them; prefix+"grace:"+family holds the grace period of the family's
// latest rotation (fields k: the rotated token's key, d: the sealed pair)
// and expires with it; prefix+"fail:"+sha256(key) counts login attempts
// (reserved before the secret is checked, given back when it was right)
// in a window, so that usernames are not stored in the clear.
//
// A Store is also an auth.RevocationChecker: a service that verifies the
// issuer's tokens with auth.NewJWT can refuse the revoked ones by passing
// New(client, prefix), on the issuer's Redis and prefix, as
// JWTConfig.Revocation.
func New(client redis.UniversalClient, prefix string) *Store {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &Store{rdb: client, prefix: prefix}
}

func (s *Store) refreshKey(hash string) string  { return s.prefix + "rt:" + hash }
func (s *Store) familyKey(family string) string { return s.prefix + "fam:" + family }
func (s *Store) jtiKey(jti string) string       { return s.prefix + "jti:" + jti }
func (s *Store) graceKey(family string) string  { return s.prefix + "grace:" + family }

func (s *Store) failKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return s.prefix + "fail:" + hex.EncodeToString(sum[:])
}

// ms converts d to whole milliseconds, at least 1.
func ms(d time.Duration) int64 {
	return max(d.Milliseconds(), 1)
}

// saveScript stores a new refresh token unless its key is taken.
// KEYS[1] token key; ARGV[1] record, ARGV[2] family, ARGV[3] expiry (Unix ms).
var saveScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 'exists' end
redis.call('HSET', KEYS[1], 'd', ARGV[1], 'f', ARGV[2])
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return 'ok'
`)

// lookupScript returns a token's record, its family, whether it was
// redeemed and whether its family is revoked. KEYS[1] token key; ARGV[1] family key prefix.
var lookupScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'd', 'f', 'u')
if not v[1] then return false end
local revoked = redis.call('EXISTS', ARGV[1] .. v[2])
local used = 0
if v[3] then used = 1 end
return {v[1], v[2], used, revoked}
`)

// rotateScript redeems the old token and stores its successor, or, when
// the old token was redeemed already, returns the sealed pair of the
// family's grace period if it is that token's and still open, and revokes
// the family otherwise. It answers a table: {status} or {'replay', pair}.
// KEYS[1] old token key, KEYS[2] new token key, KEYS[3] family key,
// KEYS[4] grace key; ARGV[1] family, ARGV[2] new record, ARGV[3] new
// expiry (Unix ms), ARGV[4] family revocation TTL (ms), ARGV[5] grace
// period (ms, 0 for none), ARGV[6] the sealed pair.
var rotateScript = redis.NewScript(`
local f = redis.call('HGET', KEYS[1], 'f')
if not f then return {'missing'} end
if f ~= ARGV[1] then return {'family'} end
if redis.call('EXISTS', KEYS[3]) == 1 then return {'revoked'} end
if redis.call('HEXISTS', KEYS[1], 'u') == 1 then
  local g = redis.call('HMGET', KEYS[4], 'k', 'd')
  if g[1] == KEYS[1] and g[2] then return {'replay', g[2]} end
  redis.call('SET', KEYS[3], '1', 'PX', ARGV[4])
  redis.call('DEL', KEYS[4])
  return {'reused'}
end
if redis.call('EXISTS', KEYS[2]) == 1 then return {'exists'} end
redis.call('HSET', KEYS[1], 'u', '1')
redis.call('HSET', KEYS[2], 'd', ARGV[2], 'f', ARGV[1])
redis.call('PEXPIREAT', KEYS[2], ARGV[3])
redis.call('DEL', KEYS[4])
if tonumber(ARGV[5]) > 0 then
  redis.call('HSET', KEYS[4], 'k', KEYS[1], 'd', ARGV[6])
  redis.call('PEXPIRE', KEYS[4], ARGV[5])
end
return {'ok'}
`)

// revokeScript marks KEYS[1] revoked for ARGV[1] ms, never shortening an
// existing mark.
var revokeScript = redis.NewScript(`
local t = redis.call('PTTL', KEYS[1])
if t < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
return 1
`)

// reserveScript counts one login attempt unless ARGV[1] are counted
// already, in a window of ARGV[2] ms that starts with the first attempt.
// It returns {1, time left} when the attempt may go ahead, {0, time left}
// when it may not. Reading and counting in one script is what keeps
// concurrent attempts, at any replica, from all passing the limit.
var reserveScript = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
local t = redis.call('PTTL', KEYS[1])
if n > 0 and t < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  t = tonumber(ARGV[2])
end
if n >= tonumber(ARGV[1]) then
  if t < 0 then t = tonumber(ARGV[2]) end
  return {0, t}
end
n = redis.call('INCR', KEYS[1])
if n == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  t = tonumber(ARGV[2])
end
return {1, t}
`)

// releaseScript takes back one attempt, never counting below zero and
// keeping the window's end.
var releaseScript = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n <= 1 then
  redis.call('DEL', KEYS[1])
  return 0
end
return redis.call('DECR', KEYS[1])
`)

// storedRecord is what the "d" field holds.
type storedRecord struct {
	Subject   string   `json:"sub"`
	ClientID  string   `json:"cid,omitempty"`
	Scopes    []string `json:"scope,omitempty"`
	ExpiresAt int64    `json:"exp"` // Unix ms
}

func encode(rec issuer.RefreshRecord) (string, error) {
	b, err := json.Marshal(storedRecord{Subject: rec.Subject, ClientID: rec.ClientID, Scopes: rec.Scopes, ExpiresAt: rec.ExpiresAt.UnixMilli()})
	if err != nil {
		return "", fmt.Errorf("redisstore: encode record: %w", err)
	}
	return string(b), nil
}

// SaveRefresh implements issuer.Store.
func (s *Store) SaveRefresh(ctx context.Context, hash string, rec issuer.RefreshRecord) error {
	d, err := encode(rec)
	if err != nil {
		return err
	}
	res, err := saveScript.Run(ctx, s.rdb, []string{s.refreshKey(hash)}, d, rec.Family, rec.ExpiresAt.UnixMilli()).Text()
	if err != nil {
		return fmt.Errorf("redisstore: save refresh token: %w", err)
	}
	if res != "ok" {
		return errors.New("redisstore: save refresh token: hash already stored")
	}
	return nil
}

// LookupRefresh implements issuer.Store.
func (s *Store) LookupRefresh(ctx context.Context, hash string) (issuer.RefreshRecord, error) {
	v, err := lookupScript.Run(ctx, s.rdb, []string{s.refreshKey(hash)}, s.familyKey("")).Slice()
	if errors.Is(err, redis.Nil) {
		return issuer.RefreshRecord{}, issuer.ErrNotFound
	}
	if err != nil {
		return issuer.RefreshRecord{}, fmt.Errorf("redisstore: look up refresh token: %w", err)
	}
	if len(v) != 4 {
		return issuer.RefreshRecord{}, errors.New("redisstore: look up refresh token: malformed reply")
	}
	d, ok1 := v[0].(string)
	fam, ok2 := v[1].(string)
	used, ok3 := v[2].(int64)
	revoked, ok4 := v[3].(int64)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return issuer.RefreshRecord{}, errors.New("redisstore: look up refresh token: malformed reply")
	}
	var sr storedRecord
	if err := json.Unmarshal([]byte(d), &sr); err != nil {
		return issuer.RefreshRecord{}, fmt.Errorf("redisstore: decode record: %w", err)
	}
	rec := issuer.RefreshRecord{
		Family:    fam,
		Subject:   sr.Subject,
		ClientID:  sr.ClientID,
		Scopes:    sr.Scopes,
		ExpiresAt: time.UnixMilli(sr.ExpiresAt),
		Used:      used == 1,
		Revoked:   revoked == 1,
	}
	return rec, nil
}

// RotateRefresh implements issuer.Store, atomically across replicas: the
// redemption, or the answer from the grace period, or the revocation of
// the family on reuse, is one script.
func (s *Store) RotateRefresh(ctx context.Context, r issuer.Rotation) ([]byte, error) {
	d, err := encode(r.Next)
	if err != nil {
		return nil, err
	}
	var grace int64
	if r.Grace > 0 {
		grace = ms(r.Grace)
	}
	keys := []string{s.refreshKey(r.OldHash), s.refreshKey(r.NewHash), s.familyKey(r.Next.Family), s.graceKey(r.Next.Family)}
	v, err := rotateScript.Run(ctx, s.rdb, keys, r.Next.Family, d, r.Next.ExpiresAt.UnixMilli(), ms(r.FamilyTTL), grace, r.Replay).Slice()
	if err != nil {
		return nil, fmt.Errorf("redisstore: rotate refresh token: %w", err)
	}
	if len(v) == 0 {
		return nil, errors.New("redisstore: rotate refresh token: malformed reply")
	}
	status, _ := v[0].(string)
	switch status {
	case "ok":
		return nil, nil
	case "replay":
		if len(v) == 2 {
			if pair, ok := v[1].(string); ok && pair != "" {
				return []byte(pair), nil
			}
		}
		return nil, errors.New("redisstore: rotate refresh token: malformed reply")
	case "missing":
		return nil, issuer.ErrNotFound
	case "revoked":
		return nil, issuer.ErrRevoked
	case "reused":
		return nil, issuer.ErrReused
	case "family":
		return nil, errors.New("redisstore: rotate refresh token: rotation would change the token family")
	default:
		return nil, fmt.Errorf("redisstore: rotate refresh token: %q", status)
	}
}

// RevokeFamily implements issuer.Store.
func (s *Store) RevokeFamily(ctx context.Context, family string, ttl time.Duration) error {
	if err := revokeScript.Run(ctx, s.rdb, []string{s.familyKey(family)}, ms(ttl)).Err(); err != nil {
		return fmt.Errorf("redisstore: revoke family: %w", err)
	}
	return nil
}

// RevokeJTI implements issuer.Store.
func (s *Store) RevokeJTI(ctx context.Context, jti string, ttl time.Duration) error {
	if err := revokeScript.Run(ctx, s.rdb, []string{s.jtiKey(jti)}, ms(ttl)).Err(); err != nil {
		return fmt.Errorf("redisstore: revoke jti: %w", err)
	}
	return nil
}

// Revoked implements issuer.Store. It fails closed: on an error it
// reports the token revoked.
func (s *Store) Revoked(ctx context.Context, jti, family string) (bool, error) {
	keys := []string{s.jtiKey(jti)}
	if family != "" {
		keys = append(keys, s.familyKey(family))
	}
	n, err := s.rdb.Exists(ctx, keys...).Result()
	if err != nil {
		return true, fmt.Errorf("redisstore: revocation check: %w", err)
	}
	return n > 0, nil
}

// ReserveAttempt implements issuer.Store, atomically across replicas.
func (s *Store) ReserveAttempt(ctx context.Context, key string, limit int64, window time.Duration) (bool, time.Duration, error) {
	v, err := reserveScript.Run(ctx, s.rdb, []string{s.failKey(key)}, limit, ms(window)).Int64Slice()
	if err != nil || len(v) != 2 {
		return false, 0, fmt.Errorf("redisstore: reserve login attempt: %w", errOrMalformed(err))
	}
	return v[0] == 1, time.Duration(max(v[1], 0)) * time.Millisecond, nil
}

// ReleaseAttempt implements issuer.Store.
func (s *Store) ReleaseAttempt(ctx context.Context, key string) error {
	if err := releaseScript.Run(ctx, s.rdb, []string{s.failKey(key)}).Err(); err != nil {
		return fmt.Errorf("redisstore: release login attempt: %w", err)
	}
	return nil
}

// ResetFailures implements issuer.Store.
func (s *Store) ResetFailures(ctx context.Context, key string) error {
	if err := s.rdb.Del(ctx, s.failKey(key)).Err(); err != nil {
		return fmt.Errorf("redisstore: reset failures: %w", err)
	}
	return nil
}

func errOrMalformed(err error) error {
	if err != nil {
		return err
	}
	return errors.New("malformed reply")
}
