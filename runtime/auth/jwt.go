package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// JWTConfig configures the verifier NewJWT returns. Exactly one key source
// must be set: HMACSecret, PublicKeys, JWKSURL or DiscoveryURL.
type JWTConfig struct {
	// Issuer is the required value of the "iss" claim. When empty and
	// DiscoveryURL is set, the issuer named by the discovery document is
	// adopted; when empty otherwise, "iss" is not checked.
	Issuer string

	// Audience lists the acceptable audiences: a token's "aud" claim must
	// carry at least one of them. When empty, "aud" is not checked.
	Audience []string

	// Algorithms is the allowlist of JWS "alg" values. When empty it is
	// derived from the configured keys: HS256/384/512 for HMACSecret, the
	// algorithms each public key can verify for PublicKeys, and every
	// asymmetric algorithm for JWKSURL and DiscoveryURL. "none" is never
	// accepted, and an algorithm that none of the configured keys can
	// verify is a configuration error. Whatever the allowlist, a token is
	// only ever verified with a key of the type its algorithm requires,
	// so an HS256 token is never checked against an RSA public key.
	Algorithms []string

	// HMACSecret is the shared secret for HS256, HS384 and HS512 tokens.
	// It must be at least 32 bytes long.
	HMACSecret []byte

	// PublicKeys maps a key id ("kid" header) to a public key: an
	// *rsa.PublicKey of at least 2048 bits, an *ecdsa.PublicKey on P-256,
	// P-384 or P-521, or an ed25519.PublicKey. The key under "" verifies
	// tokens that carry no kid. A token whose kid is not in the map is
	// rejected.
	PublicKeys map[string]crypto.PublicKey

	// JWKSURL is the URL of a JSON Web Key Set (RFC 7517). Keys are fetched
	// lazily on the first Verify, cached, and refreshed as described for
	// MinRefreshInterval and RefreshInterval.
	JWKSURL string

	// DiscoveryURL is the URL of an OpenID Connect discovery document, such
	// as https://idp.example/.well-known/openid-configuration. It is
	// fetched lazily on the first Verify; its "issuer" must equal Issuer
	// when Issuer is set (and is adopted as Issuer otherwise), and its
	// "jwks_uri" is then used as JWKSURL. That jwks_uri must be https,
	// unless DiscoveryURL names a loopback host (a test's server).
	DiscoveryURL string

	// HTTPClient fetches discovery documents and key sets. The default is a
	// client with a 10 second timeout. Either way, a redirect to another
	// host or scheme is never followed.
	HTTPClient *http.Client

	// Leeway is the clock skew tolerated when checking "exp", "nbf" and
	// "iat".
	Leeway time.Duration

	// AllowMissingExp accepts tokens without an "exp" claim. By default
	// "exp" is required.
	AllowMissingExp bool

	// ScopeClaim is a dot-separated path to the claim holding the caller's
	// scopes or roles, such as "realm_access.roles". The claim may be a
	// space-separated string or an array of strings. By default scopes are
	// read from "scope" (a space-separated string) or, when it is absent,
	// from "scp" (an array of strings, or a string).
	ScopeClaim string

	// MaxTokenBytes is the largest token accepted, in bytes; larger tokens
	// are rejected before any parsing. The default is 8192.
	MaxTokenBytes int

	// MinRefreshInterval is the least time between two fetches of the key
	// set. A token with an unknown kid triggers a refresh only when the
	// last fetch is at least this old. The default is 30 seconds.
	MinRefreshInterval time.Duration

	// RefreshInterval is the age after which cached keys are refreshed:
	// the first Verify that finds them older fetches the key set again
	// (there is no background goroutine). When that fetch fails, the
	// cached keys stay in use. The default is one hour.
	RefreshInterval time.Duration

	// Revocation, when set, is asked about every token that passes the
	// other checks, by its "jti" and "sid" claims: a token it reports
	// revoked is refused with an error matching ErrTokenRevoked. The check
	// fails closed: a token without a string "jti" claim, or one that
	// Revocation answers with an error, is refused too. Set it to the
	// store of the issuer whose tokens are verified (an issuer.Store, such
	// as a redisstore.Store on the issuer's Redis and key prefix) so that
	// a token revoked there is refused here before it expires.
	Revocation RevocationChecker

	// CacheSize bounds the cache of verified tokens: the most tokens it
	// remembers. The default is DefaultTokenCacheSize (10,000); a negative
	// CacheSize turns the cache off, and every Verify then checks the
	// signature again.
	//
	// The cache is on by default because it changes no answer: a token
	// presented again within its entry's lifetime is accepted without its
	// signature being checked again, and is accepted only when a fresh
	// verification would accept it too. Entries are keyed by the SHA-256
	// of the token, never the token itself; only tokens that passed every
	// check (signature, algorithm, time, issuer, audience, claims and
	// revocation) enter, so forged, expired or otherwise refused tokens
	// never take room; an entry is never served before the token's "nbf"
	// or "iat" (less Leeway), nor at or after its "exp" less Leeway (from
	// then on the token is verified afresh, so Leeway still applies), nor
	// longer than CacheTTL after it was stored, nor after the verifier
	// fetched a new key set (JWKSURL and DiscoveryURL); Revocation, when
	// set, is asked on every Verify, cache hit or not, and an error from
	// it refuses the token; every hit returns a new deep copy of the
	// principal. A full cache evicts an entry in constant time (an expired
	// one, or one not served lately, among a few: see TokenCache), so
	// memory stays bounded by CacheSize entries, each holding the decoded
	// claims of one token that the configured keys signed: about 1 KiB for
	// a typical access token, so about 10 MiB for a full default cache.
	CacheSize int

	// CacheTTL is the longest time a verified token is served from the
	// cache after its verification, however long the token lives. The
	// default is DefaultTokenCacheTTL (one minute); it must not be
	// negative. Revocation does not depend on it, since the revocation
	// check runs on every Verify, and neither do key changes, since a new
	// key set ends every entry: CacheTTL bounds how long a principal is
	// held in memory, and is a backstop. A shorter CacheTTL costs more
	// verifications, never a different answer.
	CacheTTL time.Duration

	// Now returns the current time; it defaults to time.Now and is meant
	// for tests. The cache uses it too.
	Now func() time.Time
}

// RevocationChecker tells a verifier whether a token that is otherwise
// valid has been revoked before its expiry. The stores of runtime/issuer
// implement it (issuer.MemoryStore, and redisstore.Store, which services
// other than the issuer can share), and so does anything that keeps a
// revocation list. Implementations must be safe for concurrent use.
type RevocationChecker interface {
	// Revoked reports whether the token with JWT ID jti, or every token
	// of the session sid, has been revoked. sid is the token's "sid"
	// claim, "" when it has none; runtime/issuer puts there the refresh
	// token family an access token was issued from, which is revoked as
	// a whole when one of its refresh tokens is revoked or reused. An
	// error means that the answer is unknown, and the token is refused.
	Revoked(ctx context.Context, jti, sid string) (bool, error)
}

// ErrTokenRevoked is what a JWT verifier's Verify returns, wrapped, when
// JWTConfig.Revocation reports the token revoked.
var ErrTokenRevoked = errors.New("auth: jwt: token revoked")

// Defaults of JWTConfig's fields.
const (
	defaultMaxTokenBytes      = 8192
	defaultMinRefreshInterval = 30 * time.Second
	defaultRefreshInterval    = time.Hour
	defaultHTTPTimeout        = 10 * time.Second
	minHMACSecretBytes        = 32
	minRSABits                = 2048
)

var (
	jwtHMACAlgs       = []string{"HS256", "HS384", "HS512"}
	jwtAsymmetricAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

	errJWTEmpty       = errors.New("auth: jwt: empty token")
	errJWTCrit        = errors.New("auth: jwt: token header has a \"crit\" parameter, and no extension is understood")
	errJWTKidType     = errors.New("auth: jwt: token header \"kid\" is not a string")
	errJWTUnknownKid  = errors.New("auth: jwt: no key with the token's key id")
	errJWTKeyMismatch = errors.New("auth: jwt: the key for the token's key id does not accept the token's algorithm")
	errJWTAmbiguous   = errors.New("auth: jwt: token has no key id and no single key accepts its algorithm")
	errJWTSubject     = errors.New("auth: jwt: \"sub\" claim is not a string")
	errJWTNoJTI       = errors.New("auth: jwt: token has no string \"jti\" claim, so its revocation cannot be checked")
	errJWTSessionType = errors.New("auth: jwt: \"sid\" claim is not a string")
)

// jwtVerifier is the Verifier NewJWT returns. Exactly one of hmac, static
// and remote is set.
type jwtVerifier struct {
	parser    *jwt.Parser
	keyfunc   jwt.Keyfunc // v.keyFor, bound once so that Verify does not allocate it
	hmac      []byte
	static    jwtKeySet
	remote    *jwksCache
	adoptIss  bool // check "iss" against the issuer discovered by remote
	maxBytes  int
	scopePath []string
	revoked   RevocationChecker
	leeway    time.Duration
	cache     *TokenCache // nil when JWTConfig.CacheSize is negative
}

// NewJWT returns a Verifier of JSON Web Tokens (RFC 7519) signed with JWS
// (RFC 7515), configured by cfg. It does no network I/O: key sets and
// discovery documents are fetched by the first Verify.
//
// Verify reads Credential.Token as a compact JWS and checks, besides the
// signature, that the algorithm is allowed and fits the key, that "exp",
// "nbf" and "iat" are consistent with the current time, and the issuer and
// audience. Tokens with a "crit" header are rejected; "jku" and "x5u"
// headers are ignored, never fetched. The principal's Claims are the
// token's claims.
//
// Verified tokens are cached, as JWTConfig.CacheSize describes, unless
// CacheSize is negative.
func NewJWT(cfg JWTConfig) (Verifier, error) {
	v := &jwtVerifier{maxBytes: cfg.MaxTokenBytes, revoked: cfg.Revocation, leeway: cfg.Leeway}
	if v.maxBytes < 0 {
		return nil, fmt.Errorf("auth: jwt: MaxTokenBytes %d is negative", cfg.MaxTokenBytes)
	}
	if v.maxBytes == 0 {
		v.maxBytes = defaultMaxTokenBytes
	}
	if cfg.Leeway < 0 {
		return nil, fmt.Errorf("auth: jwt: Leeway %v is negative", cfg.Leeway)
	}
	cache, err := NewTokenCache(TokenCacheConfig{Size: cfg.CacheSize, TTL: cfg.CacheTTL, Now: cfg.Now})
	if err != nil {
		return nil, fmt.Errorf("auth: jwt: CacheTTL %v is negative", cfg.CacheTTL)
	}
	v.cache = cache
	if cfg.ScopeClaim != "" {
		v.scopePath = strings.Split(cfg.ScopeClaim, ".")
		if slices.Contains(v.scopePath, "") {
			return nil, fmt.Errorf("auth: jwt: ScopeClaim %q has an empty path element", cfg.ScopeClaim)
		}
	}

	var set []string
	if len(cfg.HMACSecret) > 0 {
		set = append(set, "HMACSecret")
	}
	if len(cfg.PublicKeys) > 0 {
		set = append(set, "PublicKeys")
	}
	if cfg.JWKSURL != "" {
		set = append(set, "JWKSURL")
	}
	if cfg.DiscoveryURL != "" {
		set = append(set, "DiscoveryURL")
	}
	switch len(set) {
	case 0:
		return nil, errors.New("auth: jwt: no key source: set one of HMACSecret, PublicKeys, JWKSURL or DiscoveryURL")
	case 1:
	default:
		return nil, fmt.Errorf("auth: jwt: %s are all set: configure exactly one key source", strings.Join(set, ", "))
	}

	// supported reports whether some configured key can verify alg.
	var supported func(alg string) bool
	var defaults []string
	switch set[0] {
	case "HMACSecret":
		if len(cfg.HMACSecret) < minHMACSecretBytes {
			return nil, fmt.Errorf("auth: jwt: HMACSecret has %d bytes, want at least %d", len(cfg.HMACSecret), minHMACSecretBytes)
		}
		v.hmac = slices.Clone(cfg.HMACSecret)
		defaults = jwtHMACAlgs
		supported = func(alg string) bool { return slices.Contains(jwtHMACAlgs, alg) }
	case "PublicKeys":
		v.static = make(jwtKeySet, len(cfg.PublicKeys))
		kids := make([]string, 0, len(cfg.PublicKeys))
		for kid := range cfg.PublicKeys {
			kids = append(kids, kid)
		}
		slices.Sort(kids)
		for _, kid := range kids {
			k, err := jwtCheckPublicKey(cfg.PublicKeys[kid])
			if err != nil {
				return nil, fmt.Errorf("auth: jwt: PublicKeys[%q]: %w", kid, err)
			}
			v.static[kid] = []jwtKey{{key: k}}
		}
		supported = func(alg string) bool {
			for _, ks := range v.static {
				if jwtAlgFits(alg, ks[0].key) {
					return true
				}
			}
			return false
		}
		for _, alg := range jwtAsymmetricAlgs {
			if supported(alg) {
				defaults = append(defaults, alg)
			}
		}
	default: // JWKSURL or DiscoveryURL
		field, raw := "JWKSURL", cfg.JWKSURL
		if raw == "" {
			field, raw = "DiscoveryURL", cfg.DiscoveryURL
		}
		if err := jwksCheckURL(raw); err != nil {
			return nil, fmt.Errorf("auth: jwt: %s: %w", field, err)
		}
		c, err := newJWKSCache(cfg)
		if err != nil {
			return nil, err
		}
		v.remote = c
		v.adoptIss = cfg.Issuer == "" && cfg.DiscoveryURL != ""
		defaults = jwtAsymmetricAlgs
		supported = func(alg string) bool { return slices.Contains(jwtAsymmetricAlgs, alg) }
	}

	algs := defaults
	if len(cfg.Algorithms) > 0 {
		algs = nil
		for _, alg := range cfg.Algorithms {
			if strings.EqualFold(alg, "none") {
				return nil, errors.New("auth: jwt: Algorithms: \"none\" is never accepted")
			}
			if !slices.Contains(jwtHMACAlgs, alg) && !slices.Contains(jwtAsymmetricAlgs, alg) {
				return nil, fmt.Errorf("auth: jwt: Algorithms: unsupported algorithm %q", alg)
			}
			if !supported(alg) {
				return nil, fmt.Errorf("auth: jwt: Algorithms: %s cannot be verified with the keys of %s", alg, set[0])
			}
			if !slices.Contains(algs, alg) {
				algs = append(algs, alg)
			}
		}
	}
	if len(algs) == 0 {
		return nil, fmt.Errorf("auth: jwt: %s: no usable algorithm", set[0])
	}

	opts := []jwt.ParserOption{
		jwt.WithValidMethods(slices.Clone(algs)),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithIssuedAt(),
		jwt.WithStrictDecoding(),
	}
	if !cfg.AllowMissingExp {
		opts = append(opts, jwt.WithExpirationRequired())
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if len(cfg.Audience) > 0 {
		opts = append(opts, jwt.WithAudience(slices.Clone(cfg.Audience)...))
	}
	if cfg.Now != nil {
		opts = append(opts, jwt.WithTimeFunc(cfg.Now))
	}
	v.parser = jwt.NewParser(opts...)
	v.keyfunc = v.keyFor
	return v, nil
}

// Verify implements Verifier.
func (v *jwtVerifier) Verify(ctx context.Context, c Credential) (*Principal, error) {
	if len(c.Token) > v.maxBytes {
		return nil, fmt.Errorf("auth: jwt: token of %d bytes exceeds the limit of %d bytes", len(c.Token), v.maxBytes)
	}
	if c.Token == "" {
		return nil, errJWTEmpty
	}
	var key TokenKey
	if v.cache != nil {
		key = TokenKeyOf(c.Token)
		if p, hit, err := v.cached(ctx, key, c.Scheme); hit {
			return p, err
		}
	}
	var seen *jwksSnapshot
	if v.remote != nil {
		s, err := v.remote.prepare(ctx)
		if err != nil {
			return nil, err
		}
		seen = s
	}
	claims := jwt.MapClaims{}
	_, err := v.parser.ParseWithClaims(c.Token, claims, v.keyfunc)
	if err != nil && v.remote != nil && errors.Is(err, errJWTUnknownKid) && v.remote.refreshForUnknownKid(ctx, seen) {
		// The cache entry is stamped with the keys loaded before the
		// retry; should keyFor see newer ones, the entry is merely
		// verified again sooner.
		seen = v.remote.snap.Load()
		claims = jwt.MapClaims{}
		_, err = v.parser.ParseWithClaims(c.Token, claims, v.keyfunc)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: jwt: %w", err)
	}
	if v.adoptIss {
		want := v.remote.issuer()
		if iss, _ := claims["iss"].(string); want == "" || iss != want {
			return nil, fmt.Errorf("auth: jwt: %w", jwt.ErrTokenInvalidIssuer)
		}
	}
	var sub string
	if raw, ok := claims["sub"]; ok {
		s, ok := raw.(string)
		if !ok {
			return nil, errJWTSubject
		}
		sub = s
	}
	scopes, err := v.scopes(claims)
	if err != nil {
		return nil, err
	}
	jti, sid, err := jwtRevocationIDs(claims, v.revoked != nil)
	if err != nil {
		return nil, err
	}
	// Last, as it may ask a remote store: every local check has passed.
	if v.revoked != nil {
		if err := v.checkRevoked(ctx, jti, sid); err != nil {
			return nil, err
		}
	}
	p := &Principal{Subject: sub, Scheme: c.Scheme, Scopes: scopes, Claims: claims}
	if v.cache != nil {
		v.remember(key, p, claims, jti, sid, seen)
	}
	return p, nil
}

// cached serves a token from the cache. hit reports whether it was there
// (and may be served with the current keys); then the answer is p or
// err, as the revocation check decides.
func (v *jwtVerifier) cached(ctx context.Context, key TokenKey, scheme string) (p *Principal, hit bool, err error) {
	e, ok := v.cache.Get(key)
	if !ok {
		return nil, false, nil
	}
	if v.remote != nil {
		// As a verification would: this refreshes keys that are due.
		s, perr := v.remote.prepare(ctx)
		if perr != nil || e.Keys != any(s) {
			return nil, false, nil // verify afresh with the current keys
		}
	}
	if v.revoked != nil {
		if err := v.checkRevoked(ctx, e.JTI, e.SID); err != nil {
			return nil, true, err
		}
	}
	e.Principal.Scheme = scheme
	return e.Principal, true, nil
}

// remember caches a token that passed every check, for as long as
// JWTConfig.CacheSize says: from its "nbf" and "iat" to its "exp", each
// less the leeway, and for CacheTTL at most.
func (v *jwtVerifier) remember(key TokenKey, p *Principal, claims jwt.MapClaims, jti, sid string, keys *jwksSnapshot) {
	exp, err := claims.GetExpirationTime()
	if err != nil {
		return
	}
	nbf, err := claims.GetNotBefore()
	if err != nil {
		return
	}
	iat, err := claims.GetIssuedAt()
	if err != nil {
		return
	}
	e := CachedToken{Principal: p, JTI: jti, SID: sid}
	if keys != nil {
		e.Keys = keys
	}
	if exp != nil {
		e.NotAfter = exp.Add(-v.leeway)
	}
	for _, t := range [...]*jwt.NumericDate{nbf, iat} {
		if t != nil && t.Add(-v.leeway).After(e.NotBefore) {
			e.NotBefore = t.Add(-v.leeway)
		}
	}
	v.cache.Put(key, e)
}

// jwtRevocationIDs returns the "jti" and "sid" claims of a token. When
// required (a revocation check is configured), a token without a string
// "jti" is refused: its revocation cannot be checked.
func jwtRevocationIDs(claims jwt.MapClaims, required bool) (jti, sid string, err error) {
	jti, ok := claims["jti"].(string)
	if required && (!ok || jti == "") {
		return "", "", errJWTNoJTI
	}
	if raw, present := claims["sid"]; present {
		if sid, ok = raw.(string); !ok && required {
			return "", "", errJWTSessionType
		}
	}
	return jti, sid, nil
}

// checkRevoked asks JWTConfig.Revocation about a token whose signature and
// claims are valid, failing closed.
func (v *jwtVerifier) checkRevoked(ctx context.Context, jti, sid string) error {
	revoked, err := v.revoked.Revoked(ctx, jti, sid)
	if err != nil {
		return fmt.Errorf("auth: jwt: revocation check: %w", err)
	}
	if revoked {
		return ErrTokenRevoked
	}
	return nil
}

// keyFor is the jwt.Keyfunc: it runs after the header is decoded and before
// the signature is checked, and picks the one key that may verify it.
func (v *jwtVerifier) keyFor(t *jwt.Token) (any, error) {
	if _, ok := t.Header["crit"]; ok {
		return nil, errJWTCrit
	}
	alg := t.Method.Alg()
	kid, hasKid := "", false
	if raw, ok := t.Header["kid"]; ok {
		s, ok := raw.(string)
		if !ok {
			return nil, errJWTKidType
		}
		kid, hasKid = s, s != ""
	}
	switch {
	case v.hmac != nil:
		if !slices.Contains(jwtHMACAlgs, alg) {
			return nil, errJWTKeyMismatch
		}
		return v.hmac, nil
	case v.remote != nil:
		s := v.remote.snap.Load()
		if s == nil {
			return nil, errJWTUnknownKid
		}
		return s.keys.lookup(kid, hasKid, alg, true)
	default:
		return v.static.lookup(kid, hasKid, alg, false)
	}
}

// scopes extracts the scopes from claims as JWTConfig.ScopeClaim says.
func (v *jwtVerifier) scopes(claims map[string]any) ([]string, error) {
	if v.scopePath != nil {
		var cur any = claims
		for _, name := range v.scopePath {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, nil
			}
			if cur, ok = m[name]; !ok {
				return nil, nil
			}
		}
		return jwtScopeValue(cur)
	}
	if raw, ok := claims["scope"]; ok {
		return jwtScopeValue(raw)
	}
	if raw, ok := claims["scp"]; ok {
		return jwtScopeValue(raw)
	}
	return nil, nil
}

// jwtScopeValue reads a scope claim: a space-separated string or an array
// of strings.
func jwtScopeValue(raw any) ([]string, error) {
	switch x := raw.(type) {
	case string:
		return strings.Fields(x), nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, errors.New("auth: jwt: scope claim has an element that is not a string")
			}
			out = append(out, s)
		}
		return out, nil
	case nil:
		return nil, nil
	default:
		return nil, errors.New("auth: jwt: scope claim is neither a string nor an array of strings")
	}
}

// jwtKey is one verification key and, when its JWK names one, the only
// algorithm it may be used with.
type jwtKey struct {
	key any
	alg string
}

// jwtKeySet maps a key id to its keys ("" for keys without an id).
type jwtKeySet map[string][]jwtKey

// lookup returns the key for a token with the given kid and alg. When the
// token has no kid and fallback is set, the single key of the set that
// accepts alg is used.
func (ks jwtKeySet) lookup(kid string, hasKid bool, alg string, fallback bool) (any, error) {
	entries, ok := ks[kid]
	if !ok {
		if hasKid || !fallback {
			return nil, errJWTUnknownKid
		}
		var found any
		n := 0
		for _, es := range ks {
			for _, e := range es {
				if e.fits(alg) {
					found = e.key
					n++
				}
			}
		}
		if n != 1 {
			return nil, errJWTAmbiguous
		}
		return found, nil
	}
	for _, e := range entries {
		if e.fits(alg) {
			return e.key, nil
		}
	}
	return nil, errJWTKeyMismatch
}

func (k jwtKey) fits(alg string) bool {
	return (k.alg == "" || k.alg == alg) && jwtAlgFits(alg, k.key)
}

// jwtAlgFits reports whether alg is verified with keys of key's type. This
// binding is what makes algorithm confusion impossible.
func jwtAlgFits(alg string, key any) bool {
	switch k := key.(type) {
	case []byte:
		return alg == "HS256" || alg == "HS384" || alg == "HS512"
	case *rsa.PublicKey:
		switch alg {
		case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
			return true
		}
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return k.Curve == elliptic.P256()
		case "ES384":
			return k.Curve == elliptic.P384()
		case "ES512":
			return k.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// jwtCheckPublicKey validates a configured public key and returns it in
// the form the jwt package verifies with.
func jwtCheckPublicKey(k crypto.PublicKey) (any, error) {
	switch k := k.(type) {
	case *rsa.PublicKey:
		if k == nil || k.N == nil {
			return nil, errors.New("nil RSA key")
		}
		if k.N.BitLen() < minRSABits {
			return nil, fmt.Errorf("RSA key has %d bits, want at least %d", k.N.BitLen(), minRSABits)
		}
		if k.E < 3 || k.E%2 == 0 {
			return nil, fmt.Errorf("RSA key has invalid exponent %d", k.E)
		}
		return k, nil
	case *ecdsa.PublicKey:
		if k == nil || k.Curve == nil {
			return nil, errors.New("nil ECDSA key")
		}
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return nil, errors.New("ECDSA curve is not P-256, P-384 or P-521")
		}
		if _, err := k.Bytes(); err != nil {
			return nil, fmt.Errorf("invalid ECDSA key: %w", err)
		}
		return k, nil
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("Ed25519 key has %d bytes, want %d", len(k), ed25519.PublicKeySize)
		}
		return k, nil
	case []byte:
		return nil, errors.New("a []byte is a shared secret: use HMACSecret")
	case nil:
		return nil, errors.New("nil key")
	default:
		return nil, fmt.Errorf("unsupported key type %T (want *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey)", k)
	}
}

// jwksCheckURL accepts absolute http and https URLs.
func jwksCheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("parse URL: %w", err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("URL %q is not an absolute http or https URL", raw)
	}
	return nil
}
