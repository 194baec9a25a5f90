package password

import (
	"errors"
	"testing"
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
