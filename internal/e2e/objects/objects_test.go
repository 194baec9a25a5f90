package objects_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/securegen/securegen/internal/e2e/objects"
	"github.com/securegen/securegen/runtime/auth"
	"github.com/securegen/securegen/runtime/authtest"
	"github.com/securegen/securegen/runtime/httpapi"
)

// users are the bearer tokens the tests present, by subject.
var users = map[string]*auth.Principal{
	"alice":    {Subject: "alice", Scopes: []string{"items:read", "items:write"}},
	"bob":      {Subject: "bob", Scopes: []string{"items:read", "items:write"}},
	"admin":    {Subject: "admin", Scopes: []string{"items:read", "items:write", "admin"}},
	"disabled": {Subject: "disabled", Scopes: []string{"items:read"}},
	"banned":   {Subject: "banned", Scopes: []string{"items:read"}},
}

func tokens(_ context.Context, c auth.Credential) (*auth.Principal, error) {
	p, ok := users[c.Token]
	if !ok {
		return nil, errors.New("unknown token")
	}
	cp := *p
	return &cp, nil
}

// shop owns items 1 (alice) and 2 (bob); users may act on their own items,
// admins on any; item 404 does not exist.
type shop struct {
	objects.Unimplemented
	mu         sync.Mutex
	steps      []string
	authorized int
	reached    int
}

func (s *shop) step(name string) {
	s.mu.Lock()
	s.steps = append(s.steps, name)
	s.mu.Unlock()
}

var owners = map[int]string{1: "alice", 2: "bob"}

// notFound hides whether an item exists from callers who may not see it.
type notFound struct{}

func (notFound) Error() string   { return "no such item for this caller" }
func (notFound) StatusCode() int { return http.StatusNotFound }

func (s *shop) own(p *auth.Principal, id int) error {
	owner, ok := owners[id]
	switch {
	case !ok:
		return notFound{}
	case p.HasScope("admin"), owner == p.Subject:
		return nil
	case id == 2:
		// Bob's item is secret: others are told it does not exist.
		return notFound{}
	}
	return errors.New(p.Subject + " does not own item")
}

func (s *shop) AuthorizeGetItem(_ context.Context, req objects.GetItemRequest) error {
	s.step("authorize")
	s.authorized++
	return s.own(req.Principal, req.ID)
}

func (s *shop) GetItem(_ context.Context, req objects.GetItemRequest) (objects.GetItemResponse, error) {
	s.step("handler")
	s.reached++
	owner := owners[req.ID]
	return objects.NewGetItem200JSONResponse(objects.Item{Name: "item", Owner: &owner}), nil
}

func (s *shop) AuthorizeDeleteItem(_ context.Context, req objects.DeleteItemRequest) error {
	s.step("authorize")
	s.authorized++
	return s.own(req.Principal, req.ID)
}

func (s *shop) DeleteItem(_ context.Context, req objects.DeleteItemRequest) (objects.DeleteItemResponse, error) {
	s.step("handler")
	s.reached++
	return objects.NewDeleteItem204Response(), nil
}

func (s *shop) AuthorizeCreateItem(_ context.Context, req objects.CreateItemRequest) error {
	s.step("authorize")
	s.authorized++
	return nil
}

func (s *shop) CreateItem(_ context.Context, req objects.CreateItemRequest) (objects.CreateItemResponse, error) {
	s.step("handler")
	s.reached++
	return objects.NewCreateItem201Response(), nil
}

func (s *shop) ListItems(context.Context, objects.ListItemsRequest) (objects.ListItemsResponse, error) {
	s.reached++
	return objects.NewListItems200JSONResponse(nil), nil
}

func (s *shop) GetPublic(context.Context, objects.GetPublicRequest) (objects.GetPublicResponse, error) {
	s.reached++
	return objects.NewGetPublic204Response(), nil
}

func (s *shop) GetUser(_ context.Context, req objects.GetUserRequest) (objects.GetUserResponse, error) {
	s.reached++
	// The handler fills writeOnly properties at every depth; none may
	// leave the server.
	bio, secret := "hi", "s3cret"
	pw := "hunter2"
	return objects.NewGetUser200JSONResponse(objects.User{
		Name: req.ID, Password: pw,
		Profile: &objects.Profile{Bio: &bio, Secret: &secret},
		Friends: []objects.User{{Name: "bob", Password: "bobpw", Profile: &objects.Profile{Secret: &secret}}},
		Tokens:  map[string]objects.Profile{"k": {Bio: &bio, Secret: &secret}},
	}), nil
}

func newHandler(t *testing.T, s objects.Server, verify auth.Verifier, opts ...objects.Option) http.Handler {
	t.Helper()
	opts = append([]objects.Option{httpapi.WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	h, err := objects.NewHandler(s, objects.Security{Bearer: verify}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func send(h http.Handler, method, path, token, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestObjectCheckExtensionLevels(t *testing.T) {
	server := reflect.TypeFor[objects.Server]()
	for _, tc := range []struct {
		method string
		want   bool
		why    string
	}{
		{"AuthorizeGetItem", true, "root-level true"},
		{"AuthorizeDeleteItem", true, "root-level true"},
		{"AuthorizeCreateItem", true, "root-level true, without a path parameter"},
		{"AuthorizeListItems", false, "operation-level false"},
		{"AuthorizeGetPublic", false, "path-level false"},
		{"AuthorizeGetUser", false, "operation-level false"},
	} {
		if _, ok := server.MethodByName(tc.method); ok != tc.want {
			t.Errorf("Server has %s: %v, want %v (%s)", tc.method, ok, tc.want, tc.why)
		}
	}
	for _, op := range objects.Operations {
		want := op.ID == "getItem" || op.ID == "deleteItem" || op.ID == "createItem"
		if op.ObjectCheck != want {
			t.Errorf("Operations[%s].ObjectCheck = %v, want %v", op.ID, op.ObjectCheck, want)
		}
	}
}

func TestObjectCheckOwnership(t *testing.T) {
	for _, tc := range []struct {
		name, method, path, token string
		status                    int
	}{
		{"owner deletes own item", "DELETE", "/items/1", "alice", http.StatusNoContent},
		{"another user's item is forbidden", "DELETE", "/items/1", "bob", http.StatusForbidden},
		{"a secret item is not found", "DELETE", "/items/2", "alice", http.StatusNotFound},
		{"a missing item is not found", "GET", "/items/404", "alice", http.StatusNotFound},
		{"admin deletes any item", "DELETE", "/items/2", "admin", http.StatusNoContent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &shop{}
			w := send(newHandler(t, s, auth.VerifierFunc(tokens)), tc.method, tc.path, tc.token, "")
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if denied := tc.status >= 400; denied == (s.reached > 0) {
				t.Fatalf("handler reached %d times for status %d", s.reached, w.Code)
			}
			if tc.status >= 400 {
				if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
					t.Fatalf("Content-Type %q", ct)
				}
				if strings.Contains(w.Body.String(), "does not own") || strings.Contains(w.Body.String(), "no such item") {
					t.Fatalf("the answer repeats the authorizer's error: %s", w.Body)
				}
				if w.Header().Get("WWW-Authenticate") != "" {
					t.Fatalf("an object denial carries a challenge: %v", w.Header())
				}
			}
		})
	}
}

func TestObjectCheckOrderOfWork(t *testing.T) {
	s := &shop{}
	h := newHandler(t, s, auth.VerifierFunc(tokens))
	// Security first: no credential is 401, and nothing else runs.
	if w := send(h, "DELETE", "/items/1", "", ""); w.Code != http.StatusUnauthorized || s.authorized != 0 {
		t.Fatalf("no credential: status %d, authorizer ran %d times", w.Code, s.authorized)
	}
	// Then validation: an invalid parameter or body is 400 before the
	// authorizer runs.
	if w := send(h, "DELETE", "/items/0", "alice", ""); w.Code != http.StatusBadRequest || s.authorized != 0 {
		t.Fatalf("invalid parameter: status %d, authorizer ran %d times", w.Code, s.authorized)
	}
	if w := send(h, "POST", "/items", "alice", `{"name":""}`); w.Code != http.StatusBadRequest || s.authorized != 0 {
		t.Fatalf("invalid body: status %d, authorizer ran %d times", w.Code, s.authorized)
	}
	// Then the authorizer, then the handler.
	if w := send(h, "POST", "/items", "alice", `{"name":"x"}`); w.Code != http.StatusCreated {
		t.Fatalf("valid: status %d: %s", w.Code, w.Body)
	}
	if strings.Join(s.steps, ",") != "authorize,handler" {
		t.Fatalf("steps %v, want authorize then handler", s.steps)
	}
	// A denied caller never reaches the handler.
	s.steps = nil
	if w := send(h, "DELETE", "/items/1", "bob", ""); w.Code != http.StatusForbidden {
		t.Fatalf("denied: status %d", w.Code)
	}
	if strings.Join(s.steps, ",") != "authorize" {
		t.Fatalf("steps %v, want the authorizer alone", s.steps)
	}
}

// lazy implements only GetItem: its object check is Unimplemented's.
type lazy struct {
	objects.Unimplemented
	reached int
}

func (l *lazy) GetItem(context.Context, objects.GetItemRequest) (objects.GetItemResponse, error) {
	l.reached++
	return objects.NewGetItem200JSONResponse(objects.Item{Name: "x"}), nil
}

func TestObjectCheckUnimplementedFailsClosed(t *testing.T) {
	l := &lazy{}
	w := send(newHandler(t, l, auth.VerifierFunc(tokens)), "GET", "/items/1", "alice", "")
	if w.Code != http.StatusForbidden || l.reached != 0 {
		t.Fatalf("status %d, handler reached %d times; want 403 and never", w.Code, l.reached)
	}
	// And the generated authtest proof agrees: past security, denied by
	// the object check, never at the handler.
	var fake authtest.Fake
	h, err := objects.NewHandler(objects.Unimplemented{}, objects.Security{Bearer: fake.Verifier("bearer")},
		httpapi.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	authtest.Check(t, h, objects.Operations, objects.Schemes, fake)
}

// leaky allows the object check but runs the handler anyway: what the
// authtest proof must catch for an operation with an object check.
type leaky struct{ objects.Unimplemented }

func (leaky) AuthorizeGetItem(context.Context, objects.GetItemRequest) error { return nil }

func TestAuthtestCatchesAnAllowingObjectCheck(t *testing.T) {
	var fake authtest.Fake
	h, err := objects.NewHandler(leaky{}, objects.Security{Bearer: fake.Verifier("bearer")},
		httpapi.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingTB{}
	authtest.Check(rec, h, objects.Operations, objects.Schemes, fake)
	if !strings.Contains(strings.Join(rec.errors, "\n"), "getItem") {
		t.Fatalf("authtest did not report the handler reached past an allowing object check: %v", rec.errors)
	}
}

type recordingTB struct{ errors []string }

func (r *recordingTB) Helper() {}
func (r *recordingTB) Errorf(format string, args ...any) {
	r.errors = append(r.errors, sprintf(format, args...))
}

func TestObjectCheckDenialIsLoggedAndHooked(t *testing.T) {
	var logs bytes.Buffer
	var denials []*auth.Denial
	s := &shop{}
	h, err := objects.NewHandler(s, objects.Security{Bearer: auth.VerifierFunc(tokens)},
		httpapi.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
		httpapi.WithDenyHook(func(_ context.Context, d *auth.Denial) { denials = append(denials, d) }))
	if err != nil {
		t.Fatal(err)
	}
	send(h, "DELETE", "/items/2", "alice", "")
	if len(denials) != 1 || denials[0].Status != http.StatusNotFound || denials[0].Operation != "deleteItem" {
		t.Fatalf("deny hook saw %+v", denials)
	}
	if !strings.Contains(logs.String(), "request denied") || !strings.Contains(logs.String(), "deleteItem") ||
		!strings.Contains(logs.String(), "object check") {
		t.Fatalf("log lacks the denial: %s", logs.String())
	}
}

func TestWriteOnlyIsDroppedAtDepth(t *testing.T) {
	s := &shop{}
	w := send(newHandler(t, s, auth.VerifierFunc(tokens)), "GET", "/users/ann", "alice", "")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	body := w.Body.String()
	for _, leaked := range []string{"password", "hunter2", "bobpw", "secret", "s3cret"} {
		if strings.Contains(body, leaked) {
			t.Fatalf("answer leaks %q: %s", leaked, body)
		}
	}
	var got struct {
		Name    string
		Profile struct{ Bio string }
		Friends []struct{ Name string }
		Tokens  map[string]struct{ Bio string }
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || got.Name != "ann" || got.Profile.Bio != "hi" ||
		len(got.Friends) != 1 || got.Friends[0].Name != "bob" || got.Tokens["k"].Bio != "hi" {
		t.Fatalf("the readable properties did not survive: %+v, %v: %s", got, err, body)
	}
}

func TestThenRefusesDisabledPrincipals(t *testing.T) {
	verify := auth.Then(auth.VerifierFunc(tokens), func(_ context.Context, p *auth.Principal) error {
		switch p.Subject {
		case "disabled":
			return errors.New("user is disabled")
		case "banned":
			return auth.Forbidden("user is banned")
		}
		return nil
	})
	for _, tc := range []struct {
		token     string
		status    int
		challenge string
	}{
		{"alice", http.StatusOK, ""},
		{"disabled", http.StatusUnauthorized, `error="invalid_token"`},
		{"banned", http.StatusForbidden, ""},
	} {
		s := &shop{}
		w := send(newHandler(t, s, verify), "GET", "/items", tc.token, "")
		if w.Code != tc.status {
			t.Fatalf("%s: status %d, want %d: %s", tc.token, w.Code, tc.status, w.Body)
		}
		ch := w.Header().Get("WWW-Authenticate")
		if tc.challenge == "" && ch != "" || !strings.Contains(ch, tc.challenge) {
			t.Fatalf("%s: WWW-Authenticate %q, want %q", tc.token, ch, tc.challenge)
		}
		if tc.status != http.StatusOK && s.reached != 0 {
			t.Fatalf("%s: the handler ran", tc.token)
		}
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// cached sets its own Cache-Control on GetItem.
type cached struct{ shop }

func (c *cached) GetItem(ctx context.Context, req objects.GetItemRequest) (objects.GetItemResponse, error) {
	resp := objects.NewGetItem200JSONResponse(objects.Item{Name: "x"})
	resp.Headers = http.Header{"Cache-Control": {"private, max-age=60"}}
	return resp, nil
}

func TestSecurityHeaders(t *testing.T) {
	h := newHandler(t, &shop{}, auth.VerifierFunc(tokens))
	for _, tc := range []struct {
		name, method, path, token string
		status                    int
		cacheControl              string
	}{
		{"authenticated answer", "GET", "/items/1", "alice", http.StatusOK, "no-store"},
		{"authenticated error", "GET", "/items/0", "alice", http.StatusBadRequest, "no-store"},
		{"public answer", "GET", "/public/x", "", http.StatusNoContent, ""},
		{"denial", "GET", "/items/1", "", http.StatusUnauthorized, ""},
		{"no route", "GET", "/nowhere", "", http.StatusNotFound, ""},
	} {
		w := send(h, tc.method, tc.path, tc.token, "")
		if w.Code != tc.status {
			t.Fatalf("%s: status %d, want %d", tc.name, w.Code, tc.status)
		}
		if got := w.Header().Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q, want nosniff", tc.name, got)
		}
		if got := w.Header().Values("Cache-Control"); strings.Join(got, ",") != tc.cacheControl {
			t.Errorf("%s: Cache-Control %q, want %q", tc.name, got, tc.cacheControl)
		}
	}
	// A handler's own Cache-Control wins.
	w := send(newHandler(t, &cached{}, auth.VerifierFunc(tokens)), "GET", "/items/1", "alice", "")
	if got := w.Header().Values("Cache-Control"); len(got) != 1 || got[0] != "private, max-age=60" {
		t.Errorf("handler's Cache-Control: got %q", got)
	}
	// Options turn either off.
	w = send(newHandler(t, &shop{}, auth.VerifierFunc(tokens), httpapi.WithNoSniff(false), httpapi.WithNoStore(false)), "GET", "/items/1", "alice", "")
	if w.Header().Get("X-Content-Type-Options") != "" || w.Header().Get("Cache-Control") != "" {
		t.Errorf("with both off: %v", w.Header())
	}
}
