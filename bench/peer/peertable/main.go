// Command peertable turns the output of BenchmarkPeer into the Markdown
// tables of the README: per server, the median over rounds of the paired
// delta per call for each algorithm, the allocations and bytes added to
// the verifier's, and the cost of a request without a token.
//
//	GOWORK=off go test -run '^$' -bench Peer -count 1 . -peer.rounds 6 | tee peer.txt
//	GOWORK=off go run ./peer/peertable peer.txt
package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

var algs = []string{"HS256", "RS256", "ES256", "EdDSA"}

// key is one configuration of BenchmarkPeer, rounds merged.
type key struct{ alg, kase, impl string }

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "peertable:", err)
		os.Exit(1)
	}
}

func run(files []string, out io.Writer) error {
	samples := make(map[key]map[string][]float64)
	var impls []string
	read := func(r io.Reader) error {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			k, metrics, ok := parse(sc.Text())
			if !ok {
				continue
			}
			if !slices.Contains(impls, k.impl) {
				impls = append(impls, k.impl)
			}
			m := samples[k]
			if m == nil {
				m = make(map[string][]float64)
				samples[k] = m
			}
			for unit, v := range metrics {
				m[unit] = append(m[unit], v)
			}
		}
		return sc.Err()
	}
	if len(files) == 0 {
		if err := read(os.Stdin); err != nil {
			return err
		}
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		err = read(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if len(samples) == 0 {
		return fmt.Errorf("no BenchmarkPeer results")
	}
	// Canonical order: hand-written first, as the benchmark lists them.
	slices.SortStableFunc(impls, func(a, b string) int { return order(a) - order(b) })

	med := func(k key, unit string) (float64, int) {
		v := slices.Clone(samples[k][unit])
		if len(v) == 0 {
			return math.NaN(), 0
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2], len(v)
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2, len(v)
	}
	rounds := 0
	geo := make(map[string]float64)

	for _, kase := range []string{"valid", "wrongscope"} {
		if kase == "valid" {
			fmt.Fprintln(out, "**Valid token** (GET /items/42 answered 200): time and allocations added per request on top of the verifier, median over rounds")
		} else {
			fmt.Fprintln(out, "\n**Wrong scope** (answered 403 with an insufficient_scope challenge): the same figures")
		}
		fmt.Fprintln(out)
		fmt.Fprint(out, "| server |")
		for _, a := range algs {
			fmt.Fprintf(out, " %s |", a)
		}
		fmt.Fprint(out, " geomean | allocations added | bytes added |")
		if kase == "valid" {
			fmt.Fprint(out, " no token at all |")
		}
		fmt.Fprintln(out)
		fmt.Fprint(out, "|---|")
		for range algs {
			fmt.Fprint(out, "---|")
		}
		fmt.Fprint(out, "---|---|---|")
		if kase == "valid" {
			fmt.Fprint(out, "---|")
		}
		fmt.Fprintln(out)
		for _, impl := range impls {
			fmt.Fprintf(out, "| %s |", impl)
			logSum, n := 0.0, 0
			var allocs, bytes []float64
			for _, a := range algs {
				k := key{a, kase, impl}
				d, cnt := med(k, "delta-ns/op")
				rounds = max(rounds, cnt)
				fmt.Fprintf(out, " %s |", micro(d, true))
				if d > 0 {
					logSum += math.Log(d)
					n++
				} else {
					n = -len(algs) // a delta that is not positive has no geomean
				}
				if v, _ := med(k, "added-allocs/op"); !math.IsNaN(v) {
					allocs = append(allocs, v)
				}
				if v, _ := med(k, "added-B/op"); !math.IsNaN(v) {
					bytes = append(bytes, v)
				}
			}
			g := math.NaN()
			if n == len(algs) {
				g = math.Exp(logSum / float64(n))
			}
			if kase == "valid" {
				geo[impl] = g
			}
			fmt.Fprintf(out, " %s | %s | %s |", micro(g, false), span(allocs, "%+.0f"), span(bytes, "%+.0f B"))
			if kase == "valid" {
				k := key{"none", "notoken", impl}
				ns, _ := med(k, "req-ns/op")
				a, _ := med(k, "req-allocs/op")
				fmt.Fprintf(out, " %s, %.0f allocations |", micro(ns, false), a)
			}
			fmt.Fprintln(out)
		}
	}
	fmt.Fprintf(out, "\nMedians of %d rounds. **Geomean of the paired delta (valid token):**", rounds)
	for i, impl := range impls {
		if i > 0 {
			fmt.Fprint(out, ",")
		}
		fmt.Fprintf(out, " %s %s", impl, micro(geo[impl], false))
	}
	fmt.Fprintln(out, ".")
	if sg, ok := geo["securegen"]; ok {
		for _, other := range []string{"handwritten", "ogen-nootel"} {
			if o, ok := geo[other]; ok && o > 0 && sg > 0 {
				fmt.Fprintf(out, "securegen / %s: %.2f×.\n", other, sg/o)
			}
		}
	}
	return nil
}

func order(impl string) int {
	for i, s := range []string{"handwritten", "ogen-nootel", "ogen-noop", "ogen", "oapi-codegen", "securegen", "securegen-jwt", "securegen-jwt-cache"} {
		if s == impl {
			return i
		}
	}
	return 100
}

// parse reads one result line of BenchmarkPeer.
func parse(line string) (key, map[string]float64, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || !strings.HasPrefix(f[0], "BenchmarkPeer/") {
		return key{}, nil, false
	}
	var k key
	for _, part := range strings.Split(strings.TrimPrefix(f[0], "BenchmarkPeer/"), "/") {
		name, value, _ := strings.Cut(part, "=")
		if i := strings.LastIndexByte(value, '-'); i >= 0 && name == "round" {
			value = value[:i] // the -GOMAXPROCS suffix
		}
		switch name {
		case "alg":
			k.alg = value
		case "case":
			k.kase = value
		case "impl":
			k.impl = value
		}
	}
	metrics := make(map[string]float64)
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return key{}, nil, false
		}
		metrics[f[i+1]] = v
	}
	return k, metrics, k.impl != ""
}

// micro formats nanoseconds as microseconds, with a sign when signed.
func micro(ns float64, signed bool) string {
	if math.IsNaN(ns) {
		return "n/a"
	}
	if signed {
		return fmt.Sprintf("%+.2f µs", ns/1000)
	}
	return fmt.Sprintf("%.2f µs", ns/1000)
}

// span formats the values, one when they agree, else their range.
func span(v []float64, format string) string {
	if len(v) == 0 {
		return "n/a"
	}
	lo, hi := fmt.Sprintf(format, slices.Min(v)), fmt.Sprintf(format, slices.Max(v))
	if lo == hi {
		return lo
	}
	return lo + " to " + strings.TrimPrefix(hi, "+")
}
