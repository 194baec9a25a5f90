// Package udiff writes line diffs in the unified format of diff -u and
// git diff: ---/+++ headers, then @@ hunks with lines of context.
//
// The edit script is Myers' greedy O((N+M)D) algorithm over the lines
// that remain once the common head and tail are set aside. When the
// files differ in more than maxEdits lines there, it stops looking for a
// shortest script and replaces the whole differing middle: the diff stays
// correct, only longer than it could be, and time and memory stay
// bounded on files of a hundred thousand lines.
package udiff

import (
	"fmt"
	"strings"
)

// Context is the number of unchanged lines shown around each change, as
// diff -u shows them.
const Context = 3

// maxEdits bounds the edit distance searched for: Myers keeps one
// frontier per distance, O(maxEdits²) integers in all.
const maxEdits = 2000

// op is one line of an edit script.
type op struct {
	kind byte // ' ' kept, '-' deleted from a, '+' inserted from b
	a, b int  // index of the line in a (for ' ' and '-') and b (for ' ' and '+')
}

// Unified returns the unified diff that turns a into b, with headers
// naming them aName and bName (such as "/dev/null" for a file that does
// not exist), and Context lines of context. It returns "" when a and b
// are equal.
func Unified(aName, bName string, a, b []byte) string {
	if string(a) == string(b) {
		return ""
	}
	al, bl := splitLines(a), splitLines(b)
	ops := script(al, bl)
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ %s\n", aName, bName)
	for _, h := range hunks(ops) {
		writeHunk(&sb, ops[h[0]:h[1]], al, bl)
	}
	return sb.String()
}

// splitLines splits s after each newline; a last line without one is kept
// as it is, so that it can be marked.
func splitLines(s []byte) []string {
	if len(s) == 0 {
		return nil
	}
	lines := strings.SplitAfter(string(s), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// script returns an edit script turning a into b: lines kept, deleted and
// inserted, in order, deletions before insertions within a change.
func script(a, b []string) []op {
	// Lines as numbers, so that comparisons are cheap.
	ids := map[string]int{}
	intern := func(lines []string) []int {
		out := make([]int, len(lines))
		for i, l := range lines {
			id, ok := ids[l]
			if !ok {
				id = len(ids)
				ids[l] = id
			}
			out[i] = id
		}
		return out
	}
	x, y := intern(a), intern(b)

	head := 0
	for head < len(x) && head < len(y) && x[head] == y[head] {
		head++
	}
	tail := 0
	for tail < len(x)-head && tail < len(y)-head && x[len(x)-1-tail] == y[len(y)-1-tail] {
		tail++
	}
	ops := make([]op, 0, len(x)+len(y))
	for i := 0; i < head; i++ {
		ops = append(ops, op{' ', i, i})
	}
	ops = append(ops, middle(x[head:len(x)-tail], y[head:len(y)-tail], head, head)...)
	for i := 0; i < tail; i++ {
		ops = append(ops, op{' ', len(x) - tail + i, len(y) - tail + i})
	}
	return ops
}

// middle returns the edit script of x into y, whose first lines are lines
// ao of a and bo of b.
func middle(x, y []int, ao, bo int) []op {
	n, m := len(x), len(y)
	if n == 0 || m == 0 || !withinEdits(x, y) {
		return replace(n, m, ao, bo)
	}
	trace, ok := myers(x, y)
	if !ok {
		return replace(n, m, ao, bo)
	}
	// Walk back from (n, m) to (0, 0): at each distance d, the diagonal
	// run that ended the step, then the one edit that began it.
	var rev []op
	i, j := n, m
	for d := len(trace) - 1; d > 0; d-- {
		k := i - j
		prev := trace[d-1] // diagonals -(d-1)..d-1
		pk := k - 1        // came right: a deletion
		if down(prev, d, k) {
			pk = k + 1 // came down: an insertion
		}
		pi := int(prev[pk+d-1])
		pj := pi - pk
		si, sj := pi+1, pj
		if pk == k+1 {
			si, sj = pi, pj+1
		}
		for i > si && j > sj {
			i--
			j--
			rev = append(rev, op{' ', ao + i, bo + j})
		}
		if pk == k+1 {
			rev = append(rev, op{'+', ao + pi, bo + pj})
		} else {
			rev = append(rev, op{'-', ao + pi, bo + pj})
		}
		i, j = pi, pj
	}
	for i > 0 && j > 0 {
		i--
		j--
		rev = append(rev, op{' ', ao + i, bo + j})
	}
	out := make([]op, len(rev))
	for p, o := range rev {
		out[len(rev)-1-p] = o
	}
	return orderChanges(out)
}

// down reports whether the furthest path of distance d on diagonal k
// comes from diagonal k+1 (an insertion) rather than k-1 (a deletion),
// given prev, the frontier of distance d-1.
func down(prev []int32, d, k int) bool {
	return k == -d || k != d && prev[k-1+d-1] < prev[k+1+d-1]
}

// withinEdits is a cheap test that the edit distance may be at most
// maxEdits: the lines of one side that the other lacks must all be
// edited, so more of them than maxEdits rule it out.
func withinEdits(x, y []int) bool {
	count := map[int]int{}
	for _, v := range x {
		count[v]++
	}
	for _, v := range y {
		count[v]--
	}
	need := 0
	for _, c := range count {
		need += max(c, -c)
	}
	return need <= maxEdits
}

// myers runs the greedy forward search and returns, for every distance d
// up to the shortest edit script's, the furthest x reached on each
// diagonal -d..d after d edits (stored at index k+d). ok is false when
// the distance exceeds maxEdits.
func myers(x, y []int) (trace [][]int32, ok bool) {
	n, m := len(x), len(y)
	var prev []int32
	for d := 0; d <= min(n+m, maxEdits); d++ {
		v := make([]int32, 2*d+1)
		for k := -d; k <= d; k += 2 {
			var i int
			switch {
			case d == 0:
				i = 0
			case down(prev, d, k):
				i = int(prev[k+1+d-1])
			default:
				i = int(prev[k-1+d-1]) + 1
			}
			j := i - k
			for i < n && j < m && x[i] == y[j] {
				i++
				j++
			}
			v[k+d] = int32(i)
			if i >= n && j >= m {
				return append(trace, v), true
			}
		}
		trace = append(trace, v)
		prev = v
	}
	return nil, false
}

// replace is the script that deletes n lines and inserts m.
func replace(n, m, ao, bo int) []op {
	ops := make([]op, 0, n+m)
	for i := 0; i < n; i++ {
		ops = append(ops, op{'-', ao + i, bo})
	}
	for j := 0; j < m; j++ {
		ops = append(ops, op{'+', ao + n, bo + j})
	}
	return ops
}

// orderChanges puts the deletions of each run of changes before its
// insertions, as diff -u prints them.
func orderChanges(ops []op) []op {
	out := make([]op, 0, len(ops))
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			out = append(out, ops[i])
			i++
			continue
		}
		j := i
		for j < len(ops) && ops[j].kind != ' ' {
			j++
		}
		for _, o := range ops[i:j] {
			if o.kind == '-' {
				out = append(out, o)
			}
		}
		for _, o := range ops[i:j] {
			if o.kind == '+' {
				out = append(out, o)
			}
		}
		i = j
	}
	return out
}

// hunks returns the [start, end) ranges of ops that make hunks: each
// change with up to Context kept lines around it, changes closer than
// 2*Context kept lines sharing a hunk.
func hunks(ops []op) [][2]int {
	var out [][2]int
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(i-Context, 0)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			// A run of kept lines: end the hunk if it is long enough
			// to separate two hunks, or reaches the end.
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*Context {
				end = min(end+Context, len(ops))
				break
			}
			end = run
		}
		out = append(out, [2]int{start, end})
		i = end
	}
	return out
}

// writeHunk writes one hunk: its @@ header and its lines.
func writeHunk(sb *strings.Builder, ops []op, a, b []string) {
	aStart, bStart := -1, -1
	aCount, bCount := 0, 0
	for _, o := range ops {
		if o.kind != '+' {
			if aStart < 0 {
				aStart = o.a
			}
			aCount++
		}
		if o.kind != '-' {
			if bStart < 0 {
				bStart = o.b
			}
			bCount++
		}
	}
	// A hunk with no lines of one side starts, on that side, after the
	// line before it.
	if aStart < 0 {
		aStart = ops[0].a
	}
	if bStart < 0 {
		bStart = ops[0].b
	}
	fmt.Fprintf(sb, "@@ -%s +%s @@\n", rangeString(aStart, aCount), rangeString(bStart, bCount))
	for _, o := range ops {
		line := ""
		switch o.kind {
		case '+':
			line = b[o.b]
		default:
			line = a[o.a]
		}
		sb.WriteByte(o.kind)
		sb.WriteString(line)
		if !strings.HasSuffix(line, "\n") {
			sb.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

// rangeString renders a hunk's range as diff -u does: "start,count",
// 1-based, with ",count" left out when it is 1, and start the line before
// the hunk when count is 0.
func rangeString(start, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, count)
}
