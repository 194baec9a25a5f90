package issuer_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/securegen/securegen/runtime/issuer"
)

// guesses sends n token requests at once, form(i) from address addr(i)
// with client credentials basic, and returns how many got each status.
func guesses(t *testing.T, base string, n int, form func(i int) url.Values, basic []string, addr func(i int) string) map[int]int {
	t.Helper()
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { statuses[i] = post(t, base, "/token", form(i), basic, addr(i)).status })
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	return count
}

// TestParallelPasswordGuessesAreThrottled: however many password guesses
// arrive at once, for one username or from one address, at most
// MaxFailures of them get the password checked; the others are answered
// 429 without a check. The same holds for client secrets.
func TestParallelPasswordGuessesAreThrottled(t *testing.T) {
	const n = 24
	var checks atomic.Int64
	users := baseConfig().Authenticate
	e := newEnv(t, func(c *issuer.Config) {
		c.Authenticate = func(ctx context.Context, username, pw string) (string, []string, error) {
			checks.Add(1)
			time.Sleep(30 * time.Millisecond) // a slow hash: the guesses overlap
			return users(ctx, username, pw)
		}
	})
	app := []string{"app", appSecret}

	// check compares the answers to n parallel guesses: refused (the
	// answer to a wrong secret) at most MaxFailures times, 429 for the
	// rest, and as many password checks as invalid_grant answers.
	check := func(what string, count map[int]int, refused int) {
		t.Helper()
		if got := checks.Swap(0); got > issuer.DefaultMaxFailures || refused == http.StatusBadRequest && int(got) != count[refused] {
			t.Errorf("%s: %d of %d parallel guesses had their password checked (%d invalid_grant), want at most %d", what, got, n, count[refused], issuer.DefaultMaxFailures)
		}
		if count[refused] > issuer.DefaultMaxFailures || count[refused]+count[http.StatusTooManyRequests] != n {
			t.Errorf("%s: statuses %v, want at most %d answers %d and 429 for the rest", what, count, issuer.DefaultMaxFailures, refused)
		}
	}

	// One username, guessed from many addresses.
	count := guesses(t, e.ts.URL, n, func(i int) url.Values {
		return url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"guess-" + strconv.Itoa(i)}}
	}, app, func(i int) string { return "spread-" + strconv.Itoa(i) })
	check("one username", count, http.StatusBadRequest)

	// Many usernames, guessed from one address.
	count = guesses(t, e.ts.URL, n, func(i int) url.Values {
		return url.Values{"grant_type": {"password"}, "username": {"user" + strconv.Itoa(i)}, "password": {"guess"}}
	}, app, func(int) string { return "attacker" })
	check("one address", count, http.StatusBadRequest)

	// Client secrets, guessed from one address: each 401 is one check.
	good := url.Values{"grant_type": {"password"}, "username": {"bob"}, "password": {bobPW}}
	count = guesses(t, e.ts.URL, n, func(int) url.Values { return good }, []string{"app", "wrong"}, func(int) string { return "client-guesser" })
	check("client secrets", count, http.StatusUnauthorized)

	// Right passwords give their attempt back: sequential logins from one
	// address are never throttled, and the address still has its budget.
	for range 2 * issuer.DefaultMaxFailures {
		mustOK(t, post(t, e.ts.URL, "/token", good, app, "office"))
	}
	for i := range issuer.DefaultMaxFailures - 1 {
		f := url.Values{"grant_type": {"password"}, "username": {"bob"}, "password": {"wrong" + strconv.Itoa(i)}}
		wantError(t, post(t, e.ts.URL, "/token", f, app, "office"), http.StatusBadRequest, "invalid_grant")
	}
	mustOK(t, post(t, e.ts.URL, "/token", good, app, "office"))
}

// TestMemoryStoreReservesAttempts checks the MemoryStore's side of the
// throttle: reservations up to the limit, released places, windows.
func TestMemoryStoreReservesAttempts(t *testing.T) {
	ctx := context.Background()
	s := issuer.NewMemoryStore()
	for i := range 3 {
		if ok, ttl, err := s.ReserveAttempt(ctx, "k", 3, time.Minute); err != nil || !ok || ttl <= 0 || ttl > time.Minute {
			t.Fatalf("reservation %d: %v, %v, %v", i+1, ok, ttl, err)
		}
	}
	if ok, ttl, err := s.ReserveAttempt(ctx, "k", 3, time.Minute); err != nil || ok || ttl <= 0 {
		t.Fatalf("reservation past the limit: %v, %v, %v; want refused with a retry delay", ok, ttl, err)
	}
	if err := s.ReleaseAttempt(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := s.ReserveAttempt(ctx, "k", 3, time.Minute); !ok {
		t.Error("a released place is not free")
	}
	if err := s.ResetFailures(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := s.ReserveAttempt(ctx, "k", 1, time.Minute); !ok {
		t.Error("reset left attempts counted")
	}
	// Releasing what was never reserved counts nothing below zero.
	_ = s.ReleaseAttempt(ctx, "other")
	_ = s.ReleaseAttempt(ctx, "other")
	if ok, _, _ := s.ReserveAttempt(ctx, "other", 1, time.Minute); !ok {
		t.Error("first reservation refused")
	}
	if ok, _, _ := s.ReserveAttempt(ctx, "other", 1, time.Minute); ok {
		t.Error("releases before any reservation raised the limit")
	}
	if ok, _, err := s.ReserveAttempt(ctx, "w", 1, 20*time.Millisecond); !ok || err != nil {
		t.Fatal("reservation refused")
	}
	time.Sleep(40 * time.Millisecond)
	if ok, _, _ := s.ReserveAttempt(ctx, "w", 1, time.Minute); !ok {
		t.Error("window did not end")
	}
}
