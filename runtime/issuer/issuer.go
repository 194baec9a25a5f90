// Package issuer is the authorization server for an API's own users: an
// OAuth 2.0 token endpoint (RFC 6749) for the password, client_credentials
// and refresh_token grants, token revocation (RFC 7009), a JSON Web Key Set
// and authorization server metadata (RFC 8414).
//
// A Server is at once the token endpoint and the auth.Verifier of the
// tokens it issues, so a generated server that names it as a scheme's
// verifier mounts its endpoints too (it implements auth.TokenIssuer), at
// the spec's tokenUrl and refreshUrl, which its metadata then names.
// Access tokens are JWTs (RFC 9068 profile) signed with Ed25519, ES256 or
// RS256 keys that rotate with an overlap; refresh tokens are opaque, stored
// hashed, rotated on every use, and a reused refresh token revokes its
// whole family (after an optional grace period for retries). Failed logins
// are throttled per username and per client address. All shared state
// lives behind the Store interface: in memory by default, or in Redis
// (package redisstore) for several replicas. A Store is an
// auth.RevocationChecker too, so that other services that verify the
// issuer's tokens with auth.NewJWT refuse the revoked ones.
package issuer

import (
	"context"
	"crypto"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/securegen/securegen/runtime/auth"
)

// Grant types, as a Client's Grants list them.
const (
	GrantPassword          = "password"
	GrantClientCredentials = "client_credentials"
	GrantRefreshToken      = "refresh_token"
)

// Defaults of Config's fields.
const (
	DefaultTokenPath       = "/token"
	DefaultRevocationPath  = "/oauth2/revoke"
	DefaultJWKSPath        = "/.well-known/jwks.json"
	DefaultMetadataPath    = "/.well-known/oauth-authorization-server"
	DefaultAccessTokenTTL  = 15 * time.Minute
	DefaultRefreshTokenTTL = 30 * 24 * time.Hour
	DefaultMaxFailures     = 5
	DefaultThrottleWindow  = 15 * time.Minute
)

// maxTokenBytes bounds the access tokens Verify parses.
const maxTokenBytes = 8192

// Config configures New.
type Config struct {
	// Issuer identifies the server: the "iss" claim of its tokens and the
	// base of the endpoint URLs in its metadata. It must be an absolute
	// http or https URL without query or fragment, such as
	// "https://api.example.com". Required.
	Issuer string

	// Audience is the "aud" claim of issued tokens; Verify accepts a token
	// that names any of them. The default is []string{Issuer}.
	Audience []string

	// Authenticate checks the username and password of the password grant
	// (see Users). When nil, the password grant is not supported.
	Authenticate AuthenticateFunc

	// Clients are the registered OAuth2 clients. A client with a
	// SecretHash is confidential; one without is public.
	Clients []Client

	// AllowPublicClients lets the password and refresh_token grants be
	// used by public clients: registered clients without a secret, and
	// requests that name no client at all. Public clients can never use
	// client_credentials.
	AllowPublicClients bool

	// Algorithm is the JWS algorithm of access tokens: EdDSA (the
	// default), ES256 or RS256. Verify accepts no other.
	Algorithm string

	// Keys are the signing keys: Keys[0] signs until the first rotation,
	// and the others are published and accepted but never sign (list a
	// previous key there while tokens it signed may still be live). Each
	// must be an ed25519.PrivateKey, *ecdsa.PrivateKey on P-256 or
	// *rsa.PrivateKey of at least 2048 bits, as Algorithm requires, or any
	// crypto.Signer with such a public key. When empty, a key is generated
	// in memory: fine for development and a single process, but replicas
	// that should verify each other's tokens must share Keys.
	Keys []crypto.Signer

	// KeyRotation is how often a new signing key is made. The next key is
	// published a whole period before it signs, and a retired key stays
	// published and accepted for AccessTokenTTL plus Leeway after it
	// stopped signing. Rotation happens lazily, when the server is used;
	// no goroutine runs. Generated keys are per process, so replicas
	// should leave KeyRotation zero (the default, no automatic rotation)
	// and rotate by deploying new Keys. See also Server.Rotate.
	KeyRotation time.Duration

	// AccessTokenTTL is the lifetime of access tokens; default 15 minutes.
	AccessTokenTTL time.Duration

	// RefreshTokenTTL is the lifetime of a refresh token, restarted by
	// each rotation; default 30 days.
	RefreshTokenTTL time.Duration

	// RefreshGracePeriod, when positive, forgives a client that presents
	// a refresh token again just after redeeming it, as a client does
	// that retries a refresh whose answer a network error lost. Within
	// RefreshGracePeriod of a rotation, and as long as the family has not
	// rotated since, the rotated token (with the same client
	// authentication and scope) gets the same new pair again: the same
	// access token, with its remaining lifetime, and the same successor
	// refresh token, instead of counting as reuse and revoking the
	// family. After the window, reuse revokes the family as without a
	// grace period. It is off (zero) by default, and may not exceed
	// AccessTokenTTL.
	//
	// The trade-off: within the window, someone who presents a stolen
	// copy of the just-rotated token gets the pair too, and the theft
	// goes unnoticed, where without a grace period it revokes the family
	// (and logs the client out). Keep it to a few seconds. The pair waits
	// in the Store for the window only, sealed (AES-256-GCM) with a key
	// derived from the rotated token, which the Store does not hold: the
	// Store still holds no usable token.
	RefreshGracePeriod time.Duration

	// Leeway is the clock skew Verify tolerates on "exp" and "iat".
	Leeway time.Duration

	// CacheSize bounds the cache of access tokens Verify has verified:
	// the most it remembers, so that a token presented again is not
	// verified again. The default is auth.DefaultTokenCacheSize (10,000);
	// a negative CacheSize turns the cache off.
	//
	// The cache is on by default because it changes no answer, as for
	// auth.JWTConfig.CacheSize: it is keyed by the SHA-256 of the token,
	// never the token; only tokens that passed every check enter it; an
	// entry is served from the token's "iat" (and "nbf") to its "exp",
	// each less Leeway, and for CacheTTL at most; the Store is asked
	// whether the token or its refresh token family is revoked on every
	// Verify, cache hit or not, and an error from it refuses the token;
	// every hit returns a new copy of the principal; and a full cache
	// evicts an entry in constant time (see auth.TokenCache). A key that
	// verified a cached token stays accepted for the token's whole
	// lifetime (see KeyRotation), so no entry outlives its key.
	CacheSize int

	// CacheTTL is the longest time Verify serves a token from its cache
	// after verifying it; the default is auth.DefaultTokenCacheTTL (one
	// minute). It must not be negative.
	CacheTTL time.Duration

	// Store holds refresh tokens, revocations and failure counters; the
	// default is NewMemoryStore().
	Store Store

	// Throttle limits failed logins.
	Throttle Throttle

	// TokenPath is where the token endpoint is mounted, as named in the
	// metadata. Leave it empty when a generated handler mounts the issuer:
	// the spec's tokenUrl decides, through Mount, and a TokenPath that is
	// set must be one of the spec's tokenUrl and refreshUrl paths or the
	// handler refuses to start. When the token endpoint is mounted by hand,
	// set it to that path; default "/token".
	TokenPath string
	// RevocationPath is the path of the RFC 7009 revocation endpoint;
	// default "/oauth2/revoke".
	RevocationPath string
	// JWKSPath is the path of the key set; default "/.well-known/jwks.json".
	JWKSPath string
	// MetadataPath is the path of the RFC 8414 metadata; default
	// "/.well-known/oauth-authorization-server".
	MetadataPath string

	// ClientAddress returns the address failed logins are counted under.
	// The default is the host of the request's RemoteAddr; behind a
	// trusted proxy, return the address the proxy reports instead.
	ClientAddress func(r *http.Request) string

	// Logger receives server errors and throttling events; by default
	// nothing is logged. Credentials are never logged.
	Logger *slog.Logger

	// Now returns the current time; it defaults to time.Now and is meant
	// for tests.
	Now func() time.Time
}

// Client is a registered OAuth2 client.
type Client struct {
	// ID is the client_id.
	ID string
	// SecretHash is a bcrypt or argon2id hash of the client secret, or ""
	// for a public client (see Config.AllowPublicClients).
	SecretHash string
	// Scopes are the scopes the client may be granted with
	// client_credentials. For the password grant, when not empty, they
	// further limit the scopes a user may be granted through the client.
	Scopes []string
	// Grants are the grant types the client may use: GrantPassword,
	// GrantClientCredentials, GrantRefreshToken. Required: a client
	// without grants is a configuration error. A client allowed the
	// password grant gets refresh tokens only if it may also use
	// GrantRefreshToken.
	Grants []string
}

// Throttle limits failed logins, per username and per client address.
type Throttle struct {
	// MaxFailures is how many failed logins a username, or a client
	// address, may have in one Window; further attempts are answered 429
	// with Retry-After until the window ends. Default 5; negative disables
	// throttling.
	//
	// An attempt is counted before its secret is checked, and given back
	// when the secret was right, so that however many guesses arrive at
	// once, at most MaxFailures of them get a password or client secret
	// checked. It follows that a username or an address cannot have more
	// than MaxFailures requests to the token or revocation endpoint in
	// progress at once: raise MaxFailures for clients (such as a backend
	// behind one address) that make many concurrent token requests.
	MaxFailures int
	// Window is the length of the counting window, which starts with the
	// first failure; default 15 minutes.
	Window time.Duration
}

// Server is an OAuth 2.0 authorization server and the verifier of the
// access tokens it issues. It implements auth.TokenIssuer. Its methods are
// safe for concurrent use.
type Server struct {
	issuer          string
	audience        []string
	authenticate    AuthenticateFunc
	clients         map[string]*Client
	dummySecret     string
	allowPublic     bool
	alg             string
	keys            *keyRing
	accessTTL       time.Duration
	refreshTTL      time.Duration
	leeway          time.Duration
	grace           time.Duration
	store           Store
	maxFailures     int64
	window          time.Duration
	tokenPathSet    bool // Config.TokenPath was set
	revocationPath  string
	jwksPath        string
	metadataPath    string
	clientAddress   func(*http.Request) string
	log             *slog.Logger
	now             func() time.Time
	parser          *jwt.Parser
	keyfunc         jwt.Keyfunc
	cache           *auth.TokenCache // of verified access tokens; nil when off
	grantsSupported []string
	tokenHandler    http.Handler
	mountKey        string

	// mu guards tokenPath and mounted; metadata is rebuilt under it.
	mu        sync.Mutex
	tokenPath string // named in the metadata
	mounted   bool   // Mount has fixed tokenPath
	metadata  atomic.Pointer[[]byte]
}

var _ auth.TokenIssuer = (*Server)(nil)

// New returns a Server configured by cfg, or an error when cfg is invalid.
func New(cfg Config) (*Server, error) {
	s := &Server{
		issuer:         cfg.Issuer,
		audience:       slices.Clone(cfg.Audience),
		authenticate:   cfg.Authenticate,
		allowPublic:    cfg.AllowPublicClients,
		alg:            orDefault(cfg.Algorithm, EdDSA),
		accessTTL:      orDefault(cfg.AccessTokenTTL, DefaultAccessTokenTTL),
		refreshTTL:     orDefault(cfg.RefreshTokenTTL, DefaultRefreshTokenTTL),
		leeway:         cfg.Leeway,
		grace:          cfg.RefreshGracePeriod,
		store:          cfg.Store,
		maxFailures:    int64(orDefault(cfg.Throttle.MaxFailures, DefaultMaxFailures)),
		window:         orDefault(cfg.Throttle.Window, DefaultThrottleWindow),
		tokenPath:      orDefault(cfg.TokenPath, DefaultTokenPath),
		tokenPathSet:   cfg.TokenPath != "",
		revocationPath: orDefault(cfg.RevocationPath, DefaultRevocationPath),
		jwksPath:       orDefault(cfg.JWKSPath, DefaultJWKSPath),
		metadataPath:   orDefault(cfg.MetadataPath, DefaultMetadataPath),
		clientAddress:  cfg.ClientAddress,
		log:            cfg.Logger,
		now:            cfg.Now,
	}
	u, err := url.Parse(cfg.Issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("issuer: Issuer %q is not an absolute http or https URL without query, fragment or user info", cfg.Issuer)
	}
	if len(s.audience) == 0 {
		s.audience = []string{cfg.Issuer}
	}
	if slices.Contains(s.audience, "") {
		return nil, errors.New("issuer: Audience has an empty entry")
	}
	switch s.alg {
	case EdDSA, ES256, RS256:
	default:
		return nil, fmt.Errorf("issuer: Algorithm %q is not supported (want EdDSA, ES256 or RS256)", cfg.Algorithm)
	}
	for name, d := range map[string]time.Duration{"AccessTokenTTL": s.accessTTL, "RefreshTokenTTL": s.refreshTTL, "Throttle.Window": s.window} {
		if d < time.Second {
			return nil, fmt.Errorf("issuer: %s %v is shorter than a second", name, d)
		}
	}
	if cfg.Leeway < 0 || cfg.KeyRotation < 0 {
		return nil, errors.New("issuer: Leeway and KeyRotation must not be negative")
	}
	if cfg.KeyRotation > 0 && cfg.KeyRotation < time.Minute {
		return nil, fmt.Errorf("issuer: KeyRotation %v is shorter than a minute", cfg.KeyRotation)
	}
	if s.grace < 0 || s.grace > s.accessTTL {
		return nil, fmt.Errorf("issuer: RefreshGracePeriod %v is negative or longer than AccessTokenTTL %v", s.grace, s.accessTTL)
	}
	for name, p := range map[string]string{"TokenPath": s.tokenPath, "RevocationPath": s.revocationPath, "JWKSPath": s.jwksPath, "MetadataPath": s.metadataPath} {
		if !plainPath(p) {
			return nil, fmt.Errorf("issuer: %s %q is not a plain absolute path", name, p)
		}
	}
	if s.store == nil {
		s.store = NewMemoryStore()
	}
	if s.clientAddress == nil {
		s.clientAddress = remoteHost
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.setClients(cfg.Clients); err != nil {
		return nil, err
	}
	id, err := randomString(12)
	if err != nil {
		return nil, err
	}
	s.mountKey = s.issuer + "#" + id
	s.tokenHandler = http.HandlerFunc(s.serveToken)
	s.keys, err = newKeyRing(s.alg, cfg.Keys, cfg.KeyRotation, s.accessTTL+s.leeway, s.now)
	if err != nil {
		return nil, err
	}
	s.cache, err = auth.NewTokenCache(auth.TokenCacheConfig{Size: cfg.CacheSize, TTL: cfg.CacheTTL, Now: s.now})
	if err != nil {
		return nil, fmt.Errorf("issuer: CacheTTL %v is negative", cfg.CacheTTL)
	}
	s.keyfunc = s.keyFor
	s.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{s.alg}),
		jwt.WithIssuer(s.issuer),
		jwt.WithAudience(s.audience...),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(s.leeway),
		jwt.WithTimeFunc(s.now),
		jwt.WithStrictDecoding(),
	)
	if err := s.setMetadata(); err != nil {
		return nil, err
	}
	return s, nil
}

// orDefault returns v, or def when v is the zero value.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func (s *Server) setClients(clients []Client) error {
	s.clients = make(map[string]*Client, len(clients))
	var hashes []string
	for i, c := range clients {
		if c.ID == "" {
			return fmt.Errorf("issuer: Clients[%d] has no ID", i)
		}
		if _, dup := s.clients[c.ID]; dup {
			return fmt.Errorf("issuer: client %q is listed twice", c.ID)
		}
		if len(c.Grants) == 0 {
			return fmt.Errorf("issuer: client %q has no Grants", c.ID)
		}
		for _, g := range c.Grants {
			switch g {
			case GrantPassword:
				if s.authenticate == nil {
					return fmt.Errorf("issuer: client %q may use the password grant, but Config.Authenticate is nil", c.ID)
				}
			case GrantRefreshToken:
			case GrantClientCredentials:
				if c.SecretHash == "" {
					return fmt.Errorf("issuer: client %q is public (no SecretHash) and cannot use client_credentials", c.ID)
				}
			default:
				return fmt.Errorf("issuer: client %q: unsupported grant %q", c.ID, g)
			}
		}
		if c.SecretHash == "" {
			if !s.allowPublic {
				return fmt.Errorf("issuer: client %q is public (no SecretHash) but AllowPublicClients is false", c.ID)
			}
		} else {
			if _, _, ok := hashParams(c.SecretHash); !ok {
				return fmt.Errorf("issuer: client %q: SecretHash is not a bcrypt or argon2id hash", c.ID)
			}
			hashes = append(hashes, c.SecretHash)
		}
		c.Scopes = slices.Clone(c.Scopes)
		c.Grants = slices.Clone(c.Grants)
		s.clients[c.ID] = &c
	}
	s.dummySecret = dummyHash(hashes)
	s.grantsSupported = grantsUsable(s.authenticate != nil, s.allowPublic, s.clients)
	return nil
}

// grantsUsable lists the grant types some caller can use, in the order of
// the constants: password when users can authenticate and some caller
// (a client allowed it, or any public caller) may ask; client_credentials
// when a client is allowed it; refresh_token when a caller that may
// refresh gets refresh tokens from the password grant, the only grant
// that issues them.
func grantsUsable(users, allowPublic bool, clients map[string]*Client) []string {
	pw := users && allowPublic // requests that name no client
	refresh := pw
	cc := false
	for _, c := range clients {
		if users && slices.Contains(c.Grants, GrantPassword) {
			pw = true
			refresh = refresh || slices.Contains(c.Grants, GrantRefreshToken)
		}
		cc = cc || slices.Contains(c.Grants, GrantClientCredentials)
	}
	out := []string{} // an empty list in the metadata, not null
	for _, g := range []struct {
		name string
		ok   bool
	}{{GrantPassword, pw}, {GrantClientCredentials, cc}, {GrantRefreshToken, refresh}} {
		if g.ok {
			out = append(out, g.name)
		}
	}
	return out
}

// plainPath reports whether p is an absolute path that a ServeMux pattern
// can hold as it is.
func plainPath(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.ContainsAny(p, " \t\r\n{}?#")
}

// remoteHost is the default Config.ClientAddress.
func remoteHost(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// Errors Verify returns, wrapped.
var (
	errNoToken      = errors.New("issuer: no token")
	errTokenTooLong = errors.New("issuer: token too long")
	errTokenRevoked = errors.New("issuer: token revoked")
	errTokenType    = errors.New("issuer: token is not an access token (typ at+jwt)")
	errUnknownKey   = errors.New("issuer: token signed with an unknown or retired key")
	errTokenClaims  = errors.New("issuer: token lacks a string sub or jti claim")
)

// Verify implements auth.Verifier for the access tokens the server issued:
// it checks the signature (with the signing key or a key still in its
// overlap), the algorithm, "exp", "iat", "iss" and "aud", and that neither
// the token's jti nor its refresh token family is revoked. The principal's
// Scopes come from the "scope" claim and its Claims are the token's claims.
//
// Verified tokens are cached, as Config.CacheSize describes: a token
// presented again skips the signature check, never the revocation check.
func (s *Server) Verify(ctx context.Context, c auth.Credential) (*auth.Principal, error) {
	var key auth.TokenKey
	if s.cache != nil && c.Token != "" && len(c.Token) <= maxTokenBytes {
		key = auth.TokenKeyOf(c.Token)
		if e, ok := s.cache.Get(key); ok {
			if err := s.checkRevoked(ctx, e.JTI, e.SID); err != nil {
				return nil, err
			}
			e.Principal.Scheme = c.Scheme
			return e.Principal, nil
		}
	}
	claims, err := s.parse(c.Token)
	if err != nil {
		return nil, err
	}
	if err := s.checkRevoked(ctx, claims.jti, claims.sid); err != nil {
		return nil, err
	}
	p := &auth.Principal{Subject: claims.sub, Scheme: c.Scheme, Scopes: strings.Fields(claims.scope), Claims: claims.all}
	if s.cache != nil {
		s.cache.Put(key, auth.CachedToken{
			Principal: p,
			JTI:       claims.jti,
			SID:       claims.sid,
			NotBefore: claims.notBefore.Add(-s.leeway),
			NotAfter:  claims.exp.Add(-s.leeway),
		})
	}
	return p, nil
}

// checkRevoked asks the Store whether the token with JWT ID jti, or its
// refresh token family sid, is revoked, failing closed.
func (s *Server) checkRevoked(ctx context.Context, jti, sid string) error {
	revoked, err := s.store.Revoked(ctx, jti, sid)
	if err != nil {
		return fmt.Errorf("issuer: verify: revocation check: %w", err)
	}
	if revoked {
		return errTokenRevoked
	}
	return nil
}

// accessClaims are the claims of a verified access token.
type accessClaims struct {
	sub, jti, scope, sid, clientID string
	exp                            time.Time
	notBefore                      time.Time // the later of "iat" and "nbf"; zero without either
	all                            map[string]any
}

// parse verifies an access token and returns its claims.
func (s *Server) parse(token string) (*accessClaims, error) {
	if token == "" {
		return nil, errNoToken
	}
	if len(token) > maxTokenBytes {
		return nil, errTokenTooLong
	}
	mc := jwt.MapClaims{}
	if _, err := s.parser.ParseWithClaims(token, mc, s.keyfunc); err != nil {
		return nil, fmt.Errorf("issuer: verify: %w", err)
	}
	c := &accessClaims{all: mc}
	var ok bool
	if c.sub, ok = mc["sub"].(string); !ok || c.sub == "" {
		return nil, errTokenClaims
	}
	if c.jti, ok = mc["jti"].(string); !ok || c.jti == "" {
		return nil, errTokenClaims
	}
	for name, dst := range map[string]*string{"scope": &c.scope, "sid": &c.sid, "client_id": &c.clientID} {
		if raw, present := mc[name]; present {
			if *dst, ok = raw.(string); !ok {
				return nil, fmt.Errorf("issuer: verify: claim %q is not a string", name)
			}
		}
	}
	exp, err := mc.GetExpirationTime()
	if err != nil || exp == nil {
		return nil, fmt.Errorf("issuer: verify: exp: %w", err)
	}
	c.exp = exp.Time
	iat, err := mc.GetIssuedAt()
	if err != nil {
		return nil, fmt.Errorf("issuer: verify: iat: %w", err)
	}
	nbf, err := mc.GetNotBefore()
	if err != nil {
		return nil, fmt.Errorf("issuer: verify: nbf: %w", err)
	}
	for _, t := range [...]*jwt.NumericDate{iat, nbf} {
		if t != nil && t.After(c.notBefore) {
			c.notBefore = t.Time
		}
	}
	return c, nil
}

// keyFor is the jwt.Keyfunc: it pins the header to what the server signs
// and finds the verification key by kid.
func (s *Server) keyFor(t *jwt.Token) (any, error) {
	if _, ok := t.Header["crit"]; ok {
		return nil, errors.New("issuer: token header has a crit parameter")
	}
	if typ, _ := t.Header["typ"].(string); !strings.EqualFold(typ, "at+jwt") {
		return nil, errTokenType
	}
	kid, ok := t.Header["kid"].(string)
	if !ok {
		return nil, errUnknownKey
	}
	k, ok := s.keys.lookup(kid)
	if !ok {
		return nil, errUnknownKey
	}
	return k, nil
}

// Rotate makes a new key the signing key now. The previous key stays
// published and accepted for AccessTokenTTL plus Leeway.
func (s *Server) Rotate(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("issuer: rotate: %w", err)
	}
	return s.keys.rotate()
}

// TokenHandler returns the RFC 6749 token endpoint, to mount by hand at
// Config.TokenPath (and at any other path that should serve it). A
// generated handler calls Mount instead.
func (s *Server) TokenHandler() http.Handler {
	return s.tokenHandler
}

// Routes returns the revocation endpoint, the key set and the metadata,
// at the paths Config names.
func (s *Server) Routes() []auth.Route {
	return []auth.Route{
		{Pattern: "POST " + s.revocationPath, Handler: http.HandlerFunc(s.serveRevoke)},
		{Pattern: "GET " + s.jwksPath, Handler: http.HandlerFunc(s.serveJWKS)},
		{Pattern: "GET " + s.metadataPath, Handler: http.HandlerFunc(s.serveMetadata)},
	}
}

// MountKey implements auth.TokenIssuer: it is the Issuer URL and a random
// suffix, different for each Server.
func (s *Server) MountKey() string {
	return s.mountKey
}

// ErrTokenPathConflict is what Mount returns, wrapped, when the token
// endpoint cannot be mounted where it is asked to be.
var ErrTokenPathConflict = errors.New("issuer: token endpoint path conflict")

// Mount implements auth.TokenIssuer. It tells the server that a router
// serves its token endpoint at tokenPaths (the spec's tokenUrl and
// refreshUrl paths), so that the metadata's token_endpoint names one of
// them: Config.TokenPath when it is set (and it must then be one of them),
// or else tokenPaths[0]. It returns the routes to register: "POST p" for
// each of tokenPaths, without duplicates, then Routes.
//
// The first Mount fixes the path the metadata names. A later Mount, such
// as that of another handler built with the same Server, succeeds when its
// tokenPaths include that path, and otherwise fails, since that handler
// would serve metadata naming a path it does not serve. Every failure
// wraps ErrTokenPathConflict, or is a malformed path, and names the paths
// in question.
func (s *Server) Mount(tokenPaths []string) ([]auth.Route, error) {
	if len(tokenPaths) == 0 {
		return nil, errors.New("issuer: mount: no token path")
	}
	var paths []string
	for _, p := range tokenPaths {
		if !plainPath(p) {
			return nil, fmt.Errorf("issuer: mount: token path %q is not a plain absolute path", p)
		}
		for name, other := range map[string]string{"RevocationPath": s.revocationPath, "JWKSPath": s.jwksPath, "MetadataPath": s.metadataPath} {
			if p == other {
				return nil, fmt.Errorf("%w: the spec puts the token endpoint at %q, which is the issuer's %s", ErrTokenPathConflict, p, name)
			}
		}
		if !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.mounted:
		if !slices.Contains(paths, s.tokenPath) {
			return nil, fmt.Errorf("%w: the token endpoint is mounted at %q already, which the metadata names, and cannot be mounted at %q instead", ErrTokenPathConflict, s.tokenPath, paths)
		}
	case s.tokenPathSet && !slices.Contains(paths, s.tokenPath):
		return nil, fmt.Errorf("%w: Config.TokenPath is %q but the spec puts the token endpoint at %q: leave TokenPath empty, or make it agree with the spec's tokenUrl", ErrTokenPathConflict, s.tokenPath, paths)
	default:
		configured := s.tokenPath
		if !s.tokenPathSet {
			s.tokenPath = paths[0]
		}
		if err := s.setMetadata(); err != nil {
			s.tokenPath = configured
			return nil, err
		}
		s.mounted = true
	}
	routes := make([]auth.Route, 0, len(paths)+3)
	for _, p := range paths {
		routes = append(routes, auth.Route{Pattern: "POST " + p, Handler: s.tokenHandler})
	}
	return append(routes, s.Routes()...), nil
}

// randomString returns n random bytes, base64url-encoded.
func randomString(n int) (string, error) {
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("issuer: random: %w", err)
	}
	return b64.EncodeToString(buf), nil
}
