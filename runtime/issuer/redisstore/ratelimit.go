package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/securegen/securegen/runtime/httpapi"
)

// DefaultLimiterPrefix is the key prefix NewLimiter uses when given "".
const DefaultLimiterPrefix = "securegen:ratelimit:"

// Limiter is an httpapi.Limiter whose state is kept in Redis, so that the
// replicas of an API share one budget per key: GCRA, one time per key,
// checked and counted by one Lua script, atomically. The time is Redis's
// own (TIME), so the clocks of replicas do not matter. It is safe for
// concurrent use.
//
// Redis keeps time in microseconds: the interval a request costs is
// rounded up to a whole microsecond, so a limit of more than a million
// requests a second per key is enforced as a million.
type Limiter struct {
	rdb    redis.UniversalClient
	prefix string
}

var _ httpapi.Limiter = (*Limiter)(nil)

// NewLimiter returns a Limiter that keeps its keys, all starting with
// prefix (DefaultLimiterPrefix when ""), in the Redis that client talks
// to. Limiters with the same prefix on the same Redis share their
// budgets.
//
// Each key is prefix + the hex SHA-256 of the limiter key (addresses and
// subjects are not stored in the clear), holds the key's theoretical
// arrival time in microseconds of Redis's clock, and expires when the key
// has its whole burst again, when it holds nothing a missing key lacks.
// Redis Cluster works: a check touches one key.
func NewLimiter(client redis.UniversalClient, prefix string) *Limiter {
	if prefix == "" {
		prefix = DefaultLimiterPrefix
	}
	return &Limiter{rdb: client, prefix: prefix}
}

// limitScript is GCRA on KEYS[1] with an interval of ARGV[1] µs and a
// burst of ARGV[2] intervals, on Redis's clock. It counts the request
// when it fits and returns {1 if it fits else 0, how far ahead of the
// clock the key's arrival time is with the request counted, in µs}.
var limitScript = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local capacity = interval * tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local ahead = tat + interval - now
if ahead > capacity then
  return {0, ahead}
end
redis.call('SET', KEYS[1], string.format('%d', tat + interval), 'PX', math.ceil(ahead / 1000))
return {1, ahead}
`)

// Allow implements httpapi.Limiter with one round trip to Redis. Its
// errors wrap httpapi.ErrInvalidLimit for a limit that is not valid, and
// otherwise say that Redis could not decide.
func (l *Limiter) Allow(ctx context.Context, key string, limit httpapi.RateLimit) (httpapi.Decision, error) {
	if err := limit.Validate(); err != nil {
		return httpapi.Decision{}, fmt.Errorf("redisstore: rate limit: %w", err)
	}
	interval := (limit.Interval() + time.Microsecond - 1) / time.Microsecond
	burst := limit.BurstSize()
	sum := sha256.Sum256([]byte(key))
	v, err := limitScript.Run(ctx, l.rdb, []string{l.prefix + hex.EncodeToString(sum[:])}, int64(interval), burst).Int64Slice()
	if err == nil && len(v) != 2 {
		err = errors.New("malformed reply")
	}
	if err != nil {
		return httpapi.Decision{}, fmt.Errorf("redisstore: rate limit: %w", err)
	}
	d := httpapi.GCRADecision(time.Duration(v[1]), interval, burst)
	if d.Allowed != (v[0] == 1) {
		return httpapi.Decision{}, errors.New("redisstore: rate limit: the script and GCRADecision disagree")
	}
	d.RetryAfter *= time.Microsecond
	d.Reset *= time.Microsecond
	return d, nil
}
