package security_test

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// rawGET sends a GET for target with the given header lines, exactly as
// written, to a real net/http server running h, and returns the response.
// It shows what the server keeps of repeated and empty header lines, which
// a request built in memory cannot.
func rawGET(t *testing.T, h http.Handler, target string, lines ...string) *http.Response {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req := "GET " + target + " HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n" + strings.Join(lines, "\r\n") + "\r\n\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// wantMalformed checks a 401 with an invalid_token challenge that the
// handler and every verifier never saw.
func wantMalformed(t *testing.T, f *fixture, resp *http.Response, bearer bool) {
	t.Helper()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", resp.StatusCode)
	}
	challenges := strings.Join(resp.Header.Values("WWW-Authenticate"), ", ")
	if bearer && !strings.Contains(challenges, `error="invalid_token"`) {
		t.Errorf("challenges %q lack error=\"invalid_token\"", challenges)
	}
	if n := f.srv.called.Load(); n != 0 {
		t.Errorf("the handler was reached %d times", n)
	}
	for name, v := range map[string]*tokenVerifier{"oauth": f.v.oauth, "headerKey": f.v.headerKey, "queryKey": f.v.queryKey, "cookieKey": f.v.cookieKey} {
		if n := v.calls.Load(); n != 0 {
			t.Errorf("the %s verifier ran %d times on a malformed credential", name, n)
		}
	}
}

// TestDuplicatedAuthorizationIsMalformed: a request with several
// Authorization lines, the first of them empty or valid, is refused with
// 401 invalid_token even where anonymous callers are admitted, and never
// reaches the handler.
func TestDuplicatedAuthorizationIsMalformed(t *testing.T) {
	for name, lines := range map[string][]string{
		"empty then forged": {"Authorization: ", "Authorization: Bearer forged"},
		"valid then forged": {"Authorization: Bearer ok.bob.read", "Authorization: Bearer forged"},
		"forged then valid": {"Authorization: Bearer forged", "Authorization: Bearer ok.bob.read"},
	} {
		t.Run(name, func(t *testing.T) {
			for _, target := range []string{"/anonymous", "/inherited"} {
				f := newFixture(t)
				wantMalformed(t, f, rawGET(t, f.h, target, lines...), true)
			}
		})
	}
}

// TestEmptyAuthorizationIsMalformed: an empty Authorization line is a
// malformed credential, not an absent one.
func TestEmptyAuthorizationIsMalformed(t *testing.T) {
	f := newFixture(t)
	wantMalformed(t, f, rawGET(t, f.h, "/anonymous", "Authorization: "), true)
	// Without the line the caller is anonymous, as the spec allows.
	if resp := rawGET(t, f.h, "/anonymous"); resp.StatusCode != http.StatusOK || resp.Header.Get("X-Principal") != "anonymous" {
		t.Fatalf("no Authorization: status %d, principal %q; want 200 anonymous", resp.StatusCode, resp.Header.Get("X-Principal"))
	}
}

// TestRepeatedAPIKeyIsMalformed: an API key header, query parameter or
// cookie given twice is refused, without running the verifier, even when
// both values are valid keys.
func TestRepeatedAPIKeyIsMalformed(t *testing.T) {
	tests := map[string]struct {
		target string
		lines  []string
	}{
		"header":         {"/override", []string{"X-API-Key: ok.svc.", "X-API-Key: ok.other."}},
		"empty header":   {"/override", []string{"X-API-Key: ", "X-API-Key: ok.svc."}},
		"query":          {"/query-key?api_key=ok.svc.&api_key=ok.other.", nil},
		"escaped query":  {"/query-key?api_key=ok.svc.&api%5fkey=ok.other.", nil},
		"bad query":      {"/query-key?api_key=ok.svc.&x=%zz", nil},
		"cookie":         {"/cookie-key", []string{"Cookie: session=ok.web.; session=ok.other."}},
		"cookie lines":   {"/cookie-key", []string{"Cookie: session=ok.web.", "Cookie: session=ok.other."}},
		"unreadable one": {"/cookie-key", []string{`Cookie: session="ok.web.`}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			wantMalformed(t, f, rawGET(t, f.h, tt.target, tt.lines...), false)
		})
	}
}
