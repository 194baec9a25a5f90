package undeclared_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/securegen/securegen/internal/e2e/undeclared"
	"github.com/securegen/securegen/runtime/auth"
	"github.com/securegen/securegen/runtime/authtest"
	"github.com/securegen/securegen/runtime/httpapi"
)

type server struct {
	undeclared.Unimplemented
	reached int
}

func (s *server) Either(context.Context, undeclared.EitherRequest) (undeclared.EitherResponse, error) {
	s.reached++
	return undeclared.NewEither204Response(), nil
}

func (s *server) OnlyGhost(context.Context, undeclared.OnlyGhostRequest) (undeclared.OnlyGhostResponse, error) {
	s.reached++
	return undeclared.NewOnlyGhost204Response(), nil
}

func (s *server) Both(context.Context, undeclared.BothRequest) (undeclared.BothResponse, error) {
	s.reached++
	return undeclared.NewBoth204Response(), nil
}

func keys(_ context.Context, c auth.Credential) (*auth.Principal, error) {
	if c.Token == "good" {
		return &auth.Principal{Subject: "partner", Scopes: []string{"read"}}, nil
	}
	return nil, errors.New("bad key")
}

// TestUndeclaredSchemeFailsClosed: an alternative naming a scheme the spec
// never declares admits nobody, whatever the request presents; the other
// alternatives work as declared.
func TestUndeclaredSchemeFailsClosed(t *testing.T) {
	s := &server{}
	h, err := undeclared.NewHandler(s, undeclared.Security{Key: auth.VerifierFunc(keys)}, httpapi.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, key string
		status    int
	}{
		{"/either", "good", http.StatusNoContent},
		{"/either", "", http.StatusUnauthorized},
		{"/only-ghost", "good", http.StatusUnauthorized},
		{"/only-ghost", "", http.StatusUnauthorized},
		{"/and", "good", http.StatusUnauthorized},
	} {
		s.reached = 0
		r := httptest.NewRequest("GET", tc.path, nil)
		if tc.key != "" {
			r.Header.Set("X-Key", tc.key)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.status || (tc.status >= 400) != (s.reached == 0) {
			t.Errorf("%s with key %q: status %d, reached %d; want %d", tc.path, tc.key, w.Code, s.reached, tc.status)
		}
	}
	for _, op := range undeclared.Operations {
		if op.Public() {
			t.Errorf("%s is public: an undeclared scheme must never open an operation", op.ID)
		}
	}
}

// TestUndeclaredSchemeAuthtestProof runs the generated proof's check: it
// still passes, the unverifiable alternatives skipped.
func TestUndeclaredSchemeAuthtestProof(t *testing.T) {
	var fake authtest.Fake
	h, err := undeclared.NewHandler(undeclared.Unimplemented{}, undeclared.Security{Key: fake.Verifier("key")},
		httpapi.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	authtest.Check(t, h, undeclared.Operations, undeclared.Schemes, fake)
}
