package render

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/securegen/securegen/generator/model"
)

// goType writes the Go type expression of t.
func goType(t *model.GoType) string {
	switch t.Kind {
	case model.KindBasic:
		return string(t.Basic)
	case model.KindNamed:
		return t.Named.Name
	case model.KindTime:
		return "time.Time"
	case model.KindDate:
		return "openapi_types.Date"
	case model.KindUUID:
		return "openapi_types.UUID"
	case model.KindFile:
		return "openapi_types.File"
	case model.KindBytes:
		return "[]byte"
	case model.KindRawJSON:
		return "json.RawMessage"
	case model.KindReader:
		return "io.Reader"
	case model.KindSlice:
		return "[]" + goType(t.Elem)
	case model.KindMap:
		return "map[string]" + goType(t.Elem)
	case model.KindExternal:
		return t.External
	}
	return "any"
}

// fieldType writes the type of a field that holds t, or a pointer to it.
func fieldType(t *model.GoType, pointer bool) string {
	if pointer {
		return "*" + goType(t)
	}
	return goType(t)
}

// jsonTag writes the struct tag of a JSON property.
func jsonTag(name string, omitEmpty bool) string {
	if omitEmpty {
		name += ",omitempty"
	}
	return "`json:" + strconv.Quote(name) + "`"
}

// literal writes an enum constant's value: a string or an int64.
func literal(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	panic(fmt.Sprintf("render: enum value of type %T", v))
}

// jsonValue writes a value as a generic JSON decode gives it: nil, a
// string, a bool or a json.Number.
func jsonValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case string:
		return strconv.Quote(x)
	case bool:
		return strconv.FormatBool(x)
	case model.Number:
		return "json.Number(" + strconv.Quote(string(x)) + ")"
	}
	panic(fmt.Sprintf("render: JSON value of type %T", v))
}

// typeSet writes a set of JSON types as validate.Type bits.
func typeSet(types []model.JSONType) string {
	parts := make([]string, len(types))
	for i, t := range types {
		parts[i] = "validate.Type" + strings.ToUpper(string(t[:1])) + string(t[1:])
	}
	return strings.Join(parts, "|")
}

// boundsLiteral writes the composite literal of b, leaving zero fields out.
func boundsLiteral(b *model.Bounds) string {
	var typ string
	var fields []string
	add := func(name, value string) { fields = append(fields, name+": "+value) }
	maxField := func(name string, p *uint64) {
		if p != nil {
			add(name, "validate.Int("+strconv.FormatUint(*p, 10)+")")
		}
	}
	float := func(name string, p *float64) {
		if p != nil {
			add(name, "validate.Float("+strconv.FormatFloat(*p, 'g', -1, 64)+")")
		}
	}
	switch {
	case b.String != nil:
		typ = "validate.StringBounds"
		x := b.String
		if x.MinLength > 0 {
			add("MinLength", strconv.FormatUint(x.MinLength, 10))
		}
		maxField("MaxLength", x.MaxLength)
		if x.Pattern != "" {
			add("Pattern", "validate.MustPattern("+strconv.Quote(x.Pattern)+")")
		}
		if x.Format != "" {
			add("Format", strconv.Quote(x.Format))
		}
	case b.Number != nil:
		typ = "validate.NumberBounds"
		x := b.Number
		float("Min", x.Min)
		float("Max", x.Max)
		if x.ExclusiveMin {
			add("ExclusiveMin", "true")
		}
		if x.ExclusiveMax {
			add("ExclusiveMax", "true")
		}
		float("MultipleOf", x.MultipleOf)
		if x.Bits != 0 {
			add("Bits", strconv.Itoa(x.Bits))
		}
	case b.Array != nil:
		typ = "validate.ArrayBounds"
		x := b.Array
		if x.MinItems > 0 {
			add("MinItems", strconv.FormatUint(x.MinItems, 10))
		}
		maxField("MaxItems", x.MaxItems)
		if x.Unique {
			add("UniqueItems", "true")
		}
	case b.Object != nil:
		typ = "validate.ObjectBounds"
		x := b.Object
		if x.MinProperties > 0 {
			add("MinProperties", strconv.FormatUint(x.MinProperties, 10))
		}
		maxField("MaxProperties", x.MaxProperties)
		if len(x.Known) > 0 {
			known := make([]string, len(x.Known))
			for i, k := range x.Known {
				known[i] = strconv.Quote(k) + ": true"
			}
			sort.Strings(known)
			add("Known", "map[string]bool{"+strings.Join(known, ", ")+"}")
		}
		if x.Closed {
			add("Closed", "true")
		}
	default:
		panic("render: bounds of no kind")
	}
	return typ + "{" + strings.Join(fields, ", ") + "}"
}

// place writes the Go place a decoded value goes to: the field of the
// struct being decoded (v), or the item variable of the enclosing slice or
// map, which the template declares as x<depth>.
func place(v *model.DecodeValue) string {
	if v.Field != "" {
		return "v." + v.Field
	}
	return local("x", v.Depth-1)
}

// pathOf writes the *validate.Path of a decoded value: &q for a field,
// &q<depth> for an item.
func pathOf(v *model.DecodeValue) string {
	if v.Field != "" || v.Depth == 0 {
		return "&q"
	}
	return "&" + local("q", v.Depth-1)
}

// local names a template's local variable of a nesting depth.
func local(prefix string, depth int) string { return prefix + strconv.Itoa(depth) }

// ptrFunc names the Decoder method that makes a pointer to a copy of a
// basic value, or "" when the value's type is not basic.
func ptrFunc(v *model.DecodeValue) string {
	if !v.Pointer || !v.Type.IsBasic() {
		return ""
	}
	b := string(v.Type.Basic)
	return "Ptr" + strings.ToUpper(b[:1]) + b[1:]
}

// authIn writes the runtime/auth constant of an apiKey location.
func authIn(in string) string {
	switch in {
	case "header":
		return "auth.InHeader"
	case "query":
		return "auth.InQuery"
	case "cookie":
		return "auth.InCookie"
	}
	return ""
}

// requires says in words what an operation's security requires, for the
// doc comments users read: "Requires userToken with scopes items:read,
// items:write; or partnerKey.", "Public.", "Anonymous callers allowed; or
// userToken with scope items:read."
func requires(s model.Security) string {
	if s.Public {
		return "Public: no credentials are checked."
	}
	anonymous := false
	var alts []string
	for _, alt := range s.Alternatives {
		if len(alt) == 0 {
			anonymous = true
			continue
		}
		parts := make([]string, len(alt))
		for i, n := range alt {
			parts[i] = n.Scheme.Key
			if len(n.Scopes) > 0 {
				word := "scope"
				if n.Scheme.Type != model.OAuth2 && n.Scheme.Type != model.OpenIDConnect {
					word = "role"
				}
				if len(n.Scopes) > 1 {
					word += "s"
				}
				parts[i] += " with " + word + " " + strings.Join(n.Scopes, ", ")
			}
		}
		alts = append(alts, strings.Join(parts, " and "))
	}
	switch {
	case len(alts) == 0 && anonymous:
		return "Anonymous callers allowed."
	case len(alts) == 0:
		return "Nobody: no alternative can be satisfied."
	case anonymous:
		return "Anonymous callers allowed; or " + strings.Join(alts, "; or ") + "."
	}
	return "Requires " + strings.Join(alts, "; or ") + "."
}

// defaultStyle is the style a location takes when the spec names none,
// as the runtime assumes it too.
var defaultStyle = map[model.ParamIn]string{model.InPath: "simple", model.InQuery: "form", model.InHeader: "simple", model.InCookie: "form"}

// param writes the httpapi.Param literal that describes p to the binder,
// leaving out what the runtime assumes.
func param(p *model.Param) string {
	fields := []string{"In: httpapi.In" + upperFirst(string(p.In)), "Name: " + strconv.Quote(p.Name)}
	add := func(f string) { fields = append(fields, f) }
	if p.Wildcard != "" && p.Wildcard != p.Name {
		add("Wildcard: " + strconv.Quote(p.Wildcard))
	}
	if p.Prefix != "" {
		add("Prefix: " + strconv.Quote(p.Prefix))
	}
	if p.Suffix != "" {
		add("Suffix: " + strconv.Quote(p.Suffix))
	}
	if p.Style != "" && p.Style != defaultStyle[p.In] {
		add("Style: httpapi.Style" + upperFirst(p.Style))
	}
	if p.Explode {
		add("Explode: true")
	}
	if p.Required && p.In != model.InPath {
		add("Required: true")
	}
	if p.JSON {
		add("JSON: true")
	}
	if p.Check != "" {
		add("Check: " + p.Check)
	}
	return "httpapi.Param{" + strings.Join(fields, ", ") + "}"
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// duration writes d with the time package's units: time.Minute,
// 10 * time.Second, 1500 * time.Millisecond.
func duration(d time.Duration) string {
	units := []struct {
		unit time.Duration
		name string
	}{{time.Hour, "time.Hour"}, {time.Minute, "time.Minute"}, {time.Second, "time.Second"},
		{time.Millisecond, "time.Millisecond"}, {time.Microsecond, "time.Microsecond"}}
	for _, u := range units {
		if d%u.unit == 0 {
			if d == u.unit {
				return u.name
			}
			return strconv.FormatInt(int64(d/u.unit), 10) + " * " + u.name
		}
	}
	return "time.Duration(" + strconv.FormatInt(int64(d), 10) + ")"
}

// rateLimit writes the httpapi.RateLimit literal of rl.
func rateLimit(rl *model.RateLimit) string {
	by := "httpapi.LimitByPrincipal"
	if rl.By == model.LimitByAddress {
		by = "httpapi.LimitByAddress"
	}
	return fmt.Sprintf("&httpapi.RateLimit{Requests: %d, Period: %s, Burst: %d, By: %s}", rl.Requests, duration(rl.Period), rl.Burst, by)
}

// limited says an operation's rate limit in words, for its doc comment;
// "" when it has none.
func limited(rl *model.RateLimit) string {
	if rl == nil {
		return ""
	}
	return " Limited to " + rl.String() + "."
}

// importSpec writes one import of a type the spec names with x-go-type.
func importSpec(imp model.GoImport) string {
	if imp.Name != "" {
		return imp.Name + " " + strconv.Quote(imp.Path)
	}
	return strconv.Quote(imp.Path)
}

// formField writes the httpapi.FormField literal of f, leaving out what is
// zero.
func formField(f *model.FormField) string {
	var fields []string
	if f.Style != "" && f.Style != model.StyleForm {
		fields = append(fields, "Style: httpapi.Style"+upperFirst(string(f.Style)))
	}
	if f.Explode {
		fields = append(fields, "Explode: true")
	}
	if f.File {
		fields = append(fields, "File: true")
	}
	if f.JSON {
		fields = append(fields, "JSON: true")
	}
	if f.MinBytes > 0 {
		fields = append(fields, "MinBytes: "+strconv.FormatUint(f.MinBytes, 10))
	}
	if f.MaxBytes > 0 {
		fields = append(fields, "MaxBytes: "+strconv.FormatUint(f.MaxBytes, 10))
	}
	if f.Value != nil {
		fields = append(fields, formShape(f.Value)...)
	}
	return "{" + strings.Join(fields, ", ") + "}"
}

// formValue writes the *httpapi.FormValue literal of v.
func formValue(v *model.FormValue) string {
	return "&httpapi.FormValue{" + strings.Join(formShape(v), ", ") + "}"
}

// formShape writes the fields a FormValue and a FormField share: Type,
// Items, Props and Additional.
func formShape(v *model.FormValue) []string {
	var fields []string
	if len(v.Types) > 0 {
		fields = append(fields, "Type: "+typeSet(v.Types))
	}
	if v.Items != nil {
		fields = append(fields, "Items: "+formValue(v.Items))
	}
	if len(v.Props) > 0 {
		props := make([]string, len(v.Props))
		for i, p := range v.Props {
			// A map's elements elide their type: {...} for &httpapi.FormValue{...}.
			props[i] = strconv.Quote(p.Name) + ": {" + strings.Join(formShape(p.Value), ", ") + "}"
		}
		fields = append(fields, "Props: map[string]*httpapi.FormValue{"+strings.Join(props, ", ")+"}")
	}
	if v.Additional != nil {
		fields = append(fields, "Additional: "+formValue(v.Additional))
	}
	return fields
}
