package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/securegen/securegen/runtime/validate"
	"io"
	"mime"
	"net/http"
	"strings"
)

// IsJSON reports whether the media type mt is JSON: application/json or a
// +json structured syntax suffix.
func IsJSON(mt string) bool {
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// MediaType returns the request's media type, lower-cased, without
// parameters; "" when there is no Content-Type.
func MediaType(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return ""
	}
	if plainMediaType(ct) {
		// The common case, "application/json", needs no parsing.
		return ct
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(ct))
	}
	return mt
}

// plainMediaType reports whether ct is a lower-case type/subtype with no
// parameters and nothing ParseMediaType would change.
func plainMediaType(ct string) bool {
	slash := 0
	for i := 0; i < len(ct); i++ {
		c := ct[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '.', c == '-', c == '+':
		case c == '/':
			slash++
		default:
			return false
		}
	}
	return slash == 1 && ct[0] != '/' && ct[len(ct)-1] != '/'
}

// HasBody reports whether the request carries a body.
func HasBody(r *http.Request) bool {
	return r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0
}

// DecodeJSON decodes the request body into dst, reading at most limit
// bytes, on the default budgets of package validate, with exact member
// names and no repeated ones. It checks the media type and rejects
// trailing data.
func DecodeJSON(r *http.Request, limit int64, dst any) error {
	if mt := MediaType(r); mt != "" && !IsJSON(mt) {
		return &BodyError{Status: http.StatusUnsupportedMediaType, Err: fmt.Errorf("content type %q is not JSON", mt)}
	}
	raw, err := readAll(nil, r, limit)
	if err != nil {
		return err
	}
	if err := validate.UnmarshalExact(raw, dst); err != nil {
		return &BodyError{Status: http.StatusBadRequest, Err: err}
	}
	return nil
}

func bodyError(err error) error {
	var tooLarge *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooLarge):
		return &BodyError{Status: http.StatusRequestEntityTooLarge, Err: fmt.Errorf("body exceeds %d bytes", tooLarge.Limit)}
	case errors.Is(err, io.EOF):
		return &BodyError{Status: http.StatusBadRequest, Err: errors.New("body is empty")}
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "(root)"
		}
		return &BodyError{Status: http.StatusBadRequest, Err: fmt.Errorf("%s: expected %s, got JSON %s", field, typeErr.Type, typeErr.Value)}
	}
	return &BodyError{Status: http.StatusBadRequest, Err: fmt.Errorf("invalid JSON: %w", err)}
}

// LimitBody returns the request body limited to limit bytes, for bodies the
// generated code hands to the handler unread.
func LimitBody(w http.ResponseWriter, r *http.Request, limit int64) io.ReadCloser {
	return http.MaxBytesReader(w, r.Body, limit)
}

// WriteJSON writes v as JSON with the given status and content type.
func WriteJSON(w http.ResponseWriter, status int, contentType string, v any) error {
	setContentType(w.Header(), contentType)
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	return nil
}

// WriteStream copies body to w with the given status and content type.
func WriteStream(w http.ResponseWriter, status int, contentType string, body io.Reader) error {
	if contentType != "" {
		w.Header().Set("Content-Type", contentType)
	}
	w.WriteHeader(status)
	if body == nil {
		return nil
	}
	if _, err := io.Copy(w, body); err != nil {
		return fmt.Errorf("write response: %w", err)
	}
	return nil
}

// WriteJSONAnswer writes a generated JSON answer: its headers, status and
// body.
func WriteJSONAnswer(w http.ResponseWriter, h http.Header, status int, contentType string, v any) error {
	CopyHeaders(w, h)
	return WriteJSON(w, status, contentType, v)
}

// WriteStreamAnswer writes a generated answer whose body is a stream.
func WriteStreamAnswer(w http.ResponseWriter, h http.Header, status int, contentType string, body io.Reader) error {
	CopyHeaders(w, h)
	return WriteStream(w, status, contentType, body)
}

// WriteEmptyAnswer writes a generated answer without a body.
func WriteEmptyAnswer(w http.ResponseWriter, h http.Header, status int) error {
	CopyHeaders(w, h)
	w.WriteHeader(status)
	return nil
}

// Header values the runtime sends again and again, shared: net/http never
// writes into a header's value slice, and Header.Add copies on append.
var (
	applicationJSON = []string{"application/json"}
	noSniff         = []string{"nosniff"}
	noStore         = []string{"no-store"}
)

// setContentType sets the Content-Type of an answer without allocating
// for the common JSON case.
func setContentType(h http.Header, ct string) {
	if ct == "application/json" {
		h["Content-Type"] = applicationJSON
		return
	}
	h.Set("Content-Type", ct)
}
