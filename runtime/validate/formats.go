package validate

import (
	"encoding/base64"
	"errors"
	"net/mail"
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
	"email": func(s string) error {
		a, err := mail.ParseAddress(s)
		if err == nil && a.Address != s {
			return errors.New("not a bare address")
		}
		return err
	},
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
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
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
