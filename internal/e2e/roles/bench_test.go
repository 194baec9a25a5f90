package roles_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/securegen/securegen/internal/e2e/roles"
	"github.com/securegen/securegen/runtime/auth"
	"github.com/securegen/securegen/runtime/httpapi"
)

type algorithm struct {
	name   string
	method jwt.SigningMethod
	sign   any              // private key or HMAC secret
	verify crypto.PublicKey // public key, or nil for HMAC
}

func algorithms(b *testing.B) []algorithm {
	b.Helper()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	return []algorithm{
		{"HS256", jwt.SigningMethodHS256, secret, nil},
		{"RS256", jwt.SigningMethodRS256, rsaKey, &rsaKey.PublicKey},
		{"ES256", jwt.SigningMethodES256, ecKey, &ecKey.PublicKey},
		{"EdDSA", jwt.SigningMethodEdDSA, edPriv, edPub},
	}
}

func (a algorithm) token(b *testing.B) string {
	tok := jwt.NewWithClaims(a.method, jwt.MapClaims{
		"sub": "ann", "iss": "https://issuer.test", "aud": "roles-api", "scope": "admin",
		"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(),
	})
	tok.Header["kid"] = "k1"
	s, err := tok.SignedString(a.sign)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func (a algorithm) verifier(b *testing.B) auth.Verifier {
	cfg := auth.JWTConfig{Issuer: "https://issuer.test", Audience: []string{"roles-api"}}
	if a.verify == nil {
		cfg.HMACSecret = secret
	} else {
		cfg.PublicKeys = map[string]crypto.PublicKey{"k1": a.verify}
	}
	v, err := auth.NewJWT(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return v
}

// discard is a ResponseWriter that keeps only the status, so the
// benchmark measures the handler, not a recorder.
type discard struct {
	h      http.Header
	status int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(s int)           { d.status = s }

// BenchmarkSecuredRequest serves GET /admin, which requires a JWT with the
// admin role, through the generated handler: routing, credential
// extraction, verification, the role check, and the typed answer.
func BenchmarkSecuredRequest(b *testing.B) {
	for _, a := range algorithms(b) {
		b.Run(a.name, func(b *testing.B) {
			h, err := roles.NewHandler(server{}, roles.Security{JWT: a.verifier(b), Client: auth.NewMutualTLS(auth.MutualTLSConfig{})},
				httpapi.WithLogger(nil))
			if err != nil {
				b.Fatal(err)
			}
			r := httptest.NewRequest("GET", "/admin", nil)
			r.Header.Set("Authorization", "Bearer "+a.token(b))
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, r)
				if w.status != http.StatusNoContent {
					b.Fatalf("status %d", w.status)
				}
			}
		})
	}
}

// BenchmarkBareJWTParse is the baseline: jwt.Parse of the same token, with
// the same key, and nothing else.
func BenchmarkBareJWTParse(b *testing.B) {
	for _, a := range algorithms(b) {
		b.Run(a.name, func(b *testing.B) {
			tok := a.token(b)
			key := a.verify
			if key == nil {
				key = secret
			}
			keyfunc := func(*jwt.Token) (any, error) { return key, nil }
			b.ReportAllocs()
			for b.Loop() {
				if _, err := jwt.Parse(tok, keyfunc, jwt.WithValidMethods([]string{a.name})); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
