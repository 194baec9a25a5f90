package auth

// JWKS handling is written here on the standard library and
// github.com/golang-jwt/jwt/v5 rather than taken from
// github.com/MicahParks/keyfunc/v3 and its github.com/MicahParks/jwkset,
// which were evaluated. Those are good libraries, but writing the small part
// we need keeps the dependency set of every generated server at jwt/v5 plus
// the standard library, and gives us exact control over what matters for
// security and operations: refreshes triggered by unknown key ids are rate
// limited and single-flight, a failing endpoint never evicts cached keys,
// the first fetch is lazy, response sizes are bounded, no background
// goroutine runs, "jku", "x5u" and "x5c" are never followed or trusted,
// redirects never lead to another host or scheme, and an https discovery
// document cannot send us to an http key set.

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// maxRemoteDocBytes bounds discovery documents, key sets and
	// introspection responses.
	maxRemoteDocBytes = 1 << 20
	// jwksFetchTimeout bounds one fetch even when the HTTP client has no
	// timeout of its own.
	jwksFetchTimeout = 30 * time.Second
)

var errJWKSRateLimited = errors.New("key set refresh rate limited")

// errCrossOriginRedirect is the error of a redirect that sameOriginClient
// refuses to follow.
var errCrossOriginRedirect = errors.New("redirect to another host or scheme refused")

// maxRedirects is how many redirects sameOriginClient follows, as many as
// net/http's default policy.
const maxRedirects = 10

// sameOriginClient returns a copy of c (of a client with a 10 second
// timeout when c is nil) that follows a redirect only to the scheme and
// host (with port) of the request that started it, and then only as c's
// own CheckRedirect allows. Key sets, discovery documents and
// introspection answers are trusted for where they come from: a redirect
// must not move that trust to another origin, nor downgrade https to
// http, nor carry an introspected token's form body (which 307 and 308
// redirects resend) elsewhere.
func sameOriginClient(c *http.Client) *http.Client {
	if c == nil {
		c = &http.Client{Timeout: defaultHTTPTimeout}
	}
	cp := *c
	next := c.CheckRedirect
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		first := via[0].URL
		if req.URL.Scheme != first.Scheme || !strings.EqualFold(req.URL.Host, first.Host) {
			return fmt.Errorf("%w: from %s to %s", errCrossOriginRedirect, first.Redacted(), req.URL.Redacted())
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		return nil
	}
	return &cp
}

// isLoopback reports whether the URL raw names a loopback host:
// "localhost" or a loopback IP address.
func isLoopback(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// jwksSnapshot is an immutable view of a fetched key set.
type jwksSnapshot struct {
	keys    jwtKeySet
	fetched time.Time
	issuer  string // the issuer named by the discovery document, if any
}

// jwksFlight is one fetch in progress; done is closed when err is set.
type jwksFlight struct {
	done chan struct{}
	err  error
}

// jwksCache caches the keys of a JWKS endpoint, found directly or through
// OpenID Connect discovery.
type jwksCache struct {
	jwksURL      string // set, or learnt from discovery (guarded by mu)
	discoveryURL string
	wantIssuer   string
	client       *http.Client
	minInterval  time.Duration
	maxAge       time.Duration
	now          func() time.Time

	snap atomic.Pointer[jwksSnapshot]

	mu          sync.Mutex
	flight      *jwksFlight
	lastAttempt time.Time
	lastErr     error
	discovered  string // issuer named by the discovery document
}

func newJWKSCache(cfg JWTConfig) (*jwksCache, error) {
	c := &jwksCache{
		jwksURL:      cfg.JWKSURL,
		discoveryURL: cfg.DiscoveryURL,
		wantIssuer:   cfg.Issuer,
		client:       cfg.HTTPClient,
		minInterval:  cfg.MinRefreshInterval,
		maxAge:       cfg.RefreshInterval,
		now:          cfg.Now,
	}
	if c.minInterval < 0 {
		return nil, fmt.Errorf("auth: jwt: MinRefreshInterval %v is negative", c.minInterval)
	}
	if c.maxAge < 0 {
		return nil, fmt.Errorf("auth: jwt: RefreshInterval %v is negative", c.maxAge)
	}
	if c.minInterval == 0 {
		c.minInterval = defaultMinRefreshInterval
	}
	if c.maxAge == 0 {
		c.maxAge = defaultRefreshInterval
	}
	c.client = sameOriginClient(c.client)
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// prepare returns the current snapshot, fetching the key set first when
// there is none yet, or when it is older than the refresh interval (in
// which case a failed fetch leaves the cached keys in use).
func (c *jwksCache) prepare(ctx context.Context) (*jwksSnapshot, error) {
	s := c.snap.Load()
	if s == nil {
		if err := c.refresh(ctx, true); err != nil {
			return nil, fmt.Errorf("auth: jwt: no signing keys yet: %w", err)
		}
		if s = c.snap.Load(); s == nil {
			return nil, errors.New("auth: jwt: no signing keys yet")
		}
		return s, nil
	}
	if c.now().Sub(s.fetched) >= c.maxAge {
		_ = c.refresh(ctx, false) // on failure keep the cached keys
		s = c.snap.Load()
	}
	return s, nil
}

// refreshForUnknownKid refreshes the key set for a token whose kid was not
// in seen, and reports whether a retry may now find it.
func (c *jwksCache) refreshForUnknownKid(ctx context.Context, seen *jwksSnapshot) bool {
	if c.snap.Load() != seen {
		return true // someone refreshed meanwhile
	}
	if err := c.refresh(ctx, true); err != nil {
		return c.snap.Load() != seen
	}
	return true
}

// issuer returns the issuer adopted from the discovery document.
func (c *jwksCache) issuer() string {
	if s := c.snap.Load(); s != nil {
		return s.issuer
	}
	return ""
}

// refresh fetches the key set unless a fetch started less than minInterval
// ago. Only one fetch runs at a time: callers arriving during a fetch wait
// for it (when wait is set) instead of starting another. Every waiter
// honours its own ctx; the fetch itself outlives a cancelled caller so that
// the others still get its result.
func (c *jwksCache) refresh(ctx context.Context, wait bool) error {
	c.mu.Lock()
	f := c.flight
	if f == nil {
		now := c.now()
		if !c.lastAttempt.IsZero() && now.Sub(c.lastAttempt) < c.minInterval {
			err := c.lastErr
			c.mu.Unlock()
			if err != nil {
				return fmt.Errorf("%w; last fetch failed: %w", errJWKSRateLimited, err)
			}
			return errJWKSRateLimited
		}
		c.lastAttempt = now
		f = &jwksFlight{done: make(chan struct{})}
		c.flight = f
		wait = true
		go c.run(context.WithoutCancel(ctx), f)
	}
	c.mu.Unlock()
	if !wait {
		return nil
	}
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return fmt.Errorf("waiting for key set: %w", ctx.Err())
	}
}

// run performs one fetch and publishes its result.
func (c *jwksCache) run(ctx context.Context, f *jwksFlight) {
	ctx, cancel := context.WithTimeout(ctx, jwksFetchTimeout)
	defer cancel()
	s, err := c.fetch(ctx)
	if err == nil {
		c.snap.Store(s)
	}
	c.mu.Lock()
	c.flight = nil
	c.lastErr = err
	c.mu.Unlock()
	f.err = err
	close(f.done)
}

// fetch resolves the key set URL (through discovery the first time when
// configured so) and fetches and parses the key set. Only one fetch runs at
// a time.
func (c *jwksCache) fetch(ctx context.Context) (*jwksSnapshot, error) {
	c.mu.Lock()
	jwksURL, issuer := c.jwksURL, c.discovered
	c.mu.Unlock()
	if jwksURL == "" {
		var err error
		if jwksURL, issuer, err = c.discover(ctx); err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.jwksURL, c.discovered = jwksURL, issuer
		c.mu.Unlock()
	}
	body, err := fetchBounded(ctx, c.client, jwksURL)
	if err != nil {
		return nil, fmt.Errorf("fetch key set: %w", err)
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("key set from %s: %w", jwksURL, err)
	}
	return &jwksSnapshot{keys: keys, fetched: c.now(), issuer: issuer}, nil
}

// discover fetches the OpenID Connect discovery document and returns its
// jwks_uri and issuer.
func (c *jwksCache) discover(ctx context.Context) (jwksURI, issuer string, err error) {
	body, err := fetchBounded(ctx, c.client, c.discoveryURL)
	if err != nil {
		return "", "", fmt.Errorf("fetch discovery document: %w", err)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", "", fmt.Errorf("discovery document from %s: %w", c.discoveryURL, err)
	}
	if doc.Issuer == "" {
		return "", "", fmt.Errorf("discovery document from %s names no issuer", c.discoveryURL)
	}
	if c.wantIssuer != "" && doc.Issuer != c.wantIssuer {
		return "", "", fmt.Errorf("discovery document from %s: issuer %q does not match the configured issuer %q", c.discoveryURL, doc.Issuer, c.wantIssuer)
	}
	if err := jwksCheckURL(doc.JWKSURI); err != nil {
		return "", "", fmt.Errorf("discovery document from %s: jwks_uri: %w", c.discoveryURL, err)
	}
	// Keys fetched over plain http are anyone's on the way: a document
	// must not name them, unless it is a test's or a developer's own
	// server on a loopback address.
	if u, _ := url.Parse(doc.JWKSURI); u.Scheme != "https" && !isLoopback(c.discoveryURL) {
		return "", "", fmt.Errorf("discovery document from %s: jwks_uri %s is not https (http is accepted only from a discovery URL on a loopback host)", c.discoveryURL, u.Redacted())
	}
	return doc.JWKSURI, doc.Issuer, nil
}

// fetchBounded GETs target and returns its body, which must come with status
// 200 and hold at most maxRemoteDocBytes bytes.
func fetchBounded(ctx context.Context, client *http.Client, target string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", target, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", target, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("GET %s: status %s", target, resp.Status)
	}
	return readBounded(resp.Body, target)
}

// readBounded reads r to its end, failing when it has more than
// maxRemoteDocBytes bytes.
func readBounded(r io.Reader, what string) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, maxRemoteDocBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	if len(body) > maxRemoteDocBytes {
		return nil, fmt.Errorf("read %s: response exceeds %d bytes", what, maxRemoteDocBytes)
	}
	return body, nil
}

// jwkJSON is one JSON Web Key (RFC 7517, RFC 7518 §6, RFC 8037). Members
// that point elsewhere ("x5u") or carry certificates ("x5c") are ignored.
type jwkJSON struct {
	Kty    string   `json:"kty"`
	Kid    string   `json:"kid"`
	Use    string   `json:"use"`
	Alg    string   `json:"alg"`
	KeyOps []string `json:"key_ops"`
	Crv    string   `json:"crv"`
	N      string   `json:"n"`
	E      string   `json:"e"`
	X      string   `json:"x"`
	Y      string   `json:"y"`
}

// parseJWKS parses a key set, keeping the signature verification keys it
// can use (RSA, EC P-256/384/521, OKP Ed25519) and skipping the others,
// such as symmetric ("oct") or encryption keys. A set without one usable
// key is an error, so that a broken endpoint never replaces good keys.
func parseJWKS(body []byte) (jwtKeySet, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	ks := make(jwtKeySet, len(doc.Keys))
	var skipped []string
	for i, raw := range doc.Keys {
		var j jwkJSON
		if err := json.Unmarshal(raw, &j); err != nil {
			skipped = append(skipped, fmt.Sprintf("key %d: %v", i, err))
			continue
		}
		k, err := j.key()
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("key %d: %v", i, err))
			continue
		}
		if k == nil {
			continue // not a signature key we use
		}
		ks[j.Kid] = append(ks[j.Kid], jwtKey{key: k, alg: j.Alg})
	}
	if len(ks) == 0 {
		if len(skipped) > 0 {
			return nil, fmt.Errorf("no usable signing key (%s)", strings.Join(skipped, "; "))
		}
		return nil, errors.New("no usable signing key")
	}
	return ks, nil
}

// key returns the public key j describes, nil (and no error) when j is not
// a signature key of a type we verify, or an error when j is malformed.
func (j *jwkJSON) key() (any, error) {
	if j.Use != "" && j.Use != "sig" {
		return nil, nil
	}
	if j.KeyOps != nil && !slices.Contains(j.KeyOps, "verify") {
		return nil, nil
	}
	var k any
	switch j.Kty {
	case "RSA":
		n, err := jwkBytes("n", j.N)
		if err != nil {
			return nil, err
		}
		e, err := jwkBytes("e", j.E)
		if err != nil {
			return nil, err
		}
		if len(e) > 4 {
			return nil, errors.New("RSA exponent too large")
		}
		var exp int
		for _, b := range e {
			exp = exp<<8 | int(b)
		}
		if exp < 3 || exp%2 == 0 {
			return nil, errors.New("RSA exponent invalid")
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: exp}
		if pub.N.BitLen() < minRSABits {
			return nil, fmt.Errorf("RSA key has %d bits, want at least %d", pub.N.BitLen(), minRSABits)
		}
		k = pub
	case "EC":
		var curve elliptic.Curve
		switch j.Crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return nil, fmt.Errorf("unsupported EC curve %q", j.Crv)
		}
		size := (curve.Params().BitSize + 7) / 8
		x, err := jwkBytes("x", j.X)
		if err != nil {
			return nil, err
		}
		y, err := jwkBytes("y", j.Y)
		if err != nil {
			return nil, err
		}
		if len(x) != size || len(y) != size {
			return nil, fmt.Errorf("EC %s coordinates must have %d bytes", j.Crv, size)
		}
		point := make([]byte, 0, 1+2*size)
		point = append(append(append(point, 4), x...), y...)
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
		if err != nil {
			return nil, fmt.Errorf("EC key: %w", err)
		}
		k = pub
	case "OKP":
		if j.Crv != "Ed25519" {
			return nil, nil // X25519 and others do not sign
		}
		x, err := jwkBytes("x", j.X)
		if err != nil {
			return nil, err
		}
		if len(x) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("Ed25519 key must have %d bytes", ed25519.PublicKeySize)
		}
		k = ed25519.PublicKey(x)
	default:
		return nil, nil // "oct" and unknown types are never used from a key set
	}
	if j.Alg != "" && !jwtAlgFits(j.Alg, k) {
		return nil, nil // e.g. an RSA key for RSA-OAEP
	}
	return k, nil
}

// jwkBytes decodes a base64url member of a JWK.
func jwkBytes(name, s string) ([]byte, error) {
	if s == "" {
		return nil, fmt.Errorf("missing %q", name)
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, fmt.Errorf("member %q: %w", name, err)
	}
	return b, nil
}
