// Package httpapi holds the request plumbing that securegen-generated
// servers share: options, RFC 9457 problem responses, body decoding under a
// size limit, parameter errors, and a router whose 404 and 405 answers are
// problem documents too.
package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/securegen/securegen/runtime/auth"
	"github.com/securegen/securegen/runtime/validate"
)

// Problem is an RFC 9457 problem details document.
type Problem struct {
	Type     string `json:"type,omitempty"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Errors lists individual violations, such as each bad parameter,
	// each located by a JSON pointer into the request ("/query/limit").
	Errors []validate.Violation `json:"errors,omitempty"`
}

// WriteProblem writes p as application/problem+json.
func WriteProblem(w http.ResponseWriter, p *Problem) {
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// ErrorWriter writes the answer for err, an error that stopped the request
// before or after the handler ran. Replace it with WithErrorWriter; a
// replacement that wants the defaults for some errors can call
// WriteError.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)

// ErrNotImplemented is returned by the generated Unimplemented server; it
// is answered 501.
var ErrNotImplemented = errors.New("operation not implemented")

// ParamError reports a parameter that is missing or cannot be bound.
type ParamError struct {
	In   string // path, query, header or cookie
	Name string
	Err  error
}

// Error describes the bad parameter.
func (e *ParamError) Error() string {
	return fmt.Sprintf("%s parameter %q: %v", e.In, e.Name, e.Err)
}

// Unwrap returns the underlying error.
func (e *ParamError) Unwrap() error { return e.Err }

// BodyError reports a request body that cannot be read or decoded.
type BodyError struct {
	Status int // 400, 413 or 415
	Err    error
}

// Error describes what is wrong with the body.
func (e *BodyError) Error() string { return "request body: " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *BodyError) Unwrap() error { return e.Err }

// StatusError lets a handler choose the status of an error it returns.
type StatusError interface {
	error
	StatusCode() int
}

// WriteError is the default ErrorWriter. Denials become 401 or 403 with
// their WWW-Authenticate challenges; parameter and body errors become 400
// (413 and 415 where they apply); ErrNotImplemented becomes 501; other
// errors become 500 and are logged, never shown to the client.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var (
		denial  *auth.Denial
		param   *ParamError
		body    *BodyError
		status  StatusError
		invalid *ValidationError
	)
	switch {
	case errors.As(err, &denial):
		for _, ch := range denial.Challenges {
			w.Header().Add("WWW-Authenticate", ch)
		}
		detail := "The request is not authenticated."
		if denial.Status == http.StatusForbidden {
			detail = "The credential lacks a required scope: " + strings.Join(denial.MissingScopes, " ")
		}
		WriteProblem(w, &Problem{Status: denial.Status, Detail: detail})
	case errors.As(err, &param):
		rule := "type"
		if errors.Is(param.Err, errMissing) {
			rule = "required"
		}
		WriteProblem(w, &Problem{Status: http.StatusBadRequest, Detail: "invalid parameter",
			Errors: []validate.Violation{{Location: "/" + param.In + "/" + escapePointer(param.Name), Rule: rule, Detail: param.Err.Error()}}})
	case errors.As(err, &invalid):
		detail := "The request does not match its schema."
		if invalid.Status >= 500 {
			WriteProblem(w, &Problem{Status: invalid.Status})
			return
		}
		if invalid.Dropped > 0 {
			detail += fmt.Sprintf(" %d more violations are not listed.", invalid.Dropped)
		}
		WriteProblem(w, &Problem{Status: invalid.Status, Detail: detail, Errors: invalid.Violations})
	case errors.Is(err, errAnswerInvalid):
		WriteProblem(w, &Problem{Status: http.StatusInternalServerError})
	case errors.As(err, &body):
		WriteProblem(w, &Problem{Status: body.Status, Detail: body.Err.Error()})
	case errors.Is(err, ErrNotImplemented):
		WriteProblem(w, &Problem{Status: http.StatusNotImplemented, Detail: "This operation is not implemented."})
	case errors.As(err, &status) && status.StatusCode() >= 400 && status.StatusCode() <= 599:
		WriteProblem(w, &Problem{Status: status.StatusCode(), Detail: status.Error()})
	default:
		logHandlerError(r, err)
		WriteProblem(w, &Problem{Status: http.StatusInternalServerError})
	}
}

func logHandlerError(r *http.Request, err error) {
	slog.Default().LogAttrs(r.Context(), slog.LevelError, "handler failed",
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("error", err.Error()))
}

// CopyHeaders adds h to the response's headers.
func CopyHeaders(w http.ResponseWriter, h http.Header) {
	dst := w.Header()
	for k, vs := range h {
		dst[k] = append(dst[k], vs...)
	}
}

// escapePointer escapes a reference token of a JSON pointer (RFC 6901).
func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
