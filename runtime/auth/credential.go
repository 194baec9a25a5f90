package auth

import (
	"encoding/base64"
	"errors"
	"net/http"
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
	r     *http.Request
	query url.Values
}

func (rq *request) queryValue(name string) (string, bool) {
	if rq.query == nil {
		// A query that does not parse cannot carry a key we could trust.
		q, err := url.ParseQuery(rq.r.URL.RawQuery)
		if err != nil && q == nil {
			q = url.Values{}
		}
		rq.query = q
	}
	vs, ok := rq.query[name]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[0], true
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
		var v string
		var ok bool
		switch s.In {
		case InHeader:
			v = rq.r.Header.Get(s.KeyName)
			ok = v != ""
		case InQuery:
			v, ok = rq.queryValue(s.KeyName)
		case InCookie:
			if ck, err := rq.r.Cookie(s.KeyName); err == nil {
				v, ok = ck.Value, true
			}
		}
		if !ok {
			return c, false, nil
		}
		c.Token = v
		if v == "" {
			return c, true, errMalformed
		}
		return c, true, nil
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

// authorization returns the parameters of the Authorization header when its
// auth-scheme is scheme, matched case-insensitively as RFC 7235 §2.1 says.
// A header for another auth-scheme is not a credential of this one.
func authorization(h http.Header, scheme string) (string, bool, error) {
	v := h.Get("Authorization")
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
