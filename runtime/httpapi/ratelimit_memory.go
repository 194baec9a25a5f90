package httpapi

import (
	"context"
	"crypto/sha256"
	"hash/maphash"
	"sync"
	"time"
)

// DefaultMaxKeys is how many keys a MemoryLimiter holds at most unless
// WithMemoryMaxKeys says otherwise: about 7 MB of keys by IPv4 address,
// and no more than 20 MB whatever the keys.
const DefaultMaxKeys = 100_000

const (
	// maxKeyLength bounds the bytes a MemoryLimiter keeps of a key;
	// longer keys are kept as their SHA-256.
	maxKeyLength = 128
	// keysPerShard is the fewest keys a shard is given: below it, shards
	// would fill unevenly long before the limiter is full.
	keysPerShard = 1024
	// maxShards bounds the shards a MemoryLimiter locks separately.
	maxShards = 32
	// minSweep is the fewest keys a shard holds before it sweeps.
	minSweep = 64
	// fullSweepGap is how often, at most, a full shard looks for expired
	// keys: under attack, a sweep would otherwise run with every request.
	fullSweepGap = time.Second
)

// MemoryLimiter is a Limiter that keeps its state in memory, for one
// process: GCRA with one time per key, exact to the nanosecond on a
// monotonic clock. It is safe for concurrent use; keys are spread over
// shards locked separately.
//
// Its memory is bounded. A key whose budget is whole again holds nothing
// a fresh key lacks, so it is expired: expired keys are swept out as the
// table grows, in time linear in the keys swept, amortized over the keys
// added since the last sweep; a table that shrank to a quarter of its
// peak is copied, so that its memory is given back. A MemoryLimiter holds
// at most DefaultMaxKeys keys, or those WithMemoryMaxKeys says, spread
// over up to 32 shards of at least 1024. When a request's key is new and
// its shard is full of keys that have not expired, such as under an
// attack from many addresses, the request is refused as over its limit
// (429, with Retry-After until a key of the shard expires): it fails
// closed, never letting a request through unlimited. Keys already held
// keep their budgets meanwhile. A full shard looks for expired keys at
// most once a second, so that a flood of new keys costs no more than one
// map access each.
type MemoryLimiter struct {
	seed   maphash.Seed
	epoch  time.Time
	now    func() time.Time
	shards []memoryShard
	// maxKeys is the number of keys the limiter holds at most, perShard
	// that of one shard.
	maxKeys, perShard int
}

// memoryShard is one part of a MemoryLimiter's keys, under its own lock.
type memoryShard struct {
	mu sync.Mutex
	// tats maps each key to its theoretical arrival time, in nanoseconds
	// since the limiter's epoch.
	tats map[string]int64
	// sweepAt is the number of keys at which the shard sweeps.
	sweepAt int
	// peak is the most keys tats has held since it was made.
	peak int
	// soonest is no later than the time a held key expires; swept is
	// when the shard last swept.
	soonest, swept int64
	_              [40]byte // keep shards on separate cache lines
}

// MemoryOption configures a MemoryLimiter.
type MemoryOption func(*MemoryLimiter)

// WithMemoryMaxKeys bounds the keys a MemoryLimiter holds to n.
func WithMemoryMaxKeys(n int) MemoryOption {
	return func(l *MemoryLimiter) {
		if n > 0 {
			l.maxKeys = n
		}
	}
}

// WithMemoryClock makes a MemoryLimiter read the time from now instead of
// time.Now, for tests.
func WithMemoryClock(now func() time.Time) MemoryOption {
	return func(l *MemoryLimiter) {
		if now != nil {
			l.now = now
		}
	}
}

// NewMemoryLimiter returns an empty MemoryLimiter.
func NewMemoryLimiter(opts ...MemoryOption) *MemoryLimiter {
	l := &MemoryLimiter{seed: maphash.MakeSeed(), now: time.Now, maxKeys: DefaultMaxKeys}
	for _, o := range opts {
		if o != nil {
			o(l)
		}
	}
	n := min(max(l.maxKeys/keysPerShard, 1), maxShards)
	l.perShard = l.maxKeys / n
	l.shards = make([]memoryShard, n)
	for i := range l.shards {
		l.shards[i].tats = make(map[string]int64)
		l.shards[i].sweepAt = min(minSweep, l.perShard)
		l.shards[i].swept = -int64(fullSweepGap)
	}
	l.epoch = l.now()
	return l
}

// Allow implements Limiter. Its error wraps ErrInvalidLimit for a limit
// that is not valid; it returns no other.
func (l *MemoryLimiter) Allow(_ context.Context, key string, limit RateLimit) (Decision, error) {
	if err := limit.Validate(); err != nil {
		return Decision{}, err
	}
	interval, burst := limit.Interval(), limit.BurstSize()
	if len(key) > maxKeyLength || len(key) > 0 && key[0] == 0 {
		// Hashed keys, and only they, start with a zero byte.
		sum := sha256.Sum256([]byte(key))
		key = "\x00sha256:" + string(sum[:])
	}
	now := int64(l.now().Sub(l.epoch))
	s := &l.shards[0]
	if len(l.shards) > 1 {
		s = &l.shards[maphash.String(l.seed, key)%uint64(len(l.shards))]
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	tat, held := s.tats[key]
	tat = max(tat, now)
	next := tat + int64(interval)
	d := GCRADecision(time.Duration(next-now), interval, burst)
	if !d.Allowed {
		return d, nil
	}
	if !held {
		if retry := s.room(now, l.perShard); retry > 0 {
			return Decision{RetryAfter: retry, Reset: retry}, nil
		}
		s.soonest = min(s.soonest, next)
	}
	s.tats[key] = next
	return d, nil
}

// room makes room for one more key, sweeping out expired keys when it is
// time, and returns 0 when there is some; otherwise how long until there
// may be.
func (s *memoryShard) room(now int64, limit int) time.Duration {
	if len(s.tats) < s.sweepAt {
		return 0
	}
	if len(s.tats) >= limit && (now < s.soonest || now < s.swept+int64(fullSweepGap)) {
		return time.Duration(max(s.soonest, s.swept+int64(fullSweepGap), now+1) - now)
	}
	s.sweep(now, limit)
	if len(s.tats) >= limit {
		return time.Duration(max(s.soonest, now+1) - now)
	}
	return 0
}

// sweep deletes the keys that have expired at now, and sweeps next when
// the shard holds twice the keys left, or limit. When the shard holds a
// quarter of its peak or less, it copies them to a new map, so that the
// memory of the old one is given back.
func (s *memoryShard) sweep(now int64, limit int) {
	s.peak = max(s.peak, len(s.tats))
	soonest := int64(1<<63 - 1)
	for k, tat := range s.tats {
		if tat <= now {
			delete(s.tats, k)
			continue
		}
		soonest = min(soonest, tat)
	}
	if s.peak > minSweep && len(s.tats) <= s.peak/4 {
		tats := make(map[string]int64, len(s.tats))
		for k, tat := range s.tats {
			tats[k] = tat
		}
		s.tats, s.peak = tats, len(tats)
	}
	s.soonest, s.swept = soonest, now
	s.sweepAt = min(max(2*len(s.tats), minSweep), limit)
}

// Len returns how many keys l holds, expired ones not yet swept out
// included.
func (l *MemoryLimiter) Len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.tats)
		s.mu.Unlock()
	}
	return n
}
