package model

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/securegen/securegen/generator/diag"
)

// RateLimitExtension declares an operation's rate limit on an operation,
// a path item or the document root, the nearest level winning; false
// removes an inherited one.
const RateLimitExtension = "x-securegen-rate-limit"

// maxLimitWindow is the longest burst window the runtime accepts
// (httpapi.MaxLimitWindow).
const maxLimitWindow = 100 * 365 * 24 * time.Hour

// LimitBy says what a rate limit counts requests by.
type LimitBy string

// What limits count by.
const (
	// LimitByPrincipal counts per authenticated caller: the satisfied
	// alternative's schemes and subjects; anonymous and public callers
	// count by address.
	LimitByPrincipal LimitBy = "principal"
	// LimitByAddress counts per client address, before the security check,
	// so that failed authentications count too.
	LimitByAddress LimitBy = "address"
)

// RateLimit is an operation's limit (OWASP API4 and API6): Requests per
// Period, with bursts of up to Burst.
type RateLimit struct {
	Requests int
	Period   time.Duration
	Burst    int
	By       LimitBy
	Location diag.Location
}

// rateLimit decides operation o's limit: the nearest level's extension,
// nil for none or false. A malformed one stops generation, naming where:
// a limit the spec asks for and the server lacks would fail open.
func (b *builder) rateLimit(item *openapi3.PathItem, op *openapi3.Operation, ptr, pathPtr string) (*RateLimit, error) {
	levels := []struct {
		ext map[string]any
		ptr string
	}{{op.Extensions, ptr}, {item.Extensions, pathPtr}, {b.doc.Extensions, ""}}
	for _, l := range levels {
		v, ok := l.ext[RateLimitExtension]
		if !ok {
			continue
		}
		return b.parseRateLimit(v, l.ptr+"/"+RateLimitExtension)
	}
	return nil, nil
}

func (b *builder) parseRateLimit(v any, ptr string) (*RateLimit, error) {
	fail := func(format string, args ...any) (*RateLimit, error) {
		return nil, diag.Errorf(b.loc(ptr), "%s: "+format, append([]any{RateLimitExtension}, args...)...)
	}
	switch x := v.(type) {
	case bool:
		if !x {
			return nil, nil
		}
		return fail("true is not a limit; give requests and period, or false to remove an inherited limit")
	case map[string]any:
		rl := &RateLimit{By: LimitByPrincipal, Location: b.loc(ptr)}
		var unknown []string
		for k := range x {
			switch k {
			case "requests", "period", "burst", "by":
			default:
				unknown = append(unknown, k)
			}
		}
		if len(unknown) > 0 {
			sort.Strings(unknown)
			return fail("unknown keys %s (want requests, period, burst, by)", strings.Join(unknown, ", "))
		}
		n, ok := positiveInt(x["requests"])
		if !ok {
			return fail("requests must be a positive integer, not %v", x["requests"])
		}
		rl.Requests = n
		ps, ok := x["period"].(string)
		if !ok {
			return fail("period must be a Go duration such as 1m or 10s, not %v", x["period"])
		}
		d, err := time.ParseDuration(ps)
		if err != nil || d <= 0 {
			return fail("period %q is not a positive Go duration such as 1m or 10s", ps)
		}
		if d/time.Duration(n) <= 0 {
			return fail("%d requests per %s is more than one a nanosecond", n, d)
		}
		rl.Period = d
		rl.Burst = n
		if bv, present := x["burst"]; present {
			if rl.Burst, ok = positiveInt(bv); !ok {
				return fail("burst must be a positive integer, not %v", bv)
			}
		}
		// The runtime keeps a caller's whole burst as a time span; past a
		// century it could not count exactly, and refuses to start.
		if interval := d / time.Duration(n); time.Duration(rl.Burst) > maxLimitWindow/interval {
			return fail("a burst of %d at %s a request spans more than a century", rl.Burst, interval)
		}
		if by, present := x["by"]; present {
			s, _ := by.(string)
			switch LimitBy(s) {
			case LimitByPrincipal, LimitByAddress:
				rl.By = LimitBy(s)
			default:
				return fail("by must be principal or address, not %v", by)
			}
		}
		return rl, nil
	}
	return fail("must be an object (requests, period, burst, by) or false, not %v", v)
}

// positiveInt reads a YAML or JSON integer that is at least 1.
func positiveInt(v any) (int, bool) {
	var f float64
	switch x := v.(type) {
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case uint64:
		f = float64(x)
	case float64:
		f = x
	default:
		return 0, false
	}
	if f < 1 || f != math.Trunc(f) || f > math.MaxInt32 {
		return 0, false
	}
	return int(f), true
}

// String says the limit in words, for docs and audit: "100 requests per
// 1m0s (bursts of 20) per principal".
func (rl *RateLimit) String() string {
	word := "requests"
	if rl.Requests == 1 {
		word = "request"
	}
	s := fmt.Sprintf("%d %s per %s", rl.Requests, word, shortDuration(rl.Period))
	if rl.Burst != rl.Requests {
		s += fmt.Sprintf(" (bursts of %d)", rl.Burst)
	}
	return s + " per " + string(rl.By)
}

// shortDuration writes d as time.Duration does, without zero units:
// "1h", "1m30s", "10s".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
