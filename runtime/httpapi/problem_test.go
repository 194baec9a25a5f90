package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/securegen/securegen/runtime/auth"
	"github.com/securegen/securegen/runtime/validate"
)

// conflict is a handler's error that chooses its status.
type conflict struct{ status int }

func (c conflict) Error() string   { return "the item changed meanwhile" }
func (c conflict) StatusCode() int { return c.status }

func TestWriteError(t *testing.T) {
	const secret = "password=hunter2"
	violations := []validate.Violation{
		{Location: "/body/name", Rule: "maxLength", Detail: "longer than 3"},
		{Location: "/query/limit", Rule: "minimum", Detail: "below 1"},
	}
	tests := []struct {
		name       string
		err        error
		status     int
		challenges []string
		detail     string // "" for none
		errors     []validate.Violation
	}{
		{name: "unauthenticated", err: &auth.Denial{Status: 401, Challenges: []string{`Bearer realm="api"`, `Basic realm="api"`}},
			status: 401, challenges: []string{`Bearer realm="api"`, `Basic realm="api"`}, detail: "The request is not authenticated."},
		{name: "insufficient scope", err: fmt.Errorf("op: %w", &auth.Denial{Status: 403, MissingScopes: []string{"items:write", "admin"},
			Challenges: []string{`Bearer realm="api", error="insufficient_scope", scope="items:write admin"`}}),
			status: 403, challenges: []string{`Bearer realm="api", error="insufficient_scope", scope="items:write admin"`},
			detail: "The credential lacks a required scope: items:write admin"},
		{name: "invalid request", err: &ValidationError{Status: 400, Violations: violations},
			status: 400, detail: "The request does not match its schema.", errors: violations},
		{name: "invalid request 422, some dropped", err: &ValidationError{Status: 422, Violations: violations, Dropped: 2},
			status: 422, detail: "The request does not match its schema. 2 more violations are not listed.", errors: violations},
		{name: "invalid answer", err: &ValidationError{Status: 500, Violations: violations}, status: 500},
		{name: "answer that CheckAnswer refused", err: errAnswerInvalid, status: 500},
		{name: "body too large", err: &BodyError{Status: 413, Err: errors.New("body exceeds 64 bytes")}, status: 413, detail: "body exceeds 64 bytes"},
		{name: "unsupported media type", err: &BodyError{Status: 415, Err: errors.New(`content type "application/xml" is not one of: application/json`)},
			status: 415, detail: `content type "application/xml" is not one of: application/json`},
		{name: "broken body", err: &BodyError{Status: 400, Err: errors.New("invalid JSON: unexpected end")}, status: 400, detail: "invalid JSON: unexpected end"},
		{name: "missing parameter", err: &ParamError{In: "query", Name: "limit", Err: errMissing},
			status: 400, detail: "invalid parameter", errors: []validate.Violation{{Location: "/query/limit", Rule: "required", Detail: "required but missing"}}},
		{name: "bad parameter", err: &ParamError{In: "header", Name: "X-a/b~", Err: errors.New("not an integer")},
			status: 400, detail: "invalid parameter", errors: []validate.Violation{{Location: "/header/X-a~1b~0", Rule: "type", Detail: "not an integer"}}},
		{name: "literal path text mismatch", err: &NotFoundError{}, status: 404, detail: "no operation matches this path"},
		{name: "not implemented", err: fmt.Errorf("list: %w", ErrNotImplemented), status: 501, detail: "This operation is not implemented."},
		{name: "handler's status", err: fmt.Errorf("update: %w", conflict{409}), status: 409, detail: "the item changed meanwhile"},
		{name: "handler's status out of range", err: conflict{302}, status: 500},
		{name: "undeclared status", err: &UndeclaredStatusError{Answer: "Get200", Status: 201}, status: 500},
		{name: "unknown error", err: errors.New("query failed: " + secret), status: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			WriteError(w, httptest.NewRequest("GET", "/items", nil), tt.err)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q", ct)
			}
			if got := w.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", got)
			}
			if got := w.Header().Values("WWW-Authenticate"); !slices.Equal(got, tt.challenges) {
				t.Errorf("challenges %q, want %q", got, tt.challenges)
			}
			var p Problem
			dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&p); err != nil {
				t.Fatalf("body %s: %v", w.Body, err)
			}
			want := Problem{Title: http.StatusText(tt.status), Status: tt.status, Detail: tt.detail, Errors: tt.errors}
			if p.Title != want.Title || p.Status != want.Status || p.Detail != want.Detail || !slices.Equal(p.Errors, want.Errors) {
				t.Errorf("problem %+v, want %+v", p, want)
			}
			if tt.status == 500 && (strings.Contains(w.Body.String(), secret) || strings.Contains(w.Body.String(), "Get200")) {
				t.Errorf("a 500 echoes the error: %s", w.Body)
			}
		})
	}
}

// logs returns a logger that writes JSON records into a buffer.
func logs() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewJSONHandler(&buf, nil)), &buf
}

// logDefault sends slog.Default() to a buffer for the rest of the test.
func logDefault(t *testing.T) *bytes.Buffer {
	t.Helper()
	old := slog.Default()
	t.Cleanup(func() { slog.SetDefault(old) })
	l, buf := logs()
	slog.SetDefault(l)
	return buf
}

func TestEveryLogGoesThroughTheConfiguredLogger(t *testing.T) {
	defaults := logDefault(t)
	own, buf := logs()
	badAnswer := func(vr *validate.Report) {
		p := validate.Root("/response/body")
		vr.Add(&p, "type", "must be an object")
	}
	for _, custom := range []bool{false, true} {
		opts := []Option{WithLogger(own), WithResponseValidation()}
		if custom {
			// A writer of its own that falls back on WriteError: errors
			// are still logged, once.
			opts = append(opts, WithErrorWriter(func(w http.ResponseWriter, r *http.Request, err error) { WriteError(w, r, err) }))
		}
		cfg := NewConfig("test", opts...)
		token := &auth.Scheme{Name: "token", Field: "Token", Type: auth.HTTPBearer, Verifier: acceptToken}
		rt, err := NewRouter(cfg, API{Schemes: []*auth.Scheme{token}, Routes: []Route{
			{Op: auth.Operation{ID: "fail", Pattern: "GET /fail"}, Serve: func(w http.ResponseWriter, r *http.Request, _ auth.Principals) {
				cfg.ErrorWriter(w, r, errors.New("database unreachable"))
			}},
			{Op: auth.Operation{ID: "invalid", Pattern: "GET /invalid"}, Serve: func(w http.ResponseWriter, r *http.Request, _ auth.Principals) {
				if err := CheckAnswer(r, cfg, badAnswer); err != nil {
					cfg.ErrorWriter(w, r, err)
				}
			}},
			{Op: auth.Operation{ID: "undeclared", Pattern: "GET /undeclared"}, Serve: func(w http.ResponseWriter, r *http.Request, _ auth.Principals) {
				WriteFailed(w, r, cfg, &UndeclaredStatusError{Answer: "Get200", Status: 201})
			}},
			{Op: auth.Operation{ID: "cut", Pattern: "GET /cut"}, Serve: func(w http.ResponseWriter, r *http.Request, _ auth.Principals) {
				w.WriteHeader(200)
				WriteFailed(w, r, cfg, errors.New("connection reset"))
			}},
			{Op: auth.Operation{ID: "secured", Pattern: "GET /secured", Alternatives: [][]auth.Need{{{Scheme: "token"}}}}, Serve: answer("secured")},
		}})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			path   string
			status int
			logged []string // in the record
		}{
			{"/fail", 500, []string{`"level":"ERROR"`, `"msg":"handler failed"`, `"error":"database unreachable"`, `"path":"/fail"`}},
			{"/invalid", 500, []string{`"msg":"answer does not match the spec"`, `/response/body: type: must be an object`}},
			{"/undeclared", 500, []string{`"msg":"handler failed"`, `status 201 is not one the spec declares`}},
			{"/cut", 200, []string{`"msg":"answer not written"`, `"error":"connection reset"`}},
			{"/secured", 401, []string{`"msg":"request denied"`, `"operation":"secured"`}},
		}
		for _, tt := range tests {
			buf.Reset()
			w := httptest.NewRecorder()
			rt.ServeHTTP(w, httptest.NewRequest("GET", tt.path, nil))
			if w.Code != tt.status {
				t.Errorf("custom writer %v: GET %s: status %d, want %d", custom, tt.path, w.Code, tt.status)
			}
			log := buf.String()
			if n := strings.Count(log, "\n"); n != 1 {
				t.Errorf("custom writer %v: GET %s: %d records, want 1:\n%s", custom, tt.path, n, log)
			}
			for _, want := range tt.logged {
				if !strings.Contains(log, want) {
					t.Errorf("custom writer %v: GET %s: log lacks %s:\n%s", custom, tt.path, want, log)
				}
			}
		}
	}
	if defaults.Len() > 0 {
		t.Errorf("slog.Default() was used:\n%s", defaults)
	}
}

func TestNewConfigReadsTheDefaultLoggerOnce(t *testing.T) {
	defaults := logDefault(t)
	cfg := NewConfig("test", WithLogger(nil))
	if cfg.Logger != slog.Default() || cfg.Guard.Logger != cfg.Logger {
		t.Fatal("without a logger, Logger and Guard.Logger are not slog.Default()")
	}
	later, laterBuf := logs()
	slog.SetDefault(later)
	r := httptest.NewRequest("GET", "/x", nil)
	cfg.ErrorWriter(httptest.NewRecorder(), r, errors.New("boom"))
	if !strings.Contains(defaults.String(), "boom") || laterBuf.Len() > 0 {
		t.Errorf("logged on %q, and on the later default %q", defaults, laterBuf)
	}
}

func TestKnownErrorsAreNotLogged(t *testing.T) {
	own, buf := logs()
	cfg := NewConfig("test", WithLogger(own))
	r := httptest.NewRequest("GET", "/x", nil)
	for _, err := range []error{
		&auth.Denial{Status: 401}, &ParamError{In: "query", Name: "a", Err: errMissing}, &BodyError{Status: 413, Err: errors.New("big")},
		&ValidationError{Status: 400}, &NotFoundError{}, ErrNotImplemented, conflict{409},
	} {
		cfg.ErrorWriter(httptest.NewRecorder(), r, err)
	}
	if buf.Len() > 0 {
		t.Errorf("errors answered with their own status were logged:\n%s", buf)
	}
}
