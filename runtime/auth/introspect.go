package auth

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

const (
	defaultIntrospectionCacheSize = 1024
	defaultIntrospectionCacheTTL  = time.Minute
	// maxIntrospectedTokenBytes bounds the tokens sent to the endpoint.
	maxIntrospectedTokenBytes = 16 << 10
)

var errIntrospectInactive = errors.New("auth: introspection: token is not active")

// IntrospectionConfig configures the verifier NewIntrospection returns.
type IntrospectionConfig struct {
	// URL is the introspection endpoint of the authorization server
	// (RFC 7662 §2). It is required.
	URL string
	// ClientID and ClientSecret authenticate this resource server to the
	// endpoint with HTTP Basic authentication (RFC 6749 §2.3.1). When
	// ClientID is empty no Authorization header is sent, and HTTPClient
	// is expected to authenticate the requests.
	ClientID     string
	ClientSecret string
	// HTTPClient calls the endpoint. The default is a client with a 10
	// second timeout. Either way, a redirect to another host or scheme is
	// never followed.
	HTTPClient *http.Client
	// CacheSize is the most introspection results kept; when full, the
	// oldest is evicted. The default is 1024; a negative size disables
	// the cache. Only active tokens are cached, keyed by the SHA-256 of
	// the token, never by the token itself.
	CacheSize int
	// CacheTTL is how long a result is reused, never past the token's
	// "exp". The default is one minute. A token revoked at the server may
	// stay accepted for up to CacheTTL.
	CacheTTL time.Duration
	// Audience, when set, lists the acceptable audiences: the response's
	// "aud" must name at least one of them.
	Audience []string
	// Issuer, when set, is the required value of the response's "iss".
	Issuer string
	// Now returns the current time; it defaults to time.Now and is meant
	// for tests.
	Now func() time.Time
}

// introspectEntry is one cached result.
type introspectEntry struct {
	key     [sha256.Size]byte
	subject string
	scopes  []string
	claims  map[string]any
	expires time.Time
	elem    *list.Element
}

// introspectVerifier is the Verifier NewIntrospection returns.
type introspectVerifier struct {
	cfg    IntrospectionConfig
	client *http.Client
	now    func() time.Time

	mu    sync.Mutex
	cache map[[sha256.Size]byte]*introspectEntry
	order *list.List // of *introspectEntry, oldest first
}

// NewIntrospection returns a Verifier of opaque bearer tokens that asks the
// authorization server's OAuth 2.0 token introspection endpoint (RFC 7662)
// about each token, caching active results as cfg says. It fails closed:
// an inactive token, an unreachable endpoint, an error status or an
// unreadable response all reject the token, and so does a response whose
// "token_type", "token_use" or "typ" names anything but an access token
// (a refresh token or an ID token, say: see IntrospectedKindError).
// Subject comes from "sub" (or "username"), Scopes from "scope", and
// Claims is the whole response.
func NewIntrospection(cfg IntrospectionConfig) (Verifier, error) {
	if cfg.URL == "" {
		return nil, errors.New("auth: introspection: URL is required")
	}
	if err := jwksCheckURL(cfg.URL); err != nil {
		return nil, fmt.Errorf("auth: introspection: URL: %w", err)
	}
	if cfg.CacheTTL < 0 {
		return nil, fmt.Errorf("auth: introspection: CacheTTL %v is negative", cfg.CacheTTL)
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = defaultIntrospectionCacheSize
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = defaultIntrospectionCacheTTL
	}
	cfg.Audience = slices.Clone(cfg.Audience)
	v := &introspectVerifier{cfg: cfg, client: sameOriginClient(cfg.HTTPClient), now: cfg.Now}
	if v.now == nil {
		v.now = time.Now
	}
	if cfg.CacheSize > 0 {
		v.cache = make(map[[sha256.Size]byte]*introspectEntry)
		v.order = list.New()
	}
	return v, nil
}

// Verify implements Verifier.
func (v *introspectVerifier) Verify(ctx context.Context, c Credential) (*Principal, error) {
	if c.Token == "" {
		return nil, errors.New("auth: introspection: empty token")
	}
	if len(c.Token) > maxIntrospectedTokenBytes {
		return nil, fmt.Errorf("auth: introspection: token of %d bytes exceeds the limit of %d bytes", len(c.Token), maxIntrospectedTokenBytes)
	}
	key := sha256.Sum256([]byte(c.Token))
	now := v.now()
	if e := v.cached(key, now); e != nil {
		return e.principal(c.Scheme), nil
	}
	claims, err := v.introspect(ctx, c.Token)
	if err != nil {
		return nil, err
	}
	e, err := v.check(claims, now)
	if err != nil {
		return nil, err
	}
	e.key = key
	v.store(e, now)
	return e.principal(c.Scheme), nil
}

// introspect asks the endpoint about token.
func (v *introspectVerifier) introspect(ctx context.Context, token string) (map[string]any, error) {
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.cfg.URL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("auth: introspection: build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if v.cfg.ClientID != "" {
		req.SetBasicAuth(url.QueryEscape(v.cfg.ClientID), url.QueryEscape(v.cfg.ClientSecret))
	}
	resp, err := v.client.Do(req)
	if err != nil {
		// The error of Do names the URL and the cause; the token is in
		// the body, which it never shows.
		return nil, fmt.Errorf("auth: introspection: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("auth: introspection: POST %s: status %s", v.cfg.URL, resp.Status)
	}
	body, err := readBounded(resp.Body, "introspection response")
	if err != nil {
		return nil, fmt.Errorf("auth: introspection: %w", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(body, &claims); err != nil {
		return nil, fmt.Errorf("auth: introspection: parse response: %w", err)
	}
	if claims == nil {
		return nil, errors.New("auth: introspection: response is not a JSON object")
	}
	return claims, nil
}

// check applies RFC 7662 §4 and the configured audience and issuer to a
// response, and returns the result to cache.
func (v *introspectVerifier) check(claims map[string]any, now time.Time) (*introspectEntry, error) {
	if active, _ := claims["active"].(bool); !active {
		return nil, errIntrospectInactive
	}
	if err := introspectAccessToken(claims); err != nil {
		return nil, err
	}
	expires := now.Add(v.cfg.CacheTTL)
	if raw, ok := claims["exp"]; ok {
		exp, ok := raw.(float64)
		if !ok {
			return nil, errors.New("auth: introspection: \"exp\" is not a number")
		}
		t := time.Unix(int64(exp), 0)
		if !now.Before(t) {
			return nil, errors.New("auth: introspection: token is expired")
		}
		if t.Before(expires) {
			expires = t
		}
	}
	if raw, ok := claims["nbf"]; ok {
		nbf, ok := raw.(float64)
		if !ok || now.Before(time.Unix(int64(nbf), 0)) {
			return nil, errors.New("auth: introspection: token is not valid yet")
		}
	}
	if v.cfg.Issuer != "" {
		if iss, _ := claims["iss"].(string); iss != v.cfg.Issuer {
			return nil, errors.New("auth: introspection: token has the wrong issuer")
		}
	}
	if len(v.cfg.Audience) > 0 && !introspectAudienceOK(claims["aud"], v.cfg.Audience) {
		return nil, errors.New("auth: introspection: token is not meant for this audience")
	}
	e := &introspectEntry{claims: claims, expires: expires}
	if sub, ok := claims["sub"].(string); ok && sub != "" {
		e.subject = sub
	} else if name, ok := claims["username"].(string); ok {
		e.subject = name
	}
	if raw, ok := claims["scope"]; ok {
		s, ok := raw.(string)
		if !ok {
			return nil, errors.New("auth: introspection: \"scope\" is not a string")
		}
		e.scopes = strings.Fields(s)
	}
	return e, nil
}

// introspectKinds lists the response members in which authorization
// servers name the kind of an introspected token, each with the values
// (matched case-insensitively) that name an access token. An endpoint
// asked about a refresh token or an ID token may well answer "active",
// so a response that names any other kind is refused.
var introspectKinds = []struct {
	member string
	access []string
}{
	// RFC 7662 §2.2: the type of RFC 6749 §5.1, "Bearer" for a bearer
	// access token; some servers write the token_type_hint spelling.
	// "DPoP" and other proof-of-possession types are refused: their
	// proof is not checked here.
	{"token_type", []string{"Bearer", "access_token", "access"}},
	// Ory Hydra ("access_token", "refresh_token") and Amazon Cognito
	// ("access", "id").
	{"token_use", []string{"access_token", "access"}},
	// Keycloak ("Bearer", "Refresh", "Offline", "ID", ...) and the media
	// type of RFC 9068 access tokens.
	{"typ", []string{"Bearer", "at+jwt", "application/at+jwt"}},
}

// introspectAccessToken refuses a response that names its token as
// something other than an access token, or that names it with a value
// that is not a string. A response that names no kind is accepted.
func introspectAccessToken(claims map[string]any) error {
	for _, k := range introspectKinds {
		raw, ok := claims[k.member]
		if !ok {
			continue
		}
		v, ok := raw.(string)
		if !ok {
			return fmt.Errorf("auth: introspection: %q is not a string", k.member)
		}
		if !slices.ContainsFunc(k.access, func(a string) bool { return strings.EqualFold(a, v) }) {
			return &IntrospectedKindError{Member: k.member, Value: v}
		}
	}
	return nil
}

// IntrospectedKindError reports an introspection response that names its
// token as something other than an access token, such as a refresh token
// or an ID token: such a token is never accepted as a credential.
type IntrospectedKindError struct {
	// Member is the response member that named the kind, such as
	// "token_type", and Value what it said, such as "refresh_token".
	Member, Value string
}

// Error names the member and its value.
func (e *IntrospectedKindError) Error() string {
	return fmt.Sprintf("auth: introspection: %s %q does not name an access token", e.Member, e.Value)
}

// introspectAudienceOK reports whether aud (a string or an array of
// strings) names one of want.
func introspectAudienceOK(aud any, want []string) bool {
	switch a := aud.(type) {
	case string:
		return slices.Contains(want, a)
	case []any:
		for _, x := range a {
			if s, ok := x.(string); ok && slices.Contains(want, s) {
				return true
			}
		}
	}
	return false
}

// principal returns a new principal for a result, sharing nothing mutable
// with the cache.
func (e *introspectEntry) principal(scheme string) *Principal {
	return &Principal{Subject: e.subject, Scheme: scheme, Scopes: slices.Clone(e.scopes), Claims: maps.Clone(e.claims)}
}

// cached returns the unexpired result for key, if any.
func (v *introspectVerifier) cached(key [sha256.Size]byte, now time.Time) *introspectEntry {
	if v.cache == nil {
		return nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	e := v.cache[key]
	if e == nil {
		return nil
	}
	if !now.Before(e.expires) {
		v.order.Remove(e.elem)
		delete(v.cache, key)
		return nil
	}
	return e
}

// store caches e, evicting the oldest results beyond the cache size.
func (v *introspectVerifier) store(e *introspectEntry, now time.Time) {
	if v.cache == nil || !now.Before(e.expires) {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if old := v.cache[e.key]; old != nil {
		v.order.Remove(old.elem)
	}
	e.elem = v.order.PushBack(e)
	v.cache[e.key] = e
	for v.order.Len() > v.cfg.CacheSize {
		oldest := v.order.Remove(v.order.Front()).(*introspectEntry)
		delete(v.cache, oldest.key)
	}
}
