package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/securegen/securegen/runtime/validate"
)

// ValidationError is a request (or, with response validation, an answer)
// that breaks its schema: every violation found, up to the limit.
type ValidationError struct {
	Status     int
	Violations []validate.Violation
	Dropped    int
}

// Error summarizes the violations.
func (e *ValidationError) Error() string {
	if len(e.Violations) == 0 {
		return "request does not match its schema"
	}
	v := e.Violations[0]
	more := ""
	if n := len(e.Violations) + e.Dropped - 1; n > 0 {
		more = fmt.Sprintf(" (and %d more)", n)
	}
	return fmt.Sprintf("%s: %s: %s%s", v.Location, v.Rule, v.Detail, more)
}

// NewReport returns a report for validating a request under cfg.
func (c *Config) NewReport() validate.Report {
	return validate.Report{Max: c.MaxViolations, Strict: c.StrictFields, Formats: c.Formats, ReadOnlyForbidden: true,
		MaxDepth: c.MaxDepth, MaxNumberLength: c.MaxNumberLength, MaxProbes: c.MaxProbes}
}

// Invalid turns a report with violations into the error to answer with.
func (c *Config) Invalid(vr *validate.Report) error {
	return &ValidationError{Status: c.ValidationStatus, Violations: vr.Violations(), Dropped: vr.Dropped()}
}

func isNilPointer(v any) bool {
	return v == nil || reflectNil(v)
}

// decodeGeneric decodes JSON the way validators expect: numbers as
// json.Number, so that no integer loses precision.
func decodeGeneric(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

// readValidated reads a JSON body under cfg's budgets, checks it against
// check (when not nil), and decodes it into dst only when it is valid.
// dst receives exactly the value that was checked: the body is read once,
// into a value with exact member names and no repeated ones, and that
// value is what is decoded. Violations go to vr; when vr is nil they are
// returned as a ValidationError.
func readValidated(w http.ResponseWriter, r *http.Request, cfg *Config, dst any, check validate.Func, vr *validate.Report) error {
	raw, err := readAll(w, r, cfg.MaxBodyBytes)
	if err != nil {
		return err
	}
	var own validate.Report
	if vr == nil {
		own = cfg.NewReport()
		vr = &own
	}
	ok, err := decodeChecked(raw, "/body", dst, check, vr)
	if err != nil {
		return &BodyError{Status: http.StatusBadRequest, Err: err}
	}
	if !ok && vr == &own {
		return cfg.Invalid(vr)
	}
	return nil
}

// decodeChecked reads the JSON raw under vr's budgets, checks it, and
// decodes it into dst when nothing was reported; ok says it was. err is
// a syntax error.
func decodeChecked(raw []byte, root string, dst any, check validate.Func, vr *validate.Report) (ok bool, err error) {
	before := len(vr.Violations()) + vr.Dropped()
	changed := func() bool { return len(vr.Violations())+vr.Dropped() > before }
	d := validate.NewDecoder(raw, vr)
	p := validate.Root(root)
	v := d.Value(&p)
	if err := d.End(); err != nil {
		return false, err
	}
	if changed() {
		return false, nil
	}
	if check != nil {
		check(vr, &p, v)
		if changed() {
			return false, nil
		}
	}
	if err := validate.Assign(v, dst); err != nil {
		vr.Add(&p, "type", "cannot be decoded: %v", err)
		return false, nil
	}
	return true, nil
}

// CheckAnswer validates an answer before it is written, when cfg asks for
// response validation. An answer that breaks the spec is logged and
// replaced by a 500, so that such bugs surface in development and tests.
func CheckAnswer(r *http.Request, cfg *Config, check func(*validate.Report)) error {
	if !cfg.ValidateResponses {
		return nil
	}
	vr := validate.Report{Max: cfg.MaxViolations, Formats: cfg.Formats, WriteOnlyForbidden: true}
	check(&vr)
	if vr.OK() {
		return nil
	}
	err := &ValidationError{Status: http.StatusInternalServerError, Violations: vr.Violations(), Dropped: vr.Dropped()}
	cfg.logError(r, "answer does not match the spec", err)
	return errAnswerInvalid
}

var errAnswerInvalid = errors.New("the answer does not match the spec")

// ValidateAnswer checks body, an answer's JSON body, with check.
func ValidateAnswer(vr *validate.Report, body any, check validate.Func) {
	raw, err := json.Marshal(body)
	if err != nil {
		p := validate.Root("/response/body")
		vr.Add(&p, "type", "cannot be encoded: %v", err)
		return
	}
	v, err := decodeGeneric(raw)
	if err != nil {
		return
	}
	p := validate.Root("/response/body")
	check(vr, &p, v)
}

// ReadJSON reads a JSON request body of at most the configured size, for
// a generated decoder. It returns nil when an optional body is absent.
func ReadJSON(w http.ResponseWriter, r *http.Request, cfg *Config, spec BodySpec) ([]byte, error) {
	if _, present, err := admitBody(r, spec); !present || err != nil {
		return nil, err
	}
	limit := cfg.MaxBodyBytes
	if r.ContentLength > limit {
		return nil, &BodyError{Status: http.StatusRequestEntityTooLarge, Err: fmt.Errorf("body exceeds %d bytes", limit)}
	}
	return readAll(w, r, limit)
}

// firstRead is how much memory a body gets before any of it arrives.
// Content-Length is the client's word, not a byte of data: memory grows
// with what is actually read.
const firstRead = 16 << 10

// readAll reads the body, at most limit bytes, into memory that grows
// with what arrives.
func readAll(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, &BodyError{Status: http.StatusRequestEntityTooLarge, Err: fmt.Errorf("body exceeds %d bytes", limit)}
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	size := int64(firstRead)
	if r.ContentLength > 0 {
		size = min(r.ContentLength+1, firstRead)
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			if r.ContentLength > 0 && int64(len(buf)) != r.ContentLength {
				return nil, &BodyError{Status: http.StatusBadRequest, Err: fmt.Errorf("body of %d bytes, not its Content-Length %d", len(buf), r.ContentLength)}
			}
			return buf, nil
		}
		if err != nil {
			if r.ContentLength > 0 && errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, &BodyError{Status: http.StatusBadRequest, Err: fmt.Errorf("body shorter than its Content-Length: %w", err)}
			}
			return nil, bodyError(err)
		}
	}
}
