package model

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/securegen/securegen/generator/diag"
)

// bodySpec is a spec whose one operation, POST /t, takes a JSON body of
// the component T, declared by schema (YAML, indented for components).
func bodySpec(version, schemas string) string {
	return `openapi: ` + version + `
info: {title: t, version: "1"}
paths:
  /t:
    post:
      operationId: postT
      requestBody:
        required: true
        content:
          application/json: {schema: {$ref: "#/components/schemas/T"}}
      responses: {"204": {description: ok}}
components:
  schemas:
` + schemas
}

func checkNamed(t *testing.T, api *API, name string) *Check {
	t.Helper()
	for _, c := range api.Checks {
		if c.Func == name {
			return c
		}
	}
	var names []string
	for _, c := range api.Checks {
		names = append(names, c.Func)
	}
	t.Fatalf("no check %s; checks: %v", name, names)
	return nil
}

// propCheck returns the check of property prop of the check ch.
func propCheck(t *testing.T, api *API, ch *Check, prop string) *Check {
	t.Helper()
	for _, p := range ch.Props {
		if p.Name == prop {
			if p.Func == "" {
				t.Fatalf("property %s has no check", prop)
			}
			return checkNamed(t, api, p.Func)
		}
	}
	t.Fatalf("check %s has no property %s", ch.Func, prop)
	return nil
}

func u64(v uint64) *uint64   { return &v }
func f64(v float64) *float64 { return &v }

func TestIdenticalConstraintsShareOneBounds(t *testing.T) {
	api, _ := mustBuild(t, bodySpec("3.0.3", `
    T:
      type: object
      properties:
        a: {type: string, minLength: 1, maxLength: 10}
        b: {type: string, minLength: 1, maxLength: 10, description: same bounds}
        c: {type: string, minLength: 1, maxLength: 11}
        n: {type: integer, minimum: 1, maximum: 10}
        m: {type: number, minimum: 1, maximum: 10}
`))
	ch := checkNamed(t, api, "validateT")
	a, b, c := propCheck(t, api, ch, "a"), propCheck(t, api, ch, "b"), propCheck(t, api, ch, "c")
	if a.StringBounds == nil || a.StringBounds != b.StringBounds {
		t.Errorf("equal string constraints have bounds %p and %p, want one", a.StringBounds, b.StringBounds)
	}
	if c.StringBounds == a.StringBounds || c.StringBounds.Name == a.StringBounds.Name {
		t.Errorf("different string constraints share bounds %s", c.StringBounds.Name)
	}
	// Identical inline checks share one function too.
	if a != b {
		t.Errorf("identical inline checks %s and %s not shared", a.Func, b.Func)
	}
	// integer and number with the same range: the same numeric bounds.
	n, m := propCheck(t, api, ch, "n"), propCheck(t, api, ch, "m")
	if n.NumberBounds != m.NumberBounds {
		t.Errorf("equal number constraints have bounds %s and %s", n.NumberBounds.Name, m.NumberBounds.Name)
	}
	names := map[string]bool{}
	for _, bd := range api.Bounds {
		if names[bd.Name] {
			t.Errorf("bounds name %s declared twice", bd.Name)
		}
		names[bd.Name] = true
		set := 0
		for _, x := range []bool{bd.String != nil, bd.Number != nil, bd.Array != nil, bd.Object != nil} {
			if x {
				set++
			}
		}
		if set != 1 {
			t.Errorf("bounds %s has %d kinds set, want exactly one", bd.Name, set)
		}
	}
	if len(api.Bounds) != 4 { // a/b, c, n/m, T's known properties
		t.Errorf("%d bounds, want 4", len(api.Bounds))
	}
}

func TestStringBounds(t *testing.T) {
	api, diags := mustBuild(t, bodySpec("3.0.3", `
    T:
      type: object
      properties:
        lens: {type: string, minLength: 2, maxLength: 5}
        pat: {type: string, pattern: "^[a-z]+$"}
        email: {type: string, format: email}
        ipv4: {type: string, format: ipv4}
        huge: {type: string, maxLength: 9999999999}
        lookahead: {type: string, pattern: "^(?!x)"}
        lookaheadLen: {type: string, minLength: 1, pattern: "(?<=a)b"}
        password: {type: string, format: password}
        binary: {type: string, format: binary, minLength: 1}
`))
	ch := checkNamed(t, api, "validateT")
	tests := []struct {
		prop string
		want *StringBounds // nil: no string bounds
	}{
		{"lens", &StringBounds{MinLength: 2, MaxLength: u64(5)}},
		{"pat", &StringBounds{Pattern: "^[a-z]+$"}},
		{"email", &StringBounds{Format: "email"}},
		{"ipv4", &StringBounds{Format: "ipv4"}},
		// A maximum beyond int32 means nothing: left out (the bounds then
		// constrain nothing, but are declared).
		{"huge", &StringBounds{}},
		{"lookahead", nil},
		{"lookaheadLen", &StringBounds{MinLength: 1}},
		{"password", nil},
		{"binary", &StringBounds{MinLength: 1}},
	}
	for _, tt := range tests {
		var got *StringBounds
		for _, p := range ch.Props {
			if p.Name == tt.prop && p.Func != "" {
				if sb := checkNamed(t, api, p.Func).StringBounds; sb != nil {
					got = sb.String
				}
			}
		}
		if fmt.Sprint(render(got)) != fmt.Sprint(render(tt.want)) {
			t.Errorf("%s: string bounds %s, want %s", tt.prop, render(got), render(tt.want))
		}
	}
	for _, prop := range []string{"lookahead", "lookaheadLen"} {
		found := 0
		for _, d := range diags {
			if d.Severity == diag.Warning && strings.HasSuffix(d.Location.Pointer, "/properties/"+prop+"/pattern") && strings.Contains(d.Message, "not an RE2 regular expression") {
				found++
			}
		}
		if found == 0 {
			t.Errorf("%s: no warning about the pattern:\n%s", prop, diagList(diags))
		}
	}
}

// render writes bounds of any kind for comparison, pointers followed.
func render(b any) string {
	switch x := b.(type) {
	case *StringBounds:
		if x == nil {
			return "none"
		}
		return fmt.Sprintf("min=%d max=%s pattern=%q format=%q", x.MinLength, ptrU(x.MaxLength), x.Pattern, x.Format)
	case *NumberBounds:
		if x == nil {
			return "none"
		}
		return fmt.Sprintf("min=%s max=%s exMin=%v exMax=%v multipleOf=%s bits=%d", ptrF(x.Min), ptrF(x.Max), x.ExclusiveMin, x.ExclusiveMax, ptrF(x.MultipleOf), x.Bits)
	case *ArrayBounds:
		if x == nil {
			return "none"
		}
		return fmt.Sprintf("min=%d max=%s unique=%v", x.MinItems, ptrU(x.MaxItems), x.Unique)
	case *ObjectBounds:
		if x == nil {
			return "none"
		}
		return fmt.Sprintf("min=%d max=%s known=%q closed=%v", x.MinProperties, ptrU(x.MaxProperties), x.Known, x.Closed)
	}
	return fmt.Sprintf("%T", b)
}

func ptrU(p *uint64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprint(*p)
}

func ptrF(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprint(*p)
}

func TestNumberBounds(t *testing.T) {
	const props30 = `
    T:
      type: object
      properties:
        range: {type: number, minimum: 0, maximum: 100}
        excl: {type: number, minimum: 0, exclusiveMinimum: true, maximum: 1, exclusiveMaximum: true}
        exclNoBound: {type: number, exclusiveMaximum: true}
        mult: {type: number, multipleOf: 0.5}
        i32: {type: integer, format: int32}
        i64: {type: integer, format: int64, minimum: -5}
        plainInt: {type: integer}
        f32: {type: number, format: float}
`
	const props31 = `
    T:
      type: object
      properties:
        excl: {type: number, exclusiveMinimum: 5, exclusiveMaximum: 10}
        both: {type: number, minimum: 1, exclusiveMinimum: 2}
        i32: {type: [integer, "null"], format: int32, maximum: 7}
`
	tests := []struct {
		version, props, prop string
		want                 *NumberBounds
	}{
		{"3.0.3", props30, "range", &NumberBounds{Min: f64(0), Max: f64(100)}},
		// 3.0: exclusiveMinimum is a boolean beside minimum.
		{"3.0.3", props30, "excl", &NumberBounds{Min: f64(0), Max: f64(1), ExclusiveMin: true, ExclusiveMax: true}},
		{"3.0.3", props30, "exclNoBound", nil},
		{"3.0.3", props30, "mult", &NumberBounds{MultipleOf: f64(0.5)}},
		{"3.0.3", props30, "i32", &NumberBounds{Bits: 32}},
		{"3.0.3", props30, "i64", &NumberBounds{Min: f64(-5), Bits: 64}},
		{"3.0.3", props30, "plainInt", nil},
		{"3.0.3", props30, "f32", nil},
		// 3.1: exclusiveMinimum is the bound itself, and wins over minimum.
		{"3.1.0", props31, "excl", &NumberBounds{Min: f64(5), Max: f64(10), ExclusiveMin: true, ExclusiveMax: true}},
		{"3.1.0", props31, "both", &NumberBounds{Min: f64(2), ExclusiveMin: true}},
		{"3.1.0", props31, "i32", &NumberBounds{Max: f64(7), Bits: 32}},
	}
	built := map[string]*API{}
	for _, tt := range tests {
		api := built[tt.version]
		if api == nil {
			api, _ = mustBuild(t, bodySpec(tt.version, tt.props))
			built[tt.version] = api
		}
		var got *NumberBounds
		for _, p := range checkNamed(t, api, "validateT").Props {
			if p.Name == tt.prop && p.Func != "" {
				if nb := checkNamed(t, api, p.Func).NumberBounds; nb != nil {
					got = nb.Number
				}
			}
		}
		if render(got) != render(tt.want) {
			t.Errorf("%s %s: number bounds %s, want %s", tt.version, tt.prop, render(got), render(tt.want))
		}
	}
}

func TestArrayAndObjectBounds(t *testing.T) {
	api, _ := mustBuild(t, bodySpec("3.0.3", `
    T:
      type: object
      required: [zeta, alpha]
      additionalProperties: false
      minProperties: 1
      maxProperties: 9
      properties:
        zeta: {type: string}
        alpha: {type: string}
        list: {type: array, items: {type: string}, minItems: 1, maxItems: 3, uniqueItems: true}
        plainList: {type: array, items: {type: string}}
        open: {type: object, properties: {b: {type: string}, a: {type: string}}, additionalProperties: {type: string}}
        dict: {type: object, additionalProperties: {type: integer}, maxProperties: 4}
        merged:
          allOf:
            - {type: object, properties: {y: {type: string}}}
            - {type: object, properties: {x: {type: string}}}
`))
	ch := checkNamed(t, api, "validateT")
	if got, want := render(ch.ObjectBounds.Object), render(&ObjectBounds{MinProperties: 1, MaxProperties: u64(9),
		Known: []string{"alpha", "dict", "list", "merged", "open", "plainList", "zeta"}, Closed: true}); got != want {
		t.Errorf("T object bounds %s, want %s", got, want)
	}
	var req []string
	for _, p := range ch.Props {
		if p.Required {
			req = append(req, p.Name)
		}
	}
	if !slices.Equal(req, []string{"alpha", "zeta"}) {
		t.Errorf("required props %v", req)
	}
	tests := []struct {
		prop string
		want any
	}{
		{"list", &ArrayBounds{MinItems: 1, MaxItems: u64(3), Unique: true}},
		{"plainList", (*ArrayBounds)(nil)},
		// Declared extras are never unknown: no Known list, no bounds.
		{"open", (*ObjectBounds)(nil)},
		{"dict", &ObjectBounds{MaxProperties: u64(4)}},
		// allOf parts' properties are all known, sorted.
		{"merged", &ObjectBounds{Known: []string{"x", "y"}}},
	}
	for _, tt := range tests {
		var pc *Check
		for _, p := range ch.Props {
			if p.Name == tt.prop && p.Func != "" {
				pc = checkNamed(t, api, p.Func)
			}
		}
		var got string
		switch tt.want.(type) {
		case *ArrayBounds:
			var ab *ArrayBounds
			if pc != nil && pc.ArrayBounds != nil {
				ab = pc.ArrayBounds.Array
			}
			got = render(ab)
		case *ObjectBounds:
			var ob *ObjectBounds
			if pc != nil && pc.ObjectBounds != nil {
				ob = pc.ObjectBounds.Object
			}
			got = render(ob)
		}
		if got != render(tt.want) {
			t.Errorf("%s: bounds %s, want %s", tt.prop, got, render(tt.want))
		}
	}
}

func TestCheckShapes(t *testing.T) {
	api, _ := mustBuild(t, bodySpec("3.1.0", `
    T:
      type: object
      properties:
        color: {type: string, enum: [red, green]}
        maybeColor: {type: [string, "null"], enum: [red, green]}
        fixed: {const: 3}
        list: {type: array, items: {type: integer, minimum: 1}}
        free: {}
        name: {type: string}
        pet: {$ref: "#/components/schemas/Pet"}
        anyPet:
          anyOf: [{$ref: "#/components/schemas/Cat"}, {}]
    Cat: {type: object, required: [kind], properties: {kind: {type: string}}}
    Dog: {type: object, required: [kind], properties: {kind: {type: string}}}
    Pet:
      oneOf: [{$ref: "#/components/schemas/Cat"}, {$ref: "#/components/schemas/Dog"}]
      discriminator:
        propertyName: kind
        mapping: {cat: "#/components/schemas/Cat", dog: "#/components/schemas/Dog"}
`))
	ch := checkNamed(t, api, "validateT")
	if !slices.Equal(ch.Types, []JSONType{JSONObject}) {
		t.Errorf("T types %v", ch.Types)
	}
	color := propCheck(t, api, ch, "color")
	if !slices.Equal(color.Enum, []any{"red", "green"}) || !slices.Equal(color.Types, []JSONType{JSONString}) || color.Nullable {
		t.Errorf("color: enum %v types %v nullable %v", color.Enum, color.Types, color.Nullable)
	}
	mc := propCheck(t, api, ch, "maybeColor")
	if !slices.Equal(mc.Enum, []any{"red", "green", nil}) || !mc.Nullable || !slices.Equal(mc.Types, []JSONType{JSONNull, JSONString}) {
		t.Errorf("maybeColor: enum %v nullable %v types %v", mc.Enum, mc.Nullable, mc.Types)
	}
	if fixed := propCheck(t, api, ch, "fixed"); !fixed.HasConst || fixed.Const != Number("3") {
		t.Errorf("fixed: const %v %#v", fixed.HasConst, fixed.Const)
	}
	list := propCheck(t, api, ch, "list")
	if item := checkNamed(t, api, list.Items); item.NumberBounds == nil || render(item.NumberBounds.Number) != render(&NumberBounds{Min: f64(1)}) {
		t.Errorf("list items check %+v", item)
	}
	for _, p := range ch.Props {
		if p.Name == "free" && p.Func != "" {
			t.Errorf("unconstrained property has check %s", p.Func)
		}
		if p.Name == "anyPet" && p.Func != "" {
			// An alternative that allows anything makes the union allow anything.
			if c := checkNamed(t, api, p.Func); len(c.AnyOf) != 0 {
				t.Errorf("anyOf with an empty alternative checks %v", c.AnyOf)
			}
		}
	}
	// A bare type check is named after its types and shared.
	if name := propCheck(t, api, ch, "name"); name.Func != "checkString" {
		t.Errorf("string-only check named %s, want checkString", name.Func)
	}
	pet := propCheck(t, api, ch, "pet")
	if pet.Func != "validatePet" || pet.Discriminator != "kind" || len(pet.OneOf) != 0 {
		t.Errorf("pet: %s discriminator %q oneOf %v", pet.Func, pet.Discriminator, pet.OneOf)
	}
	var tags []string
	for _, tg := range pet.Tags {
		tags = append(tags, tg.Tag+"="+tg.Func)
	}
	if want := []string{"cat=validateCat", "dog=validateDog"}; !slices.Equal(tags, want) {
		t.Errorf("pet tags %v, want %v", tags, want)
	}
}

func TestJSONValuesKeepNumbersAsText(t *testing.T) {
	for _, tt := range []struct {
		v    any
		want any
		ok   bool
	}{
		{nil, nil, true},
		{"s", "s", true},
		{true, true, true},
		{1.5, Number("1.5"), true},
		{float64(1e21), Number("1000000000000000000000"), true},
		{7, Number("7"), true},
		{int64(-7), Number("-7"), true},
		{[]any{1}, nil, false},
		{map[string]any{}, nil, false},
	} {
		got, ok := jsonValue(tt.v)
		if ok != tt.ok || got != tt.want {
			t.Errorf("jsonValue(%#v) = %#v, %v; want %#v, %v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
}
