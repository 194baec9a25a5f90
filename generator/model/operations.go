package model

import (
	"fmt"
	"go/ast"
	"go/token"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/securegen/securegen/generator/diag"
)

var methodOrder = []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}

// requestReserved are the request struct's own fields.
var requestReserved = []string{"Principal", "Principals", "Body", "RawBody", "ContentType"}

func (b *builder) buildOperations() error {
	if b.doc.Paths == nil {
		return nil
	}
	var methodNames Namespace
	var handlers Namespace
	// A scratch ServeMux finds the patterns net/http would refuse, so that
	// the generated handler can never fail to start on a conflict.
	var mux http.ServeMux
	var routes []*Operation
	for _, path := range sortedKeys(b.doc.Paths.Map()) {
		item := b.doc.Paths.Value(path)
		pathPtr := "/paths/" + escapeToken(path)
		if item == nil {
			continue
		}
		ops := item.Operations()
		for _, method := range methodOrder {
			op := ops[method]
			if op == nil {
				continue
			}
			ptr := pathPtr + "/" + strings.ToLower(method)
			o, err := b.operation(path, method, item, op, ptr, &methodNames, &handlers)
			if err != nil {
				return err
			}
			if o == nil {
				continue
			}
			if other, err := register(&mux, o.Pattern, routes); err != nil {
				b.warn(ptr, "route %q conflicts with the route %q of operation %s, and net/http's ServeMux cannot serve both; operation %s left out", o.Pattern, other.Pattern, other.ID, o.ID)
				continue
			}
			routes = append(routes, o)
			b.api.Operations = append(b.api.Operations, o)
		}
	}
	b.nameOperationTypes()
	return nil
}

// register adds pattern to mux. When ServeMux refuses it, it finds the
// earlier route it conflicts with, by trying each alone.
func register(mux *http.ServeMux, pattern string, earlier []*Operation) (conflict *Operation, err error) {
	err = tryHandle(mux, pattern)
	if err == nil {
		return nil, nil
	}
	for _, o := range earlier {
		var probe http.ServeMux
		probe.Handle(o.Pattern, http.NotFoundHandler())
		if tryHandle(&probe, pattern) != nil {
			return o, err
		}
	}
	return &Operation{Pattern: "?", ID: "?"}, err
}

func tryHandle(mux *http.ServeMux, pattern string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	mux.Handle(pattern, http.NotFoundHandler())
	return nil
}

func (b *builder) operation(path, method string, item *openapi3.PathItem, op *openapi3.Operation, ptr string, methodNames, handlers *Namespace) (*Operation, error) {
	o := &Operation{Method: method, Path: path, Location: b.loc(ptr)}
	o.ID = op.OperationID
	if o.ID == "" {
		o.ID = lowerName(strings.ToLower(method) + " " + derivedPathWords(path))
	}
	name := GoName(o.ID)
	if v, ok := op.Extensions[ExtGoName]; ok {
		n, _ := v.(string)
		if !token.IsIdentifier(n) || token.IsKeyword(n) || !ast.IsExported(n) {
			return nil, diag.Errorf(b.loc(ptr+"/"+ExtGoName), "%s must be an exported Go identifier, not %v", ExtGoName, v)
		}
		name = n
	}
	o.Name = methodNames.Unique(name)
	o.HandlerName = handlers.Unique("serve" + o.Name)
	o.Doc = opDoc(op)

	sec, err := b.security(op, ptr)
	if err != nil {
		return nil, err
	}
	o.Security = sec

	segments, ok := b.route(path, ptr)
	if !ok {
		return nil, nil
	}
	if !b.params(o, item, op, ptr, segments) {
		return nil, nil
	}
	o.Pattern = method + " " + joinSegments(path, segments)
	if o.ObjectCheck, err = b.objectCheck(o, item, op, ptr, strings.TrimSuffix(ptr, "/"+strings.ToLower(method))); err != nil {
		return nil, err
	}
	if o.ObjectCheck {
		o.AuthorizeName = methodNames.Unique("Authorize" + o.Name)
	}
	if o.RateLimit, err = b.rateLimit(item, op, ptr, strings.TrimSuffix(ptr, "/"+strings.ToLower(method))); err != nil {
		return nil, err
	}
	b.body(o, op, ptr)
	b.responses(o, op, ptr)
	// A form is read under budgets whose violations the report carries,
	// whether or not its schema has a Check.
	o.Validates = o.Body != nil && (o.Body.Check != "" || len(o.Body.Forms) > 0)
	for _, p := range o.Params {
		if p.Check != "" {
			o.Validates = true
		}
	}
	return o, nil
}

// segment is one piece of a route: literal text, or a parameter with the
// literal text around it in the same segment.
type segment struct {
	literal        string
	param          string
	prefix, suffix string
	wildcard       string
}

// route splits path into segments, dropping the fragment or query that
// some specs append to path keys to tell operations apart.
func (b *builder) route(path, ptr string) ([]segment, bool) {
	clean := path
	if i := strings.IndexAny(clean, "#?"); i >= 0 {
		b.warn(ptr, "path %q contains %q; routed as %q", path, clean[i:i+1], clean[:i])
		clean = clean[:i]
	}
	if !strings.HasPrefix(clean, "/") {
		clean = "/" + clean
	}
	var out []segment
	for _, raw := range strings.Split(clean[1:], "/") {
		open := strings.Count(raw, "{")
		switch {
		case open == 0 && !strings.Contains(raw, "}"):
			out = append(out, segment{literal: raw})
		case open == 1 && strings.Count(raw, "}") == 1 && strings.Index(raw, "{") < strings.Index(raw, "}"):
			i, j := strings.Index(raw, "{"), strings.Index(raw, "}")
			out = append(out, segment{param: raw[i+1 : j], prefix: raw[:i], suffix: raw[j+1:]})
		default:
			b.warn(ptr, "path segment %q holds several parameters, which net/http cannot route; operation left out", raw)
			return nil, false
		}
	}
	return out, true
}

func joinSegments(path string, segs []segment) string {
	var sb strings.Builder
	for _, s := range segs {
		sb.WriteByte('/')
		if s.param != "" {
			sb.WriteString("{" + s.wildcard + "}")
		} else {
			sb.WriteString(s.literal)
		}
	}
	p := sb.String()
	if strings.HasSuffix(p, "/") {
		// "/" and "/items/" match only themselves, as in the spec.
		p += "{$}"
	}
	return p
}

func derivedPathWords(path string) string {
	var words []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			words = append(words, "by", seg[1:len(seg)-1])
		} else if seg != "" {
			words = append(words, seg)
		}
	}
	return strings.Join(words, " ")
}

func opDoc(op *openapi3.Operation) string {
	doc := strings.TrimSpace(op.Summary)
	if d := strings.TrimSpace(op.Description); d != "" {
		if doc != "" {
			doc += "\n\n"
		}
		doc += d
	}
	return doc
}

var defaultStyle = map[string]string{"path": "simple", "query": "form", "header": "simple", "cookie": "form"}

var allowedStyles = map[string][]string{
	"path":   {"simple", "label", "matrix"},
	"query":  {"form", "spaceDelimited", "pipeDelimited", "deepObject"},
	"header": {"simple"},
	"cookie": {"form"},
}

func (b *builder) params(o *Operation, item *openapi3.PathItem, op *openapi3.Operation, ptr string, segs []segment) bool {
	type key struct{ in, name string }
	merged := map[key]*openapi3.Parameter{}
	ptrs := map[key]string{}
	var order []key
	add := func(list openapi3.Parameters, base string) {
		for i, ref := range list {
			if ref == nil || ref.Value == nil {
				b.warn(fmt.Sprintf("%s/%d", base, i), "parameter has no value; left out")
				continue
			}
			k := key{strings.ToLower(ref.Value.In), ref.Value.Name}
			if _, seen := merged[k]; !seen {
				order = append(order, k)
			}
			merged[k] = ref.Value
			ptrs[k] = fmt.Sprintf("%s/%d", base, i)
		}
	}
	add(item.Parameters, strings.TrimSuffix(ptr, "/"+strings.ToLower(o.Method))+"/parameters")
	add(op.Parameters, ptr+"/parameters")

	// Every path template parameter needs a definition; one the spec
	// forgot is taken as a required string.
	for _, s := range segs {
		if s.param == "" {
			continue
		}
		k := key{"path", s.param}
		if merged[k] == nil {
			b.warn(ptr, "path parameter %q has no definition; bound as a string", s.param)
			merged[k] = &openapi3.Parameter{Name: s.param, In: "path", Required: true,
				Schema: &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{"string"}}}}
			ptrs[k] = ptr
			order = append(order, k)
		}
	}
	rank := map[string]int{"path": 0, "query": 1, "header": 2, "cookie": 3}
	sort.SliceStable(order, func(i, j int) bool { return rank[order[i].in] < rank[order[j].in] })

	var fields, wildcards Namespace
	fields.Reserve(requestReserved...)
	for _, k := range order {
		p := merged[k]
		pptr := ptrs[k]
		if _, ok := rank[k.in]; !ok {
			b.warn(pptr, "parameter location %q is not path, query, header or cookie; left out", p.In)
			continue
		}
		if k.in == "header" && isReservedHeader(p.Name) {
			// OpenAPI says these are described elsewhere and ignored here.
			continue
		}
		param := &Param{Name: p.Name, In: ParamIn(k.in), Required: p.Required || k.in == "path", Doc: strings.TrimSpace(p.Description)}
		if k.in == "path" {
			idx := -1
			for i := range segs {
				if segs[i].param == p.Name {
					idx = i
				}
			}
			if idx < 0 {
				b.warn(pptr, "path parameter %q is not in the path template; left out", p.Name)
				continue
			}
			segs[idx].wildcard = wildcards.Unique(wildcardName(p.Name))
			param.Wildcard, param.Prefix, param.Suffix = segs[idx].wildcard, segs[idx].prefix, segs[idx].suffix
		}
		param.Style = p.Style
		if param.Style == "" {
			param.Style = defaultStyle[k.in]
		}
		if !contains(allowedStyles[k.in], param.Style) {
			b.warn(pptr+"/style", "style %q is not allowed in %s; used %q", param.Style, k.in, defaultStyle[k.in])
			param.Style = defaultStyle[k.in]
		}
		param.Explode = param.Style == "form"
		if p.Explode != nil {
			param.Explode = *p.Explode
		}
		hint := o.Name + GoName(p.Name)
		switch {
		case p.Schema != nil:
			param.Type = b.typeOf(p.Schema, hint, pptr+"/schema")
			param.Check = b.chk.checkOf(p.Schema, hint, pptr+"/schema")
		case p.Content != nil && p.Content.Get("application/json") != nil:
			param.JSON = true
			param.Type = b.typeOf(p.Content.Get("application/json").Schema, hint, pptr+"/content/application~1json/schema")
			param.Check = b.chk.checkOf(p.Content.Get("application/json").Schema, hint, pptr+"/content/application~1json/schema")
		default:
			b.warn(pptr, "parameter has neither schema nor JSON content; bound as a string")
			param.Type = basicType(String)
		}
		param.Pointer = !param.Required && !param.Type.Nilable()
		name := GoName(p.Name)
		if fields.Taken(name) {
			// The same name in another location: say which.
			name += GoName(k.in)
		}
		param.GoName = fields.Unique(name)
		o.Params = append(o.Params, param)
	}
	for _, s := range segs {
		if s.param != "" && s.wildcard == "" {
			return false
		}
	}
	return true
}

func isReservedHeader(name string) bool {
	switch strings.ToLower(name) {
	case "accept", "content-type", "authorization":
		return true
	}
	return false
}

func wildcardName(s string) string {
	if token.IsIdentifier(s) && !token.IsKeyword(s) {
		return s
	}
	n := lowerName(s)
	return strings.TrimSuffix(n, "_")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// isJSONMediaType reports whether mt is application/json or uses the +json
// suffix.
func isJSONMediaType(mt string) bool {
	mt = strings.ToLower(mt)
	if parsed, _, err := mime.ParseMediaType(mt); err == nil {
		mt = parsed
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

func (b *builder) body(o *Operation, op *openapi3.Operation, ptr string) {
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return
	}
	rb := op.RequestBody.Value
	body := &Body{Required: rb.Required}
	var jsonSchema *openapi3.SchemaRef
	jsonPtr := ""
	var forms []string
	for _, ct := range sortedKeys(rb.Content) {
		body.ContentTypes = append(body.ContentTypes, ct)
		switch {
		case isJSONMediaType(ct):
			if !body.AnyJSON || strings.EqualFold(ct, "application/json") {
				jsonSchema = rb.Content[ct].Schema
				jsonPtr = ptr + "/requestBody/content/" + escapeToken(ct) + "/schema"
			}
			body.AnyJSON = true
		case formMediaType(ct) != "" && rb.Content[ct] != nil && rb.Content[ct].Schema != nil && rb.Content[ct].Schema.Value != nil:
			forms = append(forms, ct)
		default:
			body.Raw = true
		}
	}
	if len(body.ContentTypes) == 0 {
		return
	}
	if body.AnyJSON {
		if jsonSchema == nil {
			body.Type = rawJSONType
		} else {
			body.Type = b.typeOf(jsonSchema, o.Name+"RequestBody", jsonPtr)
			body.Check = b.chk.checkOf(jsonSchema, o.Name+"RequestBody", jsonPtr)
		}
	}
	b.bodyForms(o, body, rb, forms, jsonSchema, ptr)
	if body.Type != nil {
		body.Pointer = !body.Required && !body.Type.Nilable()
	}
	body.Accept = strings.Join(body.ContentTypes, " ")
	if body.Type != nil && body.Type.IsNamed() && body.Type.Named.IsStruct() && !body.Raw && len(body.Forms) == 0 && jsonSchema != nil && jsonSchema.Value != nil {
		body.Decoder = b.dec.structDecoder(body.Type.Named, jsonSchema.Value, jsonPtr).Func
	}
	o.Body = body
}

// bodyForms types the form media types cts of the request body rb: each
// whose schema is an object, and the same schema as the other typed media
// types', is decoded into body's Type; any other is handed over raw, as
// bodies of media types other than JSON are.
func (b *builder) bodyForms(o *Operation, body *Body, rb *openapi3.RequestBody, cts []string, jsonSchema *openapi3.SchemaRef, ptr string) {
	typed := jsonSchema
	for _, ct := range cts {
		media := rb.Content[ct]
		mt := formMediaType(ct)
		mptr := ptr + "/requestBody/content/" + escapeToken(ct)
		raw := func(format string, args ...any) {
			if format != "" {
				b.warn(mptr, format, args...)
			}
			body.Raw = true
		}
		switch {
		case !isFormObject(media.Schema.Value) && isEmptySchema(media.Schema.Value):
			// No schema says what the form holds: the body is the
			// handler's to read.
			raw("")
			continue
		case !isFormObject(media.Schema.Value):
			raw("%s body schema is not an object; the body is handed over unread as RawBody", ct)
			continue
		case body.AnyJSON && typed == nil:
			raw("the JSON body has no schema, so %s cannot share its type; the body is handed over unread as RawBody", ct)
			continue
		case typed != nil && !sameSchema(typed, media.Schema):
			raw("%s has a schema other than the body's other media types, and one operation has one Body type; the body is handed over unread as RawBody", ct)
			continue
		case slices.ContainsFunc(body.Forms, func(f *Form) bool { return f.MediaType == mt }):
			raw("%s repeats the media type %s; the body is handed over unread as RawBody", ct, mt)
			continue
		}
		if body.Type == nil {
			typed = media.Schema
			body.Type = b.typeOf(typed, o.Name+"RequestBody", mptr+"/schema")
		}
		// The schema that gave Body its type gives the form its table
		// and Check too: a copy of it would only declare another check.
		body.Forms = append(body.Forms, b.form(o, mt, typed, media.Encoding, body.Type, mptr))
	}
}

// statusRank orders response keys: codes, then ranges, then default.
func statusRank(key string) (int, int) {
	if n, err := strconv.Atoi(key); err == nil {
		return 0, n
	}
	if len(key) == 3 && strings.EqualFold(key[1:], "XX") && key[0] >= '1' && key[0] <= '5' {
		return 1, int(key[0] - '0')
	}
	return 2, 0
}

func (b *builder) responses(o *Operation, op *openapi3.Operation, ptr string) {
	var keys []string
	if op.Responses != nil {
		keys = op.Responses.Keys()
	}
	sort.Slice(keys, func(i, j int) bool {
		ci, ni := statusRank(keys[i])
		cj, nj := statusRank(keys[j])
		if ci != cj {
			return ci < cj
		}
		if ni != nj {
			return ni < nj
		}
		return keys[i] < keys[j]
	})
	for _, key := range keys {
		rptr := ptr + "/responses/" + escapeToken(key)
		ref := op.Responses.Value(key)
		class, code := statusRank(key)
		if class == 0 && (code < 100 || code > 599) {
			b.warn(rptr, "status %q is not an HTTP status code; left out", key)
			continue
		}
		if class == 2 && key != "default" {
			b.warn(rptr, "response key %q is not a status, a range or default; left out", key)
			continue
		}
		if ref == nil || ref.Value == nil {
			continue
		}
		statusWord := strings.ToUpper(key)
		if key == "default" {
			statusWord = "Default"
		}
		doc := ""
		if ref.Value.Description != nil {
			doc = strings.TrimSpace(*ref.Value.Description)
		}
		base := &Response{StatusKey: key, Doc: doc}
		switch class {
		case 0:
			base.Status = code
		case 1:
			base.Range = &StatusRange{Lo: code * 100, Hi: code*100 + 99}
		default:
			base.Range = &StatusRange{Lo: 100, Hi: 599}
		}
		if len(ref.Value.Content) == 0 {
			r := *base
			r.TypeName = o.Name + statusWord
			o.Responses = append(o.Responses, &r)
			continue
		}
		for _, ct := range sortedKeys(ref.Value.Content) {
			r := *base
			r.ContentType = ct
			if isJSONMediaType(ct) {
				r.JSON = true
				r.TypeName = o.Name + statusWord + mediaWord(ct)
				mt := ref.Value.Content[ct]
				if mt == nil || mt.Schema == nil {
					r.Body = rawJSONType
				} else {
					r.Body = b.typeOf(mt.Schema, o.Name+statusWord+"ResponseBody", rptr+"/content/"+escapeToken(ct)+"/schema")
					r.Check = b.chk.checkOf(mt.Schema, o.Name+statusWord+"ResponseBody", rptr+"/content/"+escapeToken(ct)+"/schema")
					r.Strip = b.strip.of(mt.Schema, o.Name+statusWord+"ResponseBody")
				}
			} else {
				r.TypeName = o.Name + statusWord + mediaWord(ct)
				r.Body = readerType
			}
			o.Responses = append(o.Responses, &r)
		}
	}
	if len(o.Responses) == 0 {
		// OpenAPI 3.1 allows an operation without responses; the handler
		// still needs a way to answer.
		o.Responses = append(o.Responses, &Response{StatusKey: "default", TypeName: o.Name + "Default", Body: readerType,
			Range: &StatusRange{Lo: 100, Hi: 599}})
	}
	for _, r := range o.Responses {
		r.Summary = fmt.Sprintf("is the %s answer of %s", r.StatusKey, o.Name)
		if r.ContentType != "" {
			r.Summary += ", as " + r.ContentType
		}
		r.Summary += "."
	}
}

func mediaWord(ct string) string {
	switch strings.ToLower(ct) {
	case "application/json":
		return "JSON"
	case "*/*":
		return "Any"
	}
	mt := strings.ToLower(ct)
	if parsed, _, err := mime.ParseMediaType(mt); err == nil {
		mt = parsed
	}
	return GoName(strings.NewReplacer("application/", "", "+", " ", "*", "any").Replace(mt))
}

// nameOperationTypes names the request, response and answer types after
// all method names are known, in operation order.
func (b *builder) nameOperationTypes() {
	for _, o := range b.api.Operations {
		o.Var = b.names.Unique(lowerName("op " + o.Name))
		o.RequestType = b.names.Unique(o.Name + "Request")
		o.ResponseType = b.names.Unique(o.Name + "Response")
		var local Namespace
		for _, r := range o.Responses {
			r.TypeName = b.names.Unique(local.Unique(r.TypeName) + "Response")
			r.Constructor = b.names.Unique("New" + r.TypeName)
		}
	}
}
