package auth

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/securegen/securegen/runtime/password"
)

var fastArgon2id = password.Argon2idParams{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

func basicUsers(t *testing.T) []BasicUser {
	t.Helper()
	bc, err := password.HashBcrypt("bcrypt-pw", 4)
	if err != nil {
		t.Fatal(err)
	}
	ar, err := password.HashArgon2id("argon-pw", fastArgon2id)
	if err != nil {
		t.Fatal(err)
	}
	return []BasicUser{
		{Username: "bob", PasswordHash: bc, Scopes: []string{"admin"}},
		{Username: "carol", PasswordHash: ar},
	}
}

func TestBasicAcceptsRightPasswordsOnly(t *testing.T) {
	v, err := NewBasic(basicUsers(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		user, pw string
		ok       bool
	}{
		{"bob", "bcrypt-pw", true},
		{"carol", "argon-pw", true},
		{"bob", "argon-pw", false},
		{"carol", "bcrypt-pw", false},
		{"bob", "", false},
		{"Bob", "bcrypt-pw", false},
		{"mallory", "bcrypt-pw", false},
		{"", "", false},
		{"bob", strings.Repeat("x", 10000), false},
	}
	for _, tt := range tests {
		p, err := v.Verify(context.Background(), Credential{Scheme: "basic", Username: tt.user, Password: tt.pw})
		if !tt.ok {
			if err == nil {
				t.Errorf("%s/%s accepted", tt.user, tt.pw)
			} else if tt.pw != "" && strings.Contains(err.Error(), tt.pw) {
				t.Errorf("error echoes the password: %v", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s rejected: %v", tt.user, err)
			continue
		}
		if p.Subject != tt.user || p.Scheme != "basic" {
			t.Errorf("principal %+v", p)
		}
	}
	p, _ := v.Verify(context.Background(), Credential{Username: "bob", Password: "bcrypt-pw"})
	if !slices.Equal(p.Scopes, []string{"admin"}) {
		t.Errorf("scopes = %v, want [admin]", p.Scopes)
	}
}

func TestBasicUnknownUserAndWrongPasswordLookAlike(t *testing.T) {
	v, err := NewBasic(basicUsers(t))
	if err != nil {
		t.Fatal(err)
	}
	_, errUnknown := v.Verify(context.Background(), Credential{Username: "mallory", Password: "x"})
	_, errWrong := v.Verify(context.Background(), Credential{Username: "bob", Password: "x"})
	if errUnknown == nil || errWrong == nil || errUnknown.Error() != errWrong.Error() {
		t.Fatalf("unknown user: %v; wrong password: %v; want the same error", errUnknown, errWrong)
	}
}

func TestBasicUnknownUserCostsAHashCheck(t *testing.T) {
	// The dummy hash has the users' algorithm and cost: for bcrypt that
	// is its cost field, for argon2id its parameters.
	bc, err := password.HashBcrypt("pw", 6)
	if err != nil {
		t.Fatal(err)
	}
	vb, err := NewBasic([]BasicUser{{Username: "u", PasswordHash: bc}})
	if err != nil {
		t.Fatal(err)
	}
	if got := vb.(*basicVerifier).dummy; !strings.HasPrefix(got, "$2a$06$") {
		t.Errorf("bcrypt dummy = %.7s..., want cost 06", got)
	}
	ar, err := password.HashArgon2id("pw", password.Argon2idParams{Memory: 2048, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16})
	if err != nil {
		t.Fatal(err)
	}
	va, err := NewBasic([]BasicUser{{Username: "u", PasswordHash: ar}})
	if err != nil {
		t.Fatal(err)
	}
	if got := va.(*basicVerifier).dummy; !strings.HasPrefix(got, "$argon2id$v=19$m=2048,t=2,p=1$") {
		t.Errorf("argon2id dummy = %s, want the users' parameters", got)
	}
	// And it is really checked: an unknown user takes about as long as a
	// wrong password (bcrypt cost 10 takes tens of milliseconds; a map miss
	// takes nanoseconds).
	slow, err := password.HashBcrypt("pw", 10)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewBasic([]BasicUser{{Username: "u", PasswordHash: slow}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	v.Verify(context.Background(), Credential{Username: "nobody", Password: "pw"})
	if d := time.Since(start); d < 5*time.Millisecond {
		t.Errorf("unknown user answered in %v: no hash was checked", d)
	}
}

func TestNewBasicRejectsBadUsersNamingTheIndex(t *testing.T) {
	good := basicUsers(t)[0]
	tests := []struct {
		name string
		bad  BasicUser
	}{
		{"plain text password", BasicUser{Username: "x", PasswordHash: "hunter2"}},
		{"empty hash", BasicUser{Username: "x"}},
		{"malformed bcrypt", BasicUser{Username: "x", PasswordHash: "$2a$04$short"}},
		{"malformed argon2id", BasicUser{Username: "x", PasswordHash: "$argon2id$v=19$m=0,t=1,p=1$AAAA$AAAA"}},
		{"empty username", BasicUser{PasswordHash: good.PasswordHash}},
		{"colon", BasicUser{Username: "a:b", PasswordHash: good.PasswordHash}},
		{"duplicate", BasicUser{Username: good.Username, PasswordHash: good.PasswordHash}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewBasic([]BasicUser{good, tt.bad})
			if err == nil || !strings.Contains(err.Error(), "user 1") {
				t.Fatalf("error = %v, want one naming user 1", err)
			}
		})
	}
	if _, err := NewBasic(nil); err == nil {
		t.Fatal("NewBasic(nil) succeeded")
	}
}
