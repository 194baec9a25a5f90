package model

import (
	"bytes"
	"encoding/json"
	"maps"
	"mime"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/securegen/securegen/generator/diag"
)

// The form media types, lower case, as the runtime compares them.
const (
	MediaURLEncoded = "application/x-www-form-urlencoded"
	MediaMultipart  = "multipart/form-data"
)

// formMediaType returns the form media type ct names, lower case and
// without parameters; "" when ct is not a form.
func formMediaType(ct string) string {
	mt := strings.ToLower(strings.TrimSpace(ct))
	if parsed, _, err := mime.ParseMediaType(mt); err == nil {
		mt = parsed
	}
	switch mt {
	case MediaURLEncoded, MediaMultipart:
		return mt
	}
	return ""
}

// Form is a request body of a form media type that is decoded into the
// operation's typed Body: the runtime turns the form into a JSON value,
// guided by Fields, checks it with Check, and decodes it as it would
// JSON.
type Form struct {
	// Var is the package-level variable that holds the runtime's
	// description of the form.
	Var string
	// MediaType is MediaURLEncoded or MediaMultipart.
	MediaType string
	// Fields are the properties of the body's schema, sorted by name.
	Fields []*FormField
	// Check validates the form's JSON value; "" when the schema
	// constrains nothing. It is the body's Check unless a file property
	// has length bounds, which count the file's bytes (MinBytes,
	// MaxBytes) rather than the characters of a string.
	Check    string
	Location diag.Location
}

// FormStyle is how a form property is serialized, as the spec's encoding
// object names it.
type FormStyle string

// The styles of form properties.
const (
	// StyleForm repeats the key per array item when exploded, and joins
	// items with commas when not.
	StyleForm FormStyle = "form"
	// StyleSpaceDelimited and StylePipeDelimited join array items with
	// a space or a pipe.
	StyleSpaceDelimited FormStyle = "spaceDelimited"
	StylePipeDelimited  FormStyle = "pipeDelimited"
	// StyleDeepObject nests members in bracketed keys: a[b][c]=v,
	// items[0][price]=p, tags[]=x.
	StyleDeepObject FormStyle = "deepObject"
)

// FormField is one property of a form body.
type FormField struct {
	Name string
	// Style and Explode say how an array or object is serialized; they
	// are empty for scalars and files, which are one value each.
	Style   FormStyle
	Explode bool
	// File is set for a binary string (Go type openapi_types.File) and an
	// array of them: each value is a file part, or a value taken as a
	// file's content.
	File bool
	// JSON is set when the value is JSON text: the encoding's contentType
	// says so, or the property is an object in a multipart body without a
	// style.
	JSON bool
	// MinBytes and MaxBytes bound the size of each file, from the
	// schema's minLength and maxLength; 0 means no bound (beyond the
	// body's size limit, for MaxBytes).
	MinBytes, MaxBytes uint64
	// Value is the shape of the property's value; nil when it is read as
	// text.
	Value *FormValue
}

// FormValue is the shape of a value in a form: the JSON types its text
// may be read as, and the shapes of the values it contains. Only what
// differs from text is described: a nil *FormValue stands for a value
// kept as a string, whose members, if keys give it some, are strings too.
type FormValue struct {
	// Types are the JSON types the schema allows; none when it allows
	// every type.
	Types []JSONType
	// Items is the shape of an array's items.
	Items *FormValue
	// Props are the shapes of an object's declared properties, sorted by
	// name; Additional that of its other members.
	Props      []*FormProp
	Additional *FormValue
}

// FormProp is the shape of a declared property of an object in a form.
type FormProp struct {
	Name  string
	Value *FormValue
}

// maxFormShapeDepth bounds how deeply a form's shapes describe nested
// values. A recursive schema stops there; deeper values keep their text,
// which a non-string schema then reports as a located type violation.
const maxFormShapeDepth = 8

// form models the form body of media type mt (MediaURLEncoded or
// MediaMultipart) with schema ref, an object (see isFormObject), and the
// encoding objects enc, in operation o, whose body has the Go type typ:
// the schema's own type, or that of another media type with the same
// schema.
func (b *builder) form(o *Operation, mt string, ref *openapi3.SchemaRef, enc openapi3.Encodings, typ *GoType, ptr string) *Form {
	s := ref.Value
	sptr := ptr + "/schema"
	f := &Form{Var: b.formVar(o, mt), MediaType: mt, Location: b.loc(ptr)}
	props := formProperties(s)
	var fields map[string]*Field
	if st := typ.Struct(); st != nil {
		fields = map[string]*Field{}
		for _, fd := range st.Fields {
			fields[fd.JSONName] = fd
		}
	}
	var bounded []string
	for _, name := range sortedKeys(props) {
		prop := props[name]
		fptr := sptr + "/properties/" + escapeToken(name)
		ff := &FormField{Name: name}
		ps := prop.Value
		if ps == nil {
			ps = &openapi3.Schema{}
		}
		if fd := fields[name]; fd != nil {
			ff.File = isFileType(fd.Type)
		} else if fields == nil && isBinary(ps) {
			b.warn(fptr, "a file in a body that is not a struct (here a union) is read as text, not as a file")
		}
		// A property's own types are always written down, for the reader
		// of the table and for the runtime, which tells arrays, objects
		// and scalars apart by them; what it contains is described only
		// where it is not all text.
		ff.Value = formShape(ps, 0, map[*openapi3.Schema]bool{}, b.formValue)
		if ff.File {
			ff.Value = formFileValue(ff.Value)
			fs := ps
			if fields[name].Type.Resolve().IsSlice() && ps.Items != nil && ps.Items.Value != nil {
				fs = ps.Items.Value
			}
			if fs.MinLength > 0 || fs.MaxLength != nil || fs.Pattern != "" {
				bounded = append(bounded, name)
			}
			ff.MinBytes = fs.MinLength
			if fs.MaxLength != nil {
				ff.MaxBytes = *fs.MaxLength
				if ff.MaxBytes == 0 {
					b.warn(fptr+"/maxLength", "maxLength 0 on a file admits only empty files; taken as no bound")
				}
			}
			if fs.Pattern != "" {
				b.warn(fptr+"/pattern", "pattern on a file property is not checked")
			}
		} else {
			b.formEncoding(ff, mt, enc[name], ptr+"/encoding/"+escapeToken(name))
		}
		f.Fields = append(f.Fields, ff)
	}
	for _, name := range sortedKeys(enc) {
		if _, ok := props[name]; !ok {
			b.warn(ptr+"/encoding/"+escapeToken(name), "encoding names %q, which is not a property of the schema; ignored", name)
		}
	}
	f.Check = b.formCheck(ref, bounded, o.Name+"RequestBody", sptr)
	return f
}

// isFormObject reports whether s describes an object, which a form can
// hold: its type is object; or it names no type and has properties,
// allOf parts or additionalProperties, or is a oneOf or anyOf of objects.
func isFormObject(s *openapi3.Schema) bool {
	return isFormObjectAt(s, 0)
}

func isFormObjectAt(s *openapi3.Schema, depth int) bool {
	switch {
	case s == nil || depth > 32:
		return false
	case s.Type != nil:
		return s.Type.Includes("object")
	case len(s.Properties) > 0 || len(s.AllOf) > 0 || s.AdditionalProperties.Schema != nil:
		return true
	}
	members := append(slices.Clone(s.OneOf), s.AnyOf...)
	for _, m := range members {
		if m == nil || !isFormObjectAt(m.Value, depth+1) {
			return false
		}
	}
	return len(members) > 0
}

// formProperties returns the properties of s and of its allOf parts, and
// those of its oneOf and anyOf alternatives, any of which a form may
// hold; the first definition of a name wins.
func formProperties(s *openapi3.Schema) map[string]*openapi3.SchemaRef {
	props := map[string]*openapi3.SchemaRef{}
	var collect func(s *openapi3.Schema, depth int)
	collect = func(s *openapi3.Schema, depth int) {
		if depth > 32 {
			return
		}
		for _, name := range sortedKeys(s.Properties) {
			if _, ok := props[name]; !ok {
				props[name] = s.Properties[name]
			}
		}
		for _, list := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
			for _, part := range list {
				if part != nil && part.Value != nil {
					collect(part.Value, depth+1)
				}
			}
		}
	}
	collect(s, 0)
	return props
}

// sameSchema reports whether a and b describe the same values: the same
// schema, or two that say the same, as when a spec repeats one inline
// schema under each media type.
func sameSchema(a, b *openapi3.SchemaRef) bool {
	if a.Value == b.Value {
		return true
	}
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

// isBinary reports whether s is a binary string or an array of them.
func isBinary(s *openapi3.Schema) bool {
	if s.Items != nil && s.Items.Value != nil {
		s = s.Items.Value
	}
	return s.Type != nil && s.Type.Is("string") && s.Format == "binary"
}

// isFileType reports whether t is a file or an array of files.
func isFileType(t *GoType) bool {
	r := t.Resolve()
	if r.IsSlice() {
		r = r.Elem.Resolve()
	}
	return r.Kind == KindFile
}

// formFileValue is the shape of a file property of shape v: an array
// when it holds several files, a string otherwise, as the Check sees each
// file.
func formFileValue(v *FormValue) *FormValue {
	if slices.Contains(v.Types, JSONArray) {
		return &FormValue{Types: []JSONType{JSONArray}}
	}
	return &FormValue{Types: []JSONType{JSONString}}
}

// formEncoding sets the style, explode and JSON of the property ff (whose
// Value is set) of a form of media type mt, from its encoding object enc,
// nil when the spec gives none.
func (b *builder) formEncoding(ff *FormField, mt string, enc *openapi3.Encoding, eptr string) {
	style, explode := "", (*bool)(nil)
	if enc != nil {
		style, explode = enc.Style, enc.Explode
		if ct := enc.ContentType; ct != "" && isJSONMediaType(ct) {
			ff.JSON = true
		}
	}
	array := slices.Contains(ff.Value.Types, JSONArray)
	object := slices.Contains(ff.Value.Types, JSONObject) && !array
	if !ff.JSON && mt == MediaMultipart && object && style == "" {
		// OpenAPI's default content type of an object part is
		// application/json.
		ff.JSON = true
	}
	if ff.JSON && (style != "" || explode != nil) {
		b.warn(eptr, "style and explode do not apply to a JSON part; ignored")
	}
	if ff.JSON || (!array && !object) {
		return
	}
	switch FormStyle(style) {
	case "":
		style = string(StyleForm)
	case StyleForm, StyleSpaceDelimited, StylePipeDelimited, StyleDeepObject:
	default:
		b.warn(eptr+"/style", "style %q does not apply to a form body; used %q", style, StyleForm)
		style = string(StyleForm)
	}
	ff.Style = FormStyle(style)
	ff.Explode = ff.Style == StyleForm
	if explode != nil {
		ff.Explode = *explode
	}
	if ff.Style == StyleDeepObject && !ff.Explode {
		// Bracketed keys are one key per member: deepObject is exploded
		// by nature, and OpenAPI defines it only so.
		if explode != nil {
			b.warn(eptr+"/explode", "deepObject is defined only with explode: true; read as exploded")
		}
		ff.Explode = true
	}
	if object {
		switch {
		case ff.Style == StyleForm && !ff.Explode:
			// color=R,100,G,200
		case ff.Style == StyleDeepObject:
		default:
			// An exploded form object would spread its members over the
			// body's own keys, where they cannot be told from the other
			// properties: it is read as bracketed keys, as clients send it.
			if enc != nil && enc.Style != "" {
				b.warn(eptr+"/style", "an object in style %q cannot be told from the other properties; read as deepObject (%s[key]=value)", ff.Style, ff.Name)
			}
			ff.Style, ff.Explode = StyleDeepObject, true
		}
	}
}

// formValue returns the shape of values of the schema ref, or nil when
// they are read as text.
func (b *builder) formValue(ref *openapi3.SchemaRef, depth int, seen map[*openapi3.Schema]bool) *FormValue {
	if ref == nil || ref.Value == nil || depth > maxFormShapeDepth || seen[ref.Value] {
		return nil
	}
	v := formShape(ref.Value, depth, seen, b.formValue)
	if isTextShape(v) {
		return nil
	}
	return v
}

// formShape builds the shape of s, merging those of its combinators:
// the JSON types s allows, inferred from properties or items where it
// names none; child builds the shapes of items and members.
func formShape(s *openapi3.Schema, depth int, seen map[*openapi3.Schema]bool, child func(*openapi3.SchemaRef, int, map[*openapi3.Schema]bool) *FormValue) *FormValue {
	v := &FormValue{}
	if depth > maxFormShapeDepth || seen[s] {
		return v
	}
	seen[s] = true
	defer delete(seen, s)
	v.Types = jsonTypes(s)
	if len(v.Types) == 0 {
		if s.Items != nil {
			v.Types = append(v.Types, JSONArray)
		}
		if len(s.Properties) > 0 || s.AdditionalProperties.Schema != nil {
			v.Types = append(v.Types, JSONObject)
		}
	}
	if s.Items != nil {
		v.Items = child(s.Items, depth+1, seen)
	}
	props := map[string]*FormValue{}
	for name, p := range s.Properties {
		props[name] = child(p, depth+1, seen)
	}
	if s.AdditionalProperties.Schema != nil {
		v.Additional = child(s.AdditionalProperties.Schema, depth+1, seen)
	}
	var parts []*openapi3.SchemaRef
	parts = append(parts, s.AllOf...)
	parts = append(parts, s.OneOf...)
	parts = append(parts, s.AnyOf...)
	for _, part := range parts {
		if part == nil || part.Value == nil {
			continue
		}
		pv := formShape(part.Value, depth+1, seen, child)
		for _, t := range pv.Types {
			if !slices.Contains(v.Types, t) {
				v.Types = append(v.Types, t)
			}
		}
		if v.Items == nil {
			v.Items = pv.Items
		}
		if v.Additional == nil {
			v.Additional = pv.Additional
		}
		for _, p := range pv.Props {
			if _, ok := props[p.Name]; !ok {
				props[p.Name] = p.Value
			}
		}
	}
	slices.Sort(v.Types)
	for _, name := range sortedKeys(props) {
		if props[name] != nil {
			v.Props = append(v.Props, &FormProp{Name: name, Value: props[name]})
		}
	}
	return v
}

// isTextShape reports whether v reads every value as text, as a nil
// shape does: it admits strings or names no type, is not an array (whose
// keys would be indices), and contains only text.
func isTextShape(v *FormValue) bool {
	if v.Items != nil || len(v.Props) > 0 || v.Additional != nil || slices.Contains(v.Types, JSONArray) {
		return false
	}
	if len(v.Types) == 0 || slices.Contains(v.Types, JSONString) {
		return true
	}
	for _, t := range v.Types {
		if t != JSONObject {
			return false
		}
	}
	return true
}

// formCheck returns the validator of a form body with schema ref. Files
// reach it as strings: when the file properties named in bounded have
// length bounds or a pattern, which the form reader applies to their
// bytes instead, it checks a copy of the schema without them.
func (b *builder) formCheck(ref *openapi3.SchemaRef, bounded []string, hint, ptr string) string {
	if len(bounded) == 0 {
		return b.chk.checkOf(ref, hint, ptr)
	}
	s := *ref.Value
	s.Properties = maps.Clone(s.Properties)
	for _, name := range bounded {
		prop, ok := s.Properties[name]
		if !ok || prop == nil || prop.Value == nil {
			b.warn(ptr, "the length bounds of file property %q, in an allOf part, are checked against an empty string", name)
			continue
		}
		ps := *prop.Value
		if ps.Items != nil && ps.Items.Value != nil {
			items := *ps.Items.Value
			items.MinLength, items.MaxLength, items.Pattern = 0, nil, ""
			ps.Items = &openapi3.SchemaRef{Value: &items}
		} else {
			ps.MinLength, ps.MaxLength, ps.Pattern = 0, nil, ""
		}
		s.Properties[name] = &openapi3.SchemaRef{Value: &ps}
	}
	return b.chk.checkOf(&openapi3.SchemaRef{Value: &s}, hint+"Form", ptr)
}

// formVar names the package-level variable of a form of media type mt.
func (b *builder) formVar(o *Operation, mt string) string {
	prefix := "form"
	if mt == MediaMultipart {
		prefix = "multipart"
	}
	return b.chk.names.Unique(prefix + o.Name)
}
