package model

import (
	"go/token"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// initialisms are written in upper case inside Go names, as Go style asks.
var initialisms = map[string]bool{
	"ACL": true, "API": true, "ASCII": true, "CPU": true, "CSS": true, "DNS": true, "EOF": true,
	"GUID": true, "HTML": true, "HTTP": true, "HTTPS": true, "ID": true, "IP": true, "JSON": true,
	"JWT": true, "LHS": true, "OIDC": true, "QPS": true, "RAM": true, "RHS": true, "RPC": true,
	"SLA": true, "SMTP": true, "SQL": true, "SSH": true, "SSO": true, "TCP": true, "TLS": true,
	"TTL": true, "UDP": true, "UI": true, "UID": true, "URI": true, "URL": true, "UTF8": true,
	"UUID": true, "VM": true, "XML": true, "XMPP": true, "XSRF": true, "XSS": true,
}

// GoName turns s, a name from the spec such as "list_items", "listItems"
// or "x-api-key", into an exported Go identifier: "ListItems", "XAPIKey".
// It never returns an empty string or one that is not an identifier.
func GoName(s string) string {
	words := splitWords(s)
	var b strings.Builder
	for _, w := range words {
		up := strings.ToUpper(w)
		if initialisms[up] {
			b.WriteString(up)
			continue
		}
		r, size := utf8.DecodeRuneInString(w)
		b.WriteRune(unicode.ToUpper(r))
		b.WriteString(w[size:])
	}
	name := b.String()
	if name == "" {
		return "X"
	}
	if r, _ := utf8.DecodeRuneInString(name); !unicode.IsLetter(r) {
		name = "N" + name
	}
	return name
}

// lowerName is GoName with its first word in lower case, for unexported
// identifiers.
func lowerName(s string) string {
	n := GoName(s)
	// Lower the leading run of capitals, keeping the start of the next word:
	// "HTTPServer" becomes "httpServer", "ID" becomes "id".
	runes := []rune(n)
	i := 0
	for i < len(runes) && unicode.IsUpper(runes[i]) {
		i++
	}
	switch {
	case i == 0:
	case i == 1 || i == len(runes):
		for j := 0; j < i; j++ {
			runes[j] = unicode.ToLower(runes[j])
		}
	default:
		for j := 0; j < i-1; j++ {
			runes[j] = unicode.ToLower(runes[j])
		}
	}
	out := string(runes)
	if token.IsKeyword(out) || !token.IsIdentifier(out) {
		out += "_"
	}
	return out
}

// splitWords splits s at every character that cannot be in an identifier
// and at lower-to-upper case changes.
func splitWords(s string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, string(cur))
			cur = cur[:0]
		}
	}
	runes := []rune(s)
	for i, r := range runes {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush()
			continue
		}
		if i > 0 && unicode.IsUpper(r) && len(cur) > 0 {
			prev := runes[i-1]
			nextLower := i+1 < len(runes) && unicode.IsLower(runes[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				flush()
			}
		}
		if r > unicode.MaxASCII {
			// Keep identifiers ASCII so that every tool and terminal reads
			// them: spell the rune's code point.
			flush()
			words = append(words, "U"+strconv.FormatInt(int64(r), 16))
			continue
		}
		cur = append(cur, r)
	}
	flush()
	return words
}

// Namespace hands out unique Go identifiers. When a name is taken, the
// next candidate adds a numeric suffix, so the outcome depends only on the
// order of requests, which callers keep sorted.
type Namespace struct {
	taken map[string]bool
}

// Reserve marks names as taken without handing them out.
func (ns *Namespace) Reserve(names ...string) {
	if ns.taken == nil {
		ns.taken = make(map[string]bool)
	}
	for _, n := range names {
		ns.taken[n] = true
	}
}

// Taken reports whether name was handed out or reserved.
func (ns *Namespace) Taken(name string) bool { return ns.taken[name] }

// Unique returns name, or name with the smallest suffix that is free, and
// marks it taken.
func (ns *Namespace) Unique(name string) string {
	if ns.taken == nil {
		ns.taken = make(map[string]bool)
	}
	if !ns.taken[name] {
		ns.taken[name] = true
		return name
	}
	for i := 2; ; i++ {
		c := name + strconv.Itoa(i)
		if !ns.taken[c] {
			ns.taken[c] = true
			return c
		}
	}
}
