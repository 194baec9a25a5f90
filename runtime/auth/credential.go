package auth

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// errMalformed reports a credential that was presented but cannot be read,
// such as "Bearer" with no token or Basic credentials that are not base64.
// It counts as presented and invalid: it is never taken for "absent".
var errMalformed = errors.New("malformed credential")

// request carries what Extract needs from one request, so that a query
// string is parsed at most once however many schemes read it.
type request struct {
	r        *http.Request
	query    url.Values
	queryErr error
}

// queryValues returns the values of the query parameter name. A query
// that does not parse in full (a bad escape, a semicolon separator, more
// parameters than net/url accepts) may hide a value of name that the
// parser skipped, so it is reported as an error rather than as "absent".
func (rq *request) queryValues(name string) ([]string, error) {
	if rq.query == nil {
		q, err := url.ParseQuery(rq.r.URL.RawQuery)
		if q == nil {
			q = url.Values{}
		}
		rq.query, rq.queryErr = q, err
	}
	if rq.queryErr != nil {
		return nil, errMalformed
	}
	return rq.query[name], nil
}

// Extract reads the credential for scheme s from the place s declares and
// nowhere else. It reports whether a credential was presented; a presented
// credential that cannot be parsed is returned with a non-nil error.
func Extract(r *http.Request, s *Scheme) (Credential, bool, error) {
	rq := request{r: r}
	return rq.extract(s)
}

func (rq *request) extract(s *Scheme) (Credential, bool, error) {
	c := Credential{Scheme: s.Name}
	switch s.Type {
	case HTTPBearer, OAuth2, OpenIDConnect:
		token, ok, err := authorization(rq.r.Header, "Bearer")
		if !ok {
			return c, false, nil
		}
		if err == nil && !isToken68(token) {
			err = errMalformed
		}
		c.Token = token
		return c, true, err
	case HTTPBasic:
		payload, ok, err := authorization(rq.r.Header, "Basic")
		if !ok {
			return c, false, nil
		}
		if err != nil {
			return c, true, err
		}
		raw, err := base64.StdEncoding.DecodeString(payload)
		if err != nil {
			return c, true, errMalformed
		}
		user, pass, found := strings.Cut(string(raw), ":")
		if !found {
			return c, true, errMalformed
		}
		c.Username, c.Password = user, pass
		return c, true, nil
	case APIKeyAuth:
		v, ok, err := rq.apiKey(s)
		if !ok {
			return c, false, nil
		}
		c.Token = v
		if err == nil && v == "" {
			err = errMalformed
		}
		return c, true, err
	case MutualTLS:
		// Only a chain the TLS stack verified counts; PeerCertificates
		// alone prove nothing.
		if rq.r.TLS == nil || len(rq.r.TLS.VerifiedChains) == 0 || len(rq.r.TLS.VerifiedChains[0]) == 0 {
			return c, false, nil
		}
		c.Certificates = rq.r.TLS.VerifiedChains[0]
		return c, true, nil
	}
	return c, false, nil
}

// apiKey returns the key that s's header, query parameter or cookie
// carries. It reports a key as presented as soon as its name appears,
// and as malformed when the name appears more than once: of two values
// one may have been checked and the other acted upon, so neither is
// used, and the request is never taken for one that presented nothing.
func (rq *request) apiKey(s *Scheme) (string, bool, error) {
	switch s.In {
	case InHeader:
		vs := rq.r.Header.Values(s.KeyName)
		switch len(vs) {
		case 0:
			return "", false, nil
		case 1:
			return vs[0], true, nil
		}
		return "", true, errMalformed
	case InQuery:
		vs, err := rq.queryValues(s.KeyName)
		switch {
		case err != nil:
			return "", true, err
		case len(vs) == 0:
			return "", false, nil
		case len(vs) > 1:
			return "", true, errMalformed
		}
		return vs[0], true, nil
	case InCookie:
		switch cookieCount(rq.r.Header, s.KeyName) {
		case 0:
			return "", false, nil
		case 1:
		default:
			return "", true, errMalformed
		}
		// net/http drops a cookie whose value it cannot parse; one that
		// is named but not returned is malformed, not absent.
		cs := rq.r.CookiesNamed(s.KeyName)
		if len(cs) != 1 {
			return "", true, errMalformed
		}
		return cs[0].Value, true, nil
	}
	return "", false, nil
}

// cookieCount returns how many cookies named name the Cookie header lines
// of h carry, whatever their values, splitting them as net/http does.
func cookieCount(h http.Header, name string) int {
	n := 0
	for _, line := range h["Cookie"] {
		for part := range strings.SplitSeq(line, ";") {
			k, _, _ := strings.Cut(part, "=")
			if textproto.TrimString(k) == name {
				n++
			}
		}
	}
	return n
}

// authorization returns the parameters of the Authorization header when its
// auth-scheme is scheme, matched case-insensitively as RFC 7235 §2.1 says.
// A header for another auth-scheme is not a credential of this one.
//
// Several Authorization header lines, or an empty one, are a malformed
// credential of every scheme that reads the header: which line a proxy,
// a framework or this server would pick differs, so none is picked, and
// such a request is never taken for one that presented nothing.
func authorization(h http.Header, scheme string) (string, bool, error) {
	vs := h.Values("Authorization")
	switch {
	case len(vs) == 0:
		return "", false, nil
	case len(vs) > 1 || strings.TrimSpace(vs[0]) == "":
		return "", true, errMalformed
	}
	v := vs[0]
	if len(v) < len(scheme) || !strings.EqualFold(v[:len(scheme)], scheme) {
		return "", false, nil
	}
	rest := v[len(scheme):]
	if rest == "" {
		return "", true, errMalformed
	}
	if rest[0] != ' ' {
		// "Bearerx ..." is some other auth-scheme.
		return "", false, nil
	}
	rest = strings.TrimLeft(rest, " ")
	if rest == "" {
		return "", true, errMalformed
	}
	return rest, true, nil
}

// isToken68 reports whether s matches RFC 7235's token68 production, the
// syntax of a bearer token (RFC 6750 §2.1).
func isToken68(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			continue
		}
		switch c {
		case '-', '.', '_', '~', '+', '/':
			continue
		}
		break
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}
