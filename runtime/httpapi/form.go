package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/oapi-codegen/runtime/types"

	"github.com/securegen/securegen/runtime/validate"
)

// The form media types ReadBodyForms decodes.
const (
	MediaURLEncoded = "application/x-www-form-urlencoded"
	MediaMultipart  = "multipart/form-data"
)

// MaxFormFields is the most fields a form body may have: as many as
// net/url parses in one query. A urlencoded body with more is refused
// before any of it is decoded; a multipart body has at most 1000 parts,
// mime/multipart's own limit.
const MaxFormFields = 10000

// FormMemory is how many bytes of file parts one multipart body keeps in
// memory; the rest go to temporary files, which the RequestBody's Close
// removes. Text parts stay in memory, under the body size limit.
const FormMemory = 1 << 20

// Form describes a request body of a form media type, as generated code
// declares it: how each property is serialized, and what JSON types its
// values are read as.
//
// ReadBodyForms turns the form into the JSON value the operation's
// schema describes, guided by Fields: an object with a member per key.
// Text is kept as a string unless the property's schema does not allow
// strings: then it becomes a json.Number when it is a JSON number and a
// bool when it is true or false; text that is neither stays a string,
// which the schema's check reports as a located type violation. Arrays
// come from repeated keys or delimited values, as the property's style
// says, and from bracketed keys; objects come from bracketed keys
// (a[b][c]=v, the deepObject style), in which [] appends to an array and
// [0], [1]... index it. Keys the schema does not declare are members
// too, refused where it refuses unknown properties.
type Form struct {
	// MediaType is MediaURLEncoded or MediaMultipart.
	MediaType string
	// Check validates the form's JSON value; nil when the schema
	// constrains nothing.
	Check validate.Func
	// Fields are the schema's properties, by name.
	Fields map[string]FormField
}

// FormField describes one property of a form body: how it is serialized,
// and, in Type, Items, Props and Additional, its value, as a FormValue
// describes one.
type FormField struct {
	// Style and Explode say how an array or an object is serialized:
	// exploded form (the zero Style is StyleForm) repeats the key per
	// item; form, spaceDelimited and pipeDelimited join items with a
	// comma, a space or a pipe when not exploded; deepObject nests
	// bracketed keys. A form object that is not exploded is a list of
	// names and values: color=R,100,G,200.
	Style   Style
	Explode bool
	// File says each value is a file: a file part of a multipart body, or
	// text taken as a file's content. The typed body's field for the
	// property is an openapi_types.File, a pointer to one or a slice of
	// them; the check sees each file as an empty string.
	File bool
	// JSON says the value is JSON text.
	JSON bool
	// MinBytes and MaxBytes bound the size of each file; 0 means no
	// bound (beyond the body's size limit, for MaxBytes).
	MinBytes, MaxBytes int64
	Type               validate.Type
	Items              *FormValue
	Props              map[string]*FormValue
	Additional         *FormValue
}

// FormValue describes a value in a form: the JSON types its text may be
// read as (none means any, read as a string), and what it contains. A
// nil *FormValue reads every value as a string.
type FormValue struct {
	Type validate.Type
	// Items describes an array's items.
	Items *FormValue
	// Props describes an object's declared members, Additional the
	// others.
	Props      map[string]*FormValue
	Additional *FormValue
}

// shape returns the FormValue part of f.
func (f *FormField) shape() *FormValue {
	return &FormValue{Type: f.Type, Items: f.Items, Props: f.Props, Additional: f.Additional}
}

// member returns the shape of the member key of an object of shape v.
func (v *FormValue) member(key string) *FormValue {
	if v == nil {
		return nil
	}
	if m, ok := v.Props[key]; ok {
		return m
	}
	return v.Additional
}

// item returns the shape of an item of an array of shape v.
func (v *FormValue) item() *FormValue {
	if v == nil {
		return nil
	}
	return v.Items
}

// allows reports whether v's types include t; no types allow none.
func (v *FormValue) allows(t validate.Type) bool { return v != nil && v.Type&t != 0 }

// text reports whether a value of shape v is read as a string.
func (v *FormValue) text() bool { return v == nil || v.Type == 0 || v.Type&validate.TypeString != 0 }

// RequestBody is what ReadBodyForms read. Close it when the request is
// served: it removes the temporary files of a multipart body, whose
// openapi_types.File values read them until then.
type RequestBody struct {
	// Raw is a body of a media type that is neither JSON nor a form the
	// operation types, handed over unread but limited in size; nil
	// otherwise.
	Raw io.ReadCloser
	// MediaType is the body's media type; "" when there was no body.
	MediaType string

	form *multipart.Form
}

// Close removes the temporary files of a multipart body.
func (b *RequestBody) Close() error {
	if b == nil || b.form == nil {
		return nil
	}
	return b.form.RemoveAll()
}

// ReadBodyForms reads the request body of an operation that accepts form
// media types, as spec says. A JSON body is read as ReadBody reads it,
// checked with check and decoded into dst. A body of one of the media
// types of forms is read under the same budgets (the body size limit,
// vr's MaxDepth for bracketed keys and MaxNumberLength for numbers,
// MaxFormFields), turned into a JSON value as Form describes, checked
// with the form's Check, decoded into dst with exact member names, and
// its files set on dst's File fields. Another accepted media type is
// returned unread in the RequestBody's Raw.
//
// Violations go to vr, located under /body; when vr is nil, they are
// returned as a ValidationError. A body that cannot be read is a
// BodyError: 413 past the size limit or mime/multipart's limits on parts
// and headers, 400 when it is malformed.
func ReadBodyForms(w http.ResponseWriter, r *http.Request, cfg *Config, spec BodySpec, dst any, check validate.Func, vr *validate.Report, forms ...*Form) (*RequestBody, error) {
	mt, present, err := admitBody(r, spec)
	if err != nil {
		return nil, err
	}
	body := &RequestBody{MediaType: mt}
	if !present {
		return body, nil
	}
	if spec.JSON && IsJSON(mt) {
		if err := readValidated(w, r, cfg, dst, check, vr); err != nil {
			return nil, err
		}
		return body, nil
	}
	for _, f := range forms {
		if f != nil && f.MediaType == mt {
			if err := readForm(w, r, cfg, f, dst, vr, body); err != nil {
				body.Close()
				return nil, err
			}
			return body, nil
		}
	}
	body.Raw = http.MaxBytesReader(w, r.Body, cfg.MaxBodyBytes)
	return body, nil
}

// readForm reads a form body as f describes into dst, keeping a
// multipart form in body for its Close.
func readForm(w http.ResponseWriter, r *http.Request, cfg *Config, f *Form, dst any, vr *validate.Report, body *RequestBody) error {
	var own validate.Report
	if vr == nil {
		own = cfg.NewReport()
		vr = &own
	}
	fr := newFormReader(f, vr)
	switch f.MediaType {
	case MediaURLEncoded:
		raw, err := readAll(w, r, cfg.MaxBodyBytes)
		if err != nil {
			return err
		}
		if err := fr.urlEncoded(string(raw)); err != nil {
			return err
		}
	case MediaMultipart:
		mf, err := readMultipart(w, r, cfg.MaxBodyBytes)
		if err != nil {
			return err
		}
		body.form = mf
		fr.multipart(mf)
	default:
		return fmt.Errorf("httpapi: form media type %q is neither %s nor %s", f.MediaType, MediaURLEncoded, MediaMultipart)
	}
	ok, err := fr.deliver(dst)
	if err != nil {
		return err
	}
	if !ok && vr == &own {
		return cfg.Invalid(vr)
	}
	return nil
}

// readMultipart reads a multipart body of at most limit bytes, with
// mime/multipart's limits on parts and headers.
func readMultipart(w http.ResponseWriter, r *http.Request, limit int64) (*multipart.Form, error) {
	if r.ContentLength > limit {
		return nil, &BodyError{Status: http.StatusRequestEntityTooLarge, Err: fmt.Errorf("body exceeds %d bytes", limit)}
	}
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return nil, &BodyError{Status: http.StatusBadRequest, Err: errors.New("multipart body without a boundary")}
	}
	mr := multipart.NewReader(http.MaxBytesReader(w, r.Body, limit), params["boundary"])
	mf, err := mr.ReadForm(FormMemory)
	if err != nil {
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			return nil, &BodyError{Status: http.StatusRequestEntityTooLarge, Err: fmt.Errorf("body exceeds %d bytes", tooLarge.Limit)}
		case errors.Is(err, multipart.ErrMessageTooLarge):
			return nil, &BodyError{Status: http.StatusRequestEntityTooLarge, Err: errors.New("multipart body has too many parts or headers")}
		}
		return nil, &BodyError{Status: http.StatusBadRequest, Err: fmt.Errorf("invalid multipart body: %w", err)}
	}
	return mf, nil
}

// formReader builds the JSON value of one form body. Objects are
// map[string]any as validators expect; arrays are *formArray until
// deliver turns them into []any, so that indices may come in any order.
type formReader struct {
	form *Form
	vr   *validate.Report
	root map[string]any
	// files are the files of File fields, by field name, in order.
	files     map[string][]formFile
	maxDepth  int
	maxNumber int
	// stopped is set when a budget stops reading.
	stopped bool
	// before is how many violations vr held before the form was read.
	before int
}

// formFile is the value of a File field: a file part, or text taken as
// a file's content.
type formFile struct {
	header *multipart.FileHeader
	data   string
}

func (f formFile) size() int64 {
	if f.header != nil {
		return f.header.Size
	}
	return int64(len(f.data))
}

// formArray is an array being built: items by index, and next, the index
// [] appends at.
type formArray struct {
	items map[int]any
	next  int
}

func newFormReader(f *Form, vr *validate.Report) *formReader {
	fr := &formReader{form: f, vr: vr, root: map[string]any{}, files: map[string][]formFile{},
		maxDepth: vr.MaxDepth, maxNumber: vr.MaxNumberLength, before: len(vr.Violations()) + vr.Dropped()}
	switch {
	case fr.maxDepth <= 0:
		fr.maxDepth = validate.DefaultMaxDepth
	case fr.maxDepth > validate.LimitMaxDepth:
		fr.maxDepth = validate.LimitMaxDepth
	}
	if fr.maxNumber <= 0 {
		fr.maxNumber = validate.DefaultMaxNumberLength
	}
	return fr
}

// urlEncoded reads the fields of a urlencoded body, in order. Like
// url.ParseQuery it refuses semicolons and bad escapes; unlike it, it
// counts fields before decoding any.
func (fr *formReader) urlEncoded(body string) error {
	if strings.Count(body, "&") >= MaxFormFields {
		return &BodyError{Status: http.StatusBadRequest, Err: fmt.Errorf("form has more than %d fields", MaxFormFields)}
	}
	for rest := body; rest != "" && !fr.stopped; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if pair == "" {
			continue
		}
		if strings.Contains(pair, ";") {
			return &BodyError{Status: http.StatusBadRequest, Err: errors.New("invalid semicolon separator in form")}
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return &BodyError{Status: http.StatusBadRequest, Err: fmt.Errorf("form field name: %w", err)}
		}
		value, err := url.QueryUnescape(v)
		if err != nil {
			return &BodyError{Status: http.StatusBadRequest, Err: fmt.Errorf("form field %s: %w", echoKey(key), err)}
		}
		fr.add(key, formFile{data: value})
	}
	return nil
}

// multipart reads the parts of a multipart form: text parts, then file
// parts, each by name in sorted order, so that what is reported does not
// depend on map order. A file part of a property that is not a file is
// read as text.
func (fr *formReader) multipart(mf *multipart.Form) {
	for _, name := range sortedNames(mf.Value) {
		for _, v := range mf.Value[name] {
			fr.add(name, formFile{data: v})
		}
	}
	for _, name := range sortedNames(mf.File) {
		for _, h := range mf.File[name] {
			fr.add(name, formFile{header: h})
		}
	}
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// echoKey renders a field name for an error, cut short.
func echoKey(key string) string {
	const max = 40
	if len(key) > max {
		key = key[:max] + "…"
	}
	return fmt.Sprintf("%q", key)
}

// step is one step of a location below /body: a member name, or an
// index when key is "" and index is not negative.
type step struct {
	key   string
	index int
}

func keyStep(k string) step { return step{key: k, index: -1} }

// report records a violation at the location of steps.
func (fr *formReader) report(steps []step, rule, format string, args ...any) {
	paths := make([]validate.Path, len(steps)+1)
	paths[0] = validate.Root("/body")
	for i, s := range steps {
		if s.index >= 0 {
			paths[i+1] = paths[i].Index(s.index)
		} else {
			paths[i+1] = paths[i].Key(s.key)
		}
	}
	fr.vr.Add(&paths[len(steps)], rule, format, args...)
}

// add reads one field: its key names a property, or a property and the
// bracketed path of a value inside it. v is its text, or a file part.
func (fr *formReader) add(key string, v formFile) {
	if fr.stopped {
		return
	}
	name, segs, ok := fr.split(validUTF8(key))
	if !ok {
		return
	}
	f, declared := fr.form.Fields[name]
	switch {
	case !declared:
		// A member the schema does not declare: its check decides. The
		// content of a file part is not read for it.
		text := ""
		if v.header == nil {
			text = validUTF8(v.data)
		}
		fr.setTop(name, text)
	case f.File:
		fr.addFile(name, &f, segs, v)
	default:
		text, ok := fr.text(v, keyStep(name))
		if !ok {
			return
		}
		if len(segs) > 0 {
			fr.nested(name, f.shape(), segs, text)
			return
		}
		fr.field(name, &f, text)
	}
}

// text returns the text of a value, with invalid UTF-8 replaced. A file
// part of a property that is not a file is read as its text when it is
// at most FormMemory bytes; a larger one is a maxLength violation, so that
// text held in memory stays bounded whatever the body size limit.
func (fr *formReader) text(v formFile, at step) (string, bool) {
	if v.header == nil {
		return validUTF8(v.data), true
	}
	if v.header.Size > FormMemory {
		fr.report([]step{at}, "maxLength", "file part of %d bytes where text is expected; at most %d", v.header.Size, FormMemory)
		return "", false
	}
	rc, err := v.header.Open()
	if err != nil {
		fr.report([]step{at}, "type", "file part cannot be read: %v", err)
		return "", false
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, FormMemory))
	if err != nil {
		fr.report([]step{at}, "type", "file part cannot be read: %v", err)
		return "", false
	}
	return validUTF8(string(b)), true
}

// split splits key into the property it names and the bracketed
// segments after it: "items[0][price]" is items, [0 price]; "tags[]" is
// tags, [""]. A key that names a property exactly, or whose part before
// the first bracket names none, or whose brackets are malformed, is one
// name. ok is false when the key nests deeper than the depth budget,
// which stops reading.
func (fr *formReader) split(key string) (name string, segs []string, ok bool) {
	if _, exact := fr.form.Fields[key]; exact {
		return key, nil, true
	}
	i := strings.IndexByte(key, '[')
	if i <= 0 {
		return key, nil, true
	}
	if _, declared := fr.form.Fields[key[:i]]; !declared {
		return key, nil, true
	}
	name = key[:i]
	for rest := key[i:]; rest != ""; {
		if rest[0] != '[' {
			return key, nil, true
		}
		end := strings.IndexByte(rest, ']')
		if end < 0 || strings.IndexByte(rest[1:end], '[') >= 0 {
			return key, nil, true
		}
		// The body is one level, the property another, and each segment
		// one more: a[b][c] nests the body, a and a.b.
		if len(segs)+2 > fr.maxDepth {
			// Located, as the JSON decoder locates it, at the value that
			// would open the level past the budget.
			steps := []step{keyStep(name)}
			for _, s := range segs {
				steps = append(steps, keyStep(s))
			}
			fr.report(steps, "maxDepth", "nested deeper than %d levels", fr.maxDepth)
			fr.stopped = true
			return "", nil, false
		}
		segs = append(segs, rest[1:end])
		rest = rest[end+1:]
	}
	return name, segs, true
}

// setTop sets the member name of the body to v, once: a second value is
// a duplicateKey violation.
func (fr *formReader) setTop(name string, v any) {
	if _, dup := fr.root[name]; dup {
		fr.report([]step{keyStep(name)}, "duplicateKey", "field repeats an earlier one")
		return
	}
	fr.root[name] = v
}

// field reads the value of property name given by its bare key.
func (fr *formReader) field(name string, f *FormField, text string) {
	at := []step{keyStep(name)}
	shape := f.shape()
	switch {
	case f.JSON:
		if _, dup := fr.root[name]; dup {
			fr.report(at, "duplicateKey", "field repeats an earlier one")
			return
		}
		if v, ok := fr.json(at, text); ok {
			fr.root[name] = v
		}
	case shape.allows(validate.TypeArray) && !shape.allows(validate.TypeString):
		if f.Explode {
			// tags=a&tags=b
			arr, ok := fr.array(at, fr.root[name], true)
			if !ok {
				return
			}
			fr.root[name] = arr
			arr.items[arr.next] = fr.scalar(append(at, step{index: arr.next}), shape.item(), text)
			arr.next++
			return
		}
		if _, dup := fr.root[name]; dup {
			fr.report(at, "duplicateKey", "field repeats an earlier one")
			return
		}
		arr := &formArray{items: map[int]any{}}
		if text != "" {
			for i, s := range strings.Split(text, delimiter(f.Style)) {
				arr.items[i] = fr.scalar(append(at, step{index: i}), shape.item(), s)
			}
			arr.next = len(arr.items)
		}
		fr.root[name] = arr
	case shape.allows(validate.TypeObject) && !shape.allows(validate.TypeString) && (f.Style == "" || f.Style == StyleForm) && !f.Explode:
		// color=R,100,G,200
		if _, dup := fr.root[name]; dup {
			fr.report(at, "duplicateKey", "field repeats an earlier one")
			return
		}
		parts := strings.Split(text, ",")
		if len(parts)%2 != 0 {
			// Not names and values: the check reports a string.
			fr.root[name] = text
			return
		}
		o := make(map[string]any, len(parts)/2)
		for i := 0; i < len(parts); i += 2 {
			if _, dup := o[parts[i]]; dup {
				fr.report(append(at, keyStep(parts[i])), "duplicateKey", "member name repeats an earlier one")
				continue
			}
			o[parts[i]] = fr.scalar(append(at, keyStep(parts[i])), shape.member(parts[i]), parts[i+1])
		}
		fr.root[name] = o
	default:
		fr.setTop(name, fr.scalar(at, shape, text))
	}
}

// delimiter is what joins the items of an array that is not exploded.
func delimiter(s Style) string {
	switch s {
	case StyleSpaceDelimited:
		return " "
	case StylePipeDelimited:
		return "|"
	}
	return ","
}

// array returns the array at a place that holds cur, making it when cur
// is nil; ok is false, with a duplicateKey violation, when the place
// holds something else. appendable says [] or a repeated key may add to
// it.
func (fr *formReader) array(at []step, cur any, appendable bool) (*formArray, bool) {
	switch x := cur.(type) {
	case nil:
		return &formArray{items: map[int]any{}}, true
	case *formArray:
		if appendable {
			return x, true
		}
	}
	fr.report(at, "duplicateKey", "field repeats an earlier one in another shape")
	return nil, false
}

// nested reads a value given by a bracketed key: segs below property
// name, of shape shape, are member names, indices and [] appends.
func (fr *formReader) nested(name string, shape *FormValue, segs []string, text string) {
	at := make([]step, 1, len(segs)+1)
	at[0] = keyStep(name)
	// parent holds the value being descended into, under key or index.
	var parent any = fr.root
	cur := step{key: name, index: -1}
	for _, seg := range segs {
		node, exists := get(parent, cur)
		index, isIndex := -1, false
		switch n := node.(type) {
		case *formArray:
			index, isIndex = arrayIndex(seg, n.next)
			if !isIndex {
				fr.report(at, "duplicateKey", "field repeats an earlier one in another shape")
				return
			}
		case map[string]any:
			if seg == "" {
				fr.report(at, "duplicateKey", "field repeats an earlier one in another shape")
				return
			}
		case nil:
			if exists {
				// null, from a JSON field.
				fr.report(at, "duplicateKey", "field repeats an earlier one in another shape")
				return
			}
			if seg == "" || shape.allows(validate.TypeArray) {
				index, isIndex = arrayIndex(seg, 0)
			}
			if isIndex {
				node = &formArray{items: map[int]any{}}
			} else {
				node = map[string]any{}
			}
			put(parent, cur, node)
		default:
			fr.report(at, "duplicateKey", "field repeats an earlier one in another shape")
			return
		}
		if isIndex {
			arr := node.(*formArray)
			if seg == "" {
				arr.next++
			} else if index >= arr.next {
				arr.next = index + 1
			}
			cur = step{index: index}
			shape = shape.item()
		} else {
			cur = keyStep(seg)
			shape = shape.member(seg)
		}
		parent = node
		at = append(at, cur)
	}
	if _, exists := get(parent, cur); exists {
		fr.report(at, "duplicateKey", "field repeats an earlier one")
		return
	}
	put(parent, cur, fr.scalar(at, shape, text))
}

// arrayIndex reads a segment as an index into an array whose next
// append is at next: [] is next, [n] is n for a decimal n without
// leading zeros below MaxFormFields (an array has no more items than the
// form has fields).
func arrayIndex(seg string, next int) (int, bool) {
	if seg == "" {
		return next, true
	}
	if len(seg) > 5 || (len(seg) > 1 && seg[0] == '0') {
		return -1, false
	}
	n := 0
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if c < '0' || c > '9' {
			return -1, false
		}
		n = n*10 + int(c-'0')
	}
	if n >= MaxFormFields {
		return -1, false
	}
	return n, true
}

// get returns the value under s in parent, an object or an array, and
// whether there is one.
func get(parent any, s step) (v any, ok bool) {
	switch p := parent.(type) {
	case map[string]any:
		v, ok = p[s.key]
	case *formArray:
		v, ok = p.items[s.index]
	}
	return v, ok
}

// put sets the value under s in parent, an object or an array.
func put(parent any, s step, v any) {
	switch p := parent.(type) {
	case map[string]any:
		p[s.key] = v
	case *formArray:
		p.items[s.index] = v
	}
}

// scalar reads text as a value of shape v: as it is when v admits
// strings (or any type); else as a json.Number when it is a JSON number
// and v admits numbers, as a bool when it is true or false and v admits
// booleans; else as it is, for the check to report.
func (fr *formReader) scalar(at []step, v *FormValue, text string) any {
	if v.text() {
		return text
	}
	if v.allows(validate.TypeNumber|validate.TypeInteger) && isJSONNumber(text) {
		if len(text) > fr.maxNumber {
			fr.report(at, "maxNumberLength", "number literal of %d bytes, longer than %d", len(text), fr.maxNumber)
			return text
		}
		return json.Number(text)
	}
	if v.allows(validate.TypeBoolean) && (text == "true" || text == "false") {
		return text == "true"
	}
	return text
}

// json reads the JSON text of a JSON field under vr's budgets.
func (fr *formReader) json(at []step, text string) (any, bool) {
	before := len(fr.vr.Violations()) + fr.vr.Dropped()
	d := validate.NewDecoder([]byte(text), fr.vr)
	p := validate.Root("/body/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(at[0].key))
	v := d.Value(&p)
	if err := d.End(); err != nil {
		fr.report(at, "type", "invalid JSON: %v", err)
		return nil, false
	}
	return v, len(fr.vr.Violations())+fr.vr.Dropped() == before
}

// addFile reads a value of the File field name: as name, or name[] for
// an array of files. The check sees an empty string in its place; the
// file goes to files.
func (fr *formReader) addFile(name string, f *FormField, segs []string, v formFile) {
	at := []step{keyStep(name)}
	array := f.Type&validate.TypeArray != 0
	switch {
	case len(segs) == 0:
	case array && len(segs) == 1 && segs[0] == "":
		// files[]=...: the name HTML gives a multiple file input.
	case array:
		fr.report(at, "type", "files are named %s or %s[], without indices or members", name, name)
		return
	default:
		fr.report(at, "type", "a file is named %s, without indices or members", name)
		return
	}
	if array {
		arr, ok := fr.array(at, fr.root[name], true)
		if !ok {
			return
		}
		fr.root[name] = arr
		at = append(at, step{index: arr.next})
		arr.items[arr.next] = ""
		arr.next++
	} else {
		if _, dup := fr.root[name]; dup {
			fr.report(at, "duplicateKey", "field repeats an earlier one")
			return
		}
		fr.root[name] = ""
	}
	size := v.size()
	switch {
	case f.MaxBytes > 0 && size > f.MaxBytes:
		fr.report(at, "maxLength", "file of %d bytes, longer than %d", size, f.MaxBytes)
	case size < f.MinBytes:
		fr.report(at, "minLength", "file of %d bytes, shorter than %d", size, f.MinBytes)
	}
	fr.files[name] = append(fr.files[name], v)
}

// deliver finishes the value, checks it, and decodes it into dst when
// nothing was reported since the form was first read; ok says it was.
func (fr *formReader) deliver(dst any) (ok bool, err error) {
	changed := func() bool { return len(fr.vr.Violations())+fr.vr.Dropped() > fr.before }
	if fr.stopped {
		return false, nil
	}
	fr.finish(make([]step, 0, 8), fr.root)
	if changed() {
		return false, nil
	}
	p := validate.Root("/body")
	if fr.form.Check != nil {
		fr.form.Check(fr.vr, &p, fr.root)
		if changed() {
			return false, nil
		}
	}
	for name := range fr.files {
		delete(fr.root, name)
	}
	if err := validate.Assign(fr.root, dst); err != nil {
		fr.vr.Add(&p, "type", "cannot be decoded: %v", err)
		return false, nil
	}
	if err := setFiles(dst, fr.files); err != nil {
		return false, err
	}
	return true, nil
}

// finish turns the arrays in v into []any, in member-name order so that
// what it reports does not depend on map order, recording a violation
// for an array whose indices leave gaps.
func (fr *formReader) finish(at []step, v any) any {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range sortedNames(x) {
			x[k] = fr.finish(append(at, keyStep(k)), x[k])
		}
		return x
	case *formArray:
		last := -1
		for i := range x.items {
			last = max(last, i)
		}
		if last >= len(x.items) {
			fr.report(at, "type", "array indices must run from 0 without gaps; got index %d for %d items", last, len(x.items))
			return nil
		}
		out := make([]any, len(x.items))
		for i := range out {
			out[i] = fr.finish(append(at, step{index: i}), x.items[i])
		}
		return out
	}
	return v
}

var fileType = reflect.TypeFor[types.File]()

// setFiles sets the File fields of the struct dst points to (through
// pointers, which it allocates) from files, by exact JSON name.
func setFiles(dst any, files map[string][]formFile) error {
	if len(files) == 0 {
		return nil
	}
	v := reflect.ValueOf(dst)
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			if !v.CanSet() {
				return fmt.Errorf("httpapi: form files: destination %T is a nil pointer", dst)
			}
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return fmt.Errorf("httpapi: form files: destination %T is not a struct", dst)
	}
	for _, name := range sortedNames(files) {
		fv, ok := jsonField(v, name)
		if !ok {
			return fmt.Errorf("httpapi: form files: %s has no field for %q", v.Type(), name)
		}
		list := files[name]
		switch t := fv.Type(); {
		case t == fileType:
			list[0].into(fv.Addr().Interface().(*types.File))
		case t == reflect.PointerTo(fileType):
			f := new(types.File)
			list[0].into(f)
			fv.Set(reflect.ValueOf(f))
		case t.Kind() == reflect.Slice && t.Elem() == fileType:
			out := make([]types.File, len(list))
			for i := range list {
				list[i].into(&out[i])
			}
			fv.Set(reflect.ValueOf(out))
		default:
			return fmt.Errorf("httpapi: form files: field for %q of %s is a %s, not an openapi_types.File", name, v.Type(), t)
		}
	}
	return nil
}

// into sets dst to the file.
func (f formFile) into(dst *types.File) {
	if f.header != nil {
		dst.InitFromMultipart(f.header)
		return
	}
	dst.InitFromBytes([]byte(f.data), "")
}

// jsonField returns the exported field of the struct v whose JSON name is
// exactly name.
func jsonField(v reflect.Value, name string) (reflect.Value, bool) {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		tag, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if tag == "" {
			tag = sf.Name
		}
		if tag == name && sf.Tag.Get("json") != "-" {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

// isJSONNumber reports whether s is a number in JSON's grammar.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// validUTF8 replaces the invalid bytes of s with U+FFFD, as the JSON
// decoder does, so that what is checked is what is delivered.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
