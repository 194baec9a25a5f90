package auth

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestHashAPIKeyIsStableSHA256Hex(t *testing.T) {
	// SHA-256("abc"), FIPS 180-2 appendix B.1.
	const want = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := HashAPIKey("abc"); got != want {
		t.Fatalf("HashAPIKey(abc) = %s, want %s", got, want)
	}
	if HashAPIKey("abd") == want {
		t.Fatal("different keys hash alike")
	}
}

func TestAPIKeysAcceptStoredKeysOnly(t *testing.T) {
	v, err := NewAPIKeys([]APIKey{
		{Hash: HashAPIKey("key-one-0123456789abcdef"), Subject: "svc-one", Scopes: []string{"read"}},
		{Hash: HashAPIKey("key-two-0123456789abcdef"), Subject: "svc-two", Scopes: []string{"read", "write"}},
		{Hash: HashAPIKey("key-three-0123456789abcdef"), Subject: "svc-three"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key     string
		subject string
		scopes  []string
	}{
		{"key-one-0123456789abcdef", "svc-one", []string{"read"}},
		{"key-two-0123456789abcdef", "svc-two", []string{"read", "write"}},
		{"key-three-0123456789abcdef", "svc-three", nil},
		{"key-two-0123456789abcdeF", "", nil},
		{"key-two-0123456789abcde", "", nil},
		{HashAPIKey("key-one-0123456789abcdef"), "", nil}, // the stored hash is not a key
		{"", "", nil},
	}
	for _, tt := range tests {
		p, err := v.Verify(context.Background(), Credential{Scheme: "apiKey", Token: tt.key})
		if tt.subject == "" {
			if err == nil {
				t.Errorf("key %q accepted as %+v", tt.key, p)
			} else if tt.key != "" && strings.Contains(err.Error(), tt.key) {
				t.Errorf("error echoes the key: %v", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("key %q rejected: %v", tt.key, err)
			continue
		}
		if p.Subject != tt.subject || p.Scheme != "apiKey" || !slices.Equal(p.Scopes, tt.scopes) {
			t.Errorf("key %q: principal %+v, want subject %s scopes %v", tt.key, p, tt.subject, tt.scopes)
		}
	}
}

func TestAPIKeysPrincipalDoesNotShareScopes(t *testing.T) {
	v, err := NewAPIKeys([]APIKey{{Hash: HashAPIKey("k-0123456789abcdef"), Subject: "s", Scopes: []string{"read"}}})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := v.Verify(context.Background(), Credential{Token: "k-0123456789abcdef"})
	p.Scopes[0] = "admin"
	p, _ = v.Verify(context.Background(), Credential{Token: "k-0123456789abcdef"})
	if p.Scopes[0] != "read" {
		t.Fatal("a caller's change to Scopes leaked into the key store")
	}
}

func TestNewAPIKeysRejectsMalformedHashesNamingTheIndex(t *testing.T) {
	good := APIKey{Hash: HashAPIKey("good-0123456789abcdef"), Subject: "good"}
	tests := []struct {
		name string
		bad  APIKey
		want string
	}{
		{"plain text key", APIKey{Hash: "my-secret-key", Subject: "x"}, "api key 1"},
		{"upper-case prefix", APIKey{Hash: "SHA256:" + HashAPIKey("x")[7:], Subject: "x"}, "api key 1"},
		{"wrong prefix", APIKey{Hash: "md5:" + HashAPIKey("x")[7:], Subject: "x"}, "api key 1"},
		{"short", APIKey{Hash: HashAPIKey("x")[:40], Subject: "x"}, "api key 1"},
		{"not hex", APIKey{Hash: "sha256:" + strings.Repeat("zz", 32), Subject: "x"}, "api key 1"},
		{"duplicate", APIKey{Hash: good.Hash, Subject: "again"}, "api key 1"},
		{"no subject", APIKey{Hash: HashAPIKey("y")}, "api key 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewAPIKeys([]APIKey{good, tt.bad})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one naming %q", err, tt.want)
			}
		})
	}
}

func BenchmarkAPIKeysVerify(b *testing.B) {
	keys := make([]APIKey, 100)
	for i := range keys {
		keys[i] = APIKey{Hash: HashAPIKey(strings.Repeat("k", i+16)), Subject: "s"}
	}
	v, err := NewAPIKeys(keys)
	if err != nil {
		b.Fatal(err)
	}
	c := Credential{Token: strings.Repeat("k", 50)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(context.Background(), c); err != nil {
			b.Fatal(err)
		}
	}
}
