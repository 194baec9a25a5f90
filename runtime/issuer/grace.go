package issuer

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
)

// sealedPair is the token pair a rotation issued, kept for its grace
// period (Config.RefreshGracePeriod) so that a retry gets it again.
type sealedPair struct {
	AccessToken  string `json:"at"`
	RefreshToken string `json:"rt"`
	Scope        string `json:"scope"`
	Expires      int64  `json:"exp"` // of the access token, Unix seconds
}

// replayKeyInfo separates the key that seals a rotation's pair from every
// other use of the rotated token (the Store keys it by its plain SHA-256).
const replayKeyInfo = "securegen issuer: refresh grace period pair v1"

// replayAEAD returns the AES-256-GCM that seals the pair of the rotation of
// oldToken. Its key derives from the token, which the Store never holds,
// so that what the Store keeps for the grace period yields no token.
func replayAEAD(oldToken string) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, []byte(oldToken), nil, replayKeyInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("issuer: grace period key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("issuer: grace period cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("issuer: grace period cipher: %w", err)
	}
	return aead, nil
}

// sealPair seals p for the rotation of oldToken, bound to its hash.
func sealPair(oldToken, oldHash string, p sealedPair) ([]byte, error) {
	plain, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("issuer: seal grace period pair: %w", err)
	}
	aead, err := replayAEAD(oldToken)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("issuer: seal grace period pair: %w", err)
	}
	return aead.Seal(nonce, nonce, plain, []byte(oldHash)), nil
}

// errReplayTampered means that a sealed pair does not open with the key of
// the token presented: the Store returned something the issuer did not
// seal for it.
var errReplayTampered = errors.New("issuer: the grace period pair in the store does not open with the presented token")

// openPair opens what sealPair sealed for oldToken.
func openPair(oldToken, oldHash string, sealed []byte) (sealedPair, error) {
	aead, err := replayAEAD(oldToken)
	if err != nil {
		return sealedPair{}, err
	}
	if len(sealed) < aead.NonceSize() {
		return sealedPair{}, errReplayTampered
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(oldHash))
	if err != nil {
		return sealedPair{}, errReplayTampered
	}
	var p sealedPair
	if err := json.Unmarshal(plain, &p); err != nil {
		return sealedPair{}, fmt.Errorf("issuer: open grace period pair: %w", err)
	}
	return p, nil
}
