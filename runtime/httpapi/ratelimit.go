package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/securegen/securegen/runtime/auth"
)

// RateLimit is an operation's limit, as its spec declares it
// (x-securegen-rate-limit): Requests per Period sustained, in bursts of
// up to Burst, counted per key By says.
//
// Limiters enforce it with GCRA, the generic cell rate algorithm: each
// request costs one Interval (Period/Requests) and a key may run up to
// BurstSize intervals ahead of the clock. A fresh key, or one left alone
// for BurstSize intervals, has BurstSize requests at once; after that,
// one more fits every Interval.
type RateLimit struct {
	// Requests is how many requests fit in one Period, sustained.
	Requests int
	// Period is the time Requests are spread over.
	Period time.Duration
	// Burst is how many requests fit at once; 0 means Requests.
	Burst int
	// By says what requests are counted by.
	By LimitKey
}

// LimitKey says what a RateLimit counts requests by.
type LimitKey string

// What limits count by.
const (
	// LimitByPrincipal counts per authenticated caller: the schemes and
	// subjects of the satisfied alternative, after the security check, so
	// that only authenticated requests count. Anonymous and public callers
	// are counted by their address.
	LimitByPrincipal LimitKey = "principal"
	// LimitByAddress counts per client address (see WithClientAddress),
	// before the security check, so that failed authentications count
	// too.
	LimitByAddress LimitKey = "address"
)

// RateLimitHeadersDraft names the IETF draft whose header fields limited
// operations answer with, "RateLimit header fields for HTTP", in the
// structured-field syntax of its version -11 (23 May 2026):
// RateLimit-Policy ("op";q=100;w=60) on every answer, and RateLimit
// ("op";r=42;t=17) on every answer to a request the limit was checked
// for, refused ones included (a limit by principal is not checked for a
// request that fails authentication). The policy's name is the
// operation's ID; q and w are Requests and Period in seconds (the same
// rate over whole seconds when Period is not), r is Decision.Remaining
// and t Decision.Reset in seconds, rounded up.
const RateLimitHeadersDraft = "draft-ietf-httpapi-ratelimit-headers-11"

// MaxLimitWindow bounds the time a key's state spans, BurstSize
// intervals; a longer one is refused as invalid.
const MaxLimitWindow = 100 * 365 * 24 * time.Hour

// ErrInvalidLimit is wrapped by the errors of RateLimit.Validate, so that
// callers can match them with errors.Is.
var ErrInvalidLimit = errors.New("invalid rate limit")

// Validate reports whether l can be enforced: at least one request, a
// positive period of no more than one request a nanosecond, a burst that
// is not negative, a known By, and BurstSize intervals within
// MaxLimitWindow. Its errors wrap ErrInvalidLimit.
func (l RateLimit) Validate() error {
	switch {
	case l.Requests < 1:
		return fmt.Errorf("%w: requests %d, want at least 1", ErrInvalidLimit, l.Requests)
	case l.Period <= 0:
		return fmt.Errorf("%w: period %s, want more than 0", ErrInvalidLimit, l.Period)
	case l.Period/time.Duration(l.Requests) <= 0:
		return fmt.Errorf("%w: %d requests per %s is more than one a nanosecond", ErrInvalidLimit, l.Requests, l.Period)
	case l.Burst < 0:
		return fmt.Errorf("%w: burst %d, want 0 (as many as requests) or more", ErrInvalidLimit, l.Burst)
	case l.By != LimitByPrincipal && l.By != LimitByAddress:
		return fmt.Errorf("%w: by %q, want %q or %q", ErrInvalidLimit, l.By, LimitByPrincipal, LimitByAddress)
	}
	if l.Interval() > MaxLimitWindow/time.Duration(l.BurstSize()) {
		return fmt.Errorf("%w: a burst of %d at %d requests per %s spans more than %s", ErrInvalidLimit, l.BurstSize(), l.Requests, l.Period, MaxLimitWindow)
	}
	return nil
}

// Interval is GCRA's emission interval, the time one request costs:
// Period/Requests, rounded up to the nanosecond so that no more than
// Requests fit in a Period. It is meaningful for a valid l only.
func (l RateLimit) Interval() time.Duration {
	n := time.Duration(l.Requests)
	interval := l.Period / n
	if l.Period%n != 0 {
		interval++
	}
	return interval
}

// BurstSize is how many requests a fresh key may make at once: Burst, or
// Requests when Burst is 0.
func (l RateLimit) BurstSize() int {
	if l.Burst == 0 {
		return l.Requests
	}
	return l.Burst
}

// String says l in words: "100 requests per 1m0s (bursts of 20) per
// principal".
func (l RateLimit) String() string {
	s := fmt.Sprintf("%d requests per %s", l.Requests, l.Period)
	if b := l.BurstSize(); b != l.Requests {
		s += fmt.Sprintf(" (bursts of %d)", b)
	}
	return s + " per " + string(l.By)
}

// Limiter decides, atomically, whether one more request under key fits
// limit, and counts it when it does. It keeps O(1) state per key (GCRA:
// one time) and is safe for concurrent use. Keys of different operations
// differ, so each operation has its own budget.
//
// An error means that it could not decide, such as a store that cannot
// be reached; the router then answers as WithLimiterFailure says.
type Limiter interface {
	Allow(ctx context.Context, key string, limit RateLimit) (Decision, error)
}

// Decision is a Limiter's answer for one request.
type Decision struct {
	// Allowed says the request fits, and was counted.
	Allowed bool
	// Remaining is how many more requests fit right now.
	Remaining int
	// RetryAfter is, for a refused request, how long until it would fit;
	// 0 for an allowed one.
	RetryAfter time.Duration
	// Reset is the effective window of the rate-limit headers draft: how
	// long until one more request fits than Remaining says. Within it, no
	// more than Remaining requests fit. For a refused request it equals
	// RetryAfter.
	Reset time.Duration
}

// GCRADecision is the Decision of GCRA for a request that, counted, would
// put its key's theoretical arrival time ahead of the clock by ahead:
// max(tat, now) + interval - now. Limiters share it so that they agree;
// interval and burst are limit.Interval() and limit.BurstSize() in the
// limiter's unit of time, and the result is in that unit too.
func GCRADecision(ahead, interval time.Duration, burst int) Decision {
	capacity := interval * time.Duration(burst)
	if ahead > capacity {
		retry := ahead - capacity
		return Decision{RetryAfter: retry, Reset: retry}
	}
	free := capacity - ahead
	return Decision{Allowed: true, Remaining: int(free / interval), Reset: interval - free%interval}
}

// LimiterFailure says how a request is answered when its Limiter fails.
type LimiterFailure int

// How requests are answered when the Limiter fails. The zero value fails
// closed.
const (
	// FailClosed answers 503 with Retry-After: no request runs unlimited.
	FailClosed LimiterFailure = iota
	// FailOpen lets the request through, unlimited: an outage of the
	// limiter's store does not become an outage of the API.
	FailOpen
)

// String returns "fail closed" or "fail open".
func (f LimiterFailure) String() string {
	if f == FailOpen {
		return "fail open"
	}
	return "fail closed"
}

// RateLimitError is the error a request over its operation's limit is
// answered with: 429, its Retry-After and rate-limit headers already set.
// Its text is the problem's detail.
type RateLimitError struct {
	// Operation names the limited operation.
	Operation string
	// RetryAfter is how long until the request would fit.
	RetryAfter time.Duration
}

// Error says that the limit is exceeded and when to retry.
func (e *RateLimitError) Error() string {
	return fmt.Sprintf("operation %s: rate limit exceeded; retry in %d s", e.Operation, ceilSeconds(e.RetryAfter))
}

// StatusCode returns 429.
func (e *RateLimitError) StatusCode() int { return http.StatusTooManyRequests }

// LimiterError is the error a request is answered with, under FailClosed,
// when its Limiter fails: 503 with Retry-After. Its text, which is the
// problem's detail, leaves the cause out; Unwrap returns it, and the
// router logs it.
type LimiterError struct {
	// Operation names the limited operation.
	Operation string
	// Err is what the Limiter returned.
	Err error
}

// Error says that the rate limit could not be checked, without the cause.
func (e *LimiterError) Error() string {
	return fmt.Sprintf("operation %s: the rate limit cannot be checked now", e.Operation)
}

// Unwrap returns the Limiter's error.
func (e *LimiterError) Unwrap() error { return e.Err }

// StatusCode returns 503.
func (e *LimiterError) StatusCode() int { return http.StatusServiceUnavailable }

// WithLimiter keeps rate-limit state in l, such as a Redis limiter shared
// by every replica. By default each router keeps its own in memory
// (NewMemoryLimiter).
func WithLimiter(l Limiter) Option {
	return func(c *Config) {
		if l != nil {
			c.Limiter = l
		}
	}
}

// WithLimiterFailure says how requests are answered when the Limiter
// fails: FailClosed (the default) answers 503, FailOpen lets them through
// unlimited. Either way the failure is logged, at most once a second,
// with the number of failures not logged since.
func WithLimiterFailure(f LimiterFailure) Option {
	return func(c *Config) { c.LimiterFailure = f }
}

// WithClientAddress sets the function that returns the address a request
// is counted under by rate limits by address (and by principal, for
// anonymous callers). The default, RemoteHost, never reads
// X-Forwarded-For or Forwarded: behind a trusted proxy, return the
// address that proxy reports. It has the type of issuer.Config's
// ClientAddress, so that one function serves both.
func WithClientAddress(addr func(r *http.Request) string) Option {
	return func(c *Config) {
		if addr != nil {
			c.ClientAddress = addr
		}
	}
}

// RemoteHost returns the host of r.RemoteAddr, or all of it when it has
// no port: the default client address.
func RemoteHost(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// limiting is what the limited routes of one router share.
type limiting struct {
	limiter Limiter
	failure LimiterFailure
	address func(r *http.Request) string
	logger  *slog.Logger
	// lastLog is when a failure was last logged (Unix nanoseconds);
	// unlogged counts the failures since that were not.
	lastLog, unlogged atomic.Int64
}

// newLimiting returns what the limited routes of a router built with cfg
// share; its limiter is a new MemoryLimiter unless cfg names one.
func newLimiting(cfg *Config) *limiting {
	lm := &limiting{limiter: cfg.Limiter, failure: cfg.LimiterFailure,
		address: cfg.ClientAddress, logger: cfg.logger()}
	if lm.limiter == nil {
		lm.limiter = NewMemoryLimiter()
	}
	if lm.address == nil {
		lm.address = RemoteHost
	}
	return lm
}

// routeLimit enforces one operation's limit. A nil *routeLimit enforces
// nothing.
type routeLimit struct {
	*limiting
	limit RateLimit
	op    string
	// key starts every key of the operation: its name, length-prefixed.
	key string
	// name is the operation's name as a structured-field string.
	name string
	// policy is the RateLimit-Policy field's value. It is shared by every
	// answer, so its capacity is its length: Header.Add copies it.
	policy []string
}

// newRouteLimit returns the enforcement of limit for op, nil when limit
// is nil. lm is made on first use, from cfg, and shared by the router's
// routes.
func newRouteLimit(cfg *Config, lm **limiting, op auth.Operation, limit *RateLimit) (*routeLimit, error) {
	if limit == nil {
		return nil, nil
	}
	name := op.ID
	if name == "" {
		name = op.Pattern
	}
	if err := limit.Validate(); err != nil {
		return nil, fmt.Errorf("httpapi: operation %s: %w", name, err)
	}
	if *lm == nil {
		*lm = newLimiting(cfg)
	}
	rl := &routeLimit{limiting: *lm, limit: *limit, op: name,
		key: strconv.Itoa(len(name)) + ":" + name, name: sfString(name)}
	q, w := policyWindow(*limit)
	rl.policy = []string{rl.name + ";q=" + strconv.FormatInt(q, 10) + ";w=" + strconv.FormatInt(w, 10)}
	return rl, nil
}

// policyWindow returns the q and w parameters of the RateLimit-Policy
// field for l: Requests and Period when Period is whole seconds, else
// the same rate over Period rounded up to whole seconds (w must be an
// integer number of seconds, at least 1).
func policyWindow(l RateLimit) (q, w int64) {
	if l.Period%time.Second == 0 {
		return int64(l.Requests), int64(l.Period / time.Second)
	}
	w = ceilSeconds(l.Period)
	q = int64(float64(l.Requests) * float64(w) * float64(time.Second) / float64(l.Period))
	return q, w
}

// before runs before the security check: it sends RateLimit-Policy and,
// for a limit by address, counts the request. It returns false when it
// answered the request.
func (rl *routeLimit) before(w http.ResponseWriter, r *http.Request, ew ErrorWriter) bool {
	if rl == nil {
		return true
	}
	w.Header()["Ratelimit-Policy"] = rl.policy[:1:1]
	if rl.limit.By != LimitByAddress {
		return true
	}
	return rl.admit(w, r, ew, rl.addressKey(r))
}

// after runs after the security check: for a limit by principal, it
// counts the request under the principals of the satisfied alternative,
// or under the caller's address when there are none. It returns false
// when it answered the request.
func (rl *routeLimit) after(w http.ResponseWriter, r *http.Request, ew ErrorWriter, principals auth.Principals) bool {
	if rl == nil || rl.limit.By != LimitByPrincipal {
		return true
	}
	if len(principals) == 0 {
		return rl.admit(w, r, ew, rl.addressKey(r))
	}
	return rl.admit(w, r, ew, rl.principalKey(principals))
}

// addressKey is the key of r's client address.
func (rl *routeLimit) addressKey(r *http.Request) string {
	return rl.key + "\x00a\x00" + rl.address(r)
}

// principalKey is the key of principals: each one's scheme and subject,
// length-prefixed so that no two lists share a key.
func (rl *routeLimit) principalKey(principals auth.Principals) string {
	var b strings.Builder
	n := len(rl.key) + 2
	for _, p := range principals {
		if p != nil {
			n += len(p.Scheme) + len(p.Subject) + 24
		}
	}
	b.Grow(n)
	b.WriteString(rl.key)
	b.WriteString("\x00p")
	for _, p := range principals {
		if p == nil {
			b.WriteString("\x00-")
			continue
		}
		b.WriteByte(0)
		b.WriteString(strconv.Itoa(len(p.Scheme)))
		b.WriteByte(':')
		b.WriteString(p.Scheme)
		b.WriteString(strconv.Itoa(len(p.Subject)))
		b.WriteByte(':')
		b.WriteString(p.Subject)
	}
	return b.String()
}

// admit counts r under key and sends the RateLimit field. Over the limit
// it answers 429 with Retry-After; when the limiter fails it logs and,
// failing closed, answers 503. It returns false when it answered.
func (rl *routeLimit) admit(w http.ResponseWriter, r *http.Request, ew ErrorWriter, key string) bool {
	d, err := rl.limiter.Allow(r.Context(), key, rl.limit)
	if err != nil {
		if r.Context().Err() != nil {
			// The client is gone: nobody to serve, no outage to log.
			w.Header().Set("Retry-After", "1")
			ew(w, r, &LimiterError{Operation: rl.op, Err: err})
			return false
		}
		rl.logFailure(r, rl.op, err)
		if rl.failure == FailOpen {
			return true
		}
		w.Header().Set("Retry-After", "1")
		ew(w, r, &LimiterError{Operation: rl.op, Err: err})
		return false
	}
	h := w.Header()
	var buf [96]byte
	field := append(buf[:0], rl.name...)
	field = append(field, ";r="...)
	field = strconv.AppendInt(field, int64(max(d.Remaining, 0)), 10)
	field = append(field, ";t="...)
	field = strconv.AppendInt(field, ceilSeconds(d.Reset), 10)
	h["Ratelimit"] = []string{string(field)}
	if d.Allowed {
		return true
	}
	h.Set("Retry-After", strconv.FormatInt(max(ceilSeconds(d.RetryAfter), 1), 10))
	ew(w, r, &RateLimitError{Operation: rl.op, RetryAfter: d.RetryAfter})
	return false
}

// logFailure logs a failure of the limiter, unless one was logged less
// than a second ago: an outage must not flood the log. The next line
// says how many were not logged.
func (lm *limiting) logFailure(r *http.Request, op string, err error) {
	now := time.Now().UnixNano()
	last := lm.lastLog.Load()
	if now-last < int64(time.Second) || !lm.lastLog.CompareAndSwap(last, now) {
		lm.unlogged.Add(1)
		return
	}
	verdict := "request refused"
	if lm.failure == FailOpen {
		verdict = "request let through, unlimited"
	}
	lm.logger.LogAttrs(r.Context(), slog.LevelError, "rate limiter failed: "+verdict,
		slog.String("operation", op), slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.String("mode", lm.failure.String()),
		slog.Int64("unlogged_failures", lm.unlogged.Swap(0)), slog.String("error", err.Error()))
}

// ceilSeconds is d in whole seconds, rounded up, and 0 for d <= 0.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// sfString quotes s as a structured-field string (RFC 9651, Section
// 3.3.3): printable ASCII, with '"' and '\' escaped; other bytes become
// '?'.
func sfString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c > 0x7e:
			b.WriteByte('?')
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
