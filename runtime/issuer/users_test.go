package issuer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/securegen/securegen/runtime/password"
)

// TestUnknownUserChecksDummyHashOfSameCost checks the mechanism that makes
// an unknown username cost as much as a wrong password: the dummy hash has
// the algorithm and cost of the users' hashes.
func TestUnknownUserChecksDummyHashOfSameCost(t *testing.T) {
	bc5, _ := password.HashBcrypt("a", 5)
	bc6, _ := password.HashBcrypt("b", 6)
	weak := password.Argon2idParams{Memory: 1024, Time: 2, Threads: 1, KeyLen: 24, SaltLen: 12}
	ar, err := password.HashArgon2id("c", weak)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		hashes []string
		want   string // hashParams key of the dummy
	}{
		{"bcrypt", []string{bc5}, "bcrypt 05"},
		{"most common cost", []string{bc6, bc5, bc5}, "bcrypt 05"},
		{"argon2id", []string{ar, bc5, ar}, fmt.Sprintf("argon2id %+v", weak)},
		{"none", nil, "bcrypt 10"},
	}
	for _, tt := range tests {
		d := dummyHash(tt.hashes)
		got, _, ok := hashParams(d)
		if !ok || got != tt.want {
			t.Errorf("%s: dummy %q has params %q, want %q", tt.name, d, got, tt.want)
		}
		for _, h := range tt.hashes {
			if d == h {
				t.Errorf("%s: dummy is a user's hash", tt.name)
			}
		}
	}

	auth := Users([]User{{Username: "u", PasswordHash: bc5}})
	for _, name := range []string{"u", "nobody"} {
		if _, _, err := auth(context.Background(), name, "wrong"); !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("%s: error %v, want ErrInvalidCredentials", name, err)
		}
	}
	if sub, _, err := auth(context.Background(), "u", "a"); err != nil || sub != "u" {
		t.Errorf("right password: %q %v", sub, err)
	}
}

// TestUsersRefuseLongBcryptPasswords: a password longer than bcrypt's 72
// bytes never matches a bcrypt hash, even when its first 72 bytes are the
// right password, and the error says why to the caller, not to the client.
func TestUsersRefuseLongBcryptPasswords(t *testing.T) {
	pw72 := strings.Repeat("p", password.MaxBcryptBytes)
	h, err := password.HashBcrypt(pw72, 4)
	if err != nil {
		t.Fatal(err)
	}
	auth := Users([]User{{Username: "u", PasswordHash: h}})
	if sub, _, err := auth(context.Background(), "u", pw72); err != nil || sub != "u" {
		t.Fatalf("72-byte password: %q %v", sub, err)
	}
	for _, name := range []string{"u", "nobody"} {
		_, _, err := auth(context.Background(), name, pw72+"-and-more")
		if !errors.Is(err, ErrInvalidCredentials) || !errors.Is(err, password.ErrPasswordTooLong) {
			t.Errorf("%s, 82-byte password: %v, want ErrInvalidCredentials and password.ErrPasswordTooLong", name, err)
		}
	}
}
