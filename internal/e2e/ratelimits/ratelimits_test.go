package ratelimits_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/securegen/securegen/internal/e2e/ratelimits"
	"github.com/securegen/securegen/runtime/auth"
	"github.com/securegen/securegen/runtime/httpapi"
)

type server struct{ reached int }

func (s *server) ListReports(context.Context, ratelimits.ListReportsRequest) (ratelimits.ListReportsResponse, error) {
	s.reached++
	return ratelimits.NewListReports204Response(), nil
}

func (s *server) CreateReport(context.Context, ratelimits.CreateReportRequest) (ratelimits.CreateReportResponse, error) {
	s.reached++
	return ratelimits.NewCreateReport204Response(), nil
}

func (s *server) CreateExport(context.Context, ratelimits.CreateExportRequest) (ratelimits.CreateExportResponse, error) {
	s.reached++
	return ratelimits.NewCreateExport204Response(), nil
}

func (s *server) Health(context.Context, ratelimits.HealthRequest) (ratelimits.HealthResponse, error) {
	s.reached++
	return ratelimits.NewHealth204Response(), nil
}

func tokens(_ context.Context, c auth.Credential) (*auth.Principal, error) {
	switch c.Token {
	case "ann", "bob":
		return &auth.Principal{Subject: c.Token}, nil
	}
	return nil, errors.New("bad token")
}

func newHandler(t *testing.T, s *server) http.Handler {
	t.Helper()
	h, err := ratelimits.NewHandler(s, ratelimits.Security{Bearer: auth.VerifierFunc(tokens)},
		httpapi.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func send(h http.Handler, method, path, token, addr string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	r.RemoteAddr = addr + ":1234"
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// codes sends n requests and returns their statuses.
func codes(h http.Handler, n int, method, path, token, addr string) []int {
	var out []int
	for range n {
		out = append(out, send(h, method, path, token, addr).Code)
	}
	return out
}

func equal(a []int, b ...int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRateLimitInheritanceAndFalse(t *testing.T) {
	h := newHandler(t, &server{})
	// Root: 2 a minute per principal.
	if got := codes(h, 3, "GET", "/reports", "ann", "10.0.0.1"); !equal(got, 204, 204, 429) {
		t.Errorf("GET /reports (root limit): %v", got)
	}
	// The operation's own: 1 an hour.
	if got := codes(h, 2, "POST", "/reports", "ann", "10.0.0.1"); !equal(got, 204, 429) {
		t.Errorf("POST /reports (operation limit): %v", got)
	}
	// The path item's: 3 per 10 s per address.
	if got := codes(h, 4, "POST", "/exports", "ann", "10.0.0.1"); !equal(got, 204, 204, 204, 429) {
		t.Errorf("POST /exports (path-item limit): %v", got)
	}
	// false removes the root's limit.
	for i, c := range codes(h, 20, "GET", "/health", "", "10.0.0.1") {
		if c != 204 {
			t.Fatalf("GET /health %d: %d, want no limit", i, c)
		}
	}
	if w := send(h, "GET", "/health", "", "10.0.0.1"); w.Header().Get("RateLimit-Policy") != "" {
		t.Errorf("unlimited operation sends RateLimit-Policy %q", w.Header().Get("RateLimit-Policy"))
	}
}

func TestRateLimitPrincipalVersusAddress(t *testing.T) {
	h := newHandler(t, &server{})
	// By principal: ann and bob, from one address, have a budget each.
	codes(h, 2, "GET", "/reports", "ann", "10.0.0.1")
	if got := send(h, "GET", "/reports", "bob", "10.0.0.1").Code; got != 204 {
		t.Errorf("bob after ann spent hers: %d", got)
	}
	// By address: ann and bob share one.
	codes(h, 3, "POST", "/exports", "ann", "10.0.0.2")
	if got := send(h, "POST", "/exports", "bob", "10.0.0.2").Code; got != 429 {
		t.Errorf("bob from ann's address past the address limit: %d", got)
	}
	if got := send(h, "POST", "/exports", "bob", "10.0.0.3").Code; got != 204 {
		t.Errorf("bob from another address: %d", got)
	}
	// Failed authentications count against an address limit.
	codes(h, 3, "POST", "/exports", "forged", "10.0.0.4")
	if got := send(h, "POST", "/exports", "ann", "10.0.0.4").Code; got != 429 {
		t.Errorf("after 3 forged tokens from an address: %d, want 429", got)
	}
}

func TestRateLimitAnonymousFallsBackToAddress(t *testing.T) {
	h := newHandler(t, &server{})
	if got := codes(h, 3, "GET", "/reports", "", "10.0.0.5"); !equal(got, 204, 204, 429) {
		t.Errorf("anonymous: %v", got)
	}
	// Another address, or a principal from the same one, has its own.
	if got := send(h, "GET", "/reports", "", "10.0.0.6").Code; got != 204 {
		t.Errorf("anonymous from another address: %d", got)
	}
	if got := send(h, "GET", "/reports", "ann", "10.0.0.5").Code; got != 204 {
		t.Errorf("ann from the anonymous caller's address: %d", got)
	}
}

func TestRateLimitAnswer(t *testing.T) {
	s := &server{}
	h := newHandler(t, s)
	w := send(h, "POST", "/reports", "ann", "10.0.0.7")
	if got := w.Header().Get("RateLimit-Policy"); got != `"createReport";q=1;w=3600` {
		t.Errorf("RateLimit-Policy %q", got)
	}
	if got := w.Header().Get("RateLimit"); got != `"createReport";r=0;t=3600` {
		t.Errorf("RateLimit %q", got)
	}
	w = send(h, "POST", "/reports", "ann", "10.0.0.7")
	if w.Code != http.StatusTooManyRequests || s.reached != 1 {
		t.Fatalf("status %d, handler reached %d", w.Code, s.reached)
	}
	if ra, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || ra < 3590 || ra > 3600 {
		t.Errorf("Retry-After %q", w.Header().Get("Retry-After"))
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q", ct)
	}
}

func TestRateLimitBudgetsPerOperation(t *testing.T) {
	h := newHandler(t, &server{})
	codes(h, 3, "GET", "/reports", "ann", "10.0.0.8")
	if got := send(h, "POST", "/reports", "ann", "10.0.0.8").Code; got != 204 {
		t.Errorf("POST /reports after GET /reports spent its budget: %d", got)
	}
}
