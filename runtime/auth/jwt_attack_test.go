package auth

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestJWTAttackAlgNone(t *testing.T) {
	none := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "rsa", validClaims(), nil)
	mustReject(t, newJWT(t, staticConfig()), none)
	mustReject(t, newJWT(t, hmacConfig()), none)
	// Spelling variants of "none" are no better.
	for _, alg := range []string{"None", "NONE", "nOnE"} {
		forged := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"`+alg+`","typ":"JWT"}`)) + "." + strings.Split(none, ".")[1] + "."
		mustReject(t, newJWT(t, hmacConfig()), forged)
	}
}

func TestJWTAttackHS256SignedWithRSAPublicKey(t *testing.T) {
	k := testKeys()
	der, err := x509.MarshalPKIXPublicKey(&k.rsa.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	v := newJWT(t, staticConfig())
	for name, secret := range map[string][]byte{"PEM": pemBytes, "DER": der, "PKCS1": x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey)} {
		t.Run(name, func(t *testing.T) {
			for _, m := range []jwt.SigningMethod{jwt.SigningMethodHS256, jwt.SigningMethodHS384, jwt.SigningMethodHS512} {
				mustReject(t, v, sign(t, m, secret, "rsa", validClaims(), nil))
				mustReject(t, v, sign(t, m, secret, "", validClaims(), nil))
			}
		})
	}
}

func TestJWTAttackExpired(t *testing.T) {
	claims := validClaims()
	claims["exp"] = testNow.Add(-time.Second).Unix()
	err := mustReject(t, newJWT(t, hmacConfig()), sign(t, jwt.SigningMethodHS256, testKeys().hmac, "", claims, nil))
	if !errors.Is(err, jwt.ErrTokenExpired) {
		t.Errorf("error = %v, want jwt.ErrTokenExpired", err)
	}
}

func TestJWTAttackNotYetValid(t *testing.T) {
	claims := validClaims()
	claims["nbf"] = testNow.Add(time.Minute).Unix()
	err := mustReject(t, newJWT(t, hmacConfig()), sign(t, jwt.SigningMethodHS256, testKeys().hmac, "", claims, nil))
	if !errors.Is(err, jwt.ErrTokenNotValidYet) {
		t.Errorf("error = %v, want jwt.ErrTokenNotValidYet", err)
	}
}

func TestJWTAttackIssuedInTheFuture(t *testing.T) {
	claims := validClaims()
	claims["iat"] = testNow.Add(time.Minute).Unix()
	err := mustReject(t, newJWT(t, hmacConfig()), sign(t, jwt.SigningMethodHS256, testKeys().hmac, "", claims, nil))
	if !errors.Is(err, jwt.ErrTokenUsedBeforeIssued) {
		t.Errorf("error = %v, want jwt.ErrTokenUsedBeforeIssued", err)
	}
}

func TestJWTAttackWrongIssuer(t *testing.T) {
	for _, iss := range []any{"https://evil.test", "", nil, 42} {
		claims := validClaims()
		if iss == nil {
			delete(claims, "iss")
		} else {
			claims["iss"] = iss
		}
		mustReject(t, newJWT(t, hmacConfig()), sign(t, jwt.SigningMethodHS256, testKeys().hmac, "", claims, nil))
	}
}

func TestJWTAttackWrongAudience(t *testing.T) {
	for _, aud := range []any{"api://other", []string{"api://other", "x"}, "", []string{}, nil} {
		claims := validClaims()
		if aud == nil {
			delete(claims, "aud")
		} else {
			claims["aud"] = aud
		}
		mustReject(t, newJWT(t, hmacConfig()), sign(t, jwt.SigningMethodHS256, testKeys().hmac, "", claims, nil))
	}
	// One matching audience among several is enough.
	claims := validClaims()
	claims["aud"] = []string{"api://other", testAudience}
	mustAccept(t, newJWT(t, hmacConfig()), sign(t, jwt.SigningMethodHS256, testKeys().hmac, "", claims, nil))
}

func TestJWTAttackUnknownKidWithStaticKeys(t *testing.T) {
	k := testKeys()
	// Signed by a key we trust, but under a kid we do not know: no key is
	// guessed for it.
	err := mustReject(t, newJWT(t, staticConfig()), sign(t, jwt.SigningMethodRS256, k.rsa, "rsa-2", validClaims(), nil))
	if !errors.Is(err, errJWTUnknownKid) {
		t.Errorf("error = %v, want the unknown-kid error", err)
	}
}

// attackerServer serves an attacker's key set and certificate and counts
// the requests it receives.
func attackerServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	k := testKeys()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if strings.HasSuffix(r.URL.Path, ".pem") {
			w.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not really")}))
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"keys": []any{jwkOf(t, "attacker", &k.rsaOther.PublicKey)}})
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func testJWTIgnoresHeaderURL(t *testing.T, header string) {
	attacker, attackerHits := attackerServer(t)
	ours := newJWKSServer(t, jwkOf(t, "rsa", &testKeys().rsa.PublicKey))
	k := testKeys()
	url := attacker.URL + "/jwks.json"
	if header == "x5u" {
		url = attacker.URL + "/cert.pem"
	}
	// The attacker signs with their own key, names their own kid, and
	// points at their own key material.
	token := sign(t, jwt.SigningMethodRS256, k.rsaOther, "attacker", validClaims(), map[string]any{header: url})
	for name, cfg := range map[string]JWTConfig{"static keys": staticConfig(), "JWKS": ours.config()} {
		t.Run(name, func(t *testing.T) {
			err := mustReject(t, newJWT(t, cfg), token)
			if !errors.Is(err, errJWTUnknownKid) {
				t.Errorf("error = %v, want the unknown-kid error", err)
			}
		})
	}
	// Even with a kid we know, the attacker's key is never used.
	mustReject(t, newJWT(t, staticConfig()), sign(t, jwt.SigningMethodRS256, k.rsaOther, "rsa", validClaims(), map[string]any{header: url}))
	if n := attackerHits.Load(); n != 0 {
		t.Fatalf("the %s server received %d requests, want 0", header, n)
	}
	if ours.hits.Load() == 0 {
		t.Fatal("our own JWKS endpoint was never fetched: the JWKS case proved nothing")
	}
}

func TestJWTAttackJKUIsNeverFetched(t *testing.T) { testJWTIgnoresHeaderURL(t, "jku") }

func TestJWTAttackX5UIsNeverFetched(t *testing.T) { testJWTIgnoresHeaderURL(t, "x5u") }

func TestJWTAttackUnknownCritHeader(t *testing.T) {
	k := testKeys()
	for _, crit := range []any{[]string{"exp"}, []string{"b64"}, []string{}, "x"} {
		token := sign(t, jwt.SigningMethodRS256, k.rsa, "rsa", validClaims(), map[string]any{"crit": crit, "b64": false, "exp": 1})
		err := mustReject(t, newJWT(t, staticConfig()), token)
		if !errors.Is(err, errJWTCrit) {
			t.Errorf("crit %v: error = %v, want the crit error", crit, err)
		}
	}
}

func TestJWTAttackTamperedPayload(t *testing.T) {
	k := testKeys()
	for name, tc := range map[string]struct {
		m   jwt.SigningMethod
		key any
		kid string
	}{"HS256": {jwt.SigningMethodHS256, k.hmac, ""}, "RS256": {jwt.SigningMethodRS256, k.rsa, "rsa"}, "ES256": {jwt.SigningMethodES256, k.ec256, "ec256"}, "EdDSA": {jwt.SigningMethodEdDSA, k.ed, "ed"}} {
		t.Run(name, func(t *testing.T) {
			v := newJWT(t, staticConfig())
			if tc.kid == "" {
				v = newJWT(t, hmacConfig())
			}
			token := sign(t, tc.m, tc.key, tc.kid, validClaims(), nil)
			mustAccept(t, v, token)
			parts := strings.Split(token, ".")
			claims := validClaims()
			claims["sub"] = "admin"
			payload, _ := json.Marshal(claims)
			parts[1] = base64.RawURLEncoding.EncodeToString(payload)
			err := mustReject(t, v, strings.Join(parts, "."))
			if !errors.Is(err, jwt.ErrTokenSignatureInvalid) {
				t.Errorf("error = %v, want jwt.ErrTokenSignatureInvalid", err)
			}
		})
	}
}

func TestJWTAttackTruncatedToken(t *testing.T) {
	token := sign(t, jwt.SigningMethodHS256, testKeys().hmac, "", validClaims(), nil)
	v := newJWT(t, hmacConfig())
	mustAccept(t, v, token)
	parts := strings.Split(token, ".")
	for _, bad := range []string{
		token[:len(token)-1],
		token[:len(token)-5],
		parts[0] + "." + parts[1],
		parts[0] + "." + parts[1] + ".",
		parts[0],
		token[:len(token)/2],
		token + ".",
		".",
		"..",
	} {
		mustReject(t, v, bad)
	}
}

func TestJWTAttackGarbledBase64(t *testing.T) {
	token := sign(t, jwt.SigningMethodHS256, testKeys().hmac, "", validClaims(), nil)
	v := newJWT(t, hmacConfig())
	parts := strings.Split(token, ".")
	for i := range parts {
		for _, garble := range []func(string) string{
			func(s string) string { return s[:3] + "*" + s[4:] },
			func(s string) string { return s + "==" },
			func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "-", "+"), "_", "/") + "+/" },
			func(s string) string { return "%%" + s },
		} {
			ps := append([]string(nil), parts...)
			ps[i] = garble(ps[i])
			mustReject(t, v, strings.Join(ps, "."))
		}
	}
}

func TestJWTAttackOneMegabyteTokenRejectedBeforeParsing(t *testing.T) {
	k := testKeys()
	claims := validClaims()
	claims["pad"] = strings.Repeat("x", 1<<20)
	token := sign(t, jwt.SigningMethodHS256, k.hmac, "", claims, nil)
	err := mustReject(t, newJWT(t, hmacConfig()), token)
	if !strings.Contains(err.Error(), "exceeds the limit of 8192 bytes") {
		t.Errorf("error = %v, want the size limit error", err)
	}
	if errors.Is(err, jwt.ErrTokenMalformed) || errors.Is(err, jwt.ErrTokenSignatureInvalid) {
		t.Errorf("error = %v: the token was parsed", err)
	}
	// The same token is validly signed: only the size limit rejected it.
	cfg := hmacConfig()
	cfg.MaxTokenBytes = 2 << 20
	mustAccept(t, newJWT(t, cfg), token)
	// Garbage of that size is refused just as well.
	mustReject(t, newJWT(t, hmacConfig()), strings.Repeat("A", 1<<20))
}

func TestJWTAttackKidOfWrongType(t *testing.T) {
	k := testKeys()
	for _, kid := range []any{42, []string{"rsa"}, map[string]any{"kid": "rsa"}} {
		mustReject(t, newJWT(t, staticConfig()), sign(t, jwt.SigningMethodRS256, k.rsa, "", validClaims(), map[string]any{"kid": kid}))
	}
}

func TestJWTAttackSignatureFromAnotherKey(t *testing.T) {
	k := testKeys()
	mustReject(t, newJWT(t, staticConfig()), sign(t, jwt.SigningMethodRS256, k.rsaOther, "rsa", validClaims(), nil))
	mustReject(t, newJWT(t, hmacConfig()), sign(t, jwt.SigningMethodHS256, []byte("a-different-secret-of-32-bytes!!!"), "", validClaims(), nil))
}
