package issuer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/securegen/securegen/runtime/auth"
	"github.com/securegen/securegen/runtime/issuer"
)

// specScheme is a scheme of a spec as httpapi.NewRouter sees it: its
// verifier and the tokenUrl and refreshUrl paths on the API (API.TokenPaths).
type specScheme struct {
	name     string
	verifier auth.Verifier
	paths    []string
}

// routerMount does with mux what httpapi.NewRouter does with its router
// (TEMPORARY: it stands in for NewRouter until that calls Mount; then
// these tests can go through generated code). It groups the schemes
// whose verifier is an auth.TokenIssuer by MountKey, in the order of the
// schemes, merging their paths without duplicates; calls Mount once per
// issuer; and registers every route Mount returns, failing on a pattern
// that is taken, as Router.Handle does.
func routerMount(mux *http.ServeMux, schemes []specScheme) error {
	type group struct {
		ti      auth.TokenIssuer
		schemes []string
		paths   []string
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, s := range schemes {
		ti, ok := s.verifier.(auth.TokenIssuer)
		if !ok || len(s.paths) == 0 {
			continue
		}
		g := byKey[ti.MountKey()]
		if g == nil {
			g = &group{ti: ti}
			byKey[ti.MountKey()] = g
			groups = append(groups, g)
		}
		g.schemes = append(g.schemes, s.name)
		for _, p := range s.paths {
			if !slices.Contains(g.paths, p) {
				g.paths = append(g.paths, p)
			}
		}
	}
	taken := map[string]bool{}
	for _, g := range groups {
		routes, err := g.ti.Mount(g.paths)
		if err != nil {
			return fmt.Errorf("mount the issuer of %s: %w", strings.Join(g.schemes, ", "), err)
		}
		for _, r := range routes {
			if taken[r.Pattern] {
				return fmt.Errorf("mount endpoint of %s: pattern %q is taken", strings.Join(g.schemes, ", "), r.Pattern)
			}
			taken[r.Pattern] = true
			mux.Handle(r.Pattern, r.Handler)
		}
	}
	return nil
}

// serveSpec serves srv as a handler built for schemes would, or fails.
func serveSpec(t *testing.T, schemes ...specScheme) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	if err := routerMount(mux, schemes); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

// metadata fetches the RFC 8414 document.
func metadata(t *testing.T, base string) map[string]any {
	t.Helper()
	resp, err := http.Get(base + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("metadata: status %d", resp.StatusCode)
	}
	var md map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&md); err != nil {
		t.Fatal(err)
	}
	return md
}

func newServer(t *testing.T, mutate func(*issuer.Config)) *issuer.Server {
	t.Helper()
	cfg := baseConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := issuer.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return srv
}

// TestMetadataTokenEndpointIsTheSpecsTokenURL: with TokenPath unset and
// the spec's tokenUrl /oauth/token, the metadata names /oauth/token, and a
// password grant sent where it points succeeds.
func TestMetadataTokenEndpointIsTheSpecsTokenURL(t *testing.T) {
	srv := newServer(t, nil)
	ts := serveSpec(t, specScheme{"users", srv, []string{"/oauth/token"}})

	md := metadata(t, ts.URL)
	endpoint, _ := md["token_endpoint"].(string)
	if endpoint != testIssuer+"/oauth/token" {
		t.Fatalf("token_endpoint %q, want %q", endpoint, testIssuer+"/oauth/token")
	}
	path := strings.TrimPrefix(endpoint, testIssuer)
	f := url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {alicePW}}
	mustOK(t, post(t, ts.URL, path, f, []string{"app", appSecret}, "1"))
	resp, err := http.PostForm(ts.URL+"/token", f)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST /token answered %d; nothing is mounted there", resp.StatusCode)
	}
}

// TestMountRefusesATokenPathTheSpecDoesNotName: a TokenPath set in the
// Config must be one of the spec's paths; the error names both.
func TestMountRefusesATokenPathTheSpecDoesNotName(t *testing.T) {
	srv := newServer(t, func(c *issuer.Config) { c.TokenPath = "/token" })
	_, err := srv.Mount([]string{"/oauth/token"})
	if !errors.Is(err, issuer.ErrTokenPathConflict) || !strings.Contains(err.Error(), `"/token"`) || !strings.Contains(err.Error(), `"/oauth/token"`) {
		t.Fatalf("Mount = %v; want ErrTokenPathConflict naming /token and /oauth/token", err)
	}
	if err := routerMount(http.NewServeMux(), []specScheme{{"users", srv, []string{"/oauth/token"}}}); err == nil {
		t.Fatal("the router started with metadata naming an unmounted path")
	}

	// A TokenPath that is the spec's refreshUrl is one of its paths.
	srv = newServer(t, func(c *issuer.Config) { c.TokenPath = "/oauth/refresh" })
	ts := serveSpec(t, specScheme{"users", srv, []string{"/oauth/token", "/oauth/refresh"}})
	if got := metadata(t, ts.URL)["token_endpoint"]; got != testIssuer+"/oauth/refresh" {
		t.Errorf("token_endpoint %v", got)
	}

	// Paths the issuer cannot serve.
	srv = newServer(t, nil)
	for _, paths := range [][]string{nil, {"oauth/token"}, {"/oauth/{x}"}, {"/oauth2/revoke"}} {
		if _, err := srv.Mount(paths); err == nil {
			t.Errorf("Mount(%q) succeeded", paths)
		}
	}
}

// TestMountIsIdempotent: every handler built with one issuer may mount it;
// the first fixes the path the metadata names, and a later one that does
// not serve that path is refused.
func TestMountIsIdempotent(t *testing.T) {
	srv := newServer(t, nil)
	patterns := func(routes []auth.Route) []string {
		var out []string
		for _, r := range routes {
			out = append(out, r.Pattern)
		}
		return out
	}
	first, err := srv.Mount([]string{"/oauth/token", "/oauth/token"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"POST /oauth/token", "POST /oauth2/revoke", "GET /.well-known/jwks.json", "GET /.well-known/oauth-authorization-server"}
	if !slices.Equal(patterns(first), want) {
		t.Errorf("routes %v, want %v", patterns(first), want)
	}
	again, err := srv.Mount([]string{"/oauth/token"})
	if err != nil || !slices.Equal(patterns(again), want) {
		t.Errorf("second Mount = %v, %v", patterns(again), err)
	}
	// Two handlers built with the issuer both serve it.
	a := serveSpec(t, specScheme{"users", srv, []string{"/oauth/token"}})
	b := serveSpec(t, specScheme{"users", srv, []string{"/oauth/refresh", "/oauth/token"}})
	f := url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {alicePW}}
	for _, ts := range []*httptest.Server{a, b} {
		if got := metadata(t, ts.URL)["token_endpoint"]; got != testIssuer+"/oauth/token" {
			t.Errorf("token_endpoint %v", got)
		}
		mustOK(t, post(t, ts.URL, "/oauth/token", f, []string{"app", appSecret}, "1"))
	}
	// A handler that would serve metadata naming a path it does not serve.
	if _, err := srv.Mount([]string{"/token"}); !errors.Is(err, issuer.ErrTokenPathConflict) || !strings.Contains(err.Error(), `"/oauth/token"`) || !strings.Contains(err.Error(), `"/token"`) {
		t.Errorf("Mount elsewhere = %v; want ErrTokenPathConflict naming both", err)
	}
}

// TestSchemesSharingAnIssuerMountItOnce: a password scheme and a
// clientCredentials scheme name the same tokenUrl and one issuer (once
// through auth.Then); the password scheme's refreshUrl differs and is
// mounted too.
func TestSchemesSharingAnIssuerMountItOnce(t *testing.T) {
	srv := newServer(t, nil)
	active := auth.Then(srv, func(context.Context, *auth.Principal) error { return nil })
	ts := serveSpec(t,
		specScheme{"users", active, []string{"/oauth/token", "/oauth/refresh"}},
		specScheme{"service", srv, []string{"/oauth/token"}},
	)
	login := mustOK(t, post(t, ts.URL, "/oauth/token", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {alicePW}}, []string{"app", appSecret}, "1"))
	mustOK(t, post(t, ts.URL, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, []string{"svc", svcSecret}, "1"))
	mustOK(t, post(t, ts.URL, "/oauth/refresh", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {login.str("refresh_token")}}, []string{"app", appSecret}, "1"))
	if got := metadata(t, ts.URL)["token_endpoint"]; got != testIssuer+"/oauth/token" {
		t.Errorf("token_endpoint %v", got)
	}

	// Two different issuers cannot share a path.
	other := newServer(t, nil)
	err := routerMount(http.NewServeMux(), []specScheme{
		{"users", srv, []string{"/oauth/token"}},
		{"service", other, []string{"/oauth/token"}},
	})
	if err == nil {
		t.Error("two issuers were mounted at one tokenUrl")
	}
	if srv.MountKey() == other.MountKey() || active.(auth.TokenIssuer).MountKey() != srv.MountKey() {
		t.Error("MountKey does not tell issuers apart, or Then hides it")
	}
}

// TestGrantTypesSupportedListsWhatTheConfigurationAllows.
func TestGrantTypesSupportedListsWhatTheConfigurationAllows(t *testing.T) {
	h := hashes()
	users := baseConfig().Authenticate
	pwRefresh := issuer.Client{ID: "app", SecretHash: h[appSecret], Grants: []string{issuer.GrantPassword, issuer.GrantRefreshToken}}
	pwOnly := issuer.Client{ID: "app", SecretHash: h[appSecret], Grants: []string{issuer.GrantPassword}}
	cc := issuer.Client{ID: "svc", SecretHash: h[svcSecret], Scopes: []string{"jobs:run"}, Grants: []string{issuer.GrantClientCredentials}}
	ccRefresh := issuer.Client{ID: "svc", SecretHash: h[svcSecret], Grants: []string{issuer.GrantClientCredentials, issuer.GrantRefreshToken}}
	tests := []struct {
		name string
		cfg  issuer.Config
		want []string
	}{
		{"everything", issuer.Config{Authenticate: users, Clients: []issuer.Client{pwRefresh, cc}}, []string{"password", "client_credentials", "refresh_token"}},
		{"password without refresh", issuer.Config{Authenticate: users, Clients: []issuer.Client{pwOnly}}, []string{"password"}},
		{"client_credentials only", issuer.Config{Clients: []issuer.Client{cc}}, []string{"client_credentials"}},
		{"refresh_token without password issues no refresh token", issuer.Config{Clients: []issuer.Client{ccRefresh}}, []string{"client_credentials"}},
		{"users but no client that may log in", issuer.Config{Authenticate: users, Clients: []issuer.Client{cc}}, []string{"client_credentials"}},
		{"public callers", issuer.Config{Authenticate: users, AllowPublicClients: true}, []string{"password", "refresh_token"}},
		{"nothing", issuer.Config{}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Issuer = testIssuer
			srv, err := issuer.New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			ts := mount(t, srv)
			raw, ok := metadata(t, ts.URL)["grant_types_supported"].([]any)
			if !ok {
				t.Fatalf("grant_types_supported is not a list")
			}
			got := []string{}
			for _, g := range raw {
				got = append(got, g.(string))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("grant_types_supported %v, want %v", got, tt.want)
			}
		})
	}

	// A grant the list leaves out is unsupported_grant_type at the token
	// endpoint, for every client.
	srv := newServer(t, func(c *issuer.Config) { c.Clients = []issuer.Client{pwOnly, ccRefresh} })
	ts := mount(t, srv)
	wantError(t, post(t, ts.URL, "/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, []string{"svc", svcSecret}, "1"), http.StatusBadRequest, "unsupported_grant_type")
}
