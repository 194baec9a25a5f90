package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// apiKeyHashPrefix marks the only API key hash format: SHA-256, in hex.
const apiKeyHashPrefix = "sha256:"

var errAPIKeyUnknown = errors.New("auth: api key: unknown key")

// HashAPIKey returns the form in which an API key is stored: "sha256:"
// followed by the hex SHA-256 digest of key. A fast hash is enough here, and
// a slow password hash would only cost CPU on every request: API keys are
// random, high-entropy secrets (generate at least 128 random bits), so no
// dictionary or brute-force attack on the digest is feasible.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return apiKeyHashPrefix + hex.EncodeToString(sum[:])
}

// APIKey is a stored API key: its hash (as HashAPIKey returns it, never
// the key itself) and the principal it stands for.
type APIKey struct {
	// Hash is HashAPIKey of the key.
	Hash string
	// Subject identifies the key's owner; it becomes Principal.Subject.
	Subject string
	// Scopes are the scopes (or roles) the key grants.
	Scopes []string
}

// apiKeyVerifier is the Verifier NewAPIKeys returns.
type apiKeyVerifier struct {
	digests [][sha256.Size]byte
	keys    []APIKey
}

// NewAPIKeys returns a Verifier of API keys (Credential.Token) against
// keys. A presented key is hashed and compared in constant time with every
// stored hash, so that neither which key matched nor how much of a hash
// matched shows in the response time. Malformed or duplicate hashes and
// empty subjects are configuration errors naming the key's index.
func NewAPIKeys(keys []APIKey) (Verifier, error) {
	v := &apiKeyVerifier{
		digests: make([][sha256.Size]byte, len(keys)),
		keys:    make([]APIKey, len(keys)),
	}
	for i, k := range keys {
		hexDigest, ok := strings.CutPrefix(k.Hash, apiKeyHashPrefix)
		if !ok {
			return nil, fmt.Errorf("auth: api key %d: hash does not start with %q (use HashAPIKey)", i, apiKeyHashPrefix)
		}
		if len(hexDigest) != 2*sha256.Size {
			return nil, fmt.Errorf("auth: api key %d: hash has %d hex digits, want %d", i, len(hexDigest), 2*sha256.Size)
		}
		if _, err := hex.Decode(v.digests[i][:], []byte(hexDigest)); err != nil {
			return nil, fmt.Errorf("auth: api key %d: hash is not hex: %w", i, err)
		}
		if k.Subject == "" {
			return nil, fmt.Errorf("auth: api key %d: empty Subject", i)
		}
		for j := range i {
			if v.digests[j] == v.digests[i] {
				return nil, fmt.Errorf("auth: api key %d: same hash as api key %d", i, j)
			}
		}
		v.keys[i] = APIKey{Hash: k.Hash, Subject: k.Subject, Scopes: slices.Clone(k.Scopes)}
	}
	return v, nil
}

// Verify implements Verifier.
func (v *apiKeyVerifier) Verify(_ context.Context, c Credential) (*Principal, error) {
	if c.Token == "" {
		return nil, errors.New("auth: api key: empty key")
	}
	sum := sha256.Sum256([]byte(c.Token))
	// Visit every stored digest, whatever matches, and select the match
	// without branching on it.
	match, found := 0, 0
	for i := range v.digests {
		eq := subtle.ConstantTimeCompare(sum[:], v.digests[i][:])
		match = subtle.ConstantTimeSelect(eq, i, match)
		found |= eq
	}
	if found != 1 {
		return nil, errAPIKeyUnknown
	}
	k := &v.keys[match]
	return &Principal{Subject: k.Subject, Scheme: c.Scheme, Scopes: slices.Clone(k.Scopes)}, nil
}
