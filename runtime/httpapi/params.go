package httpapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/securegen/securegen/runtime/validate"
)

var errMissing = errors.New("required but missing")

// NotFoundError answers 404: the path matched a route's pattern but not
// the literal text the spec puts around a parameter.
type NotFoundError struct{}

// Error says the path matches no operation.
func (*NotFoundError) Error() string { return "no operation matches this path" }

// StatusCode returns 404.
func (*NotFoundError) StatusCode() int { return http.StatusNotFound }

// BodySpec describes the request body an operation accepts.
type BodySpec struct {
	Required bool
	// Accept lists the accepted media types, separated by spaces; entries
	// may be wildcards such as "*/*" or "image/*".
	Accept string
	// JSON says a JSON media type is accepted and decoded into the typed
	// body; Raw says another one is, and is handed over unread.
	JSON, Raw bool
}

// ReadBody reads the request body as spec says. A JSON body is decoded
// into jsonDest under the configured size limit; another accepted media
// type is returned unread (but limited) with its media type.
//
// With a check, a JSON body is validated before it is decoded: violations
// go to vr and the body is decoded only when there are none.
func ReadBody(w http.ResponseWriter, r *http.Request, cfg *Config, spec BodySpec, jsonDest any, check validate.Func, vr *validate.Report) (io.ReadCloser, string, error) {
	mt, present, err := admitBody(r, spec)
	if !present || err != nil {
		return nil, "", err
	}
	if spec.JSON && IsJSON(mt) {
		return nil, mt, readValidated(w, r, cfg, jsonDest, check, vr)
	}
	return http.MaxBytesReader(w, r.Body, cfg.MaxBodyBytes), mt, nil
}

// admitBody decides whether the request's body may be read: it reports
// whether there is one, and refuses a missing required body (400) or a
// media type the operation does not accept (415). A body without a
// Content-Type is taken as JSON when JSON is accepted.
func admitBody(r *http.Request, spec BodySpec) (mt string, present bool, err error) {
	if !HasBody(r) {
		if spec.Required {
			return "", false, &BodyError{Status: http.StatusBadRequest, Err: errors.New("body is required")}
		}
		return "", false, nil
	}
	mt = MediaType(r)
	if mt == "" && spec.JSON {
		return "application/json", true, nil
	}
	if !accepts(spec.Accept, mt) {
		return "", true, &BodyError{Status: http.StatusUnsupportedMediaType,
			Err: fmt.Errorf("content type %q is not one of: %s", mt, spec.Accept)}
	}
	return mt, true, nil
}

func accepts(accept, mt string) bool {
	for a := range strings.FieldsSeq(accept) {
		a = strings.ToLower(a)
		switch {
		case a == mt, a == "*/*":
			return true
		case strings.HasSuffix(a, "/*") && strings.HasPrefix(mt, a[:len(a)-1]):
			return true
		}
	}
	return false
}

// UndeclaredStatusError is returned by a generated answer whose status
// code is outside what the spec declares for it. It is detected before
// anything is written, so the client gets a 500.
type UndeclaredStatusError struct {
	Answer string
	Status int
}

// Error names the answer and the status.
func (e *UndeclaredStatusError) Error() string {
	return fmt.Sprintf("%s: status %d is not one the spec declares for it", e.Answer, e.Status)
}

// WriteFailed handles the error of writing an answer. An undeclared
// status is answered 500; any other error happened after the status was
// sent, so it can only be logged.
func WriteFailed(w http.ResponseWriter, r *http.Request, cfg *Config, err error) {
	if err == nil {
		return
	}
	var undeclared *UndeclaredStatusError
	if errors.As(err, &undeclared) {
		cfg.ErrorWriter(w, r, err)
		return
	}
	cfg.logError(r, "answer not written", err)
}
