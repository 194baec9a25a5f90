package model

import (
	"strings"
	"testing"
	"time"
)

func rateLimitSpec(root, op string) string {
	s := "openapi: 3.0.3\ninfo: {title: t, version: \"1\"}\n"
	if root != "" {
		s += "x-securegen-rate-limit: " + root + "\n"
	}
	s += "paths:\n  /a:\n    get:\n      operationId: a\n"
	if op != "" {
		s += "      x-securegen-rate-limit: " + op + "\n"
	}
	return s + "      responses: {\"204\": {description: ok}}\n"
}

func TestRateLimitNearestLevelWins(t *testing.T) {
	for _, tc := range []struct {
		name, root, op string
		want           *RateLimit
	}{
		{"root", "{requests: 10, period: 1m}", "", &RateLimit{Requests: 10, Period: time.Minute, Burst: 10, By: LimitByPrincipal}},
		{"operation wins", "{requests: 10, period: 1m}", "{requests: 2, period: 1s, burst: 5, by: address}", &RateLimit{Requests: 2, Period: time.Second, Burst: 5, By: LimitByAddress}},
		{"false removes", "{requests: 10, period: 1m}", "false", nil},
		{"none", "", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api, _ := mustBuild(t, rateLimitSpec(tc.root, tc.op))
			got := api.Operations[0].RateLimit
			if (got == nil) != (tc.want == nil) || got != nil && (got.Requests != tc.want.Requests || got.Period != tc.want.Period ||
				got.Burst != tc.want.Burst || got.By != tc.want.By) {
				t.Fatalf("limit %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestMalformedRateLimitIsRefusedAtGeneration(t *testing.T) {
	for _, tc := range []struct{ name, op, want string }{
		{"true", "true", "true is not a limit"},
		{"no requests", "{period: 1m}", "requests must be a positive integer"},
		{"zero requests", "{requests: 0, period: 1m}", "requests must be a positive integer"},
		{"bad period", "{requests: 1, period: soon}", "is not a positive Go duration"},
		{"negative period", "{requests: 1, period: -1s}", "is not a positive Go duration"},
		{"bad by", "{requests: 1, period: 1s, by: ip}", "by must be principal or address"},
		{"bad burst", "{requests: 1, period: 1s, burst: 1.5}", "burst must be a positive integer"},
		{"unknown key", "{requests: 1, period: 1s, per: user}", "unknown keys per"},
		{"a string", "\"100/min\"", "must be an object"},
		{"a century of burst", "{requests: 1, period: 8760h, burst: 200}", "more than a century"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := buildSpec(t, rateLimitSpec("", tc.op), Options{Package: "api"})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "/paths/~1a/get/x-securegen-rate-limit") {
				t.Fatalf("err = %v, want %q at the operation's extension", err, tc.want)
			}
		})
	}
}
