package multifile_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/securegen/securegen/internal/e2e/multifile"
	"github.com/securegen/securegen/runtime/auth"
)

type books struct{ multifile.Unimplemented }

func (books) ListBooks(_ context.Context, req multifile.ListBooksRequest) (multifile.ListBooksResponse, error) {
	return multifile.NewListBooks200JSONResponse([]multifile.Book{{Isbn: "1", Title: "limit " + strings.Repeat("I", *req.Limit)}}), nil
}

// TestMultiFileSpecIsServed drives a server generated from a spec spread
// over several files, with an operation object that is a $ref and a
// security scheme that is an external $ref.
func TestMultiFileSpecIsServed(t *testing.T) {
	ok := auth.VerifierFunc(func(_ context.Context, c auth.Credential) (*auth.Principal, error) {
		return &auth.Principal{Subject: "x"}, nil
	})
	h, err := multifile.NewHandler(books{}, multifile.Security{Bearer: ok})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/books?limit=3", nil)
	r.Header.Set("Authorization", "Bearer t")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "limit III") {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	// The parameter's minimum, from another file, is enforced.
	r = httptest.NewRequest("GET", "/books?limit=0", nil)
	r.Header.Set("Authorization", "Bearer t")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 400 || !strings.Contains(w.Body.String(), `"rule":"minimum"`) {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}
