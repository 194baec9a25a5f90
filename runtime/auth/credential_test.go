package auth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAuthorizationParsing(t *testing.T) {
	bearer := &Scheme{Name: "b", Type: HTTPBearer}
	basic := &Scheme{Name: "u", Type: HTTPBasic}
	tests := []struct {
		header    string
		scheme    *Scheme
		presented bool
		valid     bool
		token     string
	}{
		{"", bearer, false, false, ""},
		{"Bearer abc.def-ghi_~+/==", bearer, true, true, "abc.def-ghi_~+/=="},
		{"bearer   abc", bearer, true, true, "abc"},
		{"Bearer", bearer, true, false, ""},
		{"Bearer ", bearer, true, false, ""},
		{"Bearer a b", bearer, true, false, ""},
		{"Bearer a=b", bearer, true, false, ""},
		{"Bearerabc", bearer, false, false, ""},
		{"Basic dXNlcjpwYXNz", bearer, false, false, ""},
		{"Basic dXNlcjpwYXNz", basic, true, true, ""},
		{"BASIC dXNlcjpwYXNz", basic, true, true, ""},
		{"Basic !!!", basic, true, false, ""},
		{"Basic dXNlcg==", basic, true, false, ""}, // no colon
		{"Bearer abc", basic, false, false, ""},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		if tt.header != "" {
			r.Header.Set("Authorization", tt.header)
		}
		c, presented, err := Extract(r, tt.scheme)
		if presented != tt.presented || (err == nil) != tt.valid && presented {
			t.Errorf("%q for %s: presented %v, err %v; want presented %v, valid %v", tt.header, tt.scheme.Type, presented, err, tt.presented, tt.valid)
		}
		if tt.token != "" && c.Token != tt.token {
			t.Errorf("%q: token %q, want %q", tt.header, c.Token, tt.token)
		}
	}
}

// FuzzExtract feeds arbitrary Authorization headers, cookies and queries
// to every kind of scheme: extraction never panics, and what it returns
// as valid is consistent with the input.
func FuzzExtract(f *testing.F) {
	f.Add("Bearer abc", "k=v", "session=x")
	f.Add("Basic dXNlcjpwYXNz", "api_key=%zz", "session")
	f.Add("bEaReR \x00\xff", ";;;", "=;=")
	schemes := []*Scheme{
		{Name: "b", Type: HTTPBearer}, {Name: "o", Type: OAuth2}, {Name: "u", Type: HTTPBasic},
		{Name: "h", Type: APIKeyAuth, In: InHeader, KeyName: "Authorization"},
		{Name: "q", Type: APIKeyAuth, In: InQuery, KeyName: "api_key"},
		{Name: "c", Type: APIKeyAuth, In: InCookie, KeyName: "session"},
		{Name: "m", Type: MutualTLS},
	}
	f.Fuzz(func(t *testing.T, authz, query, cookie string) {
		r := &http.Request{Header: http.Header{}, URL: httptest.NewRequest("GET", "/", nil).URL}
		r.Header.Set("Authorization", authz)
		r.Header.Set("Cookie", cookie)
		r.URL.RawQuery = query
		for _, s := range schemes {
			c, presented, err := Extract(r, s)
			if !presented && (c.Token != "" || c.Username != "" || err != nil) {
				t.Fatalf("%s: absent credential carries data: %+v %v", s.Type, c, err)
			}
			if presented && err == nil && s.Type == HTTPBearer && (!isToken68(c.Token) || !strings.Contains(authz, c.Token)) {
				t.Fatalf("bearer token %q accepted from %q", c.Token, authz)
			}
			if s.Type == MutualTLS && presented {
				t.Fatal("mutualTLS credential without TLS")
			}
		}
	})
}
