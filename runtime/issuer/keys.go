package issuer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"
)

// Signing algorithms for Config.Algorithm.
const (
	// EdDSA signs with Ed25519 (RFC 8037). It is the default.
	EdDSA = "EdDSA"
	// ES256 signs with ECDSA on P-256 and SHA-256.
	ES256 = "ES256"
	// RS256 signs with RSASSA-PKCS1-v1_5 and SHA-256.
	RS256 = "RS256"
)

// minRSABits is the smallest RSA key accepted, and the size generated.
const minRSABits = 2048

var b64 = base64.RawURLEncoding

// signingKey is one key of the ring.
type signingKey struct {
	kid    string
	signer crypto.Signer
	public crypto.PublicKey
	jwk    map[string]string
	// created is when the key became (or will become) the signing key.
	created time.Time
	// retired is when the key stopped signing; zero while it has not.
	retired time.Time
	// permanent keys (Config.Keys[1:]) are never dropped.
	permanent bool
}

// keyRing holds the signing key, the next key (published before it
// signs, so that verifiers caching the key set know it in advance) and
// the retired keys that still verify.
type keyRing struct {
	alg      string
	rotation time.Duration // 0: no automatic rotation
	overlap  time.Duration // how long a retired key still verifies
	now      func() time.Time

	mu      sync.RWMutex
	current *signingKey
	next    *signingKey   // nil unless rotation > 0
	old     []*signingKey // retired or permanent verification keys
}

func newKeyRing(alg string, keys []crypto.Signer, rotation, overlap time.Duration, now func() time.Time) (*keyRing, error) {
	r := &keyRing{alg: alg, rotation: rotation, overlap: overlap, now: now}
	t := now()
	seen := map[string]bool{}
	for i, s := range keys {
		k, err := newSigningKey(alg, s, t)
		if err != nil {
			return nil, fmt.Errorf("issuer: Keys[%d]: %w", i, err)
		}
		if seen[k.kid] {
			return nil, fmt.Errorf("issuer: Keys[%d]: the same key is listed twice", i)
		}
		seen[k.kid] = true
		if i == 0 {
			r.current = k
		} else {
			k.permanent = true
			r.old = append(r.old, k)
		}
	}
	if r.current == nil {
		k, err := generateKey(alg, t)
		if err != nil {
			return nil, err
		}
		r.current = k
	}
	if rotation > 0 {
		k, err := generateKey(alg, t.Add(rotation))
		if err != nil {
			return nil, err
		}
		r.next = k
	}
	return r, nil
}

// generateKey makes a new key for alg that becomes the signing key at t.
func generateKey(alg string, t time.Time) (*signingKey, error) {
	var s crypto.Signer
	var err error
	switch alg {
	case EdDSA:
		_, s, err = ed25519.GenerateKey(rand.Reader)
	case ES256:
		s, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case RS256:
		s, err = rsa.GenerateKey(rand.Reader, minRSABits)
	default:
		err = fmt.Errorf("unsupported algorithm %q", alg)
	}
	if err != nil {
		return nil, fmt.Errorf("issuer: generate %s key: %w", alg, err)
	}
	return newSigningKey(alg, s, t)
}

// newSigningKey checks that s fits alg and derives its key id (the RFC 7638
// thumbprint) and public JWK.
func newSigningKey(alg string, s crypto.Signer, t time.Time) (*signingKey, error) {
	if s == nil {
		return nil, errors.New("nil signer")
	}
	pub := s.Public()
	var jwk map[string]string
	switch p := pub.(type) {
	case ed25519.PublicKey:
		if alg != EdDSA {
			return nil, fmt.Errorf("an Ed25519 key cannot sign %s", alg)
		}
		if len(p) != ed25519.PublicKeySize {
			return nil, errors.New("malformed Ed25519 public key")
		}
		jwk = map[string]string{"kty": "OKP", "crv": "Ed25519", "x": b64.EncodeToString(p)}
	case *ecdsa.PublicKey:
		if alg != ES256 {
			return nil, fmt.Errorf("an ECDSA key cannot sign %s", alg)
		}
		if p == nil || p.Curve != elliptic.P256() {
			return nil, errors.New("ES256 needs an ECDSA key on P-256")
		}
		raw, err := p.Bytes()
		if err != nil || len(raw) != 65 {
			return nil, fmt.Errorf("malformed ECDSA public key: %v", err)
		}
		jwk = map[string]string{"kty": "EC", "crv": "P-256", "x": b64.EncodeToString(raw[1:33]), "y": b64.EncodeToString(raw[33:])}
	case *rsa.PublicKey:
		if alg != RS256 {
			return nil, fmt.Errorf("an RSA key cannot sign %s", alg)
		}
		if p == nil || p.N == nil || p.N.BitLen() < minRSABits {
			return nil, fmt.Errorf("RS256 needs an RSA key of at least %d bits", minRSABits)
		}
		jwk = map[string]string{"kty": "RSA", "n": b64.EncodeToString(p.N.Bytes()), "e": b64.EncodeToString(big.NewInt(int64(p.E)).Bytes())}
	default:
		return nil, fmt.Errorf("unsupported public key type %T", pub)
	}
	// RFC 7638: the required members, in lexicographic order, no spaces;
	// encoding/json sorts map keys and escapes nothing in these values.
	canon, err := json.Marshal(jwk)
	if err != nil {
		return nil, fmt.Errorf("thumbprint: %w", err)
	}
	sum := sha256.Sum256(canon)
	kid := b64.EncodeToString(sum[:])
	jwk["kid"] = kid
	jwk["use"] = "sig"
	jwk["alg"] = alg
	return &signingKey{kid: kid, signer: s, public: pub, jwk: jwk, created: t}, nil
}

// tick rotates when the rotation period has passed and drops retired keys
// that no longer verify. It returns the signing key.
func (r *keyRing) tick() (*signingKey, error) {
	now := r.now()
	r.mu.RLock()
	cur := r.current
	due := r.next != nil && !now.Before(r.next.created)
	stale := r.hasStale(now)
	r.mu.RUnlock()
	if !due && !stale {
		return cur, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.next != nil && !now.Before(r.next.created) {
		// A server idle for several periods rotates once, at the last
		// period boundary, rather than once per missed period.
		if missed := now.Sub(r.next.created) / r.rotation; missed > 0 {
			r.next.created = r.next.created.Add(missed * r.rotation)
		}
		at := r.next.created
		if err := r.rotateLocked(at, at.Add(r.rotation)); err != nil {
			return nil, err
		}
	}
	r.dropStaleLocked(now)
	return r.current, nil
}

// rotate makes the next key the signing key now.
func (r *keyRing) rotate() error {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.rotateLocked(now, now.Add(r.rotation)); err != nil {
		return err
	}
	r.dropStaleLocked(now)
	return nil
}

// rotateLocked retires the signing key at t, promotes the next key (or a
// new one) and, with automatic rotation, prepares the key after it to
// sign at nextAt. The caller holds r.mu.
func (r *keyRing) rotateLocked(t, nextAt time.Time) error {
	promoted := r.next
	if promoted == nil {
		k, err := generateKey(r.alg, t)
		if err != nil {
			return err
		}
		promoted = k
	}
	var next *signingKey
	if r.rotation > 0 {
		k, err := generateKey(r.alg, nextAt)
		if err != nil {
			return err
		}
		next = k
	}
	r.current.retired = t
	r.old = append(r.old, r.current)
	promoted.created = t
	r.current, r.next = promoted, next
	return nil
}

func (r *keyRing) hasStale(now time.Time) bool {
	for _, k := range r.old {
		if !k.permanent && now.After(k.retired.Add(r.overlap)) {
			return true
		}
	}
	return false
}

func (r *keyRing) dropStaleLocked(now time.Time) {
	kept := r.old[:0]
	for _, k := range r.old {
		if k.permanent || !now.After(k.retired.Add(r.overlap)) {
			kept = append(kept, k)
		}
	}
	clear(r.old[len(kept):])
	r.old = kept
}

// lookup returns the public key with key id kid that may verify a token
// now: the signing key, the next key, or a retired key within its overlap.
func (r *keyRing) lookup(kid string) (crypto.PublicKey, bool) {
	if _, err := r.tick(); err != nil {
		return nil, false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, k := range r.all() {
		if k.kid == kid {
			return k.public, true
		}
	}
	return nil, false
}

// all lists the keys that verify, signing key first. The caller holds r.mu.
func (r *keyRing) all() []*signingKey {
	ks := make([]*signingKey, 0, 2+len(r.old))
	ks = append(ks, r.current)
	if r.next != nil {
		ks = append(ks, r.next)
	}
	for i := len(r.old) - 1; i >= 0; i-- {
		ks = append(ks, r.old[i])
	}
	return ks
}

// jwks returns the JSON Web Key Set document of the verifying keys.
func (r *keyRing) jwks() ([]byte, error) {
	if _, err := r.tick(); err != nil {
		return nil, err
	}
	r.mu.RLock()
	ks := r.all()
	keys := make([]map[string]string, len(ks))
	for i, k := range ks {
		keys[i] = k.jwk
	}
	body, err := json.Marshal(map[string]any{"keys": keys})
	r.mu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("issuer: encode key set: %w", err)
	}
	return body, nil
}

// sign returns the compact JWS of claims signed with the signing key.
func (r *keyRing) sign(claims map[string]any) (string, error) {
	k, err := r.tick()
	if err != nil {
		return "", err
	}
	header, err := json.Marshal(map[string]string{"alg": r.alg, "typ": "at+jwt", "kid": k.kid})
	if err != nil {
		return "", fmt.Errorf("issuer: encode header: %w", err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("issuer: encode claims: %w", err)
	}
	buf := make([]byte, 0, b64.EncodedLen(len(header))+b64.EncodedLen(len(payload))+1+b64.EncodedLen(512)+1)
	buf = b64.AppendEncode(buf, header)
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, payload)
	sig, err := signJWS(r.alg, k.signer, buf)
	if err != nil {
		return "", fmt.Errorf("issuer: sign with key %s: %w", k.kid, err)
	}
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, sig)
	return string(buf), nil
}

// signJWS signs input as alg requires, with any crypto.Signer (so that keys
// held in an HSM or KMS work too).
func signJWS(alg string, s crypto.Signer, input []byte) ([]byte, error) {
	switch alg {
	case EdDSA:
		return s.Sign(rand.Reader, input, crypto.Hash(0))
	case ES256:
		digest := sha256.Sum256(input)
		der, err := s.Sign(rand.Reader, digest[:], crypto.SHA256)
		if err != nil {
			return nil, err
		}
		var sig struct{ R, S *big.Int }
		rest, err := asn1.Unmarshal(der, &sig)
		if err != nil || len(rest) != 0 || sig.R == nil || sig.S == nil || sig.R.BitLen() > 256 || sig.S.BitLen() > 256 {
			return nil, errors.New("malformed ECDSA signature from signer")
		}
		out := make([]byte, 64)
		sig.R.FillBytes(out[:32])
		sig.S.FillBytes(out[32:])
		return out, nil
	case RS256:
		digest := sha256.Sum256(input)
		return s.Sign(rand.Reader, digest[:], crypto.SHA256)
	default:
		return nil, fmt.Errorf("unsupported algorithm %q", alg)
	}
}
