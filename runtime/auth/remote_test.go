package auth

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// keyServer is a TLS server that serves a discovery document, a key set
// and an introspection endpoint, redirects the paths of redirects, and
// counts the requests that reach it.
type keyServer struct {
	*httptest.Server
	hits      atomic.Int64
	jwksURI   atomic.Pointer[string] // jwks_uri of the discovery document
	redirects map[string]string      // path → Location, answered 307; "{http}" stands for http://host
}

func newKeyServer(t *testing.T, redirects map[string]string) *keyServer {
	t.Helper()
	k := testKeys()
	s := &keyServer{redirects: redirects}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if to, ok := s.redirects[r.URL.Path]; ok {
			http.Redirect(w, r, strings.ReplaceAll(to, "{http}", "http://"+r.Host), http.StatusTemporaryRedirect)
			return
		}
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			json.NewEncoder(w).Encode(map[string]any{"issuer": testIssuer, "jwks_uri": *s.jwksURI.Load()})
		case "/jwks.json":
			json.NewEncoder(w).Encode(map[string]any{"keys": []any{jwkOf(t, "rsa", &k.rsa.PublicKey)}})
		case "/introspect":
			json.NewEncoder(w).Encode(activeResponse())
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// dialingAs returns a client that trusts s's certificate and reaches s
// whatever host a URL names, so that tests can use a host name that is
// not loopback ("example.com", which the test certificate covers).
func (s *keyServer) dialingAs() *http.Client {
	c := s.Client()
	tr := c.Transport.(*http.Transport).Clone()
	addr := s.Listener.Addr().String()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	c.Transport = tr
	return c
}

func remoteConfig(client *http.Client) JWTConfig {
	return JWTConfig{Issuer: testIssuer, Audience: []string{testAudience}, HTTPClient: client, Now: func() time.Time { return testNow }}
}

// TestHTTPJWKSURIFromHTTPSDiscoveryIsRefused: a discovery document fetched
// over https cannot send the verifier to a key set over plain http, which
// anyone on the way could replace; the keys are never fetched.
func TestHTTPJWKSURIFromHTTPSDiscoveryIsRefused(t *testing.T) {
	k := testKeys()
	token := sign(t, jwt.SigningMethodRS256, k.rsa, "rsa", validClaims(), nil)
	srv := newKeyServer(t, nil)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	origin := "example.com:" + port

	for _, tc := range []struct {
		jwksURI string
		ok      bool
	}{
		{"https://" + origin + "/jwks.json", true},
		{"http://" + origin + "/jwks.json", false},
		{"http://127.0.0.1:" + port + "/jwks.json", false},
	} {
		srv.jwksURI.Store(&tc.jwksURI)
		cfg := remoteConfig(srv.dialingAs())
		cfg.DiscoveryURL = "https://" + origin + "/.well-known/openid-configuration"
		v := newJWT(t, cfg)
		before := srv.hits.Load()
		if tc.ok {
			mustAccept(t, v, token)
			continue
		}
		err := mustReject(t, v, token)
		if !strings.Contains(err.Error(), "is not https") {
			t.Errorf("jwks_uri %s: error %v, want a refusal of plain http", tc.jwksURI, err)
		}
		if n := srv.hits.Load() - before; n != 1 {
			t.Errorf("jwks_uri %s: %d requests, want only the discovery document's", tc.jwksURI, n)
		}
	}
}

// TestRedirectToOtherHostIsRefused: discovery documents, key sets and
// introspection answers are trusted for their origin, so a redirect to
// another host, another port or another scheme is not followed (and the
// other origin never hears of it), while one within the origin is.
func TestRedirectToOtherHostIsRefused(t *testing.T) {
	k := testKeys()
	token := sign(t, jwt.SigningMethodRS256, k.rsa, "rsa", validClaims(), nil)
	other := newKeyServer(t, nil)
	otherJWKS := other.URL + "/jwks.json"
	other.jwksURI.Store(&otherJWKS)
	var srv *keyServer
	srv = newKeyServer(t, map[string]string{
		"/to-other/jwks.json":                        other.URL + "/jwks.json",
		"/to-other/.well-known/openid-configuration": other.URL + "/.well-known/openid-configuration",
		"/to-other/introspect":                       other.URL + "/introspect",
		"/to-http/jwks.json":                         "{http}/jwks.json", // same host and port, plain http
		"/moved/jwks.json":                           "/jwks.json",
	})
	ownJWKS := srv.URL + "/jwks.json"
	srv.jwksURI.Store(&ownJWKS)

	for _, tc := range []struct {
		name string
		cfg  func(*JWTConfig)
		ok   bool
	}{
		{"same origin", func(c *JWTConfig) { c.JWKSURL = srv.URL + "/moved/jwks.json" }, true},
		{"key set to another host", func(c *JWTConfig) { c.JWKSURL = srv.URL + "/to-other/jwks.json" }, false},
		{"key set to http", func(c *JWTConfig) { c.JWKSURL = srv.URL + "/to-http/jwks.json" }, false},
		{"discovery to another host", func(c *JWTConfig) {
			c.DiscoveryURL = srv.URL + "/to-other/.well-known/openid-configuration"
		}, false},
		{"own CheckRedirect still applies", func(c *JWTConfig) {
			c.JWKSURL = srv.URL + "/moved/jwks.json"
			own := *c.HTTPClient
			own.CheckRedirect = func(*http.Request, []*http.Request) error { return errors.New("no redirects here") }
			c.HTTPClient = &own
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := remoteConfig(srv.Client())
			tc.cfg(&cfg)
			v := newJWT(t, cfg)
			before, own := other.hits.Load(), srv.hits.Load()
			if tc.ok {
				mustAccept(t, v, token)
				if n := srv.hits.Load() - own; n != 2 {
					t.Errorf("%d requests, want the redirect and the key set", n)
				}
				if srv.Client().CheckRedirect != nil {
					t.Error("the configured client was changed")
				}
				return
			}
			err := mustReject(t, v, token)
			if tc.name != "own CheckRedirect still applies" && !errors.Is(err, errCrossOriginRedirect) {
				t.Errorf("error %v, want a refused redirect", err)
			}
			if n := other.hits.Load() - before; n != 0 {
				t.Errorf("the other origin got %d requests", n)
			}
		})
	}

	t.Run("introspection", func(t *testing.T) {
		v := newIntrospection(t, IntrospectionConfig{URL: srv.URL + "/to-other/introspect", HTTPClient: srv.Client(), Now: func() time.Time { return testNow }})
		before := other.hits.Load()
		err := mustReject(t, v, "opaque-token-123456")
		if !errors.Is(err, errCrossOriginRedirect) {
			t.Errorf("error %v, want a refused redirect", err)
		}
		if n := other.hits.Load() - before; n != 0 {
			t.Errorf("the token was sent to the other origin (%d requests)", n)
		}
	})
}
