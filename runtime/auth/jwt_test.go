package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// testNow is the fixed clock of the JWT tests.
var testNow = time.Unix(1_700_000_000, 0)

const (
	testIssuer   = "https://issuer.test"
	testAudience = "api://orders"
)

// testKeyMaterial holds the signing keys of the tests; generating RSA keys
// is slow, so they are made once.
type testKeyMaterial struct {
	hmac                []byte
	rsa, rsaOther       *rsa.PrivateKey
	ec256, ec384, ec521 *ecdsa.PrivateKey
	ed                  ed25519.PrivateKey
}

var testKeys = sync.OnceValue(func() *testKeyMaterial {
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	k := &testKeyMaterial{hmac: []byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")}
	var err error
	k.rsa, err = rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	k.rsaOther, err = rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	k.ec256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	k.ec384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	must(err)
	k.ec521, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	must(err)
	_, k.ed, err = ed25519.GenerateKey(rand.Reader)
	must(err)
	return k
})

// validClaims are claims every default test verifier accepts at testNow.
func validClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss":   testIssuer,
		"aud":   testAudience,
		"sub":   "alice",
		"exp":   testNow.Add(5 * time.Minute).Unix(),
		"nbf":   testNow.Add(-time.Minute).Unix(),
		"iat":   testNow.Add(-time.Minute).Unix(),
		"scope": "orders:read orders:write",
	}
}

// sign returns a compact JWS of claims. header entries are added to (or
// replace) the protected header; a nil value deletes the entry.
func sign(t testing.TB, m jwt.SigningMethod, key any, kid string, claims jwt.MapClaims, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
		} else {
			tok.Header[k] = v
		}
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

// staticConfig is a JWTConfig trusting the tests' keys under kids "rsa",
// "ec256", "ec384", "ec521" and "ed".
func staticConfig() JWTConfig {
	k := testKeys()
	return JWTConfig{
		Issuer:   testIssuer,
		Audience: []string{testAudience},
		PublicKeys: map[string]crypto.PublicKey{
			"rsa":   &k.rsa.PublicKey,
			"ec256": &k.ec256.PublicKey,
			"ec384": &k.ec384.PublicKey,
			"ec521": &k.ec521.PublicKey,
			"ed":    k.ed.Public(),
		},
		Now: func() time.Time { return testNow },
	}
}

func hmacConfig() JWTConfig {
	return JWTConfig{
		Issuer:     testIssuer,
		Audience:   []string{testAudience},
		HMACSecret: testKeys().hmac,
		Now:        func() time.Time { return testNow },
	}
}

func newJWT(t testing.TB, cfg JWTConfig) Verifier {
	t.Helper()
	v, err := NewJWT(cfg)
	if err != nil {
		t.Fatalf("NewJWT: %v", err)
	}
	return v
}

// mustReject verifies token and fails unless it is rejected with an error
// that does not echo the token. It returns the error.
func mustReject(t *testing.T, v Verifier, token string) error {
	t.Helper()
	p, err := v.Verify(context.Background(), Credential{Scheme: "bearer", Token: token})
	if err == nil {
		t.Fatalf("token accepted (principal %+v), want rejection", p)
	}
	if p != nil {
		t.Errorf("rejection returned a principal: %+v", p)
	}
	if len(token) >= 16 && strings.Contains(err.Error(), token) {
		t.Errorf("error echoes the token: %v", err)
	}
	for _, part := range strings.Split(token, ".") {
		if len(part) >= 16 && strings.Contains(err.Error(), part) {
			t.Errorf("error echoes a token segment: %v", err)
		}
	}
	return err
}

func mustAccept(t *testing.T, v Verifier, token string) *Principal {
	t.Helper()
	p, err := v.Verify(context.Background(), Credential{Scheme: "bearer", Token: token})
	if err != nil {
		t.Fatalf("valid token rejected: %v", err)
	}
	return p
}

func TestJWTAcceptsEveryAllowedAlgorithm(t *testing.T) {
	k := testKeys()
	tests := []struct {
		method jwt.SigningMethod
		key    any
		kid    string
	}{
		{jwt.SigningMethodHS256, k.hmac, ""},
		{jwt.SigningMethodHS384, k.hmac, ""},
		{jwt.SigningMethodHS512, k.hmac, ""},
		{jwt.SigningMethodRS256, k.rsa, "rsa"},
		{jwt.SigningMethodRS384, k.rsa, "rsa"},
		{jwt.SigningMethodRS512, k.rsa, "rsa"},
		{jwt.SigningMethodPS256, k.rsa, "rsa"},
		{jwt.SigningMethodPS384, k.rsa, "rsa"},
		{jwt.SigningMethodPS512, k.rsa, "rsa"},
		{jwt.SigningMethodES256, k.ec256, "ec256"},
		{jwt.SigningMethodES384, k.ec384, "ec384"},
		{jwt.SigningMethodES512, k.ec521, "ec521"},
		{jwt.SigningMethodEdDSA, k.ed, "ed"},
	}
	hmacV := newJWT(t, hmacConfig())
	staticV := newJWT(t, staticConfig())
	for _, tt := range tests {
		t.Run(tt.method.Alg(), func(t *testing.T) {
			v := staticV
			if strings.HasPrefix(tt.method.Alg(), "HS") {
				v = hmacV
			}
			p := mustAccept(t, v, sign(t, tt.method, tt.key, tt.kid, validClaims(), nil))
			if p.Subject != "alice" || p.Scheme != "bearer" {
				t.Errorf("principal = %+v, want subject alice, scheme bearer", p)
			}
			if p.Claims["iss"] != testIssuer {
				t.Errorf("claims = %v, want the token's claims", p.Claims)
			}
		})
	}
}

func TestJWTKeyIsBoundToItsAlgorithm(t *testing.T) {
	// A token naming kid "ec384" but signed ES256 must not be verified with
	// the P-384 key, nor an RS256 token with the Ed25519 key.
	k := testKeys()
	v := newJWT(t, staticConfig())
	mustReject(t, v, sign(t, jwt.SigningMethodES256, k.ec256, "ec384", validClaims(), nil))
	mustReject(t, v, sign(t, jwt.SigningMethodRS256, k.rsa, "ed", validClaims(), nil))
}

func TestJWTRejectsAlgorithmOutsideAllowlist(t *testing.T) {
	cfg := staticConfig()
	cfg.Algorithms = []string{"RS256"}
	v := newJWT(t, cfg)
	k := testKeys()
	mustAccept(t, v, sign(t, jwt.SigningMethodRS256, k.rsa, "rsa", validClaims(), nil))
	mustReject(t, v, sign(t, jwt.SigningMethodPS256, k.rsa, "rsa", validClaims(), nil))
	mustReject(t, v, sign(t, jwt.SigningMethodES256, k.ec256, "ec256", validClaims(), nil))
}

func TestJWTScopes(t *testing.T) {
	k := testKeys()
	tests := []struct {
		name       string
		scopeClaim string
		claims     map[string]any
		want       []string
	}{
		{"scope string", "", map[string]any{"scope": "a b  c"}, []string{"a", "b", "c"}},
		{"scp array", "", map[string]any{"scp": []string{"a", "b"}}, []string{"a", "b"}},
		{"scp string", "", map[string]any{"scp": "a b"}, []string{"a", "b"}},
		{"scope wins over scp", "", map[string]any{"scope": "a", "scp": []string{"b"}}, []string{"a"}},
		{"none", "", map[string]any{}, nil},
		{"custom path", "realm_access.roles", map[string]any{"scope": "ignored", "realm_access": map[string]any{"roles": []string{"admin", "user"}}}, []string{"admin", "user"}},
		{"custom path string", "roles", map[string]any{"roles": "admin user"}, []string{"admin", "user"}},
		{"custom path absent", "realm_access.roles", map[string]any{"realm_access": "x"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := hmacConfig()
			cfg.ScopeClaim = tt.scopeClaim
			v := newJWT(t, cfg)
			claims := validClaims()
			delete(claims, "scope")
			for name, val := range tt.claims {
				claims[name] = val
			}
			p := mustAccept(t, v, sign(t, jwt.SigningMethodHS256, k.hmac, "", claims, nil))
			if !slices.Equal(p.Scopes, tt.want) {
				t.Errorf("scopes = %q, want %q", p.Scopes, tt.want)
			}
		})
	}
}

func TestJWTRejectsMalformedScopeClaim(t *testing.T) {
	k := testKeys()
	v := newJWT(t, hmacConfig())
	claims := validClaims()
	claims["scope"] = []any{"a", 7}
	mustReject(t, v, sign(t, jwt.SigningMethodHS256, k.hmac, "", claims, nil))
	claims["scope"] = 7
	mustReject(t, v, sign(t, jwt.SigningMethodHS256, k.hmac, "", claims, nil))
}

func TestJWTRequiresExpUnlessAllowed(t *testing.T) {
	k := testKeys()
	claims := validClaims()
	delete(claims, "exp")
	token := sign(t, jwt.SigningMethodHS256, k.hmac, "", claims, nil)
	mustReject(t, newJWT(t, hmacConfig()), token)
	cfg := hmacConfig()
	cfg.AllowMissingExp = true
	mustAccept(t, newJWT(t, cfg), token)
}

func TestJWTLeewayToleratesClockSkew(t *testing.T) {
	k := testKeys()
	claims := validClaims()
	claims["exp"] = testNow.Add(-10 * time.Second).Unix()
	token := sign(t, jwt.SigningMethodHS256, k.hmac, "", claims, nil)
	mustReject(t, newJWT(t, hmacConfig()), token)
	cfg := hmacConfig()
	cfg.Leeway = 30 * time.Second
	mustAccept(t, newJWT(t, cfg), token)
}

func TestJWTWithoutIssuerOrAudienceConfiguredSkipsThoseChecks(t *testing.T) {
	k := testKeys()
	cfg := hmacConfig()
	cfg.Issuer, cfg.Audience = "", nil
	claims := validClaims()
	claims["iss"], claims["aud"] = "https://other", "other"
	mustAccept(t, newJWT(t, cfg), sign(t, jwt.SigningMethodHS256, k.hmac, "", claims, nil))
}

func TestJWTRejectsNonStringSubject(t *testing.T) {
	k := testKeys()
	claims := validClaims()
	claims["sub"] = 42
	mustReject(t, newJWT(t, hmacConfig()), sign(t, jwt.SigningMethodHS256, k.hmac, "", claims, nil))
}

func TestJWTStaticKeyWithoutKid(t *testing.T) {
	k := testKeys()
	cfg := staticConfig()
	v := newJWT(t, cfg)
	// No "" entry: a token without kid has no key.
	mustReject(t, v, sign(t, jwt.SigningMethodES256, k.ec256, "", validClaims(), nil))
	cfg.PublicKeys = map[string]crypto.PublicKey{"": &k.ec256.PublicKey}
	mustAccept(t, newJWT(t, cfg), sign(t, jwt.SigningMethodES256, k.ec256, "", validClaims(), nil))
}

func TestNewJWTRequiresExactlyOneKeySource(t *testing.T) {
	k := testKeys()
	tests := []struct {
		name string
		cfg  JWTConfig
		want []string
	}{
		{"none", JWTConfig{}, []string{"HMACSecret", "PublicKeys", "JWKSURL", "DiscoveryURL"}},
		{"two", JWTConfig{HMACSecret: k.hmac, JWKSURL: "https://idp/jwks"}, []string{"HMACSecret", "JWKSURL"}},
		{"three", JWTConfig{PublicKeys: map[string]crypto.PublicKey{"a": &k.rsa.PublicKey}, JWKSURL: "https://idp/jwks", DiscoveryURL: "https://idp/.well-known/openid-configuration"}, []string{"PublicKeys", "JWKSURL", "DiscoveryURL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewJWT(tt.cfg)
			if err == nil {
				t.Fatal("NewJWT accepted the configuration")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %s", err, w)
				}
			}
		})
	}
}

func TestNewJWTRejectsUnsafeConfiguration(t *testing.T) {
	k := testKeys()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  JWTConfig
		want string
	}{
		{"alg none", JWTConfig{HMACSecret: k.hmac, Algorithms: []string{"none"}}, "none"},
		{"HS with RSA key", JWTConfig{PublicKeys: map[string]crypto.PublicKey{"k": &k.rsa.PublicKey}, Algorithms: []string{"RS256", "HS256"}}, "HS256"},
		{"RS with HMAC", JWTConfig{HMACSecret: k.hmac, Algorithms: []string{"RS256"}}, "RS256"},
		{"HS with JWKS", JWTConfig{JWKSURL: "https://idp/jwks", Algorithms: []string{"HS256"}}, "HS256"},
		{"unknown alg", JWTConfig{HMACSecret: k.hmac, Algorithms: []string{"HS1"}}, "HS1"},
		{"short secret", JWTConfig{HMACSecret: []byte("short")}, "HMACSecret"},
		{"small RSA key", JWTConfig{PublicKeys: map[string]crypto.PublicKey{"old": &small.PublicKey}}, `PublicKeys["old"]`},
		{"secret as public key", JWTConfig{PublicKeys: map[string]crypto.PublicKey{"s": k.hmac}}, "HMACSecret"},
		{"private key", JWTConfig{PublicKeys: map[string]crypto.PublicKey{"p": k.rsa}}, `PublicKeys["p"]`},
		{"relative JWKS URL", JWTConfig{JWKSURL: "/jwks"}, "JWKSURL"},
		{"bad scope path", JWTConfig{HMACSecret: k.hmac, ScopeClaim: "a..b"}, "ScopeClaim"},
		{"negative size", JWTConfig{HMACSecret: k.hmac, MaxTokenBytes: -1}, "MaxTokenBytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewJWT(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewJWT error = %v, want one naming %s", err, tt.want)
			}
		})
	}
}

// FuzzJWTVerify feeds arbitrary strings to a verifier with a static key: it
// must never panic, and must accept nothing but the one validly signed seed.
func FuzzJWTVerify(f *testing.F) {
	secret := []byte("fuzz-secret-fuzz-secret-fuzz-secret!")
	claims := validClaims()
	good := sign(f, jwt.SigningMethodHS256, secret, "k1", claims, nil)
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(good + "=")
	f.Add(sign(f, jwt.SigningMethodHS256, []byte("another-secret-another-secret-12"), "k1", claims, nil))
	f.Add(sign(f, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "k1", claims, nil))
	f.Add("eyJhbGciOiJIUzI1NiJ9.e30.")
	f.Add("..")
	f.Add("")
	f.Add(strings.Repeat("A", 9000))
	v, err := NewJWT(JWTConfig{
		HMACSecret: secret,
		Issuer:     testIssuer,
		Audience:   []string{testAudience},
		Now:        func() time.Time { return testNow },
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, token string) {
		p, err := v.Verify(context.Background(), Credential{Token: token})
		if token == good {
			if err != nil || p == nil || p.Subject != "alice" {
				t.Fatalf("good token rejected: %v", err)
			}
			return
		}
		if err == nil || p != nil {
			t.Fatalf("accepted a token that is not the signed seed: %q", token)
		}
	})
}

func benchmarkTokens(b *testing.B) []struct {
	name   string
	token  string
	key    any
	verify Verifier
} {
	k := testKeys()
	claims := jwt.MapClaims{
		"iss":   testIssuer,
		"aud":   testAudience,
		"sub":   "alice",
		"exp":   time.Now().Add(time.Hour).Unix(),
		"iat":   time.Now().Add(-time.Minute).Unix(),
		"scope": "orders:read orders:write",
	}
	mk := func(cfg JWTConfig) Verifier {
		cfg.Issuer, cfg.Audience = testIssuer, []string{testAudience}
		v, err := NewJWT(cfg)
		if err != nil {
			b.Fatal(err)
		}
		return v
	}
	pub := func(kid string, key crypto.PublicKey) JWTConfig {
		return JWTConfig{PublicKeys: map[string]crypto.PublicKey{kid: key}}
	}
	return []struct {
		name   string
		token  string
		key    any
		verify Verifier
	}{
		{"HS256", sign(b, jwt.SigningMethodHS256, k.hmac, "", claims, nil), k.hmac, mk(JWTConfig{HMACSecret: k.hmac})},
		{"RS256", sign(b, jwt.SigningMethodRS256, k.rsa, "k", claims, nil), &k.rsa.PublicKey, mk(pub("k", &k.rsa.PublicKey))},
		{"ES256", sign(b, jwt.SigningMethodES256, k.ec256, "k", claims, nil), &k.ec256.PublicKey, mk(pub("k", &k.ec256.PublicKey))},
		{"EdDSA", sign(b, jwt.SigningMethodEdDSA, k.ed, "k", claims, nil), k.ed.Public(), mk(pub("k", k.ed.Public()))},
	}
}

func BenchmarkJWTVerify(b *testing.B) {
	for _, bt := range benchmarkTokens(b) {
		b.Run(bt.name, func(b *testing.B) {
			ctx := context.Background()
			c := Credential{Scheme: "bearer", Token: bt.token}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bt.verify.Verify(ctx, c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkJWTParseBare(b *testing.B) {
	for _, bt := range benchmarkTokens(b) {
		b.Run(bt.name, func(b *testing.B) {
			keyfunc := func(*jwt.Token) (any, error) { return bt.key, nil }
			b.ReportAllocs()
			for b.Loop() {
				if _, err := jwt.Parse(bt.token, keyfunc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// revocationList is a RevocationChecker over fixed sets, recording what it
// is asked.
type revocationList struct {
	jtis, sids map[string]bool
	err        error
	asked      [][2]string
}

func (l *revocationList) Revoked(_ context.Context, jti, sid string) (bool, error) {
	l.asked = append(l.asked, [2]string{jti, sid})
	if l.err != nil {
		return false, l.err
	}
	return l.jtis[jti] || (sid != "" && l.sids[sid]), nil
}

func TestJWTRevocation(t *testing.T) {
	k := testKeys()
	list := &revocationList{jtis: map[string]bool{"gone": true}, sids: map[string]bool{"fam-gone": true}}
	cfg := staticConfig()
	cfg.Revocation = list
	v := newJWT(t, cfg)
	token := func(mutate func(jwt.MapClaims)) string {
		c := validClaims()
		c["jti"] = "live"
		mutate(c)
		return sign(t, jwt.SigningMethodEdDSA, k.ed, "ed", c, nil)
	}

	mustAccept(t, v, token(func(jwt.MapClaims) {}))
	mustAccept(t, v, token(func(c jwt.MapClaims) { c["sid"] = "fam-live" }))
	if want := [][2]string{{"live", ""}, {"live", "fam-live"}}; !slices.Equal(list.asked, want) {
		t.Errorf("asked %v, want %v", list.asked, want)
	}
	for name, tok := range map[string]string{
		"revoked jti":    token(func(c jwt.MapClaims) { c["jti"] = "gone" }),
		"revoked family": token(func(c jwt.MapClaims) { c["sid"] = "fam-gone" }),
	} {
		if err := mustReject(t, v, tok); !errors.Is(err, ErrTokenRevoked) {
			t.Errorf("%s: %v, want ErrTokenRevoked", name, err)
		}
	}
	// Fail closed: what cannot be checked is refused.
	list.asked = nil
	for name, tok := range map[string]string{
		"no jti":         token(func(c jwt.MapClaims) { delete(c, "jti") }),
		"empty jti":      token(func(c jwt.MapClaims) { c["jti"] = "" }),
		"jti not string": token(func(c jwt.MapClaims) { c["jti"] = 7 }),
		"sid not string": token(func(c jwt.MapClaims) { c["sid"] = []string{"fam-gone"} }),
	} {
		if err := mustReject(t, v, tok); errors.Is(err, ErrTokenRevoked) {
			t.Errorf("%s: %v, want another error", name, err)
		}
	}
	if len(list.asked) != 0 {
		t.Errorf("the checker was asked about tokens it cannot check: %v", list.asked)
	}
	list.err = errors.New("store down")
	if err := mustReject(t, v, token(func(jwt.MapClaims) {})); !errors.Is(err, list.err) {
		t.Errorf("checker error: %v, want it wrapped", err)
	}
	// A token that fails the other checks never reaches the checker.
	list.err, list.asked = nil, nil
	mustReject(t, v, token(func(c jwt.MapClaims) { c["exp"] = testNow.Add(-time.Hour).Unix() }))
	if len(list.asked) != 0 {
		t.Errorf("an expired token was looked up: %v", list.asked)
	}
}
