package httpapi

import (
	"errors"
	"net/http"

	"github.com/securegen/securegen/runtime/auth"
)

// ErrObjectCheckNotImplemented is returned by the object checks of the
// generated Unimplemented server: embedding Unimplemented leaves every
// object check denying (403), never allowing.
var ErrObjectCheckNotImplemented = errors.New("object check not implemented")

// ObjectDeniedError is the answer to a request that an operation's
// object-level authorizer refused. Its text is fixed: the authorizer's
// error is logged, never sent, and a 404 looks like any other.
type ObjectDeniedError struct {
	Status    int // 403 or 404
	Operation string
}

// Error returns a fixed text that says nothing about the object.
func (e *ObjectDeniedError) Error() string {
	if e.Status == http.StatusNotFound {
		return "The resource was not found."
	}
	return "The caller may not act on this resource."
}

// StatusCode returns 403 or 404.
func (e *ObjectDeniedError) StatusCode() int { return e.Status }

// DenyObject answers a request that the object-level authorizer of
// operation refused with err. An err with a StatusCode method returning
// 404 is answered 404, so that the server does not reveal that the object
// exists; any other err is answered 403. The denial is logged and
// reported to the deny hook like an authentication denial, with err's
// text; the answer never repeats it.
func DenyObject(w http.ResponseWriter, r *http.Request, cfg *Config, operation string, err error) {
	status := http.StatusForbidden
	var sc interface{ StatusCode() int }
	if errors.As(err, &sc) && sc.StatusCode() == http.StatusNotFound {
		status = http.StatusNotFound
	}
	reason := "object check refused"
	if err != nil {
		reason += ": " + err.Error()
	}
	cfg.Guard.Deny(r.Context(), &auth.Denial{Status: status, Operation: operation, Reason: reason, ClientAddr: r.RemoteAddr})
	cfg.ErrorWriter(w, r, &ObjectDeniedError{Status: status, Operation: operation})
}
