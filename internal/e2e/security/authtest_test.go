package security_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/securegen/securegen/internal/e2e/security"
	"github.com/securegen/securegen/runtime/auth"
	"github.com/securegen/securegen/runtime/authtest"
	"github.com/securegen/securegen/runtime/httpapi"
)

func fakeSecurity() security.Security {
	var f authtest.Fake
	return security.Security{
		Oauth: f.Verifier("oauth"), BearerA: f.Verifier("bearerA"), BearerB: f.Verifier("bearerB"),
		HeaderKey: f.Verifier("headerKey"), QueryKey: f.Verifier("queryKey"), CookieKey: f.Verifier("cookieKey"),
		Basic: f.Verifier("basic"),
	}
}

func TestAuthtestPassesOnTheGeneratedHandler(t *testing.T) {
	h, err := security.NewHandler(security.Unimplemented{}, fakeSecurity(), httpapi.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	authtest.Check(t, h, security.Operations, security.Schemes, authtest.Fake{})
}

// recorder collects what Check reports instead of failing.
type recorder struct{ errs []string }

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestAuthtestCatchesAnUnprotectedRoute(t *testing.T) {
	// A handler that forgot security on every route: authtest must fail.
	open := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotImplemented) })
	var rec recorder
	authtest.Check(&rec, open, security.Operations, security.Schemes, authtest.Fake{})
	if len(rec.errs) == 0 {
		t.Fatal("authtest passed a handler that checks nothing")
	}
	if !strings.Contains(strings.Join(rec.errs, "\n"), "GET /inherited (inherited): no credential: got 501, want 401") {
		t.Fatalf("reports do not name the unprotected operation:\n%s", strings.Join(rec.errs, "\n"))
	}
}

func TestAuthtestCatchesAMissingScopeCheck(t *testing.T) {
	// The operations table claims a scope that the handler does not enforce.
	h, err := security.NewHandler(security.Unimplemented{}, fakeSecurity(), httpapi.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	ops := []auth.Operation{{ID: "public", Method: "GET", Path: "/public", Alternatives: [][]auth.Need{{{Scheme: "oauth", Scopes: []string{"read"}}}}}}
	var rec recorder
	authtest.Check(&rec, h, ops, security.Schemes, authtest.Fake{})
	if len(rec.errs) < 2 {
		t.Fatalf("authtest missed the unenforced requirement: %v", rec.errs)
	}
}
