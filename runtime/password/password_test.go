package password

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestCheckAcceptsRightPasswordAndRejectsWrong(t *testing.T) {
	fast := Argon2idParams{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}
	argon, err := HashArgon2id("s3cret", fast)
	if err != nil {
		t.Fatal(err)
	}
	bc, err := HashBcrypt("s3cret", 4)
	if err != nil {
		t.Fatal(err)
	}
	for name, h := range map[string]string{"argon2id": argon, "bcrypt": bc} {
		if err := Check(h, "s3cret"); err != nil {
			t.Errorf("%s: right password rejected: %v", name, err)
		}
		if err := Check(h, "wrong"); !errors.Is(err, ErrMismatch) {
			t.Errorf("%s: wrong password: got %v, want ErrMismatch", name, err)
		}
	}
}

func TestCheckRejectsMalformedHashes(t *testing.T) {
	for _, h := range []string{"", "plain", "$argon2id$v=19$m=0,t=1,p=1$AAAA$AAAA", "$argon2id$v=18$m=1,t=1,p=1$AAAA$AAAA", "$2a$04$short"} {
		if err := Check(h, "x"); err == nil || errors.Is(err, ErrMismatch) {
			t.Errorf("Check(%q) = %v, want a malformed-hash error", h, err)
		}
	}
}

// TestBcryptRefusesLongPasswords: bcrypt reads 72 bytes of a password, so
// HashBcrypt refuses longer ones and Check never accepts one, even when
// its first 72 bytes are the right password.
func TestBcryptRefusesLongPasswords(t *testing.T) {
	pw72 := strings.Repeat("p", MaxBcryptBytes)
	if _, err := HashBcrypt(pw72+"x", 4); !errors.Is(err, ErrPasswordTooLong) {
		t.Errorf("HashBcrypt of 73 bytes: %v, want ErrPasswordTooLong", err)
	}
	if _, err := HashBcrypt(strings.Repeat("é", 37), 4); !errors.Is(err, ErrPasswordTooLong) {
		t.Errorf("HashBcrypt of 37 two-byte characters: %v, want ErrPasswordTooLong", err)
	}
	h, err := HashBcrypt(pw72, 4)
	if err != nil {
		t.Fatalf("HashBcrypt of 72 bytes: %v", err)
	}
	if err := Check(h, pw72); err != nil {
		t.Errorf("72-byte password rejected: %v", err)
	}
	for _, long := range []string{pw72 + "x", pw72 + strings.Repeat("anything", 100)} {
		err := Check(h, long)
		if !errors.Is(err, ErrMismatch) || !errors.Is(err, ErrPasswordTooLong) {
			t.Errorf("Check of a %d-byte password whose first 72 bytes match: %v, want ErrMismatch and ErrPasswordTooLong", len(long), err)
		}
	}
	// A hash made elsewhere (by a library that truncates) is no way in.
	truncating, err := bcrypt.GenerateFromPassword([]byte(pw72), 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(string(truncating), pw72+"-suffix"); err == nil {
		t.Error("Check accepted a long password by its first 72 bytes")
	}
	// argon2id has no such limit.
	fast := Argon2idParams{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}
	long := strings.Repeat("long passphrase ", 20)
	a, err := HashArgon2id(long, fast)
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(a, long); err != nil {
		t.Errorf("argon2id rejected a %d-byte password: %v", len(long), err)
	}
	if err := Check(a, long[:MaxBcryptBytes]); !errors.Is(err, ErrMismatch) {
		t.Errorf("argon2id accepted a prefix: %v", err)
	}
}
