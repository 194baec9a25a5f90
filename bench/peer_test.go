package bench

import (
	"bytes"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/securegen/securegen/bench/peer"
)

// The peer benchmark puts one spec (testdata/peer.yaml) and one JWT
// verifier (peer.Verifier: golang-jwt, the same parser options and key for
// everyone) behind each server of peer.Impls, and times GET /items/42
// against the verifier alone.
//
// Each iteration is a pair: one bare verification of the request's token
// and one whole request, in alternating order, each timed on its own.
// What the benchmark reports is the median over pairs of their difference
// (delta-ns/op, the time the server adds to the verifier) and of their
// ratio, which a slow moment of a shared machine changes far less than
// either time alone.
// Rounds are interleaved across servers: -peer.rounds N runs every
// configuration N times, the servers in a different order each time, and
// names each run round=K, which benchstat is told to ignore:
//
//	GOWORK=off go test -run '^$' -bench Peer -count 1 -timeout 60m . -peer.rounds 6 | tee peer.txt
//	benchstat -row /alg,/case -col /impl -ignore /round peer.txt
//	GOWORK=off go run ./peer/peertable peer.txt
//
// Metrics, each a median over the pairs of one run: delta-ns/op (request
// time less verification time) and ratio (request over verification),
// req-ns/op and verify-ns/op (each alone); then added-allocs/op and
// added-B/op (the request's allocations less the verification's, counted
// outside the timed loop) and req-allocs/op. Requests without a token run
// alone (alg=none), timed in batches: the verifier never runs, so there
// is nothing to pair.
var peerRounds = flag.Int("peer.rounds", 1, "runs of every configuration of BenchmarkPeer, interleaved across servers")

// The requests of the benchmark, each GET /items/42.
type peerCase struct {
	name   string
	scope  string // the token's scopes; "" for no token at all
	status int
}

var peerCases = []peerCase{
	{"valid", "items:read items:write", http.StatusOK},
	{"wrongscope", "items:write", http.StatusForbidden},
	{"notoken", "", http.StatusUnauthorized},
}

// peerAlg is an algorithm with the shared verifier and one server of
// every implementation, built once per test binary.
type peerAlg struct {
	peer.Alg
	verifier *peer.Verifier
	servers  map[string]http.Handler
}

var (
	peerOnce sync.Once
	peerSet  []peerAlg
	peerErr  error
)

func peerSetup(tb testing.TB) []peerAlg {
	tb.Helper()
	peerOnce.Do(func() {
		algs, err := peer.Algs()
		if err != nil {
			peerErr = err
			return
		}
		for _, a := range algs {
			pa := peerAlg{Alg: a, verifier: peer.NewVerifier(a), servers: make(map[string]http.Handler)}
			for _, impl := range peer.Impls {
				h, err := impl.New(a, pa.verifier)
				if err != nil {
					peerErr = fmt.Errorf("%s (%s): %w", impl.Name, a.Name, err)
					return
				}
				pa.servers[impl.Name] = h
			}
			peerSet = append(peerSet, pa)
		}
	})
	if peerErr != nil {
		tb.Fatal(peerErr)
	}
	return peerSet
}

// memWriter is the in-memory ResponseWriter every server answers into.
// reset keeps the header map and the body's buffer, so the writer itself
// allocates nothing once warm.
type memWriter struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func newMemWriter() *memWriter { return &memWriter{h: make(http.Header)} }

func (w *memWriter) Header() http.Header { return w.h }

func (w *memWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *memWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(p)
}

func (w *memWriter) reset() {
	clear(w.h)
	w.status = 0
	w.body.Reset()
}

// rotated returns the implementations' names in the order of step k:
// rotated by k, and reversed every other step, so that no server always
// runs right after the same other one. Step 0 is the order of peer.Impls,
// which benchstat's columns follow.
func rotated(k int) []string {
	n := len(peer.Impls)
	names := make([]string, n)
	for i := range names {
		names[i] = peer.Impls[(i+k)%n].Name
	}
	if k%2 == 1 {
		for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
			names[i], names[j] = names[j], names[i]
		}
	}
	return names
}

// BenchmarkPeer times GET /items/42 through every server, for every
// algorithm and case, in paired rounds against the shared verifier. See
// peerRounds for how to run it.
func BenchmarkPeer(b *testing.B) {
	set := peerSetup(b)
	step := 0
	for round := 1; round <= *peerRounds; round++ {
		for _, c := range peerCases {
			for _, pa := range set {
				alg := pa.Name
				if c.scope == "" {
					// Without a token the verifier never runs: one
					// algorithm stands for all.
					if pa.Name != set[0].Name {
						continue
					}
					alg = "none"
				}
				order := rotated(step)
				step++
				for _, impl := range order {
					name := fmt.Sprintf("alg=%s/case=%s/impl=%s/round=%d", alg, c.name, impl, round)
					b.Run(name, func(b *testing.B) { benchPeer(b, pa, impl, c) })
				}
			}
		}
	}
}

func benchPeer(b *testing.B, pa peerAlg, impl string, c peerCase) {
	h := pa.servers[impl]
	r := httptest.NewRequest(http.MethodGet, "/items/42", nil)
	var token string
	if c.scope != "" {
		var err error
		if token, err = pa.Token(c.scope); err != nil {
			b.Fatal(err)
		}
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := newMemWriter()
	request := func() {
		w.reset()
		h.ServeHTTP(w, r)
	}
	request()
	if w.status != c.status {
		b.Fatalf("status %d, want %d: %s", w.status, c.status, w.body.Bytes())
	}

	if c.scope == "" {
		// Alone, in batches: a request without a token takes a few
		// hundred nanoseconds, too few to time one by one.
		allocs, bytes := perRun(request)
		const batch = 32
		per := make([]float64, 0, 1<<12)
		for b.Loop() {
			t0 := time.Now()
			for range batch {
				request()
			}
			per = append(per, float64(time.Since(t0).Nanoseconds())/batch)
		}
		b.ReportMetric(median(per), "req-ns/op")
		b.ReportMetric(allocs, "req-allocs/op")
		b.ReportMetric(bytes, "req-B/op")
		return
	}

	verify := func() {
		if _, err := pa.verifier.Verify(token); err != nil {
			b.Fatal(err)
		}
	}
	verify()
	reqAllocs, reqBytes := perRun(request)
	verAllocs, verBytes := perRun(verify)

	// Each pair is kept, and the figures are medians over pairs: a pair
	// that the scheduler or the collector interrupted is an outlier that
	// the median ignores and a mean would not.
	reqs := make([]float64, 0, 1<<14)
	vers := make([]float64, 0, 1<<14)
	i := 0
	for b.Loop() {
		var dv, dr time.Duration
		if i&1 == 0 {
			t0 := time.Now()
			verify()
			t1 := time.Now()
			request()
			t2 := time.Now()
			dv, dr = t1.Sub(t0), t2.Sub(t1)
		} else {
			t0 := time.Now()
			request()
			t1 := time.Now()
			verify()
			t2 := time.Now()
			dr, dv = t1.Sub(t0), t2.Sub(t1)
		}
		reqs = append(reqs, float64(dr))
		vers = append(vers, float64(dv))
		i++
	}
	if w.status != c.status {
		b.Fatalf("status %d, want %d", w.status, c.status)
	}
	deltas := make([]float64, len(reqs))
	ratios := make([]float64, len(reqs))
	for j := range reqs {
		deltas[j] = reqs[j] - vers[j]
		ratios[j] = reqs[j] / max(vers[j], 1)
	}
	b.ReportMetric(median(deltas), "delta-ns/op")
	b.ReportMetric(median(ratios), "ratio")
	b.ReportMetric(median(reqs), "req-ns/op")
	b.ReportMetric(median(vers), "verify-ns/op")
	b.ReportMetric(reqAllocs-verAllocs, "added-allocs/op")
	b.ReportMetric(reqBytes-verBytes, "added-B/op")
	b.ReportMetric(reqAllocs, "req-allocs/op")
}

// median returns the median of v, which it sorts.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// perRun returns the allocations and bytes allocated by one call of f, on
// average over 100 calls after a warm-up call, with one P as
// testing.AllocsPerRun does.
func perRun(f func()) (allocs, bytes float64) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	const runs = 100
	f()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return float64(after.Mallocs-before.Mallocs) / runs, float64(after.TotalAlloc-before.TotalAlloc) / runs
}

// BenchmarkServeAlone times the request of BenchmarkPeer alone, with no
// verification beside it, for profiles:
//
//	GOWORK=off go test -run '^$' -bench 'ServeAlone/alg=HS256/case=valid/impl=securegen$' \
//		-benchtime 20000x -cpuprofile cpu.out -memprofile mem.out -memprofilerate 1 .
func BenchmarkServeAlone(b *testing.B) {
	for _, c := range peerCases {
		for _, pa := range peerSetup(b) {
			for _, impl := range peer.Impls {
				b.Run(fmt.Sprintf("alg=%s/case=%s/impl=%s", pa.Name, c.name, impl.Name), func(b *testing.B) {
					h := pa.servers[impl.Name]
					r := httptest.NewRequest(http.MethodGet, "/items/42", nil)
					if c.scope != "" {
						token, err := pa.Token(c.scope)
						if err != nil {
							b.Fatal(err)
						}
						r.Header.Set("Authorization", "Bearer "+token)
					}
					w := newMemWriter()
					b.ReportAllocs()
					for b.Loop() {
						w.reset()
						h.ServeHTTP(w, r)
					}
					if w.status != c.status {
						b.Fatalf("status %d, want %d", w.status, c.status)
					}
				})
			}
		}
	}
}
