package udiff

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func TestUnified(t *testing.T) {
	tests := []struct {
		name, a, b, want string
	}{
		{"equal", "x\ny\n", "x\ny\n", ""},
		{"one line changed in the middle",
			"1\n2\n3\n4\n5\n6\n7\n8\n9\n",
			"1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
			"--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"},
		{"missing file", "", "x\ny\n", "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n"},
		{"removed file", "x\n", "", "--- a\n+++ b\n@@ -1 +0,0 @@\n-x\n"},
		{"insertion at the top", "a\nb\n", "new\na\nb\n", "--- a\n+++ b\n@@ -1,2 +1,3 @@\n+new\n a\n b\n"},
		{"no newline at the end", "x\ny", "x\ny\n",
			"--- a\n+++ b\n@@ -1,2 +1,2 @@\n x\n-y\n\\ No newline at end of file\n+y\n"},
		{"two hunks",
			"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n",
			"one\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\ntwelve\n",
			"--- a\n+++ b\n@@ -1,4 +1,4 @@\n-1\n+one\n 2\n 3\n 4\n@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n+twelve\n"},
		{"changes six lines apart share a hunk",
			"1\n2\n3\n4\n5\n6\n7\n8\n",
			"one\n2\n3\n4\n5\n6\n7\neight\n",
			"--- a\n+++ b\n@@ -1,8 +1,8 @@\n-1\n+one\n 2\n 3\n 4\n 5\n 6\n 7\n-8\n+eight\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Unified("a", "b", []byte(tt.a), []byte(tt.b)); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestApplyRoundTrip applies diffs of random files to their first file
// and checks that it gives the second, and that the edit script is
// shortest (an LCS computed by dynamic programming says how short).
func TestApplyRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	random := func() string {
		var b strings.Builder
		for range r.IntN(30) {
			b.WriteString(strconv.Itoa(r.IntN(5)) + "\n")
		}
		return b.String()
	}
	for i := range 2000 {
		a, b := random(), random()
		d := Unified("a", "b", []byte(a), []byte(b))
		got, err := apply(a, d)
		if err != nil {
			t.Fatalf("case %d: %v\na=%q\nb=%q\n%s", i, err, a, b, d)
		}
		if got != b {
			t.Fatalf("case %d: applying the diff gives %q, want %q\n%s", i, got, b, d)
		}
		al, bl := splitLines([]byte(a)), splitLines([]byte(b))
		edits := 0
		for _, o := range script(al, bl) {
			if o.kind != ' ' {
				edits++
			}
		}
		if want := len(al) + len(bl) - 2*lcs(al, bl); edits != want {
			t.Fatalf("case %d: %d edits, shortest is %d", i, edits, want)
		}
	}
}

// TestLargeDistanceStaysCorrect checks the fallback past maxEdits.
func TestLargeDistanceStaysCorrect(t *testing.T) {
	var a, b strings.Builder
	for i := range 3 * maxEdits {
		fmt.Fprintf(&a, "a%d\n", i)
		fmt.Fprintf(&b, "b%d\n", i)
		if i%100 == 0 {
			a.WriteString("same\n")
			b.WriteString("same\n")
		}
	}
	d := Unified("a", "b", []byte(a.String()), []byte(b.String()))
	got, err := apply(a.String(), d)
	if err != nil || got != b.String() {
		t.Fatalf("err %v; applying the diff does not give b", err)
	}
}

func lcs(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

// apply applies a unified diff to a, checking every header and kept line.
func apply(a, diff string) (string, error) {
	if diff == "" {
		return a, nil
	}
	src := splitLines([]byte(a))
	lines := strings.Split(strings.TrimSuffix(diff, "\n"), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "--- ") || !strings.HasPrefix(lines[1], "+++ ") {
		return "", fmt.Errorf("bad headers")
	}
	var out []string
	next := 0 // next line of src to copy
	for p := 2; p < len(lines); {
		var as, ac, bs, bc int
		h := lines[p]
		if _, err := fmt.Sscanf(h, "@@ -%s +%s @@", new(string), new(string)); err != nil {
			return "", fmt.Errorf("bad hunk header %q", h)
		}
		f := strings.Fields(h)
		as, ac = parseRange(f[1][1:])
		bs, bc = parseRange(f[2][1:])
		_ = bs
		start := as - 1
		if ac == 0 {
			start = as
		}
		if start < next {
			return "", fmt.Errorf("hunk %q overlaps", h)
		}
		out = append(out, src[next:start]...)
		next = start
		p++
		na, nb := 0, 0
		for p < len(lines) && !strings.HasPrefix(lines[p], "@@") {
			l := lines[p]
			text := l[1:] + "\n"
			if p+1 < len(lines) && lines[p+1] == `\ No newline at end of file` {
				text = l[1:]
			}
			switch l[0] {
			case ' ', '-':
				if next >= len(src) || src[next] != text {
					return "", fmt.Errorf("line %d: %q does not match %q", next+1, text, src[min(next, len(src)-1)])
				}
				next++
				na++
				if l[0] == ' ' {
					out = append(out, text)
					nb++
				}
			case '+':
				out = append(out, text)
				nb++
			case '\\':
			default:
				return "", fmt.Errorf("bad line %q", l)
			}
			p++
		}
		if na != ac || nb != bc {
			return "", fmt.Errorf("hunk %q has %d and %d lines", h, na, nb)
		}
	}
	out = append(out, src[next:]...)
	return strings.Join(out, ""), nil
}

func parseRange(s string) (start, count int) {
	count = 1
	if i := strings.IndexByte(s, ','); i >= 0 {
		count, _ = strconv.Atoi(s[i+1:])
		s = s[:i]
	}
	start, _ = strconv.Atoi(s)
	return start, count
}
