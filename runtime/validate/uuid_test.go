package validate

import "testing"

func TestParseUUID(t *testing.T) {
	u, err := ParseUUID("7c9e6679-7425-40de-944b-e07fc1f90ae7")
	if err != nil || u[0] != 0x7c || u[15] != 0xe7 || u[4] != 0x74 {
		t.Fatalf("%x %v", u, err)
	}
	if _, err := ParseUUID("7c9e6679-7425-40de-944b-e07fc1f90aeZ"); err == nil {
		t.Fatal("accepted a non-hex UUID")
	}
}
