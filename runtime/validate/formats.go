package validate

import (
	"encoding/base64"
	"errors"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// builtinFormats are the formats checked without registration.
var builtinFormats = map[string]Format{
	"date-time": func(s string) error { _, err := time.Parse(time.RFC3339Nano, s); return err },
	"date":      func(s string) error { _, err := time.Parse(time.DateOnly, s); return err },
	"uuid":      checkUUID,
	"email":     checkEmail,
	"uri": func(s string) error {
		u, err := url.Parse(s)
		if err == nil && u.Scheme == "" {
			return errors.New("not absolute")
		}
		return err
	},
	"ipv4": func(s string) error {
		a, err := netip.ParseAddr(s)
		if err == nil && !a.Is4() {
			return errors.New("not IPv4")
		}
		return err
	},
	"ipv6": func(s string) error {
		a, err := netip.ParseAddr(s)
		if err == nil && !a.Is6() {
			return errors.New("not IPv6")
		}
		return err
	},
	"hostname": checkHostname,
	"byte":     func(s string) error { _, err := base64.StdEncoding.DecodeString(s); return err },
}

func (r *Report) checkFormat(name, s string) error {
	if f := r.Formats[name]; f != nil {
		return f(s)
	}
	if f := builtinFormats[name]; f != nil {
		return f(s)
	}
	// A format neither built in nor registered is an annotation only.
	return nil
}

func checkUUID(s string) error {
	if len(s) != 36 {
		return errors.New("wrong length")
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return errors.New("misplaced hyphen")
			}
			continue
		}
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return errors.New("not hexadecimal")
		}
	}
	return nil
}

func checkHostname(s string) error {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return errors.New("wrong length")
	}
	for rest := s; rest != ""; {
		label, tail, more := strings.Cut(rest, ".")
		rest = tail
		if label == "" || more && tail == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return errors.New("bad label")
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return errors.New("bad character")
			}
		}
	}
	return nil
}

var (
	errEmailAt     = errors.New("want exactly one @ between a local part and a domain")
	errEmailLocal  = errors.New("invalid local part")
	errEmailDomain = errors.New("invalid domain")
)

// checkEmail accepts the addr-spec of RFC 5322 in its common dot-atom
// form, local@domain, without allocating: no comments, quoted local
// parts or address literals, which requests rarely mean.
func checkEmail(s string) error {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.IndexByte(s, '@') != at || len(s) > 254 {
		return errEmailAt
	}
	local, domain := s[:at], s[at+1:]
	if len(local) > 64 || local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return errEmailLocal
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(".!#$%&'*+/=?^_`{|}~-", c) >= 0 {
			continue
		}
		return errEmailLocal
	}
	if checkHostname(domain) != nil || !strings.Contains(domain, ".") {
		return errEmailDomain
	}
	return nil
}
