package hostile_test

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v4"

	"github.com/securegen/securegen/internal/e2e/hostile"
)

// specPath is the spec the hostile package was generated from.
const specPath = "../../../testdata/specs/hostile.v31.yaml"

// referenceSchemas compiles the spec's component schemas with an
// independent JSON Schema 2020-12 validator, and returns Document's and
// the raw schemas, for projecting inputs onto declared properties.
func referenceSchemas(t testing.TB) (*jsonschema.Schema, map[string]any) {
	t.Helper()
	data, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := yaml.Unmarshal(data, &spec); err != nil {
		t.Fatal(err)
	}
	defs := spec["components"].(map[string]any)["schemas"].(map[string]any)
	// OpenAPI 3.1 schemas are JSON Schema 2020-12; only the place of
	// components differs. JSON round trip turns YAML's values into JSON's.
	raw, _ := json.Marshal(map[string]any{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"$defs":   defs,
		"$ref":    "#/$defs/Document",
	})
	raw = bytes.ReplaceAll(raw, []byte(`#/components/schemas/`), []byte(`#/$defs/`))
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("mem://hostile.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("mem://hostile.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch, doc.(map[string]any)["$defs"].(map[string]any)
}

const validDocument = `{"title":"Quarterly report","tags":["a","b"],"scores":[1,2.5,-3e2],"amount":12.34,
"card":{"method":"card","last4":"4242"},"payment":{"method":"transfer","iban":"DE89370400440532013000"},
"attributes":{"x":[1,{"y":null}],"z":"w"},"tree":{"name":"root","children":[{"name":"leaf","children":[]}]},
"labels":{"k":"v"}}`

// FuzzDifferential sends JSON to a generated handler and to an
// independent JSON Schema validator over the same schemas. Both must
// accept or both refuse; and when both accept, the value the handler
// received must equal an exact-case decode of the input, projected on
// the declared properties. Inputs are the fuzzer's bytes as they are,
// and the valid document mutated by the fuzzer's ops: case variants,
// repeated members, deep nesting, huge numbers, long arrays.
func FuzzDifferential(f *testing.F) {
	for _, seed := range [][2]string{
		{validDocument, ""},
		{`{"title":"t","payment":5}`, ""},
		{`{"title":"t","card":{"method":"card","last4":"1234","LAST4":"evil"}}`, ""},
		{`{"title":"t","payment":{"method":"transfer","iban":"DE89370400440532013000","METHOD":"card","last4":"x"}}`, ""},
		{`{"title":"a","title":"b"}`, ""},
		{`{"title":"t","amount":1e-999999}`, ""},
		{`{"title":"t","amount":0.30000000000000004}`, ""},
		{`{"title":"t","scores":[1,1.0]}`, ""},
		{`{"title":"t","tree":` + strings.Repeat(`{"name":"n","children":[`, 70) + `{"name":"x"}` + strings.Repeat(`]}`, 70) + `}`, ""},
		{validDocument, "\x00\x01\x02"},
		{validDocument, "\x03\x04\x05\x06"},
		{validDocument, "\x07\x08\x09\x0a\x0b"},
	} {
		f.Add([]byte(seed[0]), []byte(seed[1]))
	}
	sch, defs := referenceSchemas(f)
	s := &docs{}
	h := newHandler(f, s)
	f.Fuzz(func(t *testing.T, data, ops []byte) {
		differential(t, h, s, sch, defs, data)
		if len(ops) > 0 {
			differential(t, h, s, sch, defs, mutate(validDocument, ops))
		}
	})
}

func differential(t *testing.T, h http.Handler, s *docs, sch *jsonschema.Schema, defs map[string]any, data []byte) {
	s.reached, s.document = 0, nil
	w := send(h, "POST", "/documents", "application/json", string(data))
	ours := w.Code == http.StatusNoContent
	if w.Code >= 500 {
		t.Fatalf("status %d for %q: %s", w.Code, data, w.Body)
	}
	if !json.Valid(data) {
		if ours {
			t.Fatalf("invalid JSON accepted: %q", data)
		}
		return
	}
	if dup := repeatedName(data); dup {
		if ours {
			t.Fatalf("repeated member names accepted: %q", data)
		}
		return
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	theirs, decided := reference(sch, inst)
	if !decided {
		// The reference cannot judge it (it panics on exponents beyond
		// big.Rat's reach); the handler answered, which is what counts.
		return
	}
	if !ours && onlyBudgets(w.Body.Bytes()) {
		// Refused on a budget the reference does not have: depth, number
		// length, or a number beyond float64.
		return
	}
	if ours != theirs {
		t.Fatalf("handler accepted=%v (%d %s), reference accepted=%v (%v), for %q", ours, w.Code, w.Body, theirs, sch.Validate(inst), data)
	}
	if !ours {
		return
	}
	got := delivered(t, s.document)
	want := normalize(project(inst, defs["Document"], defs))
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("the handler received\n%#v\nbut the input says\n%#v\nfor %q", got, want, data)
	}
}

// reference validates inst with the independent validator; decided is
// false when it failed to reach a verdict.
func reference(sch *jsonschema.Schema, inst any) (valid, decided bool) {
	defer func() {
		if recover() != nil {
			valid, decided = false, false
		}
	}()
	return sch.Validate(inst) == nil, true
}

// onlyBudgets reports whether a problem lists budget violations only.
func onlyBudgets(body []byte) bool {
	var p problem
	if json.Unmarshal(body, &p) != nil || len(p.Errors) == 0 {
		return false
	}
	for _, v := range p.Errors {
		switch {
		case v.Rule == "maxDepth", v.Rule == "maxNumberLength":
		case v.Rule == "format" && strings.Contains(v.Detail, "out of range"):
		default:
			return false
		}
	}
	return true
}

// repeatedName finds a member name repeated in one object, with
// encoding/json's tokenizer: independent of the decoder under test.
func repeatedName(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		object   bool
		names    map[string]bool
		wantName bool
	}
	var stack []*frame
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantName = true
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantName {
			if tok == json.Delim('}') {
				stack = stack[:n-1]
				valueDone()
				continue
			}
			name := tok.(string)
			if stack[n-1].names[name] {
				return true
			}
			stack[n-1].names[name] = true
			stack[n-1].wantName = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, names: map[string]bool{}, wantName: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
	}
}

// delivered renders what the handler received as generic JSON, with a
// union replaced by the variant its methods decode.
func delivered(t *testing.T, d *hostile.Document) any {
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if d.Payment != nil {
		variant, err := d.Payment.Value()
		if err != nil {
			t.Fatalf("Payment.Value: %v", err)
		}
		b, _ := json.Marshal(variant)
		var pv any
		json.Unmarshal(b, &pv)
		v["payment"] = pv
	}
	return normalize(v)
}

// project keeps, of v, what schema declares: the members of properties,
// following $ref, items, additionalProperties and the discriminator.
func project(v any, schema any, defs map[string]any) any {
	sc, _ := schema.(map[string]any)
	if ref, ok := sc["$ref"].(string); ok {
		return project(v, defs[strings.TrimPrefix(ref, "#/$defs/")], defs)
	}
	if _, ok := sc["oneOf"]; ok {
		o, _ := v.(map[string]any)
		disc := sc["discriminator"].(map[string]any)
		tag, _ := o[disc["propertyName"].(string)].(string)
		target := disc["mapping"].(map[string]any)[tag].(string)
		return project(v, map[string]any{"$ref": target}, defs)
	}
	switch x := v.(type) {
	case map[string]any:
		props, hasProps := sc["properties"].(map[string]any)
		out := map[string]any{}
		for k, y := range x {
			if ps, ok := props[k]; ok {
				out[k] = project(y, ps, defs)
			} else if !hasProps {
				out[k] = project(y, sc["additionalProperties"], defs)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, y := range x {
			out[i] = project(y, sc["items"], defs)
		}
		return out
	}
	return v
}

// normalize makes two renderings of one value comparable: numbers as
// float64, and empty arrays and objects, which omitempty drops, left out.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, y := range x {
			n := normalize(y)
			if isEmpty(n) {
				continue
			}
			out[k] = n
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, y := range x {
			out[i] = normalize(y)
		}
		return out
	case json.Number:
		f, err := x.Float64()
		if err != nil && !math.IsInf(f, 0) {
			return string(x)
		}
		return f
	}
	return v
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

// mutate edits the JSON text of doc with ops, one operation per byte
// pair: the kinds of change hostile requests make.
func mutate(doc string, ops []byte) []byte {
	var v map[string]any
	json.Unmarshal([]byte(doc), &v)
	keys := []string{"title", "tags", "scores", "amount", "card", "payment", "attributes", "tree", "labels"}
	text, _ := json.Marshal(v)
	out := string(text)
	for i := 0; i+1 < len(ops) && i < 16; i += 2 {
		k := keys[int(ops[i+1])%len(keys)]
		switch ops[i] % 12 {
		case 0: // a case variant of a member beside it
			out = strings.Replace(out, `"`+k+`":`, `"`+strings.ToUpper(k)+`":"x","`+k+`":`, 1)
		case 1: // a repeated member
			out = strings.Replace(out, `"`+k+`":`, `"`+k+`":null,"`+k+`":`, 1)
		case 2: // deep nesting in a free-form member
			n := 1 + int(ops[i+1])
			out = strings.Replace(out, `"attributes":{`, `"attributes":{"deep":`+strings.Repeat("[", n)+strings.Repeat("]", n)+`,`, 1)
		case 3: // a huge exponent
			out = strings.Replace(out, `"amount":12.34`, `"amount":1e-`+strings.Repeat("9", 1+int(ops[i+1])%40), 1)
		case 4: // a repeated score
			out = strings.Replace(out, `"scores":[`, `"scores":[1,`, 1)
		case 5: // too many tags
			out = strings.Replace(out, `"tags":[`, `"tags":["c","d","e","f",`, 1)
		case 6: // the discriminator's case variant
			out = strings.Replace(out, `"payment":{`, `"payment":{"METHOD":"card",`, 1)
		case 7: // the wrong type for a member
			out = strings.Replace(out, `"`+k+`":`, `"`+k+`":true,"x`+k+`":`, 1)
		case 8: // a member removed
			delete(v, k)
			b, _ := json.Marshal(v)
			out = string(b)
		case 9: // deeper recursion
			out = strings.Replace(out, `"children":[`, `"children":[{"name":"deeper","children":[{"name":"n"}]},`, 1)
		case 10: // a number that is not a multiple of 0.01
			out = strings.Replace(out, `"amount":12.34`, `"amount":12.345`, 1)
		case 11: // an escaped member name
			out = strings.Replace(out, `"last4":`, `"\u006cast4":`, 1)
		}
	}
	return []byte(out)
}
