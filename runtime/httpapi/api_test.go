package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/securegen/securegen/runtime/auth"
)

// acceptToken is a bearer verifier that accepts the token "ok".
var acceptToken = auth.VerifierFunc(func(_ context.Context, c auth.Credential) (*auth.Principal, error) {
	if c.Token != "ok" {
		return nil, errors.New("bad token")
	}
	return &auth.Principal{Subject: "alice", Scheme: c.Scheme}, nil
})

// quiet sends the logs of a test's handler nowhere.
func quiet() Option { return WithLogger(slog.New(slog.DiscardHandler)) }

// answer returns a ServeFunc that writes text and the number of
// principals it was given.
func answer(text string) ServeFunc {
	return func(w http.ResponseWriter, r *http.Request, principals auth.Principals) {
		fmt.Fprintf(w, "%s %d", text, len(principals))
	}
}

func TestNewRouterServesRoutes(t *testing.T) {
	token := &auth.Scheme{Name: "token", Field: "Token", Type: auth.HTTPBearer, Verifier: acceptToken}
	needToken := [][]auth.Need{{{Scheme: "token"}}}
	api := API{
		Schemes: []*auth.Scheme{token},
		Routes: []Route{
			{Op: auth.Operation{ID: "list", Pattern: "GET /items"}, Serve: answer("list")},
			{Op: auth.Operation{ID: "create", Pattern: "POST /items", Alternatives: needToken}, Serve: answer("create")},
			{Op: auth.Operation{ID: "get", Pattern: "GET /items/{id}", Alternatives: needToken}, Serve: answer("get")},
		},
	}
	rt, err := NewRouter(NewConfig("test", quiet()), api)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, target, token string
		status                int
		body                  string
	}{
		{"GET", "/items", "", 200, "list 0"},
		{"POST", "/items", "ok", 200, "create 1"},
		{"POST", "/items", "", 401, ""},
		{"GET", "/items/7", "ok", 200, "get 1"},
		{"GET", "/items/7", "forged", 401, ""},
		{"DELETE", "/items", "ok", 405, ""},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.target, nil)
		if tt.token != "" {
			r.Header.Set("Authorization", "Bearer "+tt.token)
		}
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, r)
		if w.Code != tt.status || (tt.body != "" && w.Body.String() != tt.body) {
			t.Errorf("%s %s: %d %q, want %d %q", tt.method, tt.target, w.Code, w.Body, tt.status, tt.body)
		}
	}
}

func TestNewRouterRefusesBadAPIs(t *testing.T) {
	op := auth.Operation{ID: "a", Pattern: "GET /a"}
	tests := []struct {
		name string
		api  API
		want string
	}{
		{"no serve function", API{Routes: []Route{{Op: op}}}, "operation a has no serve function"},
		{"conflicting patterns", API{Routes: []Route{{Op: op, Serve: answer("a")}, {Op: op, Serve: answer("a")}}}, `route "GET /a"`},
		{"unknown scheme", API{Routes: []Route{{Op: auth.Operation{ID: "a", Pattern: "GET /a", Alternatives: [][]auth.Need{{{Scheme: "nope"}}}}, Serve: answer("a")}}},
			`unknown security scheme "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, err := NewRouter(NewConfig("test", quiet()), tt.api)
			if err == nil || rt != nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("router %v, error %v; want an error containing %q", rt, err, tt.want)
			}
		})
	}
}

func TestNewRouterNamesEveryMissingVerifier(t *testing.T) {
	schemes := []*auth.Scheme{
		{Name: "userToken", Field: "UserToken", Type: auth.HTTPBearer},
		{Name: "partnerKey", Field: "PartnerKey", Type: auth.APIKeyAuth, KeyName: "X-Key"},
		{Name: "basic", Field: "Basic", Type: auth.HTTPBasic, Verifier: acceptToken},
		{Name: "negotiate", Field: "Negotiate", Type: auth.Unsupported},
	}
	routes := []Route{
		{Op: auth.Operation{ID: "a", Pattern: "GET /a", Alternatives: [][]auth.Need{{{Scheme: "userToken"}}, {{Scheme: "userToken"}, {Scheme: "basic"}}}}, Serve: answer("a")},
		{Op: auth.Operation{ID: "b", Pattern: "GET /b", Alternatives: [][]auth.Need{{{Scheme: "partnerKey"}}, {{Scheme: "userToken"}}, {{Scheme: "negotiate"}}}}, Serve: answer("b")},
		{Op: auth.Operation{ID: "c", Pattern: "GET /c", Alternatives: [][]auth.Need{{{Scheme: "basic"}}}}, Serve: answer("c")},
	}
	rt, err := NewRouter(NewConfig("test", quiet()), API{Schemes: schemes, Routes: routes})
	if rt != nil || err == nil {
		t.Fatalf("router %v, error %v", rt, err)
	}
	// Generated NewHandler functions wrap the error.
	err = fmt.Errorf("api.NewHandler: %w", err)
	var mv *auth.MissingVerifierError
	if !errors.As(err, &mv) {
		t.Fatalf("errors.As finds no *auth.MissingVerifierError in %v", err)
	}
	if want := []string{"userToken", "partnerKey"}; !slices.Equal(mv.Schemes, want) {
		t.Errorf("Schemes %q, want %q", mv.Schemes, want)
	}
	if want := []string{"UserToken", "PartnerKey"}; !slices.Equal(mv.Fields, want) {
		t.Errorf("Fields %q, want %q", mv.Fields, want)
	}
	want := "api.NewHandler: no verifier for security schemes that operations use: Security.UserToken (userToken), Security.PartnerKey (partnerKey)"
	if err.Error() != want {
		t.Errorf("error\n%s\nwant\n%s", err, want)
	}
}

// TestNewRouterLiteralBesideWildcard: a literal route beside a wildcard
// one, as petstore's GET /pet/findByStatus beside GET /pet/{petId}, is
// served, each request by its own route.
func TestNewRouterLiteralBesideWildcard(t *testing.T) {
	rt, err := NewRouter(NewConfig("test", quiet()), API{Routes: []Route{
		{Op: auth.Operation{ID: "get", Pattern: "GET /pet/{petId}"}, Serve: answer("get")},
		{Op: auth.Operation{ID: "find", Pattern: "GET /pet/findByStatus"}, Serve: answer("find")},
		{Op: auth.Operation{ID: "update", Pattern: "POST /pet/{petId}"}, Serve: answer("update")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/pet/7", "get 0"}, {"GET", "/pet/findByStatus", "find 0"}, {"POST", "/pet/7", "update 0"},
	} {
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
		if w.Code != 200 || w.Body.String() != tc.want {
			t.Errorf("%s %s: %d %q, want %q", tc.method, tc.path, w.Code, w.Body, tc.want)
		}
	}
	w := httptest.NewRecorder()
	rt.ServeHTTP(w, httptest.NewRequest("DELETE", "/pet/7", nil))
	if w.Code != 405 || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("DELETE /pet/7: %d %v", w.Code, w.Header())
	}
}
