package validate

import (
	"regexp"
	"strconv"
)

// Pattern is a compiled schema pattern. Patterns of the common shape, an
// anchored sequence of literals and character classes with counts such
// as ^[A-Z]{3}-[0-9]{4}$, are matched by a small automaton without
// backtracking, several times faster than regexp; every other pattern is
// matched by regexp.
type Pattern struct {
	re     *regexp.Regexp
	simple []patternElem
}

type patternElem struct {
	set      [4]uint64 // the bytes the element matches, all below 0x80
	min, max int       // max < 0: unbounded
}

func (e *patternElem) has(c byte) bool { return c < 0x80 && e.set[c>>6]&(1<<(c&63)) != 0 }

// MustPattern compiles a pattern; generated code calls it at package
// initialization with patterns the generator compiled already, so it
// panics only on a securegen bug.
func MustPattern(expr string) *Pattern {
	return &Pattern{re: regexp.MustCompile(expr), simple: parseSimple(expr)}
}

// String returns the pattern's source.
func (p *Pattern) String() string { return p.re.String() }

// MatchString reports whether s matches the pattern.
func (p *Pattern) MatchString(s string) bool {
	if p.simple == nil {
		return p.re.MatchString(s)
	}
	i := 0
	for k := range p.simple {
		e := &p.simple[k]
		n := 0
		for i < len(s) && (e.max < 0 || n < e.max) && e.has(s[i]) {
			i++
			n++
		}
		if n < e.min {
			return false
		}
	}
	return i == len(s)
}

// parseSimple returns the automaton of an anchored pattern made of
// literals, escapes (\d \w and escaped punctuation) and [classes], each
// with an optional ? * + {n} {n,} {n,m}, in which an element of variable
// count never shares a byte with the element after it, so that greedy
// matching is exact. It returns nil for any other pattern.
func parseSimple(expr string) []patternElem {
	if len(expr) < 2 || expr[0] != '^' || expr[len(expr)-1] != '$' || len(expr) >= 3 && expr[len(expr)-2] == '\\' {
		return nil
	}
	s := expr[1 : len(expr)-1]
	var elems []patternElem
	for i := 0; i < len(s); {
		var e patternElem
		switch c := s[i]; {
		case c == '[':
			j, ok := parseClass(s, i+1, &e)
			if !ok {
				return nil
			}
			i = j
		case c == '\\':
			if i+1 >= len(s) || !escape(s[i+1], &e) {
				return nil
			}
			i += 2
		case c >= 0x80 || isMeta(c):
			return nil
		default:
			e.add(c)
			i++
		}
		e.min, e.max = 1, 1
		if i < len(s) {
			j, min, max, ok := parseCount(s, i)
			if !ok {
				return nil
			}
			i, e.min, e.max = j, min, max
		}
		elems = append(elems, e)
	}
	for k := 0; k+1 < len(elems); k++ {
		if elems[k].min != elems[k].max {
			for w := range elems[k].set {
				if elems[k].set[w]&elems[k+1].set[w] != 0 {
					return nil
				}
			}
		}
	}
	if len(elems) == 0 {
		return nil
	}
	return elems
}

func isMeta(c byte) bool {
	switch c {
	case '.', '*', '+', '?', '(', ')', '|', '{', '}', '^', '$', ']':
		return true
	}
	return false
}

func (e *patternElem) add(c byte) { e.set[c>>6] |= 1 << (c & 63) }

func (e *patternElem) addRange(lo, hi byte) {
	for c := int(lo); c <= int(hi); c++ {
		e.add(byte(c))
	}
}

// escape adds what \c matches; it handles \d, \w and escaped punctuation.
func escape(c byte, e *patternElem) bool {
	switch {
	case c == 'd':
		e.addRange('0', '9')
	case c == 'w':
		e.addRange('0', '9')
		e.addRange('a', 'z')
		e.addRange('A', 'Z')
		e.add('_')
	case c < 0x80 && !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'):
		e.add(c)
	default:
		return false
	}
	return true
}

// parseClass reads a [...] class starting after the '['.
func parseClass(s string, i int, e *patternElem) (int, bool) {
	if i < len(s) && s[i] == '^' {
		return 0, false
	}
	first := true
	for i < len(s) {
		c := s[i]
		if c == ']' && !first {
			return i + 1, true
		}
		first = false
		if c == '\\' {
			if i+1 >= len(s) || !escape(s[i+1], e) {
				return 0, false
			}
			i += 2
			continue
		}
		if c >= 0x80 || c == '[' {
			return 0, false
		}
		if i+2 < len(s) && s[i+1] == '-' && s[i+2] != ']' {
			hi := s[i+2]
			if hi == '\\' || hi >= 0x80 || hi < c {
				return 0, false
			}
			e.addRange(c, hi)
			i += 3
			continue
		}
		e.add(c)
		i++
	}
	return 0, false
}

// parseCount reads an optional quantifier at s[i].
func parseCount(s string, i int) (next, min, max int, ok bool) {
	switch s[i] {
	case '?':
		return i + 1, 0, 1, true
	case '*':
		return i + 1, 0, -1, true
	case '+':
		return i + 1, 1, -1, true
	case '{':
		end := i + 1
		for end < len(s) && s[end] != '}' {
			end++
		}
		if end >= len(s) {
			return 0, 0, 0, false
		}
		body := s[i+1 : end]
		lo, hi, comma := body, "", false
		for k := 0; k < len(body); k++ {
			if body[k] == ',' {
				lo, hi, comma = body[:k], body[k+1:], true
				break
			}
		}
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 || a > 1000 {
			return 0, 0, 0, false
		}
		b := a
		if comma {
			b = -1
			if hi != "" {
				if b, err = strconv.Atoi(hi); err != nil || b < a || b > 1000 {
					return 0, 0, 0, false
				}
			}
		}
		if end+1 < len(s) && (s[end+1] == '?' || s[end+1] == '+') {
			return 0, 0, 0, false
		}
		return end + 1, a, b, true
	}
	if i+1 < len(s) && s[i] != '\\' && s[i+1] == '?' {
		return i, 1, 1, true
	}
	return i, 1, 1, true
}
