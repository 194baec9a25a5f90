package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/securegen/securegen/runtime/password"
	"golang.org/x/crypto/bcrypt"
)

// maxBasicPasswordBytes bounds the passwords Verify hashes.
const maxBasicPasswordBytes = 4096

// errBasicInvalid is the one answer to an unknown user and a wrong
// password alike, so that the error does not tell which names exist.
var errBasicInvalid = errors.New("auth: basic: invalid username or password")

// BasicUser is a user of HTTP Basic authentication.
type BasicUser struct {
	// Username is the user's name; it becomes Principal.Subject. It must
	// not contain a colon, which Basic credentials cannot carry.
	Username string
	// PasswordHash is the user's password hashed with bcrypt or argon2id,
	// as made by password.HashBcrypt or password.HashArgon2id.
	PasswordHash string
	// Scopes are the roles (or scopes) the user holds.
	Scopes []string
}

// basicVerifier is the Verifier NewBasic returns.
type basicVerifier struct {
	users map[string]*BasicUser
	// dummy is a hash of a random password with the cost of the first
	// user's hash: an unknown user name is checked against it, so that it
	// takes as long as a wrong password.
	dummy string
}

// NewBasic returns a Verifier of HTTP Basic credentials (Credential.Username
// and Credential.Password) against users. Passwords are checked with
// password.Check. A request naming an unknown user costs the same time as
// one with a wrong password: its password is checked against a hash made
// at construction with the algorithm and cost of the first user's hash.
// Empty, duplicate or colon-containing user names and malformed hashes are
// configuration errors naming the user's index.
func NewBasic(users []BasicUser) (Verifier, error) {
	if len(users) == 0 {
		return nil, errors.New("auth: basic: no users")
	}
	v := &basicVerifier{users: make(map[string]*BasicUser, len(users))}
	for i, u := range users {
		switch {
		case u.Username == "":
			return nil, fmt.Errorf("auth: basic: user %d: empty Username", i)
		case strings.Contains(u.Username, ":"):
			return nil, fmt.Errorf("auth: basic: user %d (%q): Username contains a colon", i, u.Username)
		case v.users[u.Username] != nil:
			return nil, fmt.Errorf("auth: basic: user %d: duplicate Username %q", i, u.Username)
		}
		if err := basicCheckHash(u.PasswordHash); err != nil {
			return nil, fmt.Errorf("auth: basic: user %d (%q): PasswordHash: %w", i, u.Username, err)
		}
		v.users[u.Username] = &BasicUser{Username: u.Username, PasswordHash: u.PasswordHash, Scopes: slices.Clone(u.Scopes)}
	}
	dummy, err := basicDummyHash(users[0].PasswordHash)
	if err != nil {
		return nil, fmt.Errorf("auth: basic: dummy hash: %w", err)
	}
	v.dummy = dummy
	return v, nil
}

// Verify implements Verifier.
func (v *basicVerifier) Verify(_ context.Context, c Credential) (*Principal, error) {
	if len(c.Password) > maxBasicPasswordBytes {
		return nil, errBasicInvalid
	}
	u, known := v.users[c.Username]
	hash := v.dummy
	if known {
		hash = u.PasswordHash
	}
	err := password.Check(hash, c.Password)
	if !known {
		return nil, errBasicInvalid
	}
	if err != nil {
		if errors.Is(err, password.ErrMismatch) {
			return nil, errBasicInvalid
		}
		return nil, fmt.Errorf("auth: basic: check password: %w", err)
	}
	return &Principal{Subject: u.Username, Scheme: c.Scheme, Scopes: slices.Clone(u.Scopes)}, nil
}

// basicCheckHash reports whether hash is a well-formed bcrypt or argon2id
// hash, without the cost of checking a password against it.
func basicCheckHash(hash string) error {
	if strings.HasPrefix(hash, "$argon2id$") {
		_, err := basicArgon2Params(hash)
		return err
	}
	if _, err := bcrypt.Cost([]byte(hash)); err != nil {
		return fmt.Errorf("not a bcrypt or argon2id hash: %w", err)
	}
	return nil
}

// basicDummyHash hashes a random password with the algorithm and cost of
// like.
func basicDummyHash(like string) (string, error) {
	var pw [16]byte
	if _, err := rand.Read(pw[:]); err != nil {
		return "", err
	}
	secret := hex.EncodeToString(pw[:])
	if strings.HasPrefix(like, "$argon2id$") {
		p, err := basicArgon2Params(like)
		if err != nil {
			return "", err
		}
		return password.HashArgon2id(secret, p)
	}
	cost, err := bcrypt.Cost([]byte(like))
	if err != nil {
		return "", err
	}
	return password.HashBcrypt(secret, cost)
}

// basicArgon2Params parses the parameters of a PHC-encoded argon2id hash,
// "$argon2id$v=19$m=65536,t=3,p=2$salt$key".
func basicArgon2Params(hash string) (password.Argon2idParams, error) {
	var p password.Argon2idParams
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[2] != "v=19" {
		return p, errors.New("malformed argon2id hash (want $argon2id$v=19$m=...,t=...,p=...$salt$key)")
	}
	for _, kv := range strings.Split(parts[3], ",") {
		name, val, _ := strings.Cut(kv, "=")
		bits := 32
		if name == "p" {
			bits = 8
		}
		n, err := strconv.ParseUint(val, 10, bits)
		if err != nil || n == 0 {
			return p, fmt.Errorf("malformed argon2id parameter %q", kv)
		}
		switch name {
		case "m":
			p.Memory = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			p.Threads = uint8(n)
		default:
			return p, fmt.Errorf("unknown argon2id parameter %q", kv)
		}
	}
	if p.Memory == 0 || p.Time == 0 || p.Threads == 0 {
		return p, errors.New("argon2id hash lacks m, t or p")
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return p, errors.New("malformed argon2id salt")
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < 16 {
		return p, errors.New("malformed argon2id key")
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, nil
}
