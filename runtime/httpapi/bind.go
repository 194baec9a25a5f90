package httpapi

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/oapi-codegen/runtime"

	"github.com/securegen/securegen/runtime/validate"
)

// In says where a parameter is.
type In string

// The locations of parameters.
const (
	InPath   In = "path"
	InQuery  In = "query"
	InHeader In = "header"
	InCookie In = "cookie"
)

// Style is an OpenAPI parameter style: how a value is serialized.
type Style string

// The styles of OpenAPI 3 parameters.
const (
	StyleSimple         Style = "simple"
	StyleLabel          Style = "label"
	StyleMatrix         Style = "matrix"
	StyleForm           Style = "form"
	StyleSpaceDelimited Style = "spaceDelimited"
	StylePipeDelimited  Style = "pipeDelimited"
	StyleDeepObject     Style = "deepObject"
)

// Param describes one parameter of an operation, as generated code
// declares it: a keyed literal whose zero fields are left out.
type Param struct {
	In   In
	Name string // as the spec names it
	// Wildcard is the ServeMux wildcard that captures a path parameter;
	// "" means Name.
	Wildcard string
	// Prefix and Suffix are literal text sharing a path parameter's
	// segment, as in /files/{name}.json.
	Prefix, Suffix string
	// Style is the parameter's style; "" means the location's default:
	// simple for path and header, form for query and cookie.
	Style    Style
	Explode  bool
	Required bool
	// JSON says the parameter's content is application/json.
	JSON bool
	// Check validates the bound value; nil when the schema constrains
	// nothing the Go type does not.
	Check validate.Func
}

// style returns p's style, or its location's default.
func (p *Param) style() Style {
	if p.Style != "" {
		return p.Style
	}
	switch p.In {
	case InQuery, InCookie:
		return StyleForm
	}
	return StyleSimple
}

// root is the JSON pointer of p's location: "/path", "/query"...
func (p *Param) root() string {
	switch p.In {
	case InPath:
		return "/path"
	case InQuery:
		return "/query"
	case InHeader:
		return "/header"
	case InCookie:
		return "/cookie"
	}
	return "/" + string(p.In)
}

func (p *Param) fail(err error) error {
	return &ParamError{In: string(p.In), Name: p.Name, Err: err}
}

// Bind binds the parameter p of r into dest, a pointer to the field of
// the request struct that receives it. When p.Check is set and the
// parameter is present, Bind then checks the bound value, as its schema
// describes it in JSON, and adds what it breaks to vr, located at
// /path/<name>, /query/<name>, /header/<name> or /cookie/<name>.
//
// Optional parameters follow one rule everywhere: a pointer field (dest
// is a **T) is allocated and set only when the parameter is present; a
// slice or map field stays nil when it is absent. A required parameter
// that is absent, or a value that cannot be bound, is a *ParamError
// (400); a path parameter is always required, whatever p.Required says.
// A path whose segment lacks p.Prefix or p.Suffix is a *NotFoundError
// (404). A parameter whose content is JSON is decoded with
// validate.UnmarshalExact.
//
// A dest that is not a non-nil pointer, or an unknown location, is a
// programming error: Bind returns an error that is neither, answered 500.
func Bind(r *http.Request, vr *validate.Report, p Param, dest any) error {
	field := reflect.ValueOf(dest)
	if field.Kind() != reflect.Pointer || field.IsNil() {
		return fmt.Errorf("httpapi: bind %s parameter %q: destination %T is not a non-nil pointer", p.In, p.Name, dest)
	}
	field = field.Elem()
	var present bool
	var err error
	switch p.In {
	case InPath:
		present, err = bindPath(r, &p, dest, field)
	case InQuery:
		present, err = bindQuery(r, &p, dest, field)
	case InHeader:
		present, err = bindHeader(r, &p, dest, field)
	case InCookie:
		present, err = bindCookie(r, &p, dest, field)
	default:
		return fmt.Errorf("httpapi: bind parameter %q: unknown location %q", p.Name, p.In)
	}
	if err != nil {
		return err
	}
	if !present {
		// A path parameter is always required: a path without it does
		// not name the operation's resource.
		if p.Required || p.In == InPath {
			return p.fail(errMissing)
		}
		return nil
	}
	if p.Check != nil {
		checkParam(vr, &p, field)
	}
	return nil
}

func bindPath(r *http.Request, p *Param, dest any, field reflect.Value) (bool, error) {
	wildcard := p.Wildcard
	if wildcard == "" {
		wildcard = p.Name
	}
	v := r.PathValue(wildcard)
	if p.Prefix != "" || p.Suffix != "" {
		if len(v) < len(p.Prefix)+len(p.Suffix) || !strings.HasPrefix(v, p.Prefix) || !strings.HasSuffix(v, p.Suffix) {
			return false, &NotFoundError{}
		}
		v = v[len(p.Prefix) : len(v)-len(p.Suffix)]
	}
	if v == "" {
		return false, nil
	}
	if p.JSON {
		return true, bindJSON(p, v, dest, field)
	}
	// ServeMux has unescaped the value already.
	return true, bindText(p, v, dest, field, runtime.BindStyledParameterOptions{
		ParamLocation: runtime.ParamLocationPath, Explode: p.Explode, Required: true, ValueIsUnescaped: true})
}

func bindHeader(r *http.Request, p *Param, dest any, field reflect.Value) (bool, error) {
	vs := r.Header.Values(p.Name)
	if len(vs) == 0 {
		return false, nil
	}
	if p.JSON {
		if vs[0] == "" {
			return false, nil
		}
		return true, bindJSON(p, vs[0], dest, field)
	}
	// Several header lines are one comma-separated list (RFC 9110 §5.3).
	v := vs[0]
	if len(vs) > 1 {
		v = strings.Join(vs, ",")
	}
	return true, bindText(p, v, dest, field, runtime.BindStyledParameterOptions{
		ParamLocation: runtime.ParamLocationHeader, Explode: p.Explode, Required: true})
}

func bindCookie(r *http.Request, p *Param, dest any, field reflect.Value) (bool, error) {
	c, err := r.Cookie(p.Name)
	if err != nil {
		return false, nil
	}
	if p.JSON {
		return true, bindJSON(p, c.Value, dest, field)
	}
	return true, bindText(p, c.Value, dest, field, runtime.BindStyledParameterOptions{
		ParamLocation: runtime.ParamLocationCookie, Explode: p.Explode, Required: true})
}

// bindText binds the serialized value v of a path, header or cookie
// parameter: into dest, or, for a pointer field, into a new value that
// the field then points to.
func bindText(p *Param, v string, dest any, field reflect.Value, opts runtime.BindStyledParameterOptions) error {
	into := dest
	var fresh reflect.Value
	if field.Kind() == reflect.Pointer {
		fresh = reflect.New(field.Type().Elem())
		into = fresh.Interface()
	}
	if err := bindStyled(string(p.style()), p.Name, v, into, opts); err != nil {
		return p.fail(err)
	}
	if fresh.IsValid() {
		field.Set(fresh)
	}
	return nil
}

// bindJSON decodes a parameter whose content is application/json, with
// exact member names and no repeated ones, on the default budgets: the
// value bound is the value the parameter's check sees.
func bindJSON(p *Param, v string, dest any, field reflect.Value) error {
	into := dest
	var fresh reflect.Value
	if field.Kind() == reflect.Pointer {
		fresh = reflect.New(field.Type().Elem())
		into = fresh.Interface()
	}
	if err := validate.UnmarshalExact([]byte(v), into); err != nil {
		return p.fail(fmt.Errorf("invalid JSON: %w", err))
	}
	if fresh.IsValid() {
		field.Set(fresh)
	}
	return nil
}

// bindQuery binds a query parameter with oapi-codegen's runtime, which
// serializes every query style, and reports whether it was present.
func bindQuery(r *http.Request, p *Param, dest any, field reflect.Value) (bool, error) {
	if p.JSON {
		vs, found := r.URL.Query()[p.Name]
		if !found || len(vs) == 0 {
			return false, nil
		}
		return true, bindJSON(p, vs[0], dest, field)
	}
	style := p.style()
	switch k := field.Kind(); {
	case k == reflect.Pointer, k == reflect.Slice, k == reflect.Map:
		// The runtime allocates a pointer only when the parameter is
		// present, and leaves an absent slice or map nil: present is
		// what it set.
		if present, done := scanQuery(r.URL.RawQuery, p, style, dest, field); done {
			return present, nil
		}
		if err := bindRawQuery(p, style, false, r.URL.RawQuery, dest); err != nil {
			return false, err
		}
		return !field.IsNil(), nil
	case p.Required && style != StyleDeepObject:
		// The runtime says when a required parameter is absent.
		if present, done := scanQuery(r.URL.RawQuery, p, style, dest, field); done {
			return present, nil
		}
		if err := bindRawQuery(p, style, true, r.URL.RawQuery, dest); err != nil {
			var missing *runtime.RequiredParameterError
			if errors.As(err, &missing) {
				return false, nil
			}
			return false, err
		}
		return true, nil
	default:
		// A deepObject, whose absence the runtime does not report, or an
		// optional parameter in a field that cannot be nil: bind through
		// a pointer, which the runtime sets only when it is present.
		ptr := reflect.New(reflect.PointerTo(field.Type()))
		if err := bindRawQuery(p, style, false, r.URL.RawQuery, ptr.Interface()); err != nil {
			return false, err
		}
		if ptr.Elem().IsNil() {
			return false, nil
		}
		field.Set(ptr.Elem().Elem())
		return true, nil
	}
}

func bindRawQuery(p *Param, style Style, required bool, rawQuery string, dest any) error {
	if err := runtime.BindRawQueryParameter(string(style), p.Explode, required, p.Name, rawQuery, dest); err != nil {
		return p.fail(err)
	}
	return nil
}

// scanQuery binds, without building url.Values, the commonest query
// parameter: an exploded form (or space- or pipe-delimited) one of a
// scalar type. done says it did; when it did not, the runtime binds the
// parameter, with the same result: scanQuery gives up on any query that
// url.ParseQuery would refuse, on a repeated value and on one that does
// not convert, so that every error is the runtime's.
func scanQuery(rawQuery string, p *Param, style Style, dest any, field reflect.Value) (present, done bool) {
	if !p.Explode || (style != StyleForm && style != StyleSpaceDelimited && style != StylePipeDelimited) {
		return false, false
	}
	t := field.Type()
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if !scalarKind(t.Kind()) {
		return false, false
	}
	if strings.Count(rawQuery, "&") >= maxScannedPairs {
		return false, false
	}
	var raw string
	found := false
	for rest := rawQuery; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if strings.Contains(pair, ";") {
			return false, false
		}
		if pair == "" {
			continue
		}
		key, value, _ := strings.Cut(pair, "=")
		if !validEscapes(key) || !validEscapes(value) {
			return false, false
		}
		if !queryKeyIs(key, p.Name) {
			continue
		}
		if found {
			return false, false
		}
		raw, found = value, true
	}
	if !found {
		return false, true
	}
	v, err := url.QueryUnescape(raw)
	if err != nil {
		return false, false
	}
	into := dest
	var fresh reflect.Value
	if field.Kind() == reflect.Pointer {
		fresh = reflect.New(t)
		into = fresh.Interface()
	}
	if runtime.BindStringToObject(v, into) != nil {
		return false, false
	}
	if fresh.IsValid() {
		field.Set(fresh)
	}
	return true, true
}

// maxScannedPairs bounds the pairs of a query that scanQuery reads; the
// runtime binds parameters of longer queries, under url.ParseQuery's
// limit on their number.
const maxScannedPairs = 32

// scalarKind reports whether the runtime binds a query value of kind k
// as one string, with no splitting and no object binding.
func scalarKind(k reflect.Kind) bool {
	switch k {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// validEscapes reports whether every % in s starts an escape that
// url.QueryUnescape accepts.
func validEscapes(s string) bool {
	for i := strings.IndexByte(s, '%'); i >= 0; {
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return false
		}
		next := strings.IndexByte(s[i+3:], '%')
		if next < 0 {
			break
		}
		i += 3 + next
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// queryKeyIs reports whether the raw query key names name.
func queryKeyIs(key, name string) bool {
	if !strings.ContainsAny(key, "%+") {
		return key == name
	}
	k, err := url.QueryUnescape(key)
	return err == nil && k == name
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// checkParam checks the bound field against p.Check, as ValidateParam
// does: an absent optional value (a nil pointer, slice or map) is not
// checked.
func checkParam(vr *validate.Report, p *Param, field reflect.Value) {
	switch field.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		if field.IsNil() {
			return
		}
	}
	// The check may keep the path: root and key share one allocation.
	loc := &struct{ root, at validate.Path }{root: validate.Root(p.root())}
	loc.at = loc.root.Key(p.Name)
	v, ok, err := generic(field)
	if err != nil {
		vr.Add(&loc.at, "type", "cannot be checked: %v", err)
		return
	}
	if ok {
		p.Check(vr, &loc.at, v)
	}
}

// generic returns the field's value as a validator reads it: its JSON
// form, decoded with numbers as json.Number; ok is false when that form
// cannot be read back. Strings, integers and booleans without their own
// JSON or text form are converted directly, as their JSON form would
// decode, so that checking them encodes nothing.
func generic(field reflect.Value) (v any, ok bool, err error) {
	e := field
	if e.Kind() == reflect.Pointer {
		e = e.Elem()
	}
	if t := e.Type(); !t.Implements(jsonMarshaler) && !t.Implements(textMarshaler) &&
		!reflect.PointerTo(t).Implements(jsonMarshaler) && !reflect.PointerTo(t).Implements(textMarshaler) {
		switch e.Kind() {
		case reflect.String:
			if s := e.String(); utf8.ValidString(s) {
				return s, true, nil
			}
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			return json.Number(strconv.FormatInt(e.Int(), 10)), true, nil
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			return json.Number(strconv.FormatUint(e.Uint(), 10)), true, nil
		case reflect.Bool:
			return e.Bool(), true, nil
		}
	}
	raw, err := json.Marshal(field.Interface())
	if err != nil {
		return nil, false, err
	}
	v, err = decodeGeneric(raw)
	return v, err == nil, nil
}
