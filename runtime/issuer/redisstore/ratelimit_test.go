package redisstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/securegen/securegen/runtime/auth"
	"github.com/securegen/securegen/runtime/httpapi"
	"github.com/securegen/securegen/runtime/issuer/redisstore"
)

// anyToken accepts every bearer token; the token is the subject.
var anyToken = auth.VerifierFunc(func(_ context.Context, c auth.Credential) (*auth.Principal, error) {
	if c.Token == "" {
		return nil, errors.New("no token")
	}
	return &auth.Principal{Subject: c.Token, Scheme: c.Scheme}, nil
})

// limitedReplica is one replica of an API with one limited operation,
// POST /export, by principal; its rate-limit state is in limiter.
func limitedReplica(t *testing.T, limiter httpapi.Limiter, limit httpapi.RateLimit, opts ...httpapi.Option) http.Handler {
	t.Helper()
	token := &auth.Scheme{Name: "token", Field: "Token", Type: auth.HTTPBearer, Verifier: anyToken}
	opts = append([]httpapi.Option{httpapi.WithLogger(slog.New(slog.DiscardHandler)), httpapi.WithLimiter(limiter)}, opts...)
	rt, err := httpapi.NewRouter(httpapi.NewConfig("test", opts...), httpapi.API{
		Schemes: []*auth.Scheme{token},
		Routes: []httpapi.Route{{
			Op:    auth.Operation{ID: "export", Pattern: "POST /export", Alternatives: [][]auth.Need{{{Scheme: "token"}}}},
			Serve: func(w http.ResponseWriter, _ *http.Request, _ auth.Principals) { w.WriteHeader(http.StatusAccepted) },
			Limit: &limit,
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// export sends POST /export with token to h.
func export(h http.Handler, token string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/export", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// secondClient is another client of rdb's server, as another replica
// has.
func secondClient(t *testing.T, rdb *redis.Client) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: rdb.Options().Addr})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestLimiterReplicasShareOneBudget: two replicas, each with its own
// client of one redis-server, share one budget per key, in turn and under
// concurrent load, and send the draft's fields counting down across them.
func TestLimiterReplicasShareOneBudget(t *testing.T) {
	rdb := startRedis(t)
	limit := httpapi.RateLimit{Requests: 5, Period: time.Minute, By: httpapi.LimitByPrincipal}
	a := limitedReplica(t, redisstore.NewLimiter(rdb, "test:rl:"), limit)
	b := limitedReplica(t, redisstore.NewLimiter(secondClient(t, rdb), "test:rl:"), limit)

	var got []string
	for i := range 7 {
		h := a
		if i%2 == 1 {
			h = b
		}
		w := export(h, "alice")
		got = append(got, strconv.Itoa(w.Code)+" "+w.Header().Get("RateLimit"))
		if w.Header().Get("RateLimit-Policy") != `"export";q=5;w=60` {
			t.Errorf("RateLimit-Policy %q", w.Header().Get("RateLimit-Policy"))
		}
	}
	want := []string{`202 "export";r=4;t=12`, `202 "export";r=3;t=12`, `202 "export";r=2;t=12`, `202 "export";r=1;t=12`, `202 "export";r=0;t=12`,
		`429 "export";r=0;t=12`, `429 "export";r=0;t=12`}
	// t is whole seconds rounded up, so the microseconds Redis's clock
	// moves between requests do not show.
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d: %s, want %s", i, got[i], want[i])
		}
	}
	if w := export(b, "alice"); w.Code != http.StatusTooManyRequests {
		t.Errorf("spent budget at replica b: %d", w.Code)
	} else if ra, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || ra < 1 || ra > 12 {
		t.Errorf("Retry-After %q", w.Header().Get("Retry-After"))
	}
	if w := export(b, "bob"); w.Code != http.StatusAccepted {
		t.Errorf("bob at replica b: %d, want his own budget", w.Code)
	}
	other := limitedReplica(t, redisstore.NewLimiter(rdb, "other:"), limit)
	if w := export(other, "alice"); w.Code != http.StatusAccepted {
		t.Errorf("alice under another prefix: %d, want another budget", w.Code)
	}

	// Under load: 2 replicas × 50 concurrent requests, a burst of 20.
	burst := httpapi.RateLimit{Requests: 1, Period: time.Hour, Burst: 20, By: httpapi.LimitByPrincipal}
	ra := limitedReplica(t, redisstore.NewLimiter(rdb, "load:"), burst)
	rb := limitedReplica(t, redisstore.NewLimiter(secondClient(t, rdb), "load:"), burst)
	var allowed, refused atomic.Int64
	var wg sync.WaitGroup
	for i := range 100 {
		h := ra
		if i%2 == 1 {
			h = rb
		}
		wg.Go(func() {
			switch export(h, "carol").Code {
			case http.StatusAccepted:
				allowed.Add(1)
			case http.StatusTooManyRequests:
				refused.Add(1)
			}
		})
	}
	wg.Wait()
	if allowed.Load() != 20 || refused.Load() != 80 {
		t.Errorf("100 concurrent requests at two replicas: %d allowed, %d refused; want 20 and 80", allowed.Load(), refused.Load())
	}
}

// TestLimiterGCRAOnRedis: decisions count down the burst, a refusal says
// when the request fits (and it does then), and keys are hashed and
// expire once their burst is whole again.
func TestLimiterGCRAOnRedis(t *testing.T) {
	rdb := startRedis(t)
	ctx := context.Background()
	l := redisstore.NewLimiter(rdb, "")
	// One request every 50 ms, in bursts of 2.
	limit := httpapi.RateLimit{Requests: 20, Period: time.Second, Burst: 2, By: httpapi.LimitByAddress}
	key := "6:export\x00a\x00192.0.2.1"
	var ds []httpapi.Decision
	for range 3 {
		d, err := l.Allow(ctx, key, limit)
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	if !ds[0].Allowed || ds[0].Remaining != 1 || !ds[1].Allowed || ds[1].Remaining != 0 {
		t.Errorf("a burst of 2: %+v", ds[:2])
	}
	if d := ds[2]; d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > 50*time.Millisecond || d.Reset != d.RetryAfter {
		t.Errorf("the third request: %+v, want refused for at most 50ms", d)
	}

	sum := sha256.Sum256([]byte(key))
	stored := redisstore.DefaultLimiterPrefix + hex.EncodeToString(sum[:])
	ttl, err := rdb.PTTL(ctx, stored).Result()
	if err != nil || ttl <= 0 || ttl > 100*time.Millisecond {
		t.Errorf("key %s: PTTL %v (%v), want at most the burst's 100ms", stored, ttl, err)
	}
	if n, _ := rdb.Exists(ctx, redisstore.DefaultLimiterPrefix+key).Result(); n != 0 {
		t.Errorf("the key is stored in the clear")
	}

	time.Sleep(ds[2].RetryAfter + time.Millisecond)
	if d, err := l.Allow(ctx, key, limit); err != nil || !d.Allowed {
		t.Errorf("after RetryAfter: %+v %v, want allowed", d, err)
	}
	if _, err := l.Allow(ctx, key, httpapi.RateLimit{Requests: 1, Period: time.Second}); !errors.Is(err, httpapi.ErrInvalidLimit) {
		t.Errorf("invalid limit: %v, want ErrInvalidLimit", err)
	}
}

// unreachable returns a client of an address where nothing listens.
func unreachable(t *testing.T) *redis.Client {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1,
		DialerRetries: 1, DialerRetryTimeout: time.Millisecond})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestLimiterRedisDown: with Redis unreachable, a limited operation is
// refused 503 with Retry-After by default and under FailClosed, and served
// unlimited under FailOpen; both log the failure, once, naming the cause,
// which the client never sees.
func TestLimiterRedisDown(t *testing.T) {
	limit := httpapi.RateLimit{Requests: 5, Period: time.Minute, By: httpapi.LimitByPrincipal}
	for _, tt := range []struct {
		name   string
		opts   []httpapi.Option
		status int
		mode   string
	}{
		{"default", nil, http.StatusServiceUnavailable, "fail closed"},
		{"FailClosed", []httpapi.Option{httpapi.WithLimiterFailure(httpapi.FailClosed)}, http.StatusServiceUnavailable, "fail closed"},
		{"FailOpen", []httpapi.Option{httpapi.WithLimiterFailure(httpapi.FailOpen)}, http.StatusAccepted, "fail open"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			var mu sync.Mutex
			logger := slog.New(slog.NewJSONHandler(writerFunc(func(p []byte) (int, error) {
				mu.Lock()
				defer mu.Unlock()
				return logs.Write(p)
			}), nil))
			h := limitedReplica(t, redisstore.NewLimiter(unreachable(t), ""), limit, append(tt.opts, httpapi.WithLogger(logger))...)
			start := time.Now()
			for i := range 10 { // more than the limit: fail open means unlimited
				w := export(h, "alice")
				if w.Code != tt.status {
					t.Fatalf("request %d: %d, want %d", i, w.Code, tt.status)
				}
				if tt.status != http.StatusServiceUnavailable {
					continue
				}
				if w.Header().Get("Retry-After") != "1" || w.Header().Get("Content-Type") != "application/problem+json" || strings.Contains(w.Body.String(), "127.0.0.1") {
					t.Fatalf("503: %v %s", w.Header(), w.Body)
				}
			}
			elapsed := time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			if len(lines) < 1 || len(lines) > 1+int(elapsed/time.Second) { // at most one a second
				t.Fatalf("%d log lines:\n%s", len(lines), logs.String())
			}
			var rec map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
				t.Fatal(err)
			}
			if rec["mode"] != tt.mode || rec["operation"] != "export" || !strings.Contains(rec["error"].(string), "redisstore: rate limit") {
				t.Errorf("log: %v", rec)
			}
		})
	}
}

// writerFunc is an io.Writer.
type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// BenchmarkRateLimitRedis is one Limiter.Allow against a local
// redis-server: one round trip running the script, under one key and
// under many, in parallel.
func BenchmarkRateLimitRedis(b *testing.B) {
	rdb := benchRedis(b)
	l := redisstore.NewLimiter(rdb, "bench:")
	limit := httpapi.RateLimit{Requests: 1 << 20, Period: time.Second, By: httpapi.LimitByAddress}
	ctx := context.Background()
	b.Run("one-key", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := l.Allow(ctx, "3:get\x00a\x00192.0.2.1", limit); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("many-keys", func(b *testing.B) {
		var next atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := next.Add(1) % 50_000
				if _, err := l.Allow(ctx, "3:get\x00a\x00198.51."+strconv.FormatInt(i/256, 10)+"."+strconv.FormatInt(i%256, 10), limit); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// benchRedis is startRedis for benchmarks: a throwaway redis-server,
// skipped when absent, and a failure then when CI is set.
func benchRedis(b *testing.B) *redis.Client {
	b.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			b.Fatal("redis-server not found in PATH (CI is set, so this is a failure)")
		}
		b.Skip("redis-server not found in PATH: install it to run the Redis benchmarks")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	cmd.Dir = b.TempDir()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + port})
	b.Cleanup(func() { _ = rdb.Close() })
	for deadline := time.Now().Add(10 * time.Second); rdb.Ping(context.Background()).Err() != nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatal("redis-server did not answer")
		}
	}
	return rdb
}
