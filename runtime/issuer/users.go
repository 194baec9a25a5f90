package issuer

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/securegen/securegen/runtime/password"
)

// ErrInvalidCredentials is what an AuthenticateFunc returns (possibly
// wrapped) for an unknown username or a wrong password. The token endpoint
// answers it with invalid_grant.
var ErrInvalidCredentials = errors.New("issuer: invalid username or password")

// AuthenticateFunc checks a resource owner's username and password. It
// returns the subject to put in the tokens' "sub" claim and the scopes the
// user may be granted, or an error. It should return ErrInvalidCredentials
// for an unknown user or a wrong password, and should take as long for an
// unknown user as for a wrong password. Any error counts as a failed login.
type AuthenticateFunc func(ctx context.Context, username, password string) (subject string, scopes []string, err error)

// User is a resource owner known to the Users helper.
type User struct {
	// Username is the name the user logs in with; it is also the subject.
	Username string
	// PasswordHash is a bcrypt ("$2a$...") or argon2id ("$argon2id$...")
	// hash, as made by password.HashBcrypt or password.HashArgon2id.
	PasswordHash string
	// Scopes are the scopes the user may be granted.
	Scopes []string
}

// Users returns an AuthenticateFunc for a fixed list of users, checking
// passwords with password.Check. For an unknown username it checks the
// password against a dummy hash made with the algorithm and cost that most
// of the users' hashes have, so that it takes as long as a wrong password.
// When a username is listed twice, the first entry counts.
//
// A password longer than bcrypt's 72 bytes never matches a bcrypt hash
// (bcrypt would have ignored the rest): it is refused with an error that
// matches both ErrInvalidCredentials and password.ErrPasswordTooLong. Give
// users who need longer passwords argon2id hashes.
func Users(users []User) AuthenticateFunc {
	byName := make(map[string]User, len(users))
	hashes := make([]string, 0, len(users))
	for _, u := range users {
		if _, dup := byName[u.Username]; dup {
			continue
		}
		u.Scopes = slices.Clone(u.Scopes)
		byName[u.Username] = u
		hashes = append(hashes, u.PasswordHash)
	}
	dummy := dummyHash(hashes)
	return func(ctx context.Context, username, pw string) (string, []string, error) {
		if err := ctx.Err(); err != nil {
			return "", nil, fmt.Errorf("issuer: authenticate: %w", err)
		}
		u, ok := byName[username]
		if !ok {
			return "", nil, invalidCredentials(password.Check(dummy, pw))
		}
		if err := password.Check(u.PasswordHash, pw); err != nil {
			if errors.Is(err, password.ErrMismatch) {
				return "", nil, invalidCredentials(err)
			}
			return "", nil, fmt.Errorf("issuer: user %q: %w", u.Username, err)
		}
		return u.Username, slices.Clone(u.Scopes), nil
	}
}

// invalidCredentials returns ErrInvalidCredentials, wrapped together with
// password.ErrPasswordTooLong when that is what err (the result of a
// password check) says, so that callers can tell why without telling
// clients.
func invalidCredentials(err error) error {
	if errors.Is(err, password.ErrPasswordTooLong) {
		return fmt.Errorf("%w: %w", ErrInvalidCredentials, password.ErrPasswordTooLong)
	}
	return ErrInvalidCredentials
}

// hashParams returns the part of a password hash that fixes its cost,
// with what is needed to make another hash like it.
func hashParams(h string) (key string, mk func(pw string) (string, error), ok bool) {
	switch {
	case strings.HasPrefix(h, "$2a$"), strings.HasPrefix(h, "$2b$"), strings.HasPrefix(h, "$2y$"):
		if len(h) < 7 || h[6] != '$' {
			return "", nil, false
		}
		cost, err := strconv.Atoi(h[4:6])
		if err != nil {
			return "", nil, false
		}
		return "bcrypt " + h[4:6], func(pw string) (string, error) { return password.HashBcrypt(pw, cost) }, true
	case strings.HasPrefix(h, "$argon2id$"):
		parts := strings.Split(h, "$")
		if len(parts) != 6 {
			return "", nil, false
		}
		var m, t uint32
		var p uint8
		if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
			return "", nil, false
		}
		salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
		sum, err2 := base64.RawStdEncoding.DecodeString(parts[5])
		if err1 != nil || err2 != nil {
			return "", nil, false
		}
		params := password.Argon2idParams{Memory: m, Time: t, Threads: p, KeyLen: uint32(len(sum)), SaltLen: uint32(len(salt))}
		return fmt.Sprintf("argon2id %+v", params), func(pw string) (string, error) { return password.HashArgon2id(pw, params) }, true
	}
	return "", nil, false
}

// dummyHash returns a hash of a random password with the parameters most
// of hashes share (bcrypt at the default cost when there are none). If no
// hash can be made, it returns the most common of hashes itself: checking
// against it costs the same, and its result is never used.
func dummyHash(hashes []string) string {
	counts := map[string]int{}
	var best string
	var bestMake func(string) (string, error)
	var bestHash string
	for _, h := range hashes {
		key, mk, ok := hashParams(h)
		if !ok {
			continue
		}
		counts[key]++
		if best == "" || counts[key] > counts[best] {
			best, bestMake, bestHash = key, mk, h
		}
	}
	if bestMake == nil {
		bestMake = func(pw string) (string, error) { return password.HashBcrypt(pw, 0) }
	}
	secret := make([]byte, 18)
	_, _ = rand.Read(secret) // never fails (crypto/rand panics rather)
	h, err := bestMake(base64.RawURLEncoding.EncodeToString(secret))
	if err != nil {
		return bestHash
	}
	return h
}
