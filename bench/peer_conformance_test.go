package bench

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/securegen/securegen/bench/peer"
)

// TestPeerConformance checks that every server of the peer benchmark
// answers the same requests alike, so that the benchmark compares servers
// that do the same work: the same statuses, the same JSON for the
// successes, and RFC 6750 challenges for the denials.
func TestPeerConformance(t *testing.T) {
	set := peerSetup(t)
	for _, pa := range set {
		tok := func(scope string) string {
			s, err := pa.Token(scope)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		read, write := tok("items:read"), tok("items:write")
		expired := signed(t, pa.Alg, jwt.MapClaims{"sub": "ann", "iss": peer.Issuer, "aud": peer.Audience,
			"scope": "items:read", "iat": time.Now().Add(-2 * time.Hour).Unix(), "exp": time.Now().Add(-time.Hour).Unix()})
		wrongAud := signed(t, pa.Alg, jwt.MapClaims{"sub": "ann", "iss": peer.Issuer, "aud": "other-api",
			"scope": "items:read", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
		forged := read[:len(read)-4] + flip(read[len(read)-4:])

		cases := []struct {
			name, method, path, token, body string
			status                          int
			want                            string // JSON of a success, or the challenge's error
		}{
			{"health", "GET", "/health", "", "", 200, `{"status":"ok"}`},
			{"get", "GET", "/items/42", read, "", 200, `{"id":42,"name":"Widget","price":9.5}`},
			{"get/no token", "GET", "/items/42", "", "", 401, ""},
			{"get/wrong scope", "GET", "/items/42", write, "", 403, "insufficient_scope"},
			{"get/forged", "GET", "/items/42", forged, "", 401, "invalid_token"},
			{"get/expired", "GET", "/items/42", expired, "", 401, "invalid_token"},
			{"get/wrong audience", "GET", "/items/42", wrongAud, "", 401, "invalid_token"},
			{"get/absent", "GET", "/items/7", read, "", 404, ""},
			{"get/not a number", "GET", "/items/x", read, "", 400, ""},
			{"get/below minimum", "GET", "/items/0", read, "", 400, ""},
			{"create", "POST", "/items", write, `{"name":"Pen","price":1.25,"tags":["office"]}`, 201,
				`{"id":43,"name":"Pen","price":1.25,"tags":["office"]}`},
			{"create/wrong scope", "POST", "/items", read, `{"name":"Pen","price":1.25}`, 403, "insufficient_scope"},
			{"create/no token", "POST", "/items", "", `{"name":"Pen","price":1.25}`, 401, ""},
			{"create/empty name", "POST", "/items", write, `{"name":"","price":1.25}`, 400, ""},
			{"create/long name", "POST", "/items", write, `{"name":"` + strings.Repeat("n", 101) + `","price":1.25}`, 400, ""},
			{"create/negative price", "POST", "/items", write, `{"name":"Pen","price":-1}`, 400, ""},
			{"create/no price", "POST", "/items", write, `{"name":"Pen"}`, 400, ""},
			{"create/price not a number", "POST", "/items", write, `{"name":"Pen","price":"1"}`, 400, ""},
			{"create/too many tags", "POST", "/items", write, `{"name":"Pen","price":1,"tags":["a","b","c","d","e","f","g","h","i","j","k"]}`, 400, ""},
			{"create/empty tag", "POST", "/items", write, `{"name":"Pen","price":1,"tags":[""]}`, 400, ""},
			{"create/unknown member", "POST", "/items", write, `{"name":"Pen","price":1,"color":"red"}`, 400, ""},
			{"create/not JSON", "POST", "/items", write, `{"name":`, 400, ""},
		}
		for _, impl := range peer.Impls {
			h := pa.servers[impl.Name]
			for _, c := range cases {
				t.Run(pa.Name+"/"+impl.Name+"/"+c.name, func(t *testing.T) {
					var r *http.Request
					if c.body != "" {
						r = httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
						r.Header.Set("Content-Type", "application/json")
					} else {
						r = httptest.NewRequest(c.method, c.path, nil)
					}
					if c.token != "" {
						r.Header.Set("Authorization", "Bearer "+c.token)
					}
					w := httptest.NewRecorder()
					h.ServeHTTP(w, r)
					if w.Code != c.status {
						t.Fatalf("status %d, want %d: %s", w.Code, c.status, w.Body)
					}
					switch {
					case c.status < 300:
						if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
							t.Errorf("Content-Type %q", ct)
						}
						var got, want any
						if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
							t.Fatalf("answer %q: %v", w.Body, err)
						}
						if err := json.Unmarshal([]byte(c.want), &want); err != nil {
							t.Fatal(err)
						}
						if !reflect.DeepEqual(got, want) {
							t.Errorf("answer %s, want %s", w.Body, c.want)
						}
					case c.status == 401 || c.status == 403:
						ch := w.Header().Get("WWW-Authenticate")
						if !strings.HasPrefix(ch, "Bearer ") || !strings.Contains(ch, c.want) {
							t.Errorf("WWW-Authenticate %q, want a Bearer challenge with %q", ch, c.want)
						}
						if c.status == 403 && !strings.Contains(ch, `scope="items:`) {
							t.Errorf("WWW-Authenticate %q names no scope", ch)
						}
					}
				})
			}
		}
	}
}

func signed(t *testing.T, a peer.Alg, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(a.Method, claims)
	tok.Header["kid"] = peer.KeyID
	s, err := tok.SignedString(a.Sign)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// flip changes every character of s, a base64url tail of a signature.
func flip(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
	}
	return string(b)
}
