package validate

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzDecoder checks the one-pass decoder against encoding/json: it
// accepts exactly the valid JSON documents, and reads them to the same
// values.
func FuzzDecoder(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":[1,2.5e3,-0,"x\u00e9\ud83d\ude00"],"b":{"c":null,"d":true}}`, `"\/\b"`, `01`, `[1,]`, `{"a" 1}`, `"\ud800"`, "\"\xff\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Report
		d := NewDecoder(data, &r)
		root := Root("")
		got := d.Value(&root)
		err := d.End()
		valid := json.Valid(data)
		if !r.OK() {
			// Valid JSON past a budget, or with a repeated member name:
			// refused with a violation, never read.
			for _, v := range r.Violations() {
				switch v.Rule {
				case "duplicateKey", "maxDepth", "maxNumberLength":
				default:
					t.Fatalf("unexpected violation %+v for %q", v, data)
				}
			}
			if !valid && err == nil && d.Err() == nil {
				t.Fatalf("invalid JSON %q accepted", data)
			}
			return
		}
		if valid != (err == nil) {
			t.Fatalf("json.Valid = %v, decoder error = %v, for %q", valid, err, data)
		}
		if !valid {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decoder read %#v, encoding/json %#v, from %q", got, want, data)
		}
	})
}

func TestDecoderReportsTypeMismatchAndSkips(t *testing.T) {
	var r Report
	d := NewDecoder([]byte(`{"a": {"x": [1, 2]}, "b": "s"}`), &r)
	root := Root("/body")
	if !d.ObjectStart(&root) {
		t.Fatal("not an object")
	}
	var b string
	for d.More() {
		switch d.Key(&root) {
		case "a":
			q := root.Key("a")
			d.String(&q) // wrong type: reported, skipped
		case "b":
			q := root.Key("b")
			b, _ = d.String(&q)
		}
	}
	if err := d.End(); err != nil || b != "s" {
		t.Fatalf("err %v, b %q", err, b)
	}
	if v := r.Violations(); len(v) != 1 || v[0].Location != "/body/a" || v[0].Rule != "type" {
		t.Fatalf("violations %+v", v)
	}
}
