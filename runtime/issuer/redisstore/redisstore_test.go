package redisstore_test

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"

	"github.com/securegen/securegen/runtime/auth"
	"github.com/securegen/securegen/runtime/issuer"
	"github.com/securegen/securegen/runtime/issuer/redisstore"
	"github.com/securegen/securegen/runtime/password"
)

// skipOrFail skips the test, or fails it when CI is set, so that CI can
// never pass by skipping.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf(format+" (CI is set, so this is a failure)", args...)
	}
	t.Skipf(format, args...)
}

// startRedis runs a throwaway redis-server on a free loopback port and
// returns a client for it. Both are stopped when the test ends.
func startRedis(t *testing.T) *redis.Client {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		skipOrFail(t, "redis-server not found in PATH: install it (apt-get install redis-server) to run the Redis store tests")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	cmd.Dir = t.TempDir()
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		skipOrFail(t, "start redis-server: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})

	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port)})
	t.Cleanup(func() { _ = rdb.Close() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return rdb
		}
		select {
		case <-exited:
			skipOrFail(t, "redis-server exited: %s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			skipOrFail(t, "redis-server on port %d did not answer: %v", port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const (
	alicePW   = "correct horse battery staple"
	appSecret = "app-secret-value"
)

// replica is one issuer.Server, as one replica of an API runs it.
type replica struct {
	t   *testing.T
	srv *issuer.Server
	ts  *httptest.Server
}

// replicas returns two issuers sharing rdb and signing keys, configured
// further by mutate.
func replicas(t *testing.T, rdb *redis.Client, mutate ...func(*issuer.Config)) (a, b *replica) {
	t.Helper()
	userHash, err := password.HashBcrypt(alicePW, bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	appHash, err := password.HashBcrypt(appSecret, bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	prefix := "test:" + t.Name() + ":"
	mk := func() *replica {
		cfg := issuer.Config{
			Issuer:        "https://issuer.test",
			Keys:          []crypto.Signer{key},
			Authenticate:  issuer.Users([]issuer.User{{Username: "alice", PasswordHash: userHash, Scopes: []string{"read"}}}),
			Clients:       []issuer.Client{{ID: "app", SecretHash: appHash, Grants: []string{issuer.GrantPassword, issuer.GrantRefreshToken}}},
			Store:         redisstore.New(rdb, prefix),
			ClientAddress: func(r *http.Request) string { return r.Header.Get("X-Test-Addr") },
		}
		for _, m := range mutate {
			m(&cfg)
		}
		srv, err := issuer.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle("/token", srv.TokenHandler())
		for _, r := range srv.Routes() {
			mux.Handle(r.Pattern, r.Handler)
		}
		ts := httptest.NewServer(mux)
		t.Cleanup(ts.Close)
		return &replica{t: t, srv: srv, ts: ts}
	}
	return mk(), mk()
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
}

func (r reply) str(k string) string { s, _ := r.body[k].(string); return s }

func (rp *replica) post(path string, form url.Values, addr string) reply {
	rp.t.Helper()
	req, err := http.NewRequest(http.MethodPost, rp.ts.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		rp.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Test-Addr", addr)
	req.SetBasicAuth("app", appSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		rp.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &r.body)
	}
	return r
}

func (rp *replica) login(pw, addr string) reply {
	return rp.post("/token", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {pw}}, addr)
}

func (rp *replica) refresh(token string) reply {
	return rp.post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}}, "x")
}

func (rp *replica) verify(token string) error {
	_, err := rp.srv.Verify(context.Background(), auth.Credential{Scheme: "oauth", Token: token})
	return err
}

func want(t *testing.T, r reply, status int, code string) {
	t.Helper()
	if r.status != status || (code != "" && r.str("error") != code) {
		t.Fatalf("got %d %v; want %d %s", r.status, r.body, status, code)
	}
}

func TestRefreshTokenIssuedByOneReplicaWorksAtAnother(t *testing.T) {
	a, b := replicas(t, startRedis(t))
	r0 := a.login(alicePW, "1")
	want(t, r0, 200, "")
	r1 := b.refresh(r0.str("refresh_token"))
	want(t, r1, 200, "")
	if err := a.verify(r1.str("access_token")); err != nil {
		t.Errorf("A rejects B's access token: %v", err)
	}
	want(t, a.refresh(r1.str("refresh_token")), 200, "")
}

func TestRevocationAtOneReplicaHoldsAtAnother(t *testing.T) {
	a, b := replicas(t, startRedis(t))
	r := a.login(alicePW, "1")
	want(t, r, 200, "")
	want(t, a.post("/oauth2/revoke", url.Values{"token": {r.str("access_token")}}, "1"), 200, "")
	if err := b.verify(r.str("access_token")); err == nil {
		t.Error("B accepts an access token revoked at A")
	}

	r = a.login(alicePW, "1")
	want(t, a.post("/oauth2/revoke", url.Values{"token": {r.str("refresh_token")}}, "1"), 200, "")
	want(t, b.refresh(r.str("refresh_token")), 400, "invalid_grant")
	if err := b.verify(r.str("access_token")); err == nil {
		t.Error("B accepts an access token of a family revoked at A")
	}
}

func TestReuseDetectionAcrossReplicas(t *testing.T) {
	a, b := replicas(t, startRedis(t))
	r0 := a.login(alicePW, "1")
	r1 := a.refresh(r0.str("refresh_token"))
	want(t, r1, 200, "")
	want(t, b.refresh(r0.str("refresh_token")), 400, "invalid_grant") // replay at B
	want(t, a.refresh(r1.str("refresh_token")), 400, "invalid_grant") // family gone at A
	if err := a.verify(r1.str("access_token")); err == nil {
		t.Error("access token of the revoked family still verifies")
	}
}

func TestConcurrentRedemptionAcrossReplicasOnlyOneWins(t *testing.T) {
	a, b := replicas(t, startRedis(t))
	for round := range 5 {
		r0 := a.login(alicePW, "1")
		want(t, r0, 200, "")
		const n = 8
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			rp := a
			if i%2 == 1 {
				rp = b
			}
			wg.Go(func() { statuses[i] = rp.refresh(r0.str("refresh_token")).status })
		}
		wg.Wait()
		wins := 0
		for _, s := range statuses {
			if s == 200 {
				wins++
			}
		}
		if wins > 1 {
			t.Fatalf("round %d: %d replicas redeemed the same refresh token (%v)", round, wins, statuses)
		}
	}
}

func TestThrottlingIsSharedAcrossReplicas(t *testing.T) {
	a, b := replicas(t, startRedis(t))
	for i := range 5 {
		rp := a
		if i%2 == 1 {
			rp = b
		}
		want(t, rp.login("wrong", "addr-"+strconv.Itoa(i)), 400, "invalid_grant")
	}
	for _, rp := range []*replica{a, b} {
		r := rp.login(alicePW, "fresh")
		want(t, r, http.StatusTooManyRequests, "")
		if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 || ra > 900 {
			t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
		}
	}
	// Per address, too: failures for many usernames from one address.
	for i := range 5 {
		rp := a
		if i%2 == 1 {
			rp = b
		}
		f := url.Values{"grant_type": {"password"}, "username": {"user" + strconv.Itoa(i)}, "password": {"x"}}
		want(t, rp.post("/token", f, "attacker"), 400, "invalid_grant")
	}
	f := url.Values{"grant_type": {"password"}, "username": {"someone"}, "password": {"x"}}
	want(t, b.post("/token", f, "attacker"), http.StatusTooManyRequests, "")
}

// rotation is the redemption of the token stored under oldHash for next,
// without a grace period.
func rotation(oldHash, newHash string, next issuer.RefreshRecord) issuer.Rotation {
	return issuer.Rotation{OldHash: oldHash, NewHash: newHash, Next: next, FamilyTTL: time.Hour}
}

// TestStoreContract exercises the Store directly, at the edges the issuer
// does not reach easily.
func TestStoreContract(t *testing.T) {
	ctx := context.Background()
	rdb := startRedis(t)
	s := redisstore.New(rdb, "")
	rec := issuer.RefreshRecord{Family: "fam1", Subject: "alice", ClientID: "app", Scopes: []string{"a", "b"}, ExpiresAt: time.Now().Add(time.Hour).Truncate(time.Millisecond)}

	if _, err := s.LookupRefresh(ctx, "nope"); !errors.Is(err, issuer.ErrNotFound) {
		t.Errorf("unknown token: %v", err)
	}
	if err := s.SaveRefresh(ctx, "h1", rec); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveRefresh(ctx, "h1", rec); err == nil {
		t.Error("a hash was stored twice")
	}
	got, err := s.LookupRefresh(ctx, "h1")
	if err != nil || got.Family != "fam1" || got.Subject != "alice" || got.ClientID != "app" || strings.Join(got.Scopes, " ") != "a b" || !got.ExpiresAt.Equal(rec.ExpiresAt) || got.Used || got.Revoked {
		t.Errorf("LookupRefresh = %+v, %v", got, err)
	}
	if ttl := rdb.PTTL(ctx, redisstore.DefaultPrefix+"rt:h1").Val(); ttl <= 0 || ttl > time.Hour {
		t.Errorf("token key TTL %v, want its lifetime", ttl)
	}
	other := rec
	other.Family = "fam2"
	if _, err := s.RotateRefresh(ctx, rotation("h1", "h2", other)); err == nil {
		t.Error("rotation changed the family")
	}
	if _, err := s.RotateRefresh(ctx, rotation("h1", "h2", rec)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.LookupRefresh(ctx, "h1"); !got.Used {
		t.Error("redeemed token not marked used")
	}
	if _, err := s.RotateRefresh(ctx, rotation("h1", "h3", rec)); !errors.Is(err, issuer.ErrReused) {
		t.Errorf("second redemption: %v, want ErrReused", err)
	}
	if got, _ := s.LookupRefresh(ctx, "h2"); !got.Revoked {
		t.Error("reuse did not revoke the family")
	}
	if _, err := s.RotateRefresh(ctx, rotation("h2", "h4", rec)); !errors.Is(err, issuer.ErrRevoked) {
		t.Errorf("redeeming in a revoked family: %v, want ErrRevoked", err)
	}
	if _, err := s.RotateRefresh(ctx, rotation("nope", "h5", rec)); !errors.Is(err, issuer.ErrNotFound) {
		t.Errorf("redeeming an unknown token: %v", err)
	}
	if revoked, err := s.Revoked(ctx, "some-jti", "fam1"); err != nil || !revoked {
		t.Errorf("Revoked(family) = %v, %v", revoked, err)
	}

	// jti revocation expires, and a shorter revocation does not shorten it.
	if err := s.RevokeJTI(ctx, "j1", 2*time.Second); err != nil {
		t.Fatal(err)
	}
	_ = s.RevokeJTI(ctx, "j1", time.Millisecond)
	if revoked, _ := s.Revoked(ctx, "j1", ""); !revoked {
		t.Error("jti not revoked")
	}
	if revoked, _ := s.Revoked(ctx, "j2", ""); revoked {
		t.Error("unrelated jti revoked")
	}

	// Attempts are reserved up to the limit, in a window that starts with
	// the first and ends; a released attempt frees its place.
	for i := 1; i <= 3; i++ {
		ok, ttl, err := s.ReserveAttempt(ctx, "user:alice", 3, 300*time.Millisecond)
		if err != nil || !ok || ttl <= 0 || ttl > 300*time.Millisecond {
			t.Fatalf("ReserveAttempt #%d = %v, %v, %v", i, ok, ttl, err)
		}
	}
	if ok, ttl, err := s.ReserveAttempt(ctx, "user:alice", 3, 300*time.Millisecond); err != nil || ok || ttl <= 0 {
		t.Errorf("ReserveAttempt past the limit = %v, %v, %v; want refused with a retry delay", ok, ttl, err)
	}
	if err := s.ReleaseAttempt(ctx, "user:alice"); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := s.ReserveAttempt(ctx, "user:alice", 3, 300*time.Millisecond); !ok {
		t.Error("a released place is not free")
	}
	if keys := rdb.Keys(ctx, "*alice*").Val(); len(keys) != 0 {
		t.Errorf("usernames stored in the clear: %v", keys)
	}
	time.Sleep(400 * time.Millisecond)
	if ok, _, _ := s.ReserveAttempt(ctx, "user:alice", 1, time.Minute); !ok {
		t.Error("window did not end")
	}
	_, _, _ = s.ReserveAttempt(ctx, "user:bob", 1, time.Minute)
	if err := s.ResetFailures(ctx, "user:bob"); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := s.ReserveAttempt(ctx, "user:bob", 1, time.Minute); !ok {
		t.Error("ResetFailures left attempts counted")
	}
	// Releasing what was never reserved counts nothing below zero.
	_ = s.ReleaseAttempt(ctx, "user:carol")
	_ = s.ReleaseAttempt(ctx, "user:carol")
	if ok, _, _ := s.ReserveAttempt(ctx, "user:carol", 1, time.Minute); !ok {
		t.Error("first reservation refused")
	}
	if ok, _, _ := s.ReserveAttempt(ctx, "user:carol", 1, time.Minute); ok {
		t.Error("releases before any reservation raised the limit")
	}

	// A dead Redis fails closed.
	_ = rdb.Close()
	if revoked, err := s.Revoked(ctx, "j2", ""); err == nil || !revoked {
		t.Errorf("Revoked on a closed client = %v, %v; want revoked and an error", revoked, err)
	}
	if ok, _, err := s.ReserveAttempt(ctx, "user:dave", 5, time.Minute); err == nil || ok {
		t.Errorf("ReserveAttempt on a closed client = %v, %v; want refused and an error", ok, err)
	}
}

// TestParallelPasswordGuessesAreThrottled: however many password guesses
// arrive at once at two replicas sharing one Redis, for one username or
// from one address, at most MaxFailures of them get the password checked;
// the others are answered 429 without a check.
func TestParallelPasswordGuessesAreThrottled(t *testing.T) {
	rdb := startRedis(t)
	userHash, err := password.HashBcrypt(alicePW, bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	appHash, err := password.HashBcrypt(appSecret, bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	var checks atomic.Int64
	users := issuer.Users([]issuer.User{{Username: "alice", PasswordHash: userHash}})
	mk := func() *replica {
		srv, err := issuer.New(issuer.Config{
			Issuer: "https://issuer.test",
			Authenticate: func(ctx context.Context, username, pw string) (string, []string, error) {
				checks.Add(1)
				time.Sleep(30 * time.Millisecond) // a slow hash: the guesses overlap
				return users(ctx, username, pw)
			},
			Clients:       []issuer.Client{{ID: "app", SecretHash: appHash, Grants: []string{issuer.GrantPassword}}},
			Store:         redisstore.New(rdb, "test:"+t.Name()+":"),
			ClientAddress: func(r *http.Request) string { return r.Header.Get("X-Test-Addr") },
		})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle("/token", srv.TokenHandler())
		ts := httptest.NewServer(mux)
		t.Cleanup(ts.Close)
		return &replica{t: t, srv: srv, ts: ts}
	}
	a, b := mk(), mk()

	const n = 24
	for _, tc := range []struct {
		name           string
		username, addr func(i int) string
	}{
		{"one username", func(int) string { return "alice" }, func(i int) string { return "addr-" + strconv.Itoa(i) }},
		{"one address", func(i int) string { return "user" + strconv.Itoa(i) }, func(int) string { return "attacker" }},
	} {
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			rp := a
			if i%2 == 1 {
				rp = b
			}
			f := url.Values{"grant_type": {"password"}, "username": {tc.username(i)}, "password": {"guess-" + strconv.Itoa(i)}}
			wg.Go(func() { statuses[i] = rp.post("/token", f, tc.addr(i)).status })
		}
		wg.Wait()
		count := map[int]int{}
		for _, s := range statuses {
			count[s]++
		}
		got := checks.Swap(0)
		if got > issuer.DefaultMaxFailures || int(got) != count[http.StatusBadRequest] {
			t.Errorf("%s: %d of %d parallel guesses had their password checked (%d invalid_grant), want at most %d", tc.name, got, n, count[http.StatusBadRequest], issuer.DefaultMaxFailures)
		}
		if count[http.StatusBadRequest]+count[http.StatusTooManyRequests] != n {
			t.Errorf("%s: statuses %v, want invalid_grant or 429", tc.name, count)
		}
	}
}

// TestRevocationSeenByJWKSVerifierThroughRedis: a service apart from the
// issuer verifies its tokens from the published key set alone, with a
// Store on the issuer's Redis (its own connection, the same prefix) as
// the revocation check, and refuses what the issuer revoked: an access
// token by its jti, and the access tokens of a revoked refresh token's
// family. With Redis gone, it refuses every token.
func TestRevocationSeenByJWKSVerifierThroughRedis(t *testing.T) {
	rdb := startRedis(t)
	a, _ := replicas(t, rdb)
	other := redis.NewClient(&redis.Options{Addr: rdb.Options().Addr})
	t.Cleanup(func() { _ = other.Close() })
	v, err := auth.NewJWT(auth.JWTConfig{
		JWKSURL:    a.ts.URL + "/.well-known/jwks.json",
		Issuer:     "https://issuer.test",
		Audience:   []string{"https://issuer.test"},
		Revocation: redisstore.New(other, "test:"+t.Name()+":"),
	})
	if err != nil {
		t.Fatal(err)
	}
	verify := func(token string) error {
		_, err := v.Verify(context.Background(), auth.Credential{Scheme: "oauth", Token: token})
		return err
	}

	r := a.login(alicePW, "1")
	want(t, r, 200, "")
	if err := verify(r.str("access_token")); err != nil {
		t.Fatalf("before revocation: %v", err)
	}
	want(t, a.post("/oauth2/revoke", url.Values{"token": {r.str("access_token")}}, "1"), 200, "")
	if err := verify(r.str("access_token")); !errors.Is(err, auth.ErrTokenRevoked) {
		t.Errorf("revoked access token: %v, want ErrTokenRevoked", err)
	}

	r = a.login(alicePW, "1")
	want(t, a.post("/oauth2/revoke", url.Values{"token": {r.str("refresh_token")}}, "1"), 200, "")
	if err := verify(r.str("access_token")); !errors.Is(err, auth.ErrTokenRevoked) {
		t.Errorf("access token of a revoked family: %v, want ErrTokenRevoked", err)
	}

	live := a.login(alicePW, "1")
	if err := verify(live.str("access_token")); err != nil {
		t.Fatalf("unrevoked token: %v", err)
	}
	_ = other.Close()
	if err := verify(live.str("access_token")); err == nil {
		t.Error("a token was accepted with the revocation check down")
	}
}

// TestRefreshGracePeriodAcrossReplicas: a client whose refresh at one
// replica timed out retries at another within the grace period and gets
// the same pair; Redis holds that pair sealed, not in the clear.
func TestRefreshGracePeriodAcrossReplicas(t *testing.T) {
	rdb := startRedis(t)
	a, b := replicas(t, rdb, func(c *issuer.Config) { c.RefreshGracePeriod = time.Minute })
	r0 := a.login(alicePW, "1")
	want(t, r0, 200, "")
	r1 := a.refresh(r0.str("refresh_token"))
	want(t, r1, 200, "")
	retry := b.refresh(r0.str("refresh_token"))
	want(t, retry, 200, "")
	if retry.str("access_token") != r1.str("access_token") || retry.str("refresh_token") != r1.str("refresh_token") {
		t.Fatalf("retry got %v, want the pair %v", retry.body, r1.body)
	}
	if err := a.verify(r1.str("access_token")); err != nil {
		t.Fatalf("the pair's access token: %v", err)
	}

	ctx := context.Background()
	keys := rdb.Keys(ctx, "test:"+t.Name()+":grace:*").Val()
	if len(keys) != 1 {
		t.Fatalf("grace keys %v, want one", keys)
	}
	if ttl := rdb.PTTL(ctx, keys[0]).Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("grace key TTL %v, want the grace period", ttl)
	}
	for _, k := range rdb.Keys(ctx, "test:"+t.Name()+":*").Val() {
		dump := fmt.Sprint(rdb.HGetAll(ctx, k).Val(), rdb.Get(ctx, k).Val())
		for _, tok := range []string{r0.str("refresh_token"), r1.str("refresh_token"), r1.str("access_token")} {
			if strings.Contains(dump, tok) {
				t.Errorf("Redis key %s holds a token in the clear", k)
			}
		}
	}

	// The successor rotates at B: the retry window of r0 is closed.
	r2 := b.refresh(r1.str("refresh_token"))
	want(t, r2, 200, "")
	want(t, a.refresh(r0.str("refresh_token")), 400, "invalid_grant")
	want(t, b.refresh(r2.str("refresh_token")), 400, "invalid_grant")
}

// TestRefreshGracePeriodEndsOnRedis: after the grace period, presenting
// the rotated token again is reuse and revokes the family.
func TestRefreshGracePeriodEndsOnRedis(t *testing.T) {
	a, b := replicas(t, startRedis(t), func(c *issuer.Config) { c.RefreshGracePeriod = 100 * time.Millisecond })
	r0 := a.login(alicePW, "1")
	r1 := a.refresh(r0.str("refresh_token"))
	want(t, r1, 200, "")
	time.Sleep(300 * time.Millisecond)
	want(t, b.refresh(r0.str("refresh_token")), 400, "invalid_grant")
	want(t, a.refresh(r1.str("refresh_token")), 400, "invalid_grant")
	if err := a.verify(r1.str("access_token")); err == nil {
		t.Error("access token of the revoked family still verifies")
	}
}

// TestStoreGracePeriod exercises RotateRefresh's grace period directly.
func TestStoreGracePeriod(t *testing.T) {
	ctx := context.Background()
	s := redisstore.New(startRedis(t), "")
	rec := issuer.RefreshRecord{Family: "fam", Subject: "alice", ExpiresAt: time.Now().Add(time.Hour)}
	if err := s.SaveRefresh(ctx, "h0", rec); err != nil {
		t.Fatal(err)
	}
	rot := func(oldHash, newHash string, grace time.Duration, replay string) issuer.Rotation {
		return issuer.Rotation{OldHash: oldHash, NewHash: newHash, Next: rec, FamilyTTL: time.Hour, Grace: grace, Replay: []byte(replay)}
	}
	if replay, err := s.RotateRefresh(ctx, rot("h0", "h1", time.Minute, "pair\x00one")); err != nil || replay != nil {
		t.Fatalf("rotation = %q, %v", replay, err)
	}
	for range 2 {
		if replay, err := s.RotateRefresh(ctx, rot("h0", "hx", time.Minute, "other")); err != nil || string(replay) != "pair\x00one" {
			t.Fatalf("redemption within the grace period = %q, %v; want the stored pair", replay, err)
		}
	}
	if _, err := s.LookupRefresh(ctx, "hx"); !errors.Is(err, issuer.ErrNotFound) {
		t.Errorf("a replayed redemption stored a token: %v", err)
	}
	if _, err := s.RotateRefresh(ctx, rot("h1", "h2", 0, "")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RotateRefresh(ctx, rot("h0", "hy", time.Minute, "")); !errors.Is(err, issuer.ErrReused) {
		t.Errorf("redemption after the grace period closed: %v, want ErrReused", err)
	}
	if revoked, err := s.Revoked(ctx, "jti", "fam"); err != nil || !revoked {
		t.Errorf("family not revoked: %v, %v", revoked, err)
	}

	rec.Family = "fam2"
	if err := s.SaveRefresh(ctx, "k0", rec); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RotateRefresh(ctx, rot("k0", "k1", 50*time.Millisecond, "pair")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond)
	if _, err := s.RotateRefresh(ctx, rot("k0", "k2", 0, "")); !errors.Is(err, issuer.ErrReused) {
		t.Errorf("redemption after the window: %v, want ErrReused", err)
	}
}
