package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/securegen/securegen/runtime/auth"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 5, 23, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// subjectIsToken accepts every bearer token but "forged"; the token is the
// subject. It counts its calls.
type subjectIsToken struct{ calls atomic.Int64 }

func (v *subjectIsToken) Verify(_ context.Context, c auth.Credential) (*auth.Principal, error) {
	v.calls.Add(1)
	if c.Token == "forged" {
		return nil, errors.New("bad token")
	}
	return &auth.Principal{Subject: c.Token, Scheme: c.Scheme}, nil
}

// limited returns a limit of n requests per period, by.
func limited(n int, period time.Duration, by LimitKey) *RateLimit {
	return &RateLimit{Requests: n, Period: period, By: by}
}

// limitedRouter builds a router of routes, whose scheme "token" is a
// bearer scheme verified by v, with its state in a MemoryLimiter on clock.
func limitedRouter(t testing.TB, clock *fakeClock, v auth.Verifier, routes []Route, opts ...Option) *Router {
	t.Helper()
	token := &auth.Scheme{Name: "token", Field: "Token", Type: auth.HTTPBearer, Verifier: v}
	key := &auth.Scheme{Name: "key", Field: "Key", Type: auth.APIKeyAuth, KeyName: "X-Key", In: auth.InHeader, Verifier: v}
	opts = append([]Option{quiet(), WithLimiter(NewMemoryLimiter(WithMemoryClock(clock.Now)))}, opts...)
	rt, err := NewRouter(NewConfig("test", opts...), API{Schemes: []*auth.Scheme{token, key}, Routes: routes})
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// call sends method target from addr (a host) with a bearer token unless
// "", and returns the answer.
func call(h http.Handler, method, target, token, addr string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	r.RemoteAddr = addr + ":40000"
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// statuses sends each request of reqs ("token@addr", token "" for none)
// to method target and returns the statuses.
func statuses(h http.Handler, method, target string, reqs ...string) []int {
	var got []int
	for _, req := range reqs {
		token, addr, _ := strings.Cut(req, "@")
		got = append(got, call(h, method, target, token, addr).Code)
	}
	return got
}

func wantStatuses(t *testing.T, what string, got []int, want ...int) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: statuses %v, want %v", what, got, want)
	}
}

var needToken = [][]auth.Need{{{Scheme: "token"}}}

// TestRateLimitBudgetsPerOperation: each operation has its own budget,
// even under the same key and the same limit.
func TestRateLimitBudgetsPerOperation(t *testing.T) {
	v := &subjectIsToken{}
	for _, by := range []LimitKey{LimitByAddress, LimitByPrincipal} {
		t.Run(string(by), func(t *testing.T) {
			rt := limitedRouter(t, newFakeClock(), v, []Route{
				{Op: auth.Operation{ID: "listItems", Pattern: "GET /items", Alternatives: needToken}, Serve: answer("list"), Limit: limited(2, time.Minute, by)},
				{Op: auth.Operation{ID: "getItem", Pattern: "GET /items/{id}", Alternatives: needToken}, Serve: answer("get"), Limit: limited(2, time.Minute, by)},
				{Op: auth.Operation{ID: "health", Pattern: "GET /health"}, Serve: answer("health"), Limit: limited(2, time.Minute, by)},
				{Op: auth.Operation{ID: "free", Pattern: "GET /free", Alternatives: needToken}, Serve: answer("free")},
			})
			wantStatuses(t, "listItems", statuses(rt, "GET", "/items", "alice@10.0.0.1", "alice@10.0.0.1", "alice@10.0.0.1"), 200, 200, 429)
			wantStatuses(t, "getItem after listItems is spent", statuses(rt, "GET", "/items/7", "alice@10.0.0.1", "alice@10.0.0.1", "alice@10.0.0.1"), 200, 200, 429)
			wantStatuses(t, "public health", statuses(rt, "GET", "/health", "@10.0.0.1", "@10.0.0.1", "@10.0.0.1"), 200, 200, 429)
			wantStatuses(t, "an operation without a limit", statuses(rt, "GET", "/free", "alice@10.0.0.1", "alice@10.0.0.1", "alice@10.0.0.1", "alice@10.0.0.1"), 200, 200, 200, 200)
			if h := call(rt, "GET", "/free", "alice", "10.0.0.1").Header(); h.Get("RateLimit") != "" || h.Get("RateLimit-Policy") != "" {
				t.Errorf("an operation without a limit answers rate-limit fields: %v", h)
			}
		})
	}
}

// TestRateLimitPrincipalVsAddress: a limit by principal follows the
// caller across addresses and tells callers at one address apart; a limit
// by address does the opposite. The principal key is every scheme and
// subject of the satisfied alternative.
func TestRateLimitPrincipalVsAddress(t *testing.T) {
	v := &subjectIsToken{}
	both := [][]auth.Need{{{Scheme: "token"}, {Scheme: "key"}}}
	rt := limitedRouter(t, newFakeClock(), v, []Route{
		{Op: auth.Operation{ID: "byPrincipal", Pattern: "GET /p", Alternatives: needToken}, Serve: answer("p"), Limit: limited(2, time.Minute, LimitByPrincipal)},
		{Op: auth.Operation{ID: "byAddress", Pattern: "GET /a", Alternatives: needToken}, Serve: answer("a"), Limit: limited(2, time.Minute, LimitByAddress)},
		{Op: auth.Operation{ID: "byBoth", Pattern: "GET /b", Alternatives: both}, Serve: answer("b"), Limit: limited(1, time.Minute, LimitByPrincipal)},
	})
	wantStatuses(t, "by principal: alice from three addresses", statuses(rt, "GET", "/p", "alice@10.0.0.1", "alice@10.0.0.2", "alice@10.0.0.3"), 200, 200, 429)
	wantStatuses(t, "by principal: bob from alice's address", statuses(rt, "GET", "/p", "bob@10.0.0.1", "bob@10.0.0.1", "bob@10.0.0.1"), 200, 200, 429)
	wantStatuses(t, "by address: three callers from one address", statuses(rt, "GET", "/a", "alice@10.0.0.1", "bob@10.0.0.1", "carol@10.0.0.1"), 200, 200, 429)
	wantStatuses(t, "by address: alice from another address", statuses(rt, "GET", "/a", "alice@10.0.0.2"), 200)

	// Two schemes in one alternative: the key is both principals.
	withKey := func(token, key string) int {
		r := httptest.NewRequest("GET", "/b", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		r.Header.Set("X-Key", key)
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, r)
		return w.Code
	}
	wantStatuses(t, "by principal, two schemes", []int{withKey("alice", "k1"), withKey("alice", "k2"), withKey("alice", "k1"), withKey("bob", "k1")}, 200, 200, 429, 200)
}

// TestRateLimitAnonymousFallsBackToAddress: a limit by principal counts
// anonymous callers, and callers of public operations, by their address.
func TestRateLimitAnonymousFallsBackToAddress(t *testing.T) {
	v := &subjectIsToken{}
	tokenOrNobody := [][]auth.Need{{{Scheme: "token"}}, {}}
	rt := limitedRouter(t, newFakeClock(), v, []Route{
		{Op: auth.Operation{ID: "feed", Pattern: "GET /feed", Alternatives: tokenOrNobody}, Serve: answer("feed"), Limit: limited(2, time.Minute, LimitByPrincipal)},
		{Op: auth.Operation{ID: "status", Pattern: "GET /status"}, Serve: answer("status"), Limit: limited(1, time.Minute, LimitByPrincipal)},
	})
	wantStatuses(t, "anonymous from one address", statuses(rt, "GET", "/feed", "@10.0.0.1", "@10.0.0.1", "@10.0.0.1"), 200, 200, 429)
	wantStatuses(t, "anonymous from another address", statuses(rt, "GET", "/feed", "@10.0.0.2"), 200)
	wantStatuses(t, "alice from the spent address", statuses(rt, "GET", "/feed", "alice@10.0.0.1", "alice@10.0.0.1", "alice@10.0.0.1"), 200, 200, 429)
	wantStatuses(t, "public operation", statuses(rt, "GET", "/status", "@10.0.0.1", "@10.0.0.1", "@10.0.0.2"), 200, 429, 200)
}

// TestRateLimitByAddressCountsFailedAuthentication: a limit by address is
// checked before security, so 401s count and, once spent, credentials are
// not even verified; a limit by principal counts authenticated requests
// only.
func TestRateLimitByAddressCountsFailedAuthentication(t *testing.T) {
	v := &subjectIsToken{}
	rt := limitedRouter(t, newFakeClock(), v, []Route{
		{Op: auth.Operation{ID: "login", Pattern: "POST /login", Alternatives: needToken}, Serve: answer("login"), Limit: limited(3, time.Minute, LimitByAddress)},
		{Op: auth.Operation{ID: "export", Pattern: "POST /export", Alternatives: needToken}, Serve: answer("export"), Limit: limited(3, time.Minute, LimitByPrincipal)},
	})
	for i, want := range []string{`"login";r=2;t=20`, `"login";r=1;t=20`, `"login";r=0;t=20`} {
		w := call(rt, "POST", "/login", "forged", "10.0.0.1")
		if w.Code != http.StatusUnauthorized || w.Header().Get("RateLimit") != want || w.Header().Get("RateLimit-Policy") != `"login";q=3;w=60` {
			t.Errorf("forged token %d: %d, RateLimit %q, RateLimit-Policy %q; want 401 with %q", i+1, w.Code, w.Header().Get("RateLimit"), w.Header().Get("RateLimit-Policy"), want)
		}
	}
	before := v.calls.Load()
	if w := call(rt, "POST", "/login", "alice", "10.0.0.1"); w.Code != http.StatusTooManyRequests {
		t.Errorf("valid token after three 401s from its address: %d, want 429", w.Code)
	}
	if v.calls.Load() != before {
		t.Errorf("a request over its limit by address had its credential verified")
	}

	wantStatuses(t, "by principal: forged tokens are not counted", statuses(rt, "POST", "/export", "forged@10.0.0.1", "forged@10.0.0.1", "forged@10.0.0.1", "forged@10.0.0.1"), 401, 401, 401, 401)
	w := call(rt, "POST", "/export", "forged", "10.0.0.1")
	if w.Header().Get("RateLimit-Policy") != `"export";q=3;w=60` || w.Header().Get("RateLimit") != "" {
		t.Errorf("401 of a limit by principal: RateLimit-Policy %q, RateLimit %q; want the policy only", w.Header().Get("RateLimit-Policy"), w.Header().Get("RateLimit"))
	}
	wantStatuses(t, "by principal: alice after them", statuses(rt, "POST", "/export", "alice@10.0.0.1", "alice@10.0.0.1", "alice@10.0.0.1", "alice@10.0.0.1"), 200, 200, 200, 429)
}

// TestRateLimitAnswer: over the limit, 429 with problem+json and
// Retry-After in whole seconds rounded up; the draft's RateLimit-Policy
// and RateLimit fields on every answer, exact under a fake clock.
func TestRateLimitAnswer(t *testing.T) {
	clock := newFakeClock()
	rt := limitedRouter(t, clock, &subjectIsToken{}, []Route{
		// 3 per 30 s: one every 10 s.
		{Op: auth.Operation{ID: "getReport", Pattern: "GET /report", Alternatives: needToken}, Serve: answer("report"), Limit: limited(3, 30*time.Second, LimitByPrincipal)},
	})
	steps := []struct {
		advance    time.Duration
		status     int
		rateLimit  string
		retryAfter string
	}{
		{0, 200, `"getReport";r=2;t=10`, ""},
		{0, 200, `"getReport";r=1;t=10`, ""},
		{0, 200, `"getReport";r=0;t=10`, ""},
		{0, 429, `"getReport";r=0;t=10`, "10"},
		{4 * time.Second, 429, `"getReport";r=0;t=6`, "6"},
		{5500 * time.Millisecond, 429, `"getReport";r=0;t=1`, "1"}, // 0.5 s rounds up
		{500 * time.Millisecond, 200, `"getReport";r=0;t=10`, ""},
		{25 * time.Second, 200, `"getReport";r=1;t=5`, ""}, // 2.5 intervals regained, one spent
	}
	for i, s := range steps {
		clock.Add(s.advance)
		w := call(rt, "GET", "/report", "alice", "10.0.0.1")
		h := w.Header()
		if w.Code != s.status || h.Get("RateLimit") != s.rateLimit || h.Get("Retry-After") != s.retryAfter || h.Get("RateLimit-Policy") != `"getReport";q=3;w=30` {
			t.Errorf("step %d: %d RateLimit %q Retry-After %q RateLimit-Policy %q; want %d %q %q %q", i, w.Code, h.Get("RateLimit"), h.Get("Retry-After"), h.Get("RateLimit-Policy"),
				s.status, s.rateLimit, s.retryAfter, `"getReport";q=3;w=30`)
		}
		if w.Code != http.StatusTooManyRequests {
			continue
		}
		if ct := h.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("step %d: Content-Type %q", i, ct)
		}
		var p Problem
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != 429 || p.Title != "Too Many Requests" || !strings.Contains(p.Detail, "rate limit exceeded; retry in "+s.retryAfter+" s") {
			t.Errorf("step %d: problem %+v (%v)", i, p, err)
		}
	}
}

// TestRateLimitBurst: Burst requests fit at once, then one per interval;
// an idle key regains its burst, never more.
func TestRateLimitBurst(t *testing.T) {
	clock := newFakeClock()
	rt := limitedRouter(t, clock, &subjectIsToken{}, []Route{
		{Op: auth.Operation{ID: "tick", Pattern: "GET /tick"}, Serve: answer("tick"), Limit: &RateLimit{Requests: 60, Period: time.Minute, Burst: 5, By: LimitByAddress}},
	})
	tick := func(n int) []int {
		reqs := make([]string, n)
		for i := range reqs {
			reqs[i] = "@10.0.0.1"
		}
		return statuses(rt, "GET", "/tick", reqs...)
	}
	wantStatuses(t, "a fresh key", tick(6), 200, 200, 200, 200, 200, 429)
	clock.Add(time.Second)
	wantStatuses(t, "one interval later", tick(2), 200, 429)
	clock.Add(time.Hour)
	wantStatuses(t, "an hour later", tick(6), 200, 200, 200, 200, 200, 429)
	if got := call(rt, "GET", "/tick", "", "10.0.0.1").Header().Get("RateLimit-Policy"); got != `"tick";q=60;w=60` {
		t.Errorf("RateLimit-Policy %q", got)
	}
}

// TestRateLimitClientAddress: the default key is the host of RemoteAddr,
// whatever X-Forwarded-For says; WithClientAddress replaces it.
func TestRateLimitClientAddress(t *testing.T) {
	routes := func() []Route {
		return []Route{{Op: auth.Operation{ID: "ping", Pattern: "GET /ping"}, Serve: answer("ping"), Limit: limited(1, time.Minute, LimitByAddress)}}
	}
	send := func(rt http.Handler, remote, forwarded string) int {
		r := httptest.NewRequest("GET", "/ping", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", forwarded)
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, r)
		return w.Code
	}
	rt := limitedRouter(t, newFakeClock(), &subjectIsToken{}, routes())
	wantStatuses(t, "default", []int{send(rt, "192.0.2.1:1000", "198.51.100.1"), send(rt, "192.0.2.1:2000", "198.51.100.2"),
		send(rt, "[2001:db8::1]:1000", ""), send(rt, "[2001:db8::1]:3000", "")}, 200, 429, 200, 429)

	proxied := limitedRouter(t, newFakeClock(), &subjectIsToken{}, routes(), WithClientAddress(func(r *http.Request) string {
		return r.Header.Get("X-Forwarded-For")
	}))
	wantStatuses(t, "WithClientAddress", []int{send(proxied, "192.0.2.1:1000", "198.51.100.1"), send(proxied, "192.0.2.1:1000", "198.51.100.2"),
		send(proxied, "192.0.2.9:1000", "198.51.100.1")}, 200, 200, 429)

	if got := RemoteHost(&http.Request{RemoteAddr: "@unix"}); got != "@unix" {
		t.Errorf("RemoteHost without a port: %q", got)
	}
}

// failingLimiter fails every check.
type failingLimiter struct{ calls atomic.Int64 }

func (f *failingLimiter) Allow(context.Context, string, RateLimit) (Decision, error) {
	f.calls.Add(1)
	return Decision{}, errors.New("dial tcp 10.9.9.9:6379: connect: connection refused")
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRateLimitLimiterFailure: when the limiter fails, requests are
// refused 503 by default (fail closed) or let through with FailOpen;
// either way the failure is logged, at most once a second, and its cause
// never reaches the client.
func TestRateLimitLimiterFailure(t *testing.T) {
	for _, tt := range []struct {
		name   string
		opts   []Option
		status int
		mode   string
	}{
		{"default", nil, http.StatusServiceUnavailable, "fail closed"},
		{"FailClosed", []Option{WithLimiterFailure(FailClosed)}, http.StatusServiceUnavailable, "fail closed"},
		{"FailOpen", []Option{WithLimiterFailure(FailOpen)}, http.StatusOK, "fail open"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs syncBuffer
			limiter := &failingLimiter{}
			opts := append([]Option{WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))), WithLimiter(limiter)}, tt.opts...)
			cfg := NewConfig("test", opts...)
			rt, err := NewRouter(cfg, API{Routes: []Route{
				{Op: auth.Operation{ID: "search", Pattern: "GET /search"}, Serve: answer("search"), Limit: limited(10, time.Second, LimitByAddress)},
			}})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			const n = 200
			var wg sync.WaitGroup
			codes := make([]int, n)
			for i := range n {
				wg.Go(func() { codes[i] = call(rt, "GET", "/search", "", "10.0.0.1").Code })
			}
			wg.Wait()
			elapsed := time.Since(start)
			for i, c := range codes {
				if c != tt.status {
					t.Fatalf("request %d: %d, want %d", i, c, tt.status)
				}
			}
			w := call(rt, "GET", "/search", "", "10.0.0.1")
			if tt.status == http.StatusServiceUnavailable {
				if w.Header().Get("Retry-After") != "1" || w.Header().Get("Content-Type") != "application/problem+json" {
					t.Errorf("503 headers %v", w.Header())
				}
				if strings.Contains(w.Body.String(), "refused") || !strings.Contains(w.Body.String(), `"status":503`) {
					t.Errorf("503 body %s", w.Body)
				}
			}
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			if max := 1 + int(elapsed/time.Second); len(lines) < 1 || len(lines) > max {
				t.Fatalf("%d failures in %s logged %d lines, want 1 to %d:\n%s", n+1, elapsed, len(lines), max, logs.String())
			}
			var rec map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
				t.Fatal(err)
			}
			if rec["level"] != "ERROR" || rec["operation"] != "search" || rec["mode"] != tt.mode || !strings.Contains(rec["error"].(string), "connection refused") {
				t.Errorf("log line %v", rec)
			}
			if limiter.calls.Load() != n+1 {
				t.Errorf("limiter asked %d times, want %d", limiter.calls.Load(), n+1)
			}
		})
	}
}

// TestRateLimitGoneClientIsNoOutage: a limiter error for a request whose
// client is gone is not logged as a failure, and nothing is served.
func TestRateLimitGoneClientIsNoOutage(t *testing.T) {
	var logs syncBuffer
	served := false
	rt, err := NewRouter(NewConfig("test", WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))), WithLimiterFailure(FailOpen),
		WithLimiter(limiterFunc(func(ctx context.Context) (Decision, error) { return Decision{}, ctx.Err() }))), API{Routes: []Route{
		{Op: auth.Operation{ID: "op", Pattern: "GET /op"}, Serve: func(http.ResponseWriter, *http.Request, auth.Principals) { served = true }, Limit: limited(1, time.Second, LimitByAddress)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := httptest.NewRecorder()
	rt.ServeHTTP(w, httptest.NewRequestWithContext(ctx, "GET", "/op", nil))
	if served || w.Code != http.StatusServiceUnavailable || logs.String() != "" {
		t.Errorf("served %v, status %d, logs %q", served, w.Code, logs.String())
	}
}

// limiterFunc is a Limiter that calls itself.
type limiterFunc func(ctx context.Context) (Decision, error)

func (f limiterFunc) Allow(ctx context.Context, _ string, _ RateLimit) (Decision, error) {
	return f(ctx)
}

// TestRateLimitLogsUnloggedFailures: the line logged after a quiet second
// counts the failures that were not logged.
func TestRateLimitLogsUnloggedFailures(t *testing.T) {
	var logs syncBuffer
	lm := &limiting{logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	r := httptest.NewRequest("GET", "/x", nil)
	for range 5 {
		lm.logFailure(r, "x", errors.New("down"))
	}
	lm.lastLog.Add(-int64(time.Second)) // a second passes
	lm.logFailure(r, "x", errors.New("down"))
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"unlogged_failures":0`) || !strings.Contains(lines[1], `"unlogged_failures":4`) {
		t.Errorf("logs:\n%s", logs.String())
	}
}

// TestNewRouterRefusesInvalidLimits: a limit that cannot be enforced stops
// the router from being built, naming the operation.
func TestNewRouterRefusesInvalidLimits(t *testing.T) {
	for _, l := range []RateLimit{
		{Requests: 0, Period: time.Minute, By: LimitByAddress},
		{Requests: 1, Period: 0, By: LimitByAddress},
		{Requests: 10, Period: 5, By: LimitByAddress},
		{Requests: 1, Period: time.Minute, Burst: -1, By: LimitByAddress},
		{Requests: 1, Period: time.Minute},
		{Requests: 1, Period: time.Minute, By: "user"},
		{Requests: 1, Period: MaxLimitWindow, Burst: 2, By: LimitByAddress},
		{Requests: 2, Period: math.MaxInt64, By: LimitByAddress},
	} {
		_, err := NewRouter(NewConfig("test", quiet()), API{Routes: []Route{
			{Op: auth.Operation{ID: "op", Pattern: "GET /op"}, Serve: answer("op"), Limit: &l},
		}})
		if !errors.Is(err, ErrInvalidLimit) || !strings.Contains(err.Error(), "operation op") {
			t.Errorf("%+v: error %v, want one wrapping ErrInvalidLimit and naming op", l, err)
		}
	}
	if err := (RateLimit{Requests: 1, Period: MaxLimitWindow, By: LimitByPrincipal}).Validate(); err != nil {
		t.Errorf("a limit spanning MaxLimitWindow: %v", err)
	}
}

// TestRateLimitPolicyField: the draft's w is whole seconds, so a period
// that is not is advertised as the same rate over whole seconds; names are
// structured-field strings.
func TestRateLimitPolicyField(t *testing.T) {
	for _, tt := range []struct {
		requests int
		period   time.Duration
		q, w     int64
	}{
		{100, time.Minute, 100, 60},
		{1, time.Hour, 1, 3600},
		{3, 1500 * time.Millisecond, 4, 2},
		{10, 100 * time.Millisecond, 100, 1},
		{7, 2500 * time.Millisecond, 8, 3},
	} {
		q, w := policyWindow(RateLimit{Requests: tt.requests, Period: tt.period})
		if q != tt.q || w != tt.w {
			t.Errorf("%d per %s: q=%d w=%d, want q=%d w=%d", tt.requests, tt.period, q, w, tt.q, tt.w)
		}
	}
	if got := sfString("get\"it\\ñ"); got != `"get\"it\\??"` {
		t.Errorf("sfString: %s", got)
	}
}

// TestRateLimitRoundsIntervalUp: a Period that Requests does not divide
// costs each request the interval rounded up, so that no more than
// Requests fit in a Period.
func TestRateLimitRoundsIntervalUp(t *testing.T) {
	l := RateLimit{Requests: 7, Period: time.Minute, By: LimitByAddress}
	if got, want := l.Interval(), 8571428572*time.Nanosecond; got != want {
		t.Errorf("Interval %v, want %v", got, want)
	}
	if l.Interval()*7 < time.Minute {
		t.Errorf("7 intervals are shorter than a minute")
	}
	if got := (RateLimit{Requests: 100, Period: time.Minute, Burst: 20, By: LimitByPrincipal}).String(); got != "100 requests per 1m0s (bursts of 20) per principal" {
		t.Errorf("String %q", got)
	}
}

// TestRateLimitHeadersOnHandlerAnswers: a limited operation's own
// answers, errors included, carry both fields.
func TestRateLimitHeadersOnHandlerAnswers(t *testing.T) {
	rt := limitedRouter(t, newFakeClock(), &subjectIsToken{}, []Route{
		{Op: auth.Operation{ID: "create", Pattern: "POST /things", Alternatives: needToken}, Limit: limited(5, time.Minute, LimitByPrincipal),
			Serve: func(w http.ResponseWriter, r *http.Request, _ auth.Principals) {
				WriteError(w, r, &ParamError{In: "query", Name: "x", Err: errors.New("bad")})
			}},
	})
	w := call(rt, "POST", "/things", "alice", "10.0.0.1")
	if w.Code != 400 || w.Header().Get("RateLimit") != `"create";r=4;t=12` || w.Header().Get("RateLimit-Policy") != `"create";q=5;w=60` {
		t.Errorf("%d %v", w.Code, w.Header())
	}
	if got := w.Header().Values("RateLimit-Policy"); len(got) != 1 {
		t.Errorf("RateLimit-Policy %q", got)
	}
}

// BenchmarkRateLimitRouter is a request's cost through the router with no
// limit, a limit by address and one by principal; the difference is the
// rate limit's overhead per request, with the MemoryLimiter.
func BenchmarkRateLimitRouter(b *testing.B) {
	plenty := func(by LimitKey) *RateLimit {
		return &RateLimit{Requests: 1 << 29, Period: time.Second, By: by}
	}
	for _, bc := range []struct {
		name  string
		limit *RateLimit
	}{{"unlimited", nil}, {"address", plenty(LimitByAddress)}, {"principal", plenty(LimitByPrincipal)}} {
		b.Run(bc.name, func(b *testing.B) {
			token := &auth.Scheme{Name: "token", Field: "Token", Type: auth.HTTPBearer, Verifier: acceptToken}
			rt, err := NewRouter(NewConfig("test", quiet()), API{Schemes: []*auth.Scheme{token}, Routes: []Route{
				{Op: auth.Operation{ID: "get", Pattern: "GET /items/{id}", Alternatives: needToken}, Serve: func(http.ResponseWriter, *http.Request, auth.Principals) {}, Limit: bc.limit},
			}})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				r := httptest.NewRequest("GET", "/items/7", nil)
				r.Header.Set("Authorization", "Bearer ok")
				w := &discardWriter{h: http.Header{}}
				for pb.Next() {
					clear(w.h)
					rt.ServeHTTP(w, r)
					if w.code != 0 && w.code != 200 {
						b.Fatalf("status %d", w.code)
					}
				}
			})
		})
	}
}

// BenchmarkRateLimitMemory is one MemoryLimiter.Allow: under one key
// (contended) and under many keys, in parallel.
func BenchmarkRateLimitMemory(b *testing.B) {
	limit := RateLimit{Requests: 1 << 29, Period: time.Second, By: LimitByAddress}
	b.Run("one-key", func(b *testing.B) {
		l := NewMemoryLimiter()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := l.Allow(context.Background(), "3:get\x00a\x00192.0.2.1", limit); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("many-keys", func(b *testing.B) {
		l := NewMemoryLimiter()
		keys := make([]string, 50_000)
		for i := range keys {
			keys[i] = "3:get\x00a\x00198.51." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256)
		}
		var next atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := int(next.Add(7919))
			for pb.Next() {
				i++
				if _, err := l.Allow(context.Background(), keys[i%len(keys)], limit); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// discardWriter is a ResponseWriter that keeps the status only.
type discardWriter struct {
	h    http.Header
	code int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(code int)        { d.code = code }
