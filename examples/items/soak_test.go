package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/redis/go-redis/v9"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/securegen/securegen/runtime/issuer"
	"github.com/securegen/securegen/runtime/issuer/redisstore"
)

// soakDuration is how long TestSoak attacks: 30 s by default (as CI runs
// it), SOAK_DURATION=10m for the documented long run.
func soakDuration(t *testing.T) time.Duration {
	d := 30 * time.Second
	if s := os.Getenv("SOAK_DURATION"); s != "" {
		v, err := time.ParseDuration(s)
		if err != nil || v < 5*time.Second {
			t.Fatalf("SOAK_DURATION=%q: want a duration of at least 5s", s)
		}
		d = v
	}
	return d
}

// soakRate is the fixed request rate, across all classes.
const soakRate = 200

// soakClass is one kind of traffic, its share of the rate, and the only
// status it may get.
type soakClass struct {
	name   string
	weight int
	status int
	next   func() vegeta.Target
}

// TestSoak runs the items example with its token state in a real Redis
// under sustained, mixed traffic from vegeta at a fixed rate: valid
// tokens, expired and forged tokens, missing scopes, hostile bodies,
// logins, refreshes and revocations. It asserts that no answer is a 5xx,
// that every class gets exactly its expected status, and that after
// warm-up the heap in use and the number of goroutines stay flat. It
// prints p50, p99 and p99.9 latency per class, and the throughput.
//
//	go test ./examples/items -run TestSoak -v                      # 30 s
//	SOAK_DURATION=10m go test ./examples/items -run TestSoak -v -timeout 20m
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("the soak test runs for 30 s or more")
	}
	duration := soakDuration(t)
	addr := startRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { rdb.Close() })

	_, signer, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.Store = redisstore.New(rdb, "soak:")
	cfg.Keys = append(cfg.Keys, signer)
	// Every login here comes from one address, many at once; the failed-
	// login throttle counts attempts in flight, so it must allow that many.
	cfg.Throttle = issuer.Throttle{MaxFailures: 10000, Window: time.Minute}
	ts := start(t, cfg)
	base := ts.URL

	// Tokens made before the attack: refresh tokens are single-use, so
	// each refresh of the attack gets its own, and so does each
	// revocation.
	refreshEvery := soakRate * 10 / 100
	need := int(duration.Seconds())*refreshEvery + 50
	valid := login(t, base, alice.Username, alice.Password, "")
	narrow := login(t, base, alice.Username, alice.Password, "items:read")
	refreshTokens, accessTokens := make([]string, need), make([]string, need)
	var wg sync.WaitGroup
	var loginErr atomic.Value
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < need; i += 4 {
				form := url.Values{"grant_type": {"password"}, "username": {alice.Username}, "password": {alice.Password}}
				resp, err := http.PostForm(base+tokenPath, form)
				if err != nil {
					loginErr.Store(err)
					return
				}
				var tr tokenResponse
				err = json.NewDecoder(resp.Body).Decode(&tr)
				resp.Body.Close()
				if err != nil || tr.RefreshToken == "" {
					loginErr.Store(fmt.Errorf("login %d: %v", i, err))
					return
				}
				refreshTokens[i], accessTokens[i] = tr.RefreshToken, tr.AccessToken
			}
		})
	}
	wg.Wait()
	if err := loginErr.Load(); err != nil {
		t.Fatal(err)
	}
	expired := expiredCopy(t, valid.AccessToken, signer)
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	forged := expiredCopy(t, valid.AccessToken, otherKey)

	bearer := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }
	formHeader := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	jsonHeader := func(tok string) http.Header {
		return http.Header{"Authorization": {"Bearer " + tok}, "Content-Type": {"application/json"}}
	}
	var refreshN, revokeN, hostileN atomic.Int64
	hostile := [][]byte{
		[]byte(strings.Repeat("[", 64<<10)),
		[]byte(`{"name":"a","name":"b"}`),
		[]byte(`{"name":"x","price":1e999999999}`),
		[]byte(`{"NAME":"x"}`),
	}
	classes := []*soakClass{
		{"valid token", 40, http.StatusOK, func() vegeta.Target {
			return vegeta.Target{Method: "GET", URL: base + "/items", Header: bearer(valid.AccessToken)}
		}},
		{"expired token", 5, http.StatusUnauthorized, func() vegeta.Target {
			return vegeta.Target{Method: "GET", URL: base + "/items", Header: bearer(expired)}
		}},
		{"forged token", 5, http.StatusUnauthorized, func() vegeta.Target {
			return vegeta.Target{Method: "GET", URL: base + "/users/me", Header: bearer(forged)}
		}},
		{"missing scope", 10, http.StatusForbidden, func() vegeta.Target {
			return vegeta.Target{Method: "POST", URL: base + "/items", Header: jsonHeader(narrow.AccessToken), Body: []byte(`{"name":"x"}`)}
		}},
		{"hostile body", 10, http.StatusBadRequest, func() vegeta.Target {
			body := hostile[hostileN.Add(1)%int64(len(hostile))]
			return vegeta.Target{Method: "POST", URL: base + "/items", Header: jsonHeader(valid.AccessToken), Body: body}
		}},
		{"login", 10, http.StatusOK, func() vegeta.Target {
			form := url.Values{"grant_type": {"password"}, "username": {alice.Username}, "password": {alice.Password}}
			return vegeta.Target{Method: "POST", URL: base + tokenPath, Header: formHeader, Body: []byte(form.Encode())}
		}},
		{"refresh", 10, http.StatusOK, func() vegeta.Target {
			i := int(refreshN.Add(1)-1) % len(refreshTokens)
			form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshTokens[i]}}
			return vegeta.Target{Method: "POST", URL: base + tokenPath, Header: formHeader, Body: []byte(form.Encode())}
		}},
		{"revocation", 10, http.StatusOK, func() vegeta.Target {
			i := int(revokeN.Add(1)-1) % len(accessTokens)
			form := url.Values{"token": {accessTokens[i]}}
			return vegeta.Target{Method: "POST", URL: base + revokePath, Header: formHeader, Body: []byte(form.Encode())}
		}},
	}
	// Sample the heap and goroutines once a second while attacking.
	type sample struct {
		heap       uint64
		goroutines int
	}
	var samples []sample
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				samples = append(samples, sample{ms.HeapInuse, runtime.NumGoroutine()})
			}
		}
	}()

	// One attack per class, each at its share of the rate, all at once:
	// results carry their attack's name.
	results := make(chan *vegeta.Result, 1024)
	var attacks sync.WaitGroup
	for _, c := range classes {
		attacker := vegeta.NewAttacker(vegeta.Timeout(10*time.Second), vegeta.KeepAlive(true), vegeta.MaxBody(1<<10))
		targeter := func(tgt *vegeta.Target) error {
			*tgt = c.next()
			return nil
		}
		rate := vegeta.Rate{Freq: soakRate * c.weight / 100, Per: time.Second}
		attacks.Go(func() {
			for res := range attacker.Attack(targeter, rate, duration, c.name) {
				results <- res
			}
		})
	}
	go func() {
		attacks.Wait()
		close(results)
	}()
	metrics := map[string]*vegeta.Metrics{}
	var all vegeta.Metrics
	bad := map[string]map[uint16]int{}
	for res := range results {
		class := res.Attack
		m := metrics[class]
		if m == nil {
			m = &vegeta.Metrics{}
			metrics[class] = m
		}
		m.Add(res)
		all.Add(res)
		for _, c := range classes {
			if c.name == class && int(res.Code) != c.status {
				if bad[class] == nil {
					bad[class] = map[uint16]int{}
				}
				bad[class][res.Code]++
			}
		}
	}
	close(stop)
	<-sampled
	all.Close()

	// The per-class report.
	names := make([]string, 0, len(metrics))
	for n := range metrics {
		names = append(names, n)
	}
	sort.Strings(names)
	var report strings.Builder
	fmt.Fprintf(&report, "%-14s %8s %10s %10s %10s %s\n", "class", "requests", "p50", "p99", "p99.9", "status codes")
	for _, n := range names {
		m := metrics[n]
		m.Close()
		fmt.Fprintf(&report, "%-14s %8d %10s %10s %10s %v\n", n, m.Requests, m.Latencies.P50.Round(time.Microsecond),
			m.Latencies.P99.Round(time.Microsecond), m.Latencies.Quantile(0.999).Round(time.Microsecond), m.StatusCodes)
	}
	fmt.Fprintf(&report, "all: %d requests in %s, rate %.1f/s, throughput %.1f/s (2xx), success %.1f%%\n",
		all.Requests, all.Duration.Round(time.Millisecond), all.Rate, all.Throughput, all.Success*100)
	t.Logf("soak for %s at %d/s:\n%s", duration, soakRate, report.String())

	for code, n := range all.StatusCodes {
		if c, _ := strconv.Atoi(code); c >= 500 || c == 0 {
			t.Errorf("%d answers with status %s (errors: %v)", n, code, all.Errors)
		}
	}
	for class, codes := range bad {
		t.Errorf("class %q got unexpected statuses %v", class, codes)
	}
	for _, c := range classes {
		if metrics[c.name] == nil || metrics[c.name].Requests == 0 {
			t.Errorf("class %q sent nothing", c.name)
		}
	}

	// Flat after warm-up: the first fifth warms caches, pools and Redis
	// connections; compare the second fifth with the last.
	if len(samples) < 5 {
		t.Fatalf("only %d samples", len(samples))
	}
	fifth := len(samples) / 5
	avg := func(s []sample) (heap float64, g float64) {
		for _, x := range s {
			heap += float64(x.heap)
			g += float64(x.goroutines)
		}
		return heap / float64(len(s)), g / float64(len(s))
	}
	earlyHeap, earlyG := avg(samples[fifth : 2*fifth])
	lateHeap, lateG := avg(samples[len(samples)-fifth:])
	t.Logf("heap in use: %.1f MiB after warm-up, %.1f MiB at the end; goroutines: %.0f, %.0f",
		earlyHeap/(1<<20), lateHeap/(1<<20), earlyG, lateG)
	// Tolerance: the heap may grow by half plus 16 MiB (GC timing), the
	// goroutines by 50 (connections in flight); a leak of one object or
	// goroutine per request grows far past both.
	if lateHeap > earlyHeap*1.5+16<<20 {
		t.Errorf("heap in use grew from %.1f MiB to %.1f MiB", earlyHeap/(1<<20), lateHeap/(1<<20))
	}
	if lateG > earlyG+50 {
		t.Errorf("goroutines grew from %.0f to %.0f", earlyG, lateG)
	}
}

// expiredCopy re-signs the claims of token with key, an hour in the past:
// a token that is genuine but expired when key is the issuer's, forged
// when it is not.
func expiredCopy(t *testing.T, token string, key ed25519.PrivateKey) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("access token %q is not a JWT", token)
	}
	var header map[string]any
	var claims jwt.MapClaims
	for i, dst := range []any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-time.Hour)
	claims["iat"], claims["exp"] = past.Add(-time.Minute).Unix(), past.Unix()
	if _, ok := claims["nbf"]; ok {
		claims["nbf"] = past.Add(-time.Minute).Unix()
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	for k, v := range header {
		if k != "alg" {
			tok.Header[k] = v
		}
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
