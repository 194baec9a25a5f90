// Package peer holds what the servers of the peer benchmark share: the
// JWT verifier every one of them calls (golang-jwt, one parser and one key
// for everyone), the keys and tokens of the four algorithms measured, the
// item the API answers with, and the RFC 6750 answers to requests without
// a good token.
//
// The servers themselves are in servers.go; the code that oapi-codegen,
// ogen and securegen generate from ../testdata/peer.yaml is in the
// packages below this one.
package peer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The claims every token carries and every verifier requires.
const (
	Issuer   = "https://issuer.test"
	Audience = "peer-api"
	// KeyID is the "kid" of every token and the id under which
	// auth.NewJWT is given the public key.
	KeyID = "k1"
	// Realm is the protection space every server names in its challenges.
	Realm = "peer"
)

// The scopes of the spec.
const (
	ScopeRead  = "items:read"
	ScopeWrite = "items:write"
)

// Alg is one signing algorithm with its keys.
type Alg struct {
	// Name is the JWS "alg" value.
	Name   string
	Method jwt.SigningMethod
	// Sign is the private key, or the HMAC secret.
	Sign any
	// Verify is what the verifier checks signatures with: the public key,
	// or the HMAC secret.
	Verify any
	// Public is the public key; nil for HMAC.
	Public crypto.PublicKey
}

// Algs returns HS256, RS256, ES256 and EdDSA, each with a fresh key.
func Algs() ([]Alg, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return []Alg{
		{Name: "HS256", Method: jwt.SigningMethodHS256, Sign: secret, Verify: secret},
		{Name: "RS256", Method: jwt.SigningMethodRS256, Sign: rsaKey, Verify: &rsaKey.PublicKey, Public: &rsaKey.PublicKey},
		{Name: "ES256", Method: jwt.SigningMethodES256, Sign: ecKey, Verify: &ecKey.PublicKey, Public: &ecKey.PublicKey},
		{Name: "EdDSA", Method: jwt.SigningMethodEdDSA, Sign: edPriv, Verify: edPub, Public: edPub},
	}, nil
}

// Token returns a token signed with a, valid for an hour, for subject
// "ann" with the given scopes (space-separated, as OAuth2 has them).
func (a Alg) Token(scope string) (string, error) {
	now := time.Now()
	tok := jwt.NewWithClaims(a.Method, jwt.MapClaims{
		"sub": "ann", "iss": Issuer, "aud": Audience, "scope": scope,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "t-1",
	})
	tok.Header["kid"] = KeyID
	return tok.SignedString(a.Sign)
}

// Claims are the claims the shared verifier decodes.
type Claims struct {
	jwt.RegisteredClaims
	// Scope is the space-separated list of scopes.
	Scope string `json:"scope"`
}

// HasScope reports whether c grants scope. It does not allocate.
func (c *Claims) HasScope(scope string) bool {
	for rest := c.Scope; rest != ""; {
		var s string
		s, rest, _ = strings.Cut(rest, " ")
		if s == scope {
			return true
		}
	}
	return false
}

// Scopes returns c's scopes as a list.
func (c *Claims) Scopes() []string { return strings.Fields(c.Scope) }

// Verifier is the one verifier every server of the benchmark calls: a
// golang-jwt parser that requires the token's algorithm to be a's, the
// issuer, the audience and an expiry, checks "iat", decodes base64
// strictly, and verifies the signature with a's key. These are the parser
// options auth.NewJWT configures for the same settings.
type Verifier struct {
	parser  *jwt.Parser
	keyfunc jwt.Keyfunc
}

// NewVerifier returns the verifier of tokens signed with a.
func NewVerifier(a Alg) *Verifier {
	key := a.Verify
	return &Verifier{
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{a.Name}),
			jwt.WithLeeway(0),
			jwt.WithIssuedAt(),
			jwt.WithStrictDecoding(),
			jwt.WithExpirationRequired(),
			jwt.WithIssuer(Issuer),
			jwt.WithAudience(Audience),
		),
		keyfunc: func(*jwt.Token) (any, error) { return key, nil },
	}
}

// Verify parses and verifies token and returns its claims.
func (v *Verifier) Verify(token string) (*Claims, error) {
	c := new(Claims)
	if _, err := v.parser.ParseWithClaims(token, c, v.keyfunc); err != nil {
		return nil, err
	}
	return c, nil
}

// ErrNoToken is what servers' security hooks return for a request that
// carries no bearer token.
var ErrNoToken = errors.New("no bearer token")

// ErrInsufficientScope matches every *ScopeError.
var ErrInsufficientScope = errors.New("insufficient scope")

// ScopeError says that a valid token lacks a scope the operation needs.
type ScopeError struct{ Scope string }

func (e *ScopeError) Error() string        { return "token lacks scope " + e.Scope }
func (e *ScopeError) Is(target error) bool { return target == ErrInsufficientScope }

// BearerToken returns the token of h's Authorization header when it is
// one bearer token.
func BearerToken(h http.Header) (string, bool) {
	v := h["Authorization"]
	if len(v) != 1 {
		return "", false
	}
	scheme, tok, ok := strings.Cut(v[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", false
	}
	return tok, true
}

// The RFC 6750 challenges.
const (
	challengeNoToken = `Bearer realm="` + Realm + `"`
	challengeInvalid = `Bearer realm="` + Realm + `", error="invalid_token"`
)

// WriteUnauthorized answers 401 with an RFC 6750 challenge: invalid_token
// when a token was presented (err is not ErrNoToken).
func WriteUnauthorized(w http.ResponseWriter, err error) {
	ch := challengeInvalid
	if errors.Is(err, ErrNoToken) {
		ch = challengeNoToken
	}
	h := w.Header()
	h["Www-Authenticate"] = []string{ch}
	h["Content-Type"] = []string{"application/json"}
	w.WriteHeader(http.StatusUnauthorized)
	w.Write([]byte(`{"message":"unauthorized"}`))
}

// WriteForbidden answers 403 with an RFC 6750 insufficient_scope
// challenge naming scope.
func WriteForbidden(w http.ResponseWriter, scope string) {
	h := w.Header()
	h["Www-Authenticate"] = []string{`Bearer realm="` + Realm + `", error="insufficient_scope", scope="` + scope + `"`}
	h["Content-Type"] = []string{"application/json"}
	w.WriteHeader(http.StatusForbidden)
	w.Write([]byte(`{"message":"insufficient scope"}`))
}

// WriteSecurityError answers err, which a security hook returned: 403 for
// a *ScopeError, 401 otherwise.
func WriteSecurityError(w http.ResponseWriter, err error) {
	var se *ScopeError
	if errors.As(err, &se) {
		WriteForbidden(w, se.Scope)
		return
	}
	WriteUnauthorized(w, err)
}

// Item is the one item the API has.
var Item = struct {
	ID    int64
	Name  string
	Price float64
}{42, "Widget", 9.5}

// NewItemID is the id every server gives the item POST /items creates;
// the servers keep no state.
const NewItemID = 43
