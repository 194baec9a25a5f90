//go:build unix

package hydra

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/securegen/securegen/e2e/hydra/api"
	"github.com/securegen/securegen/runtime/auth"
	"github.com/securegen/securegen/runtime/httpapi"
)

// The API's audience, and another one the same clients may ask for.
const (
	apiAudience   = "https://pets.securegen.test"
	otherAudience = "https://other.securegen.test"
)

// System secrets of Hydra: changing it (with DSN=memory) rotates every key.
const (
	secretA = "securegen-e2e-system-secret-aaaaaaaaaaaa"
	secretB = "securegen-e2e-system-secret-bbbbbbbbbbbb"
)

// petServer implements the generated api.Server; its answers say who the
// caller was, so tests see what reached the handler.
type petServer struct {
	api.Unimplemented
}

func (petServer) ListPets(_ context.Context, req api.ListPetsRequest) (api.ListPetsResponse, error) {
	return api.NewListPets200JSONResponse(api.PetList{
		Pets:   []api.Pet{{Name: "Rex"}},
		Caller: callerOf(req.Principal),
	}), nil
}

func (petServer) CreatePet(_ context.Context, req api.CreatePetRequest) (api.CreatePetResponse, error) {
	return api.NewCreatePet201JSONResponse(req.Body), nil
}

func (petServer) WhoAmI(_ context.Context, req api.WhoAmIRequest) (api.WhoAmIResponse, error) {
	return api.NewWhoAmI200JSONResponse(callerOf(req.Principal)), nil
}

func callerOf(p *auth.Principal) api.Caller {
	if p == nil {
		return api.Caller{}
	}
	return api.Caller{Subject: p.Subject, Scheme: p.Scheme, Scopes: p.Scopes}
}

// verifierOptions tune the verifiers' key-set refreshes.
type verifierOptions struct {
	MinRefresh time.Duration
	Refresh    time.Duration
}

// jwtSecurity returns the verifiers of the spec's schemes for h: the
// oauth2 scheme with Hydra's JWKS URL and issuer, and the openIdConnect
// scheme with Hydra's discovery document (issuer adopted from it).
func jwtSecurity(t *testing.T, h *hydra, o verifierOptions) api.Security {
	t.Helper()
	if o.MinRefresh == 0 {
		o.MinRefresh = 100 * time.Millisecond
	}
	oauth, err := auth.NewJWT(auth.JWTConfig{
		Issuer:             h.issuer(),
		Audience:           []string{apiAudience},
		JWKSURL:            h.jwksURL(),
		MinRefreshInterval: o.MinRefresh,
		RefreshInterval:    o.Refresh,
	})
	if err != nil {
		t.Fatal(err)
	}
	oidc, err := auth.NewJWT(auth.JWTConfig{
		Audience:           []string{apiAudience},
		DiscoveryURL:       h.discoveryURL(),
		MinRefreshInterval: o.MinRefresh,
		RefreshInterval:    o.Refresh,
	})
	if err != nil {
		t.Fatal(err)
	}
	return api.Security{HydraOAuth: oauth, HydraOIDC: oidc}
}

// apiServer is the generated handler on a test server, with the reason of
// its last denial.
type apiServer struct {
	*httptest.Server
	mu   sync.Mutex
	last *auth.Denial
}

// lastDenial returns the last denial and forgets it.
func (s *apiServer) lastDenial() *auth.Denial {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.last
	s.last = nil
	return d
}

// serve starts the generated handler with sec on a test server.
func serve(t *testing.T, sec api.Security) *apiServer {
	t.Helper()
	s := &apiServer{}
	logger := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	h, err := api.NewHandler(petServer{}, sec, httpapi.WithLogger(logger),
		httpapi.WithDenyHook(func(_ context.Context, d *auth.Denial) {
			s.mu.Lock()
			s.last = d
			s.mu.Unlock()
		}))
	if err != nil {
		t.Fatal(err)
	}
	s.Server = httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

// testWriter sends the handler's log lines (its denials) to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// answer is what the generated server answered.
type answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// decode decodes the JSON body of a.
func decode[T any](t *testing.T, a answer) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(a.Body, &v); err != nil {
		t.Fatalf("answer %s: %v", a.Body, err)
	}
	return v
}

// call sends method path to srv with token as a bearer token.
func call(t *testing.T, srv *apiServer, method, path, token string) answer {
	t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(`{"name":"Tom"}`)
	}
	req, err := http.NewRequest(method, srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return answer{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// expect calls srv and checks the status.
func expect(t *testing.T, srv *apiServer, method, path, token string, status int) answer {
	t.Helper()
	srv.lastDenial()
	a := call(t, srv, method, path, token)
	if a.Status != status {
		t.Fatalf("%s %s: status %d, want %d; WWW-Authenticate %q; denial %v; body %s",
			method, path, a.Status, status, a.Header.Values("WWW-Authenticate"), srv.lastDenial(), a.Body)
	}
	return a
}

// expectDenied calls srv, checks the status, and that the denial's reason
// contains reason, so that a 401 is known to be refused for the reason the
// test is about.
func expectDenied(t *testing.T, srv *apiServer, method, path, token string, status int, reason string) answer {
	t.Helper()
	a := expect(t, srv, method, path, token, status)
	d := srv.lastDenial()
	if d == nil || !strings.Contains(d.Reason, reason) {
		t.Fatalf("%s %s: denial %v, want one whose reason contains %q", method, path, d, reason)
	}
	return a
}

// eventually calls srv until it answers status, for up to 15 seconds.
func eventually(t *testing.T, srv *apiServer, method, path, token string, status int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		a := call(t, srv, method, path, token)
		if a.Status == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s: status %d after 15s, want %d; body %s", method, path, a.Status, status, a.Body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// kidOf returns the "kid" of a JWT's header.
func kidOf(t *testing.T, token string) string {
	t.Helper()
	head, _, ok := strings.Cut(token, ".")
	if !ok {
		t.Fatalf("token is not a JWT")
	}
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		t.Fatalf("token header: %v", err)
	}
	var h struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatalf("token header: %v", err)
	}
	if h.Alg != "RS256" || h.Kid == "" {
		t.Fatalf("token header %s: want alg RS256 and a kid", b)
	}
	return h.Kid
}

func petsClient(h *hydra) client {
	return h.createClient(clientOptions{
		Scope:    "pets.read pets.write",
		Audience: []string{apiAudience, otherAudience},
	})
}

// TestGeneratedCodeIsUpToDate regenerates ./api as the go:generate line in
// generate.go does, into a temporary directory, and compares the bytes.
func TestGeneratedCodeIsUpToDate(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to regenerate: %v", err)
	}
	dir := t.TempDir()
	cmd := exec.Command(goBin, "run", "github.com/securegen/securegen/cmd/securegen",
		"generate", "-package", "api", "-o", dir, "testdata/hydra-api.yaml")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("securegen generate: %v\n%s", err, out)
	}
	fresh, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	checked, err := os.ReadDir("api")
	if err != nil {
		t.Fatal(err)
	}
	names := func(es []os.DirEntry) []string {
		var s []string
		for _, e := range es {
			s = append(s, e.Name())
		}
		return s
	}
	if !slices.Equal(names(fresh), names(checked)) {
		t.Fatalf("api holds %v, securegen now writes %v; run go generate in e2e/hydra", names(checked), names(fresh))
	}
	for _, e := range fresh {
		want, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join("api", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("api/%s is out of date; run go generate in e2e/hydra", e.Name())
		}
	}
}

// TestHydraValidToken: a Hydra token with the required scopes reaches the
// handler through both schemes, with Hydra's client as the subject.
func TestHydraValidToken(t *testing.T) {
	t.Parallel()
	h := startHydra(t, secretA)
	c := petsClient(h)
	srv := serve(t, jwtSecurity(t, h, verifierOptions{}))

	read := h.token(c, "pets.read", apiAudience)
	got := decode[api.PetList](t, expect(t, srv, http.MethodGet, "/pets", read, http.StatusOK)).Caller
	want := api.Caller{Subject: c.ID, Scheme: "hydraOAuth", Scopes: []string{"pets.read"}}
	if got.Subject != want.Subject || got.Scheme != want.Scheme || !slices.Equal(got.Scopes, want.Scopes) {
		t.Errorf("GET /pets: caller %+v, want %+v", got, want)
	}

	got = decode[api.Caller](t, expect(t, srv, http.MethodGet, "/whoami", read, http.StatusOK))
	want.Scheme = "hydraOIDC"
	if got.Subject != want.Subject || got.Scheme != want.Scheme || !slices.Equal(got.Scopes, want.Scopes) {
		t.Errorf("GET /whoami: caller %+v, want %+v", got, want)
	}

	both := h.token(c, "pets.read pets.write", apiAudience)
	if pet := decode[api.Pet](t, expect(t, srv, http.MethodPost, "/pets", both, http.StatusCreated)); pet.Name != "Tom" {
		t.Errorf("POST /pets: answered %+v, want the pet back", pet)
	}

	expectDenied(t, srv, http.MethodGet, "/pets", "", http.StatusUnauthorized, "no credential")
}

// TestHydraMissingScope: a valid token without a required scope is refused
// with 403 and an insufficient_scope challenge naming what is missing.
func TestHydraMissingScope(t *testing.T) {
	t.Parallel()
	h := startHydra(t, secretA)
	c := petsClient(h)
	srv := serve(t, jwtSecurity(t, h, verifierOptions{}))

	for _, tc := range []struct {
		method, path, scope, missing string
	}{
		{http.MethodPost, "/pets", "pets.read", "pets.write"},
		{http.MethodGet, "/pets", "pets.write", "pets.read"},
		{http.MethodGet, "/whoami", "pets.write", "pets.read"},
	} {
		tok := h.token(c, tc.scope, apiAudience)
		a := expectDenied(t, srv, tc.method, tc.path, tok, http.StatusForbidden, "insufficient scope")
		ch := a.Header.Get("WWW-Authenticate")
		if !strings.HasPrefix(ch, "Bearer ") ||
			!strings.Contains(ch, `error="insufficient_scope"`) ||
			!strings.Contains(ch, `scope="`+tc.missing+`"`) {
			t.Errorf("%s %s with %q: WWW-Authenticate %q, want a Bearer insufficient_scope challenge with scope=%q",
				tc.method, tc.path, tc.scope, ch, tc.missing)
		}
	}
}

// TestHydraWrongAudience: a token Hydra issued for another audience is
// refused with 401 by both schemes.
func TestHydraWrongAudience(t *testing.T) {
	t.Parallel()
	h := startHydra(t, secretA)
	c := petsClient(h)
	srv := serve(t, jwtSecurity(t, h, verifierOptions{}))

	good := h.token(c, "pets.read", apiAudience)
	other := h.token(c, "pets.read", otherAudience)
	for _, path := range []string{"/pets", "/whoami"} {
		expect(t, srv, http.MethodGet, path, good, http.StatusOK)
		a := expectDenied(t, srv, http.MethodGet, path, other, http.StatusUnauthorized, "audience")
		if ch := a.Header.Get("WWW-Authenticate"); !strings.HasPrefix(ch, "Bearer ") || !strings.Contains(ch, `error="invalid_token"`) {
			t.Errorf("GET %s: WWW-Authenticate %q, want a Bearer invalid_token challenge", path, ch)
		}
	}
}

// TestHydraOpaqueTokenIntrospection: a client whose access_token_strategy
// is opaque gets an opaque token, which the oauth2 scheme verifies through
// Hydra's RFC 7662 introspection endpoint, scopes included; the JWT
// verifier of the openIdConnect scheme refuses it.
func TestHydraOpaqueTokenIntrospection(t *testing.T) {
	t.Parallel()
	h := startHydra(t, secretA)
	c := h.createClient(clientOptions{
		Scope:    "pets.read pets.write",
		Audience: []string{apiAudience, otherAudience},
		Strategy: "opaque",
	})
	introspect, err := auth.NewIntrospection(auth.IntrospectionConfig{
		URL:      h.introspectURL(),
		Issuer:   h.issuer(),
		Audience: []string{apiAudience},
	})
	if err != nil {
		t.Fatal(err)
	}
	sec := jwtSecurity(t, h, verifierOptions{})
	sec.HydraOAuth = introspect
	srv := serve(t, sec)

	tok := h.token(c, "pets.read", apiAudience)
	if strings.Count(tok, ".") == 2 {
		t.Fatalf("token %.12s... looks like a JWT, want an opaque token", tok)
	}
	got := decode[api.PetList](t, expect(t, srv, http.MethodGet, "/pets", tok, http.StatusOK)).Caller
	if got.Subject != c.ID || got.Scheme != "hydraOAuth" || !slices.Equal(got.Scopes, []string{"pets.read"}) {
		t.Errorf("GET /pets: caller %+v, want subject %s, scheme hydraOAuth, scopes [pets.read]", got, c.ID)
	}
	a := expectDenied(t, srv, http.MethodPost, "/pets", tok, http.StatusForbidden, "insufficient scope")
	if ch := a.Header.Get("WWW-Authenticate"); !strings.Contains(ch, `error="insufficient_scope"`) || !strings.Contains(ch, `scope="pets.write"`) {
		t.Errorf("POST /pets: WWW-Authenticate %q, want insufficient_scope for pets.write", ch)
	}
	expectDenied(t, srv, http.MethodGet, "/whoami", tok, http.StatusUnauthorized, "malformed")

	// Hydra says an opaque token for another audience is active; the
	// verifier checks the audience itself.
	expectDenied(t, srv, http.MethodGet, "/pets", h.token(c, "pets.read", otherAudience), http.StatusUnauthorized, "audience")
	expectDenied(t, srv, http.MethodGet, "/pets", tok+"x", http.StatusUnauthorized, "not active")
}

// TestHydraKeyRotation: Hydra restarts with a new system secret and, with
// DSN=memory, a fresh key set. Tokens it signs with the new keys verify
// once the verifiers refresh the key set; tokens signed with the old keys
// no longer do.
func TestHydraKeyRotation(t *testing.T) {
	t.Parallel()
	h := startHydra(t, secretA)
	srv := serve(t, jwtSecurity(t, h, verifierOptions{MinRefresh: 200 * time.Millisecond}))

	old := h.token(petsClient(h), "pets.read", apiAudience)
	oldKid := kidOf(t, old)
	expect(t, srv, http.MethodGet, "/pets", old, http.StatusOK)
	expect(t, srv, http.MethodGet, "/whoami", old, http.StatusOK)
	kidsBefore := h.jwksKids()

	h.restart(secretB)
	kidsAfter := h.jwksKids()
	for _, k := range kidsAfter {
		if slices.Contains(kidsBefore, k) {
			t.Fatalf("key %s survived the restart: keys before %v, after %v", k, kidsBefore, kidsAfter)
		}
	}
	fresh := h.token(petsClient(h), "pets.read", apiAudience)
	newKid := kidOf(t, fresh)
	if newKid == oldKid || !slices.Contains(kidsAfter, newKid) {
		t.Fatalf("kid after restart %s (published %v), before %s: want a new published kid", newKid, kidsAfter, oldKid)
	}

	eventually(t, srv, http.MethodGet, "/pets", fresh, http.StatusOK)
	eventually(t, srv, http.MethodGet, "/whoami", fresh, http.StatusOK)
	expectDenied(t, srv, http.MethodGet, "/pets", old, http.StatusUnauthorized, "key id")
	expectDenied(t, srv, http.MethodGet, "/whoami", old, http.StatusUnauthorized, "key id")
}

// TestHydraCachedKeysWhileStopped: with Hydra stopped, tokens signed with
// keys the verifiers cached still verify, even when the due refresh fails;
// verifiers with nothing cached refuse them.
func TestHydraCachedKeysWhileStopped(t *testing.T) {
	t.Parallel()
	h := startHydra(t, secretA)
	opts := verifierOptions{MinRefresh: 100 * time.Millisecond, Refresh: 300 * time.Millisecond}
	srv := serve(t, jwtSecurity(t, h, opts))
	cold := serve(t, jwtSecurity(t, h, opts))

	tok := h.token(petsClient(h), "pets.read", apiAudience)
	expect(t, srv, http.MethodGet, "/pets", tok, http.StatusOK)
	expect(t, srv, http.MethodGet, "/whoami", tok, http.StatusOK)

	h.stop()
	if ok, _ := get(h.jwksURL()); ok {
		t.Fatal("Hydra still answers after stop")
	}
	time.Sleep(400 * time.Millisecond) // past RefreshInterval: the next Verify tries a refresh, which fails
	for range 3 {
		expect(t, srv, http.MethodGet, "/pets", tok, http.StatusOK)
		expect(t, srv, http.MethodGet, "/whoami", tok, http.StatusOK)
		time.Sleep(150 * time.Millisecond)
	}
	expectDenied(t, cold, http.MethodGet, "/pets", tok, http.StatusUnauthorized, "no signing keys")
	expectDenied(t, cold, http.MethodGet, "/whoami", tok, http.StatusUnauthorized, "no signing keys")
}
