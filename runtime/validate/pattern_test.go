package validate

import (
	"regexp"
	"testing"
)

func TestSimplePatternsUseTheAutomaton(t *testing.T) {
	for _, p := range []string{`^[A-Z]{3}-[0-9]{4}$`, `^ORD-[0-9]{6}$`, `^\+[0-9]{7,15}$`, `^[a-f0-9]{8}$`, `^\d+$`, `^[a-z]+-[0-9]*$`} {
		if parseSimple(p) == nil {
			t.Errorf("%s: not simple", p)
		}
	}
	for _, p := range []string{`[a-z]+`, `^[a-z]*[a-z0-9]$`, `^(a|b)$`, `^.+$`, `^[^a]$`, `^a{2,}?$`, `^é$`} {
		if parseSimple(p) != nil {
			t.Errorf("%s: taken as simple", p)
		}
	}
}

// FuzzPattern checks the automaton against regexp on every pattern it
// accepts as simple.
func FuzzPattern(f *testing.F) {
	f.Add(`^[A-Z]{3}-[0-9]{4}$`, "ABC-1234")
	f.Add(`^\+[0-9]{7,15}$`, "+4915112345678")
	f.Add(`^[a-z]+-[0-9]*$`, "abc-")
	f.Add(`^a?b{2,3}c*$`, "bbbcc")
	f.Add(`^[\d\-]{2}x$`, "1-x")
	f.Fuzz(func(t *testing.T, expr, s string) {
		re, err := regexp.Compile(expr)
		if err != nil {
			return
		}
		simple := parseSimple(expr)
		if simple == nil {
			return
		}
		p := &Pattern{re: re, simple: simple}
		if got, want := p.MatchString(s), re.MatchString(s); got != want {
			t.Fatalf("pattern %q on %q: automaton %v, regexp %v", expr, s, got, want)
		}
	})
}
