package httpapi

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// bucket is the reference the MemoryLimiter is checked against: GCRA in
// its other form, the continuous-state leaky bucket of ITU-T I.371. Its
// level drains one nanosecond a nanosecond; a request fits when, with its
// interval added, the level is at most Burst intervals.
type bucket struct {
	level, last time.Duration
	seen        bool
}

func (b *bucket) allow(now time.Duration, l RateLimit) (ok bool, remaining int, retry time.Duration) {
	interval := l.Interval()
	capacity := interval * time.Duration(l.BurstSize())
	level := b.level
	if b.seen {
		level = max(level-(now-b.last), 0)
	}
	if level+interval > capacity {
		return false, 0, level + interval - capacity
	}
	b.level, b.last, b.seen = level+interval, now, true
	return true, int((capacity - b.level) / interval), 0
}

// TestMemoryLimiterGCRAExact: over random arrivals on a fake clock, under
// several keys and limits (periods that requests do not divide among
// them), every decision is the reference's to the nanosecond; and in any
// stretch of time between two allowed requests, no more fit than the
// burst plus one per interval.
func TestMemoryLimiterGCRAExact(t *testing.T) {
	limits := []RateLimit{
		{Requests: 3, Period: 30 * time.Second, By: LimitByAddress},
		{Requests: 7, Period: time.Minute, Burst: 3, By: LimitByAddress},
		{Requests: 100, Period: time.Second, Burst: 1, By: LimitByPrincipal},
		{Requests: 1, Period: time.Hour, Burst: 10, By: LimitByPrincipal},
	}
	for li, limit := range limits {
		t.Run(limit.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(li), 42))
			clock := newFakeClock()
			start := clock.Now()
			l := NewMemoryLimiter(WithMemoryClock(clock.Now), WithMemoryMaxKeys(64))
			refs := map[string]*bucket{}
			allowed := map[string][]time.Duration{}
			interval := limit.Interval()
			for i := range 20_000 {
				// Mostly bursts, sometimes long pauses.
				switch rng.IntN(10) {
				case 0:
					clock.Add(time.Duration(rng.Int64N(int64(4 * interval))))
				case 1, 2, 3:
					clock.Add(time.Duration(rng.Int64N(int64(interval / 3))))
				}
				now := clock.Now().Sub(start)
				key := "k" + strconv.Itoa(rng.IntN(3))
				d, err := l.Allow(context.Background(), key, limit)
				if err != nil {
					t.Fatal(err)
				}
				ref := refs[key]
				if ref == nil {
					ref = &bucket{}
					refs[key] = ref
				}
				ok, remaining, retry := ref.allow(now, limit)
				if d.Allowed != ok || d.Remaining != remaining || d.RetryAfter != retry {
					t.Fatalf("request %d (%s at %v): %+v, want allowed %v remaining %d retry %v", i, key, now, d, ok, remaining, retry)
				}
				if !ok && d.Reset != retry || ok && (d.Reset <= 0 || d.Reset > interval) {
					t.Fatalf("request %d: Reset %v (allowed %v, interval %v)", i, d.Reset, ok, interval)
				}
				if ok {
					allowed[key] = append(allowed[key], now)
				}
			}
			burst := limit.BurstSize()
			for key, times := range allowed {
				for i := range times {
					for j := i; j < len(times) && j < i+4*burst; j++ {
						if n, bound := j-i+1, burst+int((times[j]-times[i])/interval); n > bound {
							t.Fatalf("%s: %d requests allowed in %v, more than %d", key, n, times[j]-times[i], bound)
						}
					}
				}
			}
		})
	}
}

// TestMemoryLimiterBoundedMemory: a full limiter refuses new keys (fails
// closed) until keys expire, while the keys it holds keep their budgets;
// expired keys are swept out as new ones come.
func TestMemoryLimiterBoundedMemory(t *testing.T) {
	clock := newFakeClock()
	l := NewMemoryLimiter(WithMemoryClock(clock.Now), WithMemoryMaxKeys(100))
	limit := RateLimit{Requests: 2, Period: time.Minute, By: LimitByAddress} // a key expires 30 s after one request
	ctx := context.Background()
	allow := func(key string) Decision {
		t.Helper()
		d, err := l.Allow(ctx, key, limit)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for i := range 100 {
		if d := allow("a" + strconv.Itoa(i)); !d.Allowed {
			t.Fatalf("key %d of 100 refused: %+v", i, d)
		}
	}
	if d := allow("attacker-1"); d.Allowed || d.RetryAfter != 30*time.Second {
		t.Errorf("key 101: %+v, want refused for 30s", d)
	}
	if d := allow("a7"); !d.Allowed || d.Remaining != 0 {
		t.Errorf("a held key while full: %+v, want its second request allowed", d)
	}
	clock.Add(10 * time.Second)
	if d := allow("attacker-2"); d.Allowed || d.RetryAfter != 20*time.Second {
		t.Errorf("10 s later: %+v, want refused for 20s", d)
	}
	if n := l.Len(); n != 100 {
		t.Errorf("Len %d, want 100", n)
	}
	clock.Add(20 * time.Second)
	if d := allow("attacker-3"); !d.Allowed {
		t.Errorf("once keys expired: %+v, want allowed", d)
	}
	if n := l.Len(); n != 2 { // a7 (spent twice, expires at 60 s) and attacker-3
		t.Errorf("Len %d after the sweep, want 2", n)
	}

	// Keys come and go: the table stays bounded and nobody is refused.
	for round := range 50 {
		for i := range 60 {
			if d := allow("r" + strconv.Itoa(round) + "-" + strconv.Itoa(i)); !d.Allowed {
				t.Fatalf("round %d key %d refused: %+v (Len %d)", round, i, d, l.Len())
			}
		}
		if n := l.Len(); n > 100 {
			t.Fatalf("round %d: Len %d", round, n)
		}
		clock.Add(31 * time.Second)
	}
}

// TestMemoryLimiterShardsBoundKeys: with shards, the limiter still holds
// no more than MaxKeys keys, however many come.
func TestMemoryLimiterShardsBoundKeys(t *testing.T) {
	const maxKeys = 1 << 15
	l := NewMemoryLimiter(WithMemoryMaxKeys(maxKeys))
	if len(l.shards) != maxShards {
		t.Fatalf("%d shards", len(l.shards))
	}
	limit := RateLimit{Requests: 1, Period: time.Hour, By: LimitByAddress}
	allowed := 0
	for i := range 3 * maxKeys {
		d, err := l.Allow(context.Background(), "k"+strconv.Itoa(i), limit)
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed {
			allowed++
		} else if d.RetryAfter <= 0 || d.RetryAfter > time.Hour {
			t.Fatalf("refused with RetryAfter %v", d.RetryAfter)
		}
	}
	if n := l.Len(); n > maxKeys || allowed != n || n < maxKeys*9/10 {
		t.Errorf("Len %d, %d allowed; want the same, at most %d and close to it", n, allowed, maxKeys)
	}
}

// TestMemoryLimiterLongKeys: keys too long to keep are kept as their
// hashes: still one budget per key, in bounded memory.
func TestMemoryLimiterLongKeys(t *testing.T) {
	l := NewMemoryLimiter()
	limit := RateLimit{Requests: 1, Period: time.Hour, By: LimitByAddress}
	long := strings.Repeat("x", 1<<20)
	for _, tt := range []struct {
		key  string
		want bool
	}{{long + "1", true}, {long + "2", true}, {long + "1", false}, {"\x00short", true}, {"\x00short", false}} {
		if d, _ := l.Allow(context.Background(), tt.key, limit); d.Allowed != tt.want {
			t.Errorf("key of %d bytes ending %q: allowed %v, want %v", len(tt.key), tt.key[len(tt.key)-1:], d.Allowed, tt.want)
		}
	}
	for i := range l.shards {
		for k := range l.shards[i].tats {
			if len(k) > maxKeyLength {
				t.Errorf("a key of %d bytes is kept", len(k))
			}
		}
	}
}

// TestMemoryLimiterConcurrent: under concurrent requests on one key, no
// more than the burst is allowed; under many keys, each gets its burst.
// Run it with -race.
func TestMemoryLimiterConcurrent(t *testing.T) {
	clock := newFakeClock()
	l := NewMemoryLimiter(WithMemoryClock(clock.Now))
	limit := RateLimit{Requests: 100, Period: time.Hour, By: LimitByAddress}
	var allowed atomic.Int64
	var perKey [16]atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				if d, err := l.Allow(context.Background(), "shared", limit); err == nil && d.Allowed {
					allowed.Add(1)
				}
				k := (g + i) % len(perKey)
				if d, err := l.Allow(context.Background(), "key"+strconv.Itoa(k), limit); err == nil && d.Allowed {
					perKey[k].Add(1)
				}
				if i%100 == 0 {
					_ = l.Len()
				}
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != 100 {
		t.Errorf("%d of 4000 concurrent requests on one key allowed, want 100", n)
	}
	for k := range perKey {
		if n := perKey[k].Load(); n != 100 {
			t.Errorf("key %d: %d allowed, want 100", k, n)
		}
	}
}

// TestMemoryLimiterRefusesInvalidLimits: Allow checks the limit too.
func TestMemoryLimiterRefusesInvalidLimits(t *testing.T) {
	_, err := NewMemoryLimiter().Allow(context.Background(), "k", RateLimit{Requests: 1, Period: time.Second})
	if !errors.Is(err, ErrInvalidLimit) {
		t.Errorf("error %v, want ErrInvalidLimit", err)
	}
}

// TestGCRADecision pins the shared decision: a fresh key's first request,
// the last of a burst, and a refusal.
func TestGCRADecision(t *testing.T) {
	for _, tt := range []struct {
		ahead, interval time.Duration
		burst           int
		want            Decision
	}{
		{10, 10, 3, Decision{Allowed: true, Remaining: 2, Reset: 10}},
		{30, 10, 3, Decision{Allowed: true, Remaining: 0, Reset: 10}},
		{25, 10, 3, Decision{Allowed: true, Remaining: 0, Reset: 5}},
		{34, 10, 3, Decision{RetryAfter: 4, Reset: 4}},
	} {
		if got := GCRADecision(tt.ahead, tt.interval, tt.burst); got != tt.want {
			t.Errorf("GCRADecision(%v, %v, %d) = %+v, want %+v", tt.ahead, tt.interval, tt.burst, got, tt.want)
		}
	}
}
