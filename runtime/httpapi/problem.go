// Package httpapi holds the request plumbing that securegen-generated
// servers share: options, RFC 9457 problem responses, body decoding under a
// size limit, parameter errors, and a router whose 404 and 405 answers are
// problem documents too.
package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
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
// (413 and 415 where they apply); ErrNotImplemented becomes 501; an error
// with a StatusCode method between 400 and 599 gets that status; other
// errors become 500, their text never shown to the client. It logs
// nothing: the ErrorWriter of a Config logs the errors answered 500 on
// the configured logger, whatever writer answers them.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	p, challenges, _ := problemFor(err)
	for _, ch := range challenges {
		w.Header().Add("WWW-Authenticate", ch)
	}
	WriteProblem(w, p)
}

// unknownError reports whether err is of no kind WriteError knows, so
// that it is answered 500 and must be logged. The invalid answer that
// CheckAnswer has logged already is not.
func unknownError(err error) bool {
	_, _, unknown := problemFor(err)
	return unknown
}

// problemFor returns the answer WriteError gives err, with the challenges
// that go with it; unknown says err is of no kind it knows.
func problemFor(err error) (p *Problem, challenges []string, unknown bool) {
	var (
		denial  *auth.Denial
		param   *ParamError
		body    *BodyError
		status  StatusError
		invalid *ValidationError
	)
	switch {
	case errors.As(err, &denial):
		detail := "The request is not authenticated."
		if denial.Status == http.StatusForbidden {
			detail = "The credential lacks a required scope: " + strings.Join(denial.MissingScopes, " ")
		}
		return &Problem{Status: denial.Status, Detail: detail}, denial.Challenges, false
	case errors.As(err, &param):
		rule := "type"
		if errors.Is(param.Err, errMissing) {
			rule = "required"
		}
		return &Problem{Status: http.StatusBadRequest, Detail: "invalid parameter",
			Errors: []validate.Violation{{Location: "/" + param.In + "/" + escapePointer(param.Name), Rule: rule, Detail: param.Err.Error()}}}, nil, false
	case errors.As(err, &invalid):
		if invalid.Status >= 500 {
			return &Problem{Status: invalid.Status}, nil, false
		}
		detail := "The request does not match its schema."
		if invalid.Dropped > 0 {
			detail += fmt.Sprintf(" %d more violations are not listed.", invalid.Dropped)
		}
		return &Problem{Status: invalid.Status, Detail: detail, Errors: invalid.Violations}, nil, false
	case errors.Is(err, errAnswerInvalid):
		return &Problem{Status: http.StatusInternalServerError}, nil, false
	case errors.As(err, &body):
		return &Problem{Status: body.Status, Detail: body.Err.Error()}, nil, false
	case errors.Is(err, ErrNotImplemented):
		return &Problem{Status: http.StatusNotImplemented, Detail: "This operation is not implemented."}, nil, false
	case errors.As(err, &status) && status.StatusCode() >= 400 && status.StatusCode() <= 599:
		return &Problem{Status: status.StatusCode(), Detail: status.Error()}, nil, false
	}
	return &Problem{Status: http.StatusInternalServerError}, nil, true
}

// CopyHeaders adds h to the response's headers. A Cache-Control in h
// replaces the no-store the router set for an authenticated request: the
// handler's choice wins.
func CopyHeaders(w http.ResponseWriter, h http.Header) {
	dst := w.Header()
	for k, vs := range h {
		if http.CanonicalHeaderKey(k) == "Cache-Control" {
			dst.Del(k)
			dst["Cache-Control"] = append([]string(nil), vs...)
			continue
		}
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
