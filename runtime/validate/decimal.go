package validate

import (
	"encoding/json"
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// decimal is a JSON number as sign × digits × 10^exp, with digits free of
// leading and trailing zeros ("" for zero). It is read from the literal's
// text in one pass, so that exact arithmetic on it costs time linear in
// the literal, whatever its exponent says.
type decimal struct {
	neg    bool
	digits string
	exp    int64
}

// expLimit saturates exponents: beyond it, every comparison this file
// makes has the same answer as with the true exponent.
const expLimit = 1 << 40

// parseDecimal reads a JSON number literal (or a float formatted by
// strconv); ok is false for anything else.
func parseDecimal(s string) (d decimal, ok bool) {
	if strings.HasPrefix(s, "-") {
		d.neg, s = true, s[1:]
	}
	mant, expText, hasExp := strings.Cut(s, "e")
	if !hasExp {
		mant, expText, hasExp = strings.Cut(s, "E")
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	if intPart == "" || !allDigits(intPart) || !allDigits(frac) {
		return d, false
	}
	if hasExp {
		e, ok := saturatedInt(expText)
		if !ok {
			return d, false
		}
		d.exp = e
	}
	digits := strings.TrimLeft(intPart+frac, "0")
	d.exp -= int64(len(frac))
	trimmed := strings.TrimRight(digits, "0")
	d.exp += int64(len(digits) - len(trimmed))
	d.digits = trimmed
	if d.digits == "" {
		d.neg, d.exp = false, 0
	}
	d.exp = max(-expLimit, min(expLimit, d.exp))
	return d, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// saturatedInt parses an optionally signed decimal integer, clamping its
// value to ±expLimit.
func saturatedInt(s string) (int64, bool) {
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	if s == "" || !allDigits(s) {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		n = n*10 + int64(s[i]-'0')
		if n > expLimit {
			n = expLimit
			break
		}
	}
	if neg {
		n = -n
	}
	return n, true
}

// multipleOf reports whether the number written text is an integer
// multiple of m > 0, exactly, in time linear in len(text).
//
// With a = A×10^ea and m = M×10^em (A, M without trailing zeros), a/m is
// an integer iff k = ea−em ≥ 0 (otherwise a's last digit would have to
// be divisible by 10) and M divides A×10^k. Only the factors 2 and 5 of
// M care about the 10^k, and M has fewer of each than bits, so k can be
// capped at M's bit length without changing the answer.
func multipleOf(text string, m float64) bool {
	a, ok1 := parseDecimal(text)
	b, ok2 := parseDecimal(strconv.FormatFloat(m, 'g', -1, 64))
	if !ok1 || !ok2 || b.digits == "" {
		return true
	}
	if a.digits == "" {
		return true
	}
	k := a.exp - b.exp
	if k < 0 {
		return false
	}
	if len(b.digits) <= 18 {
		mod, _ := strconv.ParseUint(b.digits, 10, 64)
		var r uint64
		for i := 0; i < len(a.digits); i++ {
			// r < mod < 10^18, so r*10+9 < 2^64.
			r = (r*10 + uint64(a.digits[i]-'0')) % mod
		}
		for i := int64(0); i < min(k, 64) && r != 0; i++ {
			r = r * 10 % mod
		}
		return r == 0
	}
	mod, _ := new(big.Int).SetString(b.digits, 10)
	x, _ := new(big.Int).SetString(a.digits, 10)
	k = min(k, int64(mod.BitLen()))
	x.Mul(x, new(big.Int).Exp(big.NewInt(10), big.NewInt(k), nil))
	return x.Mod(x, mod).Sign() == 0
}

// canonical appends a text to b that two JSON values share exactly when
// JSON Schema calls them equal: numbers by value (1, 1.0 and 10e-1 are
// one number), objects whatever their member order. Its cost is linear
// in the value's size, apart from sorting each object's names.
func canonical(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("n")
	case bool:
		if x {
			b.WriteString("t")
		} else {
			b.WriteString("f")
		}
	case string:
		b.WriteString(strconv.Quote(x))
	case json.Number:
		d, ok := parseDecimal(string(x))
		if !ok {
			b.WriteString("?" + string(x))
			return
		}
		if d.neg {
			b.WriteByte('-')
		}
		b.WriteString(d.digits)
		b.WriteByte('e')
		b.WriteString(strconv.FormatInt(d.exp, 10))
	case float64:
		canonical(b, json.Number(strconv.FormatFloat(x, 'g', -1, 64)))
	case []any:
		b.WriteByte('[')
		for _, y := range x {
			canonical(b, y)
			b.WriteByte(',')
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for _, k := range keys {
			b.WriteString(strconv.Quote(k))
			b.WriteByte(':')
			canonical(b, x[k])
			b.WriteByte(',')
		}
		b.WriteByte('}')
	default:
		b.WriteString("?")
	}
}

// uniqueValues reports the first item of a that repeats an earlier one,
// comparing canonical texts through a map: linear time, not pairwise.
func uniqueValues(r *Report, p *Path, a []any) {
	first := make(map[string]int, len(a))
	var b strings.Builder
	for i, x := range a {
		b.Reset()
		canonical(&b, x)
		k := b.String()
		if j, ok := first[k]; ok {
			q := p.Index(i)
			r.Add(&q, "uniqueItems", "item %d repeats item %d", i, j)
			return
		}
		first[k] = i
	}
}
