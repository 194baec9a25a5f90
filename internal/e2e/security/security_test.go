package security_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/securegen/securegen/internal/e2e/security"
	"github.com/securegen/securegen/runtime/auth"
	"github.com/securegen/securegen/runtime/httpapi"
)

// tokenVerifier accepts tokens "ok.<subject>.<scope+scope>" and rejects
// everything else. It counts its calls, so tests can see which verifiers
// ran.
type tokenVerifier struct {
	calls atomic.Int32
}

func (v *tokenVerifier) Verify(_ context.Context, c auth.Credential) (*auth.Principal, error) {
	v.calls.Add(1)
	parts := strings.SplitN(c.Token, ".", 3)
	if len(parts) != 3 || parts[0] != "ok" {
		return nil, errors.New("token not recognised")
	}
	var scopes []string
	if parts[2] != "" {
		scopes = strings.Split(parts[2], "+")
	}
	return &auth.Principal{Subject: parts[1], Scopes: scopes}, nil
}

type verifiers struct {
	oauth, bearerA, bearerB, headerKey, queryKey, cookieKey, basic *tokenVerifier
}

func newVerifiers() *verifiers {
	return &verifiers{new(tokenVerifier), new(tokenVerifier), new(tokenVerifier), new(tokenVerifier), new(tokenVerifier), new(tokenVerifier), new(tokenVerifier)}
}

func (v *verifiers) security() security.Security {
	basic := auth.VerifierFunc(func(ctx context.Context, c auth.Credential) (*auth.Principal, error) {
		v.basic.calls.Add(1)
		if c.Username == "alice" && c.Password == "secret" {
			return &auth.Principal{Subject: "alice"}, nil
		}
		return nil, errors.New("wrong user or password")
	})
	return security.Security{
		Oauth: v.oauth, BearerA: v.bearerA, BearerB: v.bearerB, HeaderKey: v.headerKey,
		QueryKey: v.queryKey, CookieKey: v.cookieKey, Basic: basic,
	}
}

// server answers every operation with the principals it was given, so
// tests see who the generated handler let in.
type server struct {
	security.Unimplemented
	called atomic.Int32
}

func who(ps auth.Principals) http.Header {
	h := http.Header{}
	for _, p := range ps {
		h.Add("X-Principal", p.Scheme+"="+p.Subject)
	}
	if len(ps) == 0 {
		h.Set("X-Principal", "anonymous")
	}
	return h
}

func (s *server) Inherited(_ context.Context, req security.InheritedRequest) (security.InheritedResponse, error) {
	s.called.Add(1)
	return security.Inherited200Response{Headers: who(req.Principals)}, nil
}
func (s *server) Override(_ context.Context, req security.OverrideRequest) (security.OverrideResponse, error) {
	s.called.Add(1)
	return security.Override200Response{Headers: who(req.Principals)}, nil
}
func (s *server) Public(_ context.Context, req security.PublicRequest) (security.PublicResponse, error) {
	s.called.Add(1)
	return security.Public200Response{Headers: who(nil)}, nil
}
func (s *server) Anonymous(_ context.Context, req security.AnonymousRequest) (security.AnonymousResponse, error) {
	s.called.Add(1)
	if req.Principal == nil && len(req.Principals) != 0 {
		return nil, errors.New("Principal nil but Principals set")
	}
	return security.Anonymous200Response{Headers: who(req.Principals)}, nil
}
func (s *server) Both(_ context.Context, req security.BothRequest) (security.BothResponse, error) {
	s.called.Add(1)
	return security.Both200Response{Headers: who(req.Principals)}, nil
}
func (s *server) Either(_ context.Context, req security.EitherRequest) (security.EitherResponse, error) {
	s.called.Add(1)
	return security.Either200Response{Headers: who(req.Principals)}, nil
}
func (s *server) ScopesPerAlternative(_ context.Context, req security.ScopesPerAlternativeRequest) (security.ScopesPerAlternativeResponse, error) {
	s.called.Add(1)
	return security.ScopesPerAlternative200Response{Headers: who(req.Principals)}, nil
}
func (s *server) Shared(_ context.Context, req security.SharedRequest) (security.SharedResponse, error) {
	s.called.Add(1)
	return security.Shared200Response{Headers: who(req.Principals)}, nil
}
func (s *server) QueryKey(_ context.Context, req security.QueryKeyRequest) (security.QueryKeyResponse, error) {
	s.called.Add(1)
	return security.QueryKey200Response{Headers: who(req.Principals)}, nil
}
func (s *server) CookieKey(_ context.Context, req security.CookieKeyRequest) (security.CookieKeyResponse, error) {
	s.called.Add(1)
	return security.CookieKey200Response{Headers: who(req.Principals)}, nil
}
func (s *server) Negotiate(_ context.Context, req security.NegotiateRequest) (security.NegotiateResponse, error) {
	s.called.Add(1)
	return security.Negotiate200Response{}, nil
}
func (s *server) PutItem(_ context.Context, req security.PutItemRequest) (security.PutItemResponse, error) {
	s.called.Add(1)
	return security.NewPutItem200JSONResponse(security.PutItem200ResponseBody{ID: &req.ItemID, Name: &req.Body.Name, Owner: &req.Principal.Subject}), nil
}

type fixture struct {
	t   *testing.T
	h   http.Handler
	srv *server
	v   *verifiers
}

func newFixture(t *testing.T, opts ...security.Option) *fixture {
	t.Helper()
	f := &fixture{t: t, srv: &server{}, v: newVerifiers()}
	opts = append([]security.Option{httpapi.WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	h, err := security.NewHandler(f.srv, f.v.security(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	f.h = h
	return f
}

// do sends a request; edit adds credentials.
func (f *fixture) do(method, target string, body string, edit func(*http.Request)) *httptest.ResponseRecorder {
	f.t.Helper()
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	var r *http.Request
	if rd != nil {
		r = httptest.NewRequest(method, target, rd)
		r.Header.Set("Content-Type", "application/json")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	if edit != nil {
		edit(r)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

func bearer(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

func apiKey(key string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("X-API-Key", key) }
}

func basicAuth(user, pass string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(user, pass) }
}

func all(edits ...func(*http.Request)) func(*http.Request) {
	return func(r *http.Request) {
		for _, e := range edits {
			e(r)
		}
	}
}

func expect(t *testing.T, w *httptest.ResponseRecorder, status int, principal string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body %s; WWW-Authenticate %q", w.Code, status, w.Body, w.Header().Values("WWW-Authenticate"))
	}
	if principal != "" {
		if got := strings.Join(w.Header().Values("X-Principal"), " "); got != principal {
			t.Fatalf("principals %q, want %q", got, principal)
		}
	}
}

func TestRootSecurityAppliesWithoutOperationSecurity(t *testing.T) {
	f := newFixture(t)
	expect(t, f.do("GET", "/inherited", "", nil), 401, "")
	expect(t, f.do("GET", "/inherited", "", bearer("ok.bob.read")), 200, "oauth=bob")
	expect(t, f.do("GET", "/inherited", "", bearer("ok.bob.write")), 403, "")
}

func TestOperationSecurityOverridesRoot(t *testing.T) {
	f := newFixture(t)
	// The root's oauth token does not open an operation that asks for a key.
	expect(t, f.do("GET", "/override", "", bearer("ok.bob.read")), 401, "")
	expect(t, f.do("GET", "/override", "", apiKey("ok.svc.")), 200, "headerKey=svc")
}

func TestEmptySecurityMakesOperationPublic(t *testing.T) {
	f := newFixture(t)
	expect(t, f.do("GET", "/public", "", nil), 200, "anonymous")
	// Credentials are ignored: even a forged one is not verified.
	expect(t, f.do("GET", "/public", "", bearer("forged")), 200, "anonymous")
	if n := f.v.oauth.calls.Load(); n != 0 {
		t.Fatalf("public operation verified %d credentials", n)
	}
}

func TestAlternativesAreOR(t *testing.T) {
	f := newFixture(t)
	expect(t, f.do("GET", "/or", "", bearer("ok.bob.write")), 200, "oauth=bob")
	expect(t, f.do("GET", "/or", "", apiKey("ok.svc.")), 200, "headerKey=svc")
	expect(t, f.do("GET", "/or", "", nil), 401, "")
}

func TestSchemesInAlternativeAreAND(t *testing.T) {
	f := newFixture(t)
	expect(t, f.do("GET", "/and", "", apiKey("ok.svc.")), 401, "")
	expect(t, f.do("GET", "/and", "", basicAuth("alice", "secret")), 401, "")
	expect(t, f.do("GET", "/and", "", all(apiKey("ok.svc."), basicAuth("alice", "secret"))), 200, "basic=alice headerKey=svc")
	expect(t, f.do("GET", "/and", "", all(apiKey("ok.svc."), basicAuth("alice", "wrong"))), 401, "")
}

func TestPrincipalsOfANDAlternativeAreAllReachable(t *testing.T) {
	f := newFixture(t)
	w := f.do("GET", "/and", "", all(apiKey("ok.svc."), basicAuth("alice", "secret")))
	expect(t, w, 200, "basic=alice headerKey=svc")
}

func TestScopesStayWithTheirAlternative(t *testing.T) {
	f := newFixture(t)
	// [{oauth:[read], headerKey}, {oauth:[admin]}]: read alone opens only
	// the first alternative, which also needs the key; merging scopes
	// across alternatives would wrongly need read+admin or accept read.
	// The token is valid for the second alternative but lacks its admin
	// scope: 403, naming admin alone, not read as well.
	w := f.do("GET", "/scopes", "", bearer("ok.bob.read"))
	expect(t, w, 403, "")
	if got := w.Header().Get("WWW-Authenticate"); !strings.HasSuffix(got, `scope="admin"`) {
		t.Fatalf("challenge %q, want scope=\"admin\"", got)
	}
	expect(t, f.do("GET", "/scopes", "", all(bearer("ok.bob.read"), apiKey("ok.svc."))), 200, "headerKey=svc oauth=bob")
	expect(t, f.do("GET", "/scopes", "", bearer("ok.bob.admin")), 200, "oauth=bob")
}

func TestAnonymousAlternativeAdmitsCallerWithoutCredential(t *testing.T) {
	f := newFixture(t)
	expect(t, f.do("GET", "/anonymous", "", nil), 200, "anonymous")
	expect(t, f.do("GET", "/anonymous", "", bearer("ok.bob.read")), 200, "oauth=bob")
}

func TestInvalidCredentialIsNeverDowngradedToAnonymous(t *testing.T) {
	f := newFixture(t)
	w := f.do("GET", "/anonymous", "", bearer("forged"))
	expect(t, w, 401, "")
	if got := w.Header().Get("WWW-Authenticate"); !strings.Contains(got, `error="invalid_token"`) {
		t.Fatalf("challenge %q lacks invalid_token", got)
	}
	// A malformed one counts as presented too.
	expect(t, f.do("GET", "/anonymous", "", func(r *http.Request) { r.Header.Set("Authorization", "Bearer") }), 401, "")
}

func TestFailingAlternativeDoesNotVetoAnother(t *testing.T) {
	f := newFixture(t)
	// A forged bearer token plus a valid API key is let in by the key.
	expect(t, f.do("GET", "/or", "", all(bearer("forged"), apiKey("ok.svc."))), 200, "headerKey=svc")
}

func TestSchemesSharingAuthorizationHeaderAreAllTried(t *testing.T) {
	f := newFixture(t)
	f.v.bearerA = &tokenVerifier{}
	// Only the oauth verifier knows this token; bearerA and bearerB reject it.
	h, err := security.NewHandler(f.srv, security.Security{
		Oauth: f.v.oauth, HeaderKey: f.v.headerKey, QueryKey: f.v.queryKey, CookieKey: f.v.cookieKey,
		Basic: f.v.basic,
		BearerA: auth.VerifierFunc(func(context.Context, auth.Credential) (*auth.Principal, error) {
			return nil, errors.New("not mine")
		}),
		BearerB: auth.VerifierFunc(func(context.Context, auth.Credential) (*auth.Principal, error) {
			return nil, errors.New("not mine either")
		}),
	}, httpapi.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	f.h = h
	expect(t, f.do("GET", "/shared", "", bearer("ok.bob.read")), 200, "oauth=bob")
}

func TestInsufficientScopeIsForbiddenWithScopeChallenge(t *testing.T) {
	f := newFixture(t)
	w := f.do("GET", "/or", "", bearer("ok.bob.read"))
	expect(t, w, 403, "")
	want := `Bearer realm="Security rules", error="insufficient_scope", scope="write"`
	if got := w.Header().Get("WWW-Authenticate"); got != want {
		t.Fatalf("challenge %q, want %q", got, want)
	}
	if f.srv.called.Load() != 0 {
		t.Fatal("handler ran for a forbidden request")
	}
}

func TestUnauthenticatedIs401WithAChallengePerScheme(t *testing.T) {
	f := newFixture(t)
	w := f.do("GET", "/and", "", nil)
	expect(t, w, 401, "")
	got := w.Header().Values("WWW-Authenticate")
	want := []string{`Basic realm="Security rules", charset="UTF-8"`, `APIKey realm="Security rules", in="header", name="X-API-Key"`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("challenges %q, want %q", got, want)
	}
	w = f.do("GET", "/shared", "", nil)
	if got := w.Header().Values("WWW-Authenticate"); len(got) != 1 || got[0] != `Bearer realm="Security rules"` {
		t.Fatalf("bearer schemes sharing a header: challenges %q, want one Bearer challenge", got)
	}
}

func TestBearerChallengeSaysInvalidTokenOnlyWhenATokenWasPresented(t *testing.T) {
	f := newFixture(t)
	if got := f.do("GET", "/inherited", "", nil).Header().Get("WWW-Authenticate"); got != `Bearer realm="Security rules"` {
		t.Fatalf("no token: challenge %q", got)
	}
	if got := f.do("GET", "/inherited", "", bearer("forged")).Header().Get("WWW-Authenticate"); got != `Bearer realm="Security rules", error="invalid_token"` {
		t.Fatalf("forged token: challenge %q", got)
	}
}

func TestErrorBodiesAreProblemJSONWithoutTheCredential(t *testing.T) {
	f := newFixture(t)
	secret := "forged-very-secret-token"
	for _, w := range []*httptest.ResponseRecorder{
		f.do("GET", "/inherited", "", bearer(secret)),
		f.do("GET", "/or", "", bearer("ok."+secret+".read")),
	} {
		if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
			t.Fatalf("content type %q", ct)
		}
		var p httpapi.Problem
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != w.Code || p.Title == "" {
			t.Fatalf("body %s is not a problem document for %d: %v", w.Body, w.Code, err)
		}
		if strings.Contains(w.Body.String(), secret) {
			t.Fatalf("body echoes the credential: %s", w.Body)
		}
	}
}

func TestErrorWriterOptionReplacesErrorAnswers(t *testing.T) {
	f := newFixture(t, httpapi.WithErrorWriter(func(w http.ResponseWriter, r *http.Request, err error) {
		var d *auth.Denial
		if errors.As(err, &d) {
			w.WriteHeader(d.Status)
			w.Write([]byte("custom"))
			return
		}
		httpapi.WriteError(w, r, err)
	}))
	w := f.do("GET", "/inherited", "", nil)
	if w.Code != 401 || w.Body.String() != "custom" {
		t.Fatalf("got %d %q, want the custom writer's answer", w.Code, w.Body)
	}
}

func TestSecurityIsCheckedBeforeParametersAndBody(t *testing.T) {
	f := newFixture(t)
	// A bad parameter and a broken body, without credentials: 401, not 400.
	w := f.do("PUT", "/items/not-a-number?dryRun=maybe", "{broken", nil)
	expect(t, w, 401, "")
	// The body was never read: a reader that fails the test if touched.
	r := httptest.NewRequest("PUT", "/items/1", &tripwire{t: t})
	r.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, r)
	expect(t, rec, 401, "")
	// With credentials, the same bad parameter is a 400.
	expect(t, f.do("PUT", "/items/not-a-number", `{"name":"x"}`, bearer("ok.bob.write")), 400, "")
	w = f.do("PUT", "/items/7", `{"name":"lamp"}`, bearer("ok.bob.write"))
	expect(t, w, 200, "")
	if !strings.Contains(w.Body.String(), `"owner":"bob"`) || !strings.Contains(w.Body.String(), `"id":7`) {
		t.Fatalf("body %s", w.Body)
	}
}

type tripwire struct{ t *testing.T }

func (tw *tripwire) Read([]byte) (int, error) {
	tw.t.Error("the body of an unauthenticated request was read")
	return 0, errors.New("tripwire")
}

func TestAPIKeyIsReadOnlyFromItsDeclaredLocation(t *testing.T) {
	f := newFixture(t)
	expect(t, f.do("GET", "/query-key?api_key=ok.svc.", "", nil), 200, "queryKey=svc")
	expect(t, f.do("GET", "/query-key", "", func(r *http.Request) { r.Header.Set("api_key", "ok.svc.") }), 401, "")
	expect(t, f.do("GET", "/cookie-key", "", func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "session", Value: "ok.web."}) }), 200, "cookieKey=web")
	expect(t, f.do("GET", "/cookie-key?session=ok.web.", "", nil), 401, "")
	expect(t, f.do("GET", "/override?X-API-Key=ok.svc.", "", nil), 401, "")
}

func TestAuthorizationSchemeIsMatchedCaseInsensitively(t *testing.T) {
	f := newFixture(t)
	for _, scheme := range []string{"Bearer", "bearer", "BEARER", "bEaReR"} {
		expect(t, f.do("GET", "/inherited", "", func(r *http.Request) { r.Header.Set("Authorization", scheme+" ok.bob.read") }), 200, "oauth=bob")
	}
	expect(t, f.do("GET", "/and", "", all(apiKey("ok.svc."), func(r *http.Request) {
		r.Header.Set("Authorization", "bAsIc "+base64.StdEncoding.EncodeToString([]byte("alice:secret")))
	})), 200, "basic=alice headerKey=svc")
}

func TestUnsupportedSchemeRefusesEveryRequest(t *testing.T) {
	f := newFixture(t)
	expect(t, f.do("GET", "/negotiate", "", nil), 401, "")
	expect(t, f.do("GET", "/negotiate", "", func(r *http.Request) { r.Header.Set("Authorization", "Negotiate abc") }), 401, "")
	if f.srv.called.Load() != 0 {
		t.Fatal("handler ran")
	}
}

func TestNewHandlerRefusesAMissingVerifier(t *testing.T) {
	sec := newVerifiers().security()
	sec.CookieKey = nil
	h, err := security.NewHandler(&server{}, sec)
	if err == nil || h != nil {
		t.Fatalf("NewHandler with a nil verifier: handler %v, error %v", h, err)
	}
	if !strings.Contains(err.Error(), "Security.CookieKey") {
		t.Fatalf("error %q does not name the field", err)
	}
	if _, err := security.NewHandler(nil, newVerifiers().security()); err == nil {
		t.Fatal("NewHandler accepted a nil Server")
	}
}

func TestDenialsAreLoggedWithoutTheCredential(t *testing.T) {
	var buf bytes.Buffer
	var hooked atomic.Int32
	f := newFixture(t, httpapi.WithLogger(slog.New(slog.NewJSONHandler(&buf, nil))),
		httpapi.WithDenyHook(func(ctx context.Context, d *auth.Denial) { hooked.Add(1) }))
	f.do("GET", "/inherited", "", bearer("forged-secret-value"))
	f.do("GET", "/or", "", bearer("ok.bob.read"))
	log := buf.String()
	for _, want := range []string{`"operation":"inherited"`, `"status":401`, `"status":403`, `"scheme":"oauth"`, `"client":"192.0.2.1:1234"`, `"reason":"insufficient scope"`} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s:\n%s", want, log)
		}
	}
	if strings.Contains(log, "forged-secret-value") {
		t.Errorf("log contains the credential:\n%s", log)
	}
	if hooked.Load() != 2 {
		t.Errorf("deny hook called %d times, want 2", hooked.Load())
	}
}

func TestEachSchemeIsVerifiedAtMostOncePerRequest(t *testing.T) {
	f := newFixture(t)
	// /scopes names oauth in both alternatives.
	f.do("GET", "/scopes", "", bearer("ok.bob.write"))
	if n := f.v.oauth.calls.Load(); n != 1 {
		t.Fatalf("oauth verified %d times, want 1", n)
	}
}

func TestMutualTLSIsReadFromTheVerifiedChainOnly(t *testing.T) {
	// The scheme reads r.TLS.VerifiedChains; a peer certificate that the
	// TLS stack did not verify is no credential.
	r := httptest.NewRequest("GET", "/", nil)
	leaf := &x509.Certificate{}
	r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf}}
	if _, ok, _ := auth.Extract(r, &auth.Scheme{Name: "client", Type: auth.MutualTLS}); ok {
		t.Fatal("unverified peer certificate taken as a credential")
	}
	r.TLS.VerifiedChains = [][]*x509.Certificate{{leaf}}
	c, ok, err := auth.Extract(r, &auth.Scheme{Name: "client", Type: auth.MutualTLS})
	if !ok || err != nil || len(c.Certificates) != 1 {
		t.Fatalf("verified chain not taken: %v %v %v", c, ok, err)
	}
}
