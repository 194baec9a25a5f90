package load

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"testing"

	yaml "go.yaml.in/yaml/v4"
)

// fromNode turns a tree from parseJSON into the values encoding/json
// decodes the same text to.
func fromNode(t testing.TB, n *yaml.Node) any {
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			if _, dup := m[n.Content[i].Value]; dup {
				t.Fatalf("member %q twice in the tree", n.Content[i].Value)
			}
			m[n.Content[i].Value] = fromNode(t, n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			s[i] = fromNode(t, c)
		}
		return s
	}
	switch n.Tag {
	case "!!str":
		return n.Value
	case "!!bool":
		return n.Value == "true"
	case "!!null":
		return nil
	case "!!int", "!!float":
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			// encoding/json refuses what ParseFloat does (1e999).
			return json.Number(n.Value)
		}
		return f
	}
	t.Fatalf("unexpected tag %q", n.Tag)
	return nil
}

func checkJSON(t testing.TB, data []byte) {
	n, err := parseJSON(data)
	// The loader reads a byte order mark as YAML does; encoding/json
	// refuses one.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !json.Valid(data) {
		if err == nil {
			t.Fatalf("parseJSON(%q) accepted what encoding/json refuses", data)
		}
		return
	}
	var want any
	if json.Unmarshal(data, &want) != nil {
		// Valid, but not a value Go holds (1e999): the decode judges it.
		return
	}
	if err != nil {
		t.Fatalf("parseJSON(%q): %v; encoding/json accepts it", data, err)
	}
	if got := fromNode(t, n); !reflect.DeepEqual(got, want) {
		t.Fatalf("parseJSON(%q) = %#v, encoding/json says %#v", data, got, want)
	}
}

func TestParseJSON(t *testing.T) {
	for _, src := range []string{
		`{}`, `[]`, `{"a":1,"b":[true,false,null],"c":{"d":"e"}}`,
		` {"a" : -0.5e+3 , "b":0, "c":-0, "d":1E2}`,
		`{"esc":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}`,
		`{"raw":"é😀"}`, "{\"bad\":\"\xff\xfe\"}",
		`{"a":1,"a":2}`, `{"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k1":10,"k10":0}`,
		"\xef\xbb\xbf{\"bom\":true}",
		`{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":-}`, `{"a":1e}`, `{"a":"x`, `{"a" 1}`, `{"a":1,}`, `[1,]`,
		"{\"ctl\":\"\x01\"}", `{"a":tru}`, `{"a":1} x`, `{"a":"\x"}`,
	} {
		checkJSON(t, []byte(src))
	}
}

func TestParseJSONLines(t *testing.T) {
	n, err := parseJSON([]byte("{\n  \"a\": {\n    \"$ref\": \"#/b\"\n  }\n}"))
	if err != nil {
		t.Fatal(err)
	}
	ref := n.Content[1].Content[0]
	if ref.Value != "$ref" || ref.Line != 3 || ref.Column != 5 {
		t.Errorf("got %q at %d:%d, want $ref at 3:5", ref.Value, ref.Line, ref.Column)
	}
	if _, err := parseJSON([]byte("{\n  \"a\": [1,\n  2,]\n}")); err == nil || err.Error() != "line 3, column 5: invalid JSON: unexpected ']'" {
		t.Errorf("error %v", err)
	}
}

// FuzzParseJSON checks that the loader's JSON parser reads what
// encoding/json reads, as encoding/json reads it, and refuses the rest.
func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,"x",true,null,{"b":{}}]}`, `{"a":1,"a":2}`, `"\u00e9"`, `[-0.0e-1]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkJSON(t, data)
	})
}
