package swagger2_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/securegen/securegen/internal/e2e/swagger2"
	"github.com/securegen/securegen/runtime/auth"
)

type notes struct{ swagger2.Unimplemented }

func (notes) ListNotes(_ context.Context, req swagger2.ListNotesRequest) (swagger2.ListNotesResponse, error) {
	return swagger2.NewListNotes200JSONResponse([]swagger2.Note{{Text: req.Principal.Subject + ":" + strings.Join(req.Tags, "+")}}), nil
}

// TestSwagger2SpecIsServedWithItsSecurity drives a server generated from a
// Swagger 2.0 spec: securityDefinitions become schemes, collectionFormat
// becomes a style, and an operation's own security overrides the root.
func TestSwagger2SpecIsServedWithItsSecurity(t *testing.T) {
	var fake = auth.VerifierFunc(func(_ context.Context, c auth.Credential) (*auth.Principal, error) {
		return &auth.Principal{Subject: c.Username, Scopes: []string{"notes:read"}}, nil
	})
	h, err := swagger2.NewHandler(notes{}, swagger2.Security{Token: fake, Login: fake, Oauth: fake})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/notes?tags=a,b&limit=2", nil)
	r.SetBasicAuth("ann", "pw")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"text":"ann:a+b"`) {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	// The root's apiKey in Authorization does not open listNotes, whose own
	// security is oauth or basic; it does guard deleteNote.
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("DELETE", "/notes/1", nil))
	if w.Code != 401 || !strings.Contains(w.Header().Get("WWW-Authenticate"), `APIKey`) {
		t.Fatalf("deleteNote without key: %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
}
