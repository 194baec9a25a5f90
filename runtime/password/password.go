// Package password hashes and checks passwords with bcrypt or argon2id, in
// the encodings other tools use: bcrypt's "$2a$..." and the PHC string
// "$argon2id$v=19$m=...,t=...,p=...$salt$hash".
//
// bcrypt reads at most 72 bytes of a password. Other implementations
// silently ignore the rest, so that every password sharing its first 72
// bytes with the right one is accepted too. This package never truncates:
// HashBcrypt refuses a longer password with ErrPasswordTooLong, and Check
// never accepts one against a bcrypt hash. Applications that must accept
// passwords longer than 72 bytes (long passphrases, secrets from password
// managers, multi-byte scripts: 72 bytes may be as few as 18 characters)
// should hash with HashArgon2id, which has no such limit. Pre-hashing
// for bcrypt (bcrypt of a digest of the password) is possible, but must
// encode the digest (in base64, say), since bcrypt also stops at a NUL
// byte in some implementations; argon2id is simpler and better.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// ErrMismatch is returned by Check when the password does not match the hash.
var ErrMismatch = errors.New("password: hash does not match password")

// ErrPasswordTooLong is returned by HashBcrypt for a password longer than
// MaxBcryptBytes, and (wrapped together with ErrMismatch) by Check for such
// a password against a bcrypt hash. Match it with errors.Is.
var ErrPasswordTooLong = errors.New("password: bcrypt: password longer than 72 bytes (use argon2id)")

// MaxBcryptBytes is the length, in bytes, of the longest password bcrypt
// reads in full.
const MaxBcryptBytes = 72

// Argon2idParams are the cost parameters of an argon2id hash.
type Argon2idParams struct {
	Memory  uint32 // in KiB
	Time    uint32 // passes
	Threads uint8
	KeyLen  uint32
	SaltLen uint32
}

// DefaultArgon2id follows RFC 9106's second recommended option (64 MiB, 3 passes).
var DefaultArgon2id = Argon2idParams{Memory: 64 * 1024, Time: 3, Threads: 2, KeyLen: 32, SaltLen: 16}

// HashBcrypt hashes pw with bcrypt at cost (bcrypt.DefaultCost when 0). A
// password longer than MaxBcryptBytes is refused with ErrPasswordTooLong,
// never truncated; HashArgon2id takes passwords of any length.
func HashBcrypt(pw string, cost int) (string, error) {
	if len(pw) > MaxBcryptBytes {
		return "", ErrPasswordTooLong
	}
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	if err != nil {
		return "", fmt.Errorf("password: bcrypt: %w", err)
	}
	return string(h), nil
}

// HashArgon2id hashes pw with argon2id and returns the PHC-encoded string.
func HashArgon2id(pw string, p Argon2idParams) (string, error) {
	if p.Memory == 0 || p.Time == 0 || p.Threads == 0 || p.KeyLen < 16 || p.SaltLen < 8 {
		return "", fmt.Errorf("password: argon2id parameters too weak: %+v", p)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Check reports whether pw matches hash, which may be a bcrypt or an
// argon2id hash. It returns ErrMismatch on a wrong password and another
// error when the hash itself is malformed. A password longer than
// MaxBcryptBytes never matches a bcrypt hash, whatever its first 72 bytes:
// the error then matches both ErrMismatch and ErrPasswordTooLong.
func Check(hash, pw string) error {
	switch {
	case strings.HasPrefix(hash, "$argon2id$"):
		return checkArgon2id(hash, pw)
	case strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"):
		if len(pw) > MaxBcryptBytes {
			// Spend the work of a check all the same, so that the answer
			// takes as long as for a wrong password; its result is unused.
			_ = bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw[:MaxBcryptBytes]))
			return fmt.Errorf("%w: %w", ErrMismatch, ErrPasswordTooLong)
		}
		err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw))
		if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			return ErrMismatch
		}
		if err != nil {
			return fmt.Errorf("password: bcrypt hash: %w", err)
		}
		return nil
	default:
		return errors.New("password: unknown hash format (want bcrypt or argon2id)")
	}
}

func checkArgon2id(hash, pw string) error {
	// $argon2id$v=19$m=65536,t=3,p=2$salt$key
	parts := strings.Split(hash, "$")
	if len(parts) != 6 {
		return errors.New("password: malformed argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return errors.New("password: unsupported argon2id version")
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 {
		return errors.New("password: malformed argon2id parameters")
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return errors.New("password: malformed argon2id salt")
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) < 16 {
		return errors.New("password: malformed argon2id key")
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrMismatch
	}
	return nil
}
