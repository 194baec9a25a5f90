package load

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v4"
)

// maxJSONDepth bounds the nesting of a JSON document, so that a hostile
// file cannot exhaust the stack.
const maxJSONDepth = 10000

// parseJSON reads a JSON document into the node tree that go-yaml would
// build for it, with the meaning encoding/json gives it: a repeated member
// name keeps its last value, and a string with invalid UTF-8 has it
// replaced. Lines and columns are kept for error messages.
//
// go-yaml reads JSON too, but its YAML parser is some ten times slower
// than this one on the large JSON specs of the corpus, and the loader
// needs the tree (not only kin-openapi's model) to check references and
// name their locations.
func parseJSON(data []byte) (*yaml.Node, error) {
	n, _, err := parseJSONSpans(data)
	return n, err
}

// span is where a value is in the JSON text: data[start:end].
type span struct{ start, end int }

// spanDepth is how deep parseJSONSpans records where values are: the
// top-level members and the entries of maps such as paths and
// definitions, which decodeV2 decodes each from its own text.
const spanDepth = 2

// parseJSONSpans is parseJSON that also returns where the values at most
// spanDepth deep are in data.
func parseJSONSpans(data []byte) (*yaml.Node, map[*yaml.Node]span, error) {
	p := &jsonParser{data: data, line: 1, spans: make(map[*yaml.Node]span)}
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		p.pos = 3
		p.lineStart = 3
	}
	p.space()
	n, err := p.value(0)
	if err != nil {
		return nil, nil, err
	}
	p.space()
	if p.pos < len(p.data) {
		return nil, nil, p.errorf("unexpected %q after the top-level value", p.data[p.pos])
	}
	return n, p.spans, nil
}

// jsonSyntaxError is a JSON syntax error at a line and column.
type jsonSyntaxError struct {
	Line, Column int
	Msg          string
}

func (e *jsonSyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: invalid JSON: %s", e.Line, e.Column, e.Msg)
}

type jsonParser struct {
	data      []byte
	pos       int
	line      int
	lineStart int
	// slab hands out nodes in blocks, which costs far fewer allocations
	// than one per node on a spec of a million values.
	slab []yaml.Node
	// stack holds the children of the containers being read, so that
	// each container's Content is allocated once, at its exact size.
	stack []*yaml.Node
	spans map[*yaml.Node]span
}

func (p *jsonParser) errorf(format string, args ...any) error {
	return &jsonSyntaxError{Line: p.line, Column: p.pos - p.lineStart + 1, Msg: fmt.Sprintf(format, args...)}
}

func (p *jsonParser) node() *yaml.Node {
	if len(p.slab) == 0 {
		p.slab = make([]yaml.Node, 1024)
	}
	n := &p.slab[0]
	p.slab = p.slab[1:]
	n.Line, n.Column = p.line, p.pos-p.lineStart+1
	return n
}

func (p *jsonParser) space() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\r':
		case '\n':
			p.line++
			p.lineStart = p.pos + 1
		default:
			return
		}
		p.pos++
	}
}

func (p *jsonParser) value(depth int) (*yaml.Node, error) {
	if depth > spanDepth {
		return p.value1(depth)
	}
	start := p.pos
	n, err := p.value1(depth)
	if err == nil {
		p.spans[n] = span{start, p.pos}
	}
	return n, err
}

func (p *jsonParser) value1(depth int) (*yaml.Node, error) {
	if depth > maxJSONDepth {
		return nil, p.errorf("nested deeper than %d levels", maxJSONDepth)
	}
	if p.pos >= len(p.data) {
		return nil, p.errorf("unexpected end of input")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		n := p.node()
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		n.Kind, n.Tag, n.Value, n.Style = yaml.ScalarNode, "!!str", s, yaml.DoubleQuotedStyle
		return n, nil
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	default:
		for _, lit := range [...]struct{ word, tag string }{{"true", "!!bool"}, {"false", "!!bool"}, {"null", "!!null"}} {
			if len(p.data)-p.pos >= len(lit.word) && string(p.data[p.pos:p.pos+len(lit.word)]) == lit.word {
				n := p.node()
				n.Kind, n.Tag, n.Value = yaml.ScalarNode, lit.tag, lit.word
				p.pos += len(lit.word)
				return n, nil
			}
		}
		return nil, p.errorf("unexpected %q", c)
	}
}

func (p *jsonParser) object(depth int) (*yaml.Node, error) {
	n := p.node()
	n.Kind, n.Tag, n.Style = yaml.MappingNode, "!!map", yaml.FlowStyle
	p.pos++ // {
	base := len(p.stack)
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return n, nil
	}
	var seen map[string]int // index into the stack of each key, for objects past a few members
	for {
		p.space()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.errorf("want a member name")
		}
		k := p.node()
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		k.Kind, k.Tag, k.Value, k.Style = yaml.ScalarNode, "!!str", s, yaml.DoubleQuotedStyle
		p.space()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.errorf("want ':' after member name")
		}
		p.pos++
		p.space()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		// A repeated name keeps its last value, as encoding/json does.
		dup := -1
		if members := (len(p.stack) - base) / 2; members < 8 {
			for i := base; i < len(p.stack); i += 2 {
				if p.stack[i].Value == s {
					dup = i
					break
				}
			}
		} else {
			if seen == nil {
				seen = make(map[string]int, 2*members)
				for i := base; i < len(p.stack); i += 2 {
					seen[p.stack[i].Value] = i
				}
			}
			if i, ok := seen[s]; ok {
				dup = i
			} else {
				seen[s] = len(p.stack)
			}
		}
		if dup >= 0 {
			p.stack[dup+1] = v
		} else {
			p.stack = append(p.stack, k, v)
		}
		p.space()
		if p.pos >= len(p.data) {
			return nil, p.errorf("unexpected end of input in an object")
		}
		if p.data[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.data[p.pos] != '}' {
			return nil, p.errorf("want ',' or '}' in an object, found %q", p.data[p.pos])
		}
		p.pos++
		break
	}
	n.Content = append([]*yaml.Node(nil), p.stack[base:]...)
	clear(p.stack[base:])
	p.stack = p.stack[:base]
	return n, nil
}

func (p *jsonParser) array(depth int) (*yaml.Node, error) {
	n := p.node()
	n.Kind, n.Tag, n.Style = yaml.SequenceNode, "!!seq", yaml.FlowStyle
	p.pos++ // [
	base := len(p.stack)
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return n, nil
	}
	for {
		p.space()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		p.stack = append(p.stack, v)
		p.space()
		if p.pos >= len(p.data) {
			return nil, p.errorf("unexpected end of input in an array")
		}
		if p.data[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.data[p.pos] != ']' {
			return nil, p.errorf("want ',' or ']' in an array, found %q", p.data[p.pos])
		}
		p.pos++
		break
	}
	n.Content = append([]*yaml.Node(nil), p.stack[base:]...)
	clear(p.stack[base:])
	p.stack = p.stack[:base]
	return n, nil
}

// str reads a string literal. Plain ASCII or valid UTF-8 without escapes,
// by far the common case, is sliced out as it is; anything else goes
// through encoding/json, so that escapes and invalid bytes mean exactly
// what they mean there.
func (p *jsonParser) str() (string, error) {
	start := p.pos
	p.pos++ // opening quote
	simple := true
	for {
		if p.pos >= len(p.data) {
			return "", p.errorf("unterminated string")
		}
		c := p.data[p.pos]
		if c == '"' {
			break
		}
		if c == '\\' {
			simple = false
			p.pos += 2
			continue
		}
		if c < 0x20 {
			return "", p.errorf("control character %q in a string", c)
		}
		if c >= utf8.RuneSelf {
			simple = false
		}
		p.pos++
	}
	p.pos++ // closing quote
	raw := p.data[start:p.pos]
	if simple {
		return string(raw[1 : len(raw)-1]), nil
	}
	if body := raw[1 : len(raw)-1]; !hasByte(body, '\\') && utf8.Valid(body) {
		return string(body), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return "", p.errorf("%v", se)
		}
		return "", p.errorf("%v", err)
	}
	return s, nil
}

func hasByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// number reads a number, tagged !!int when it has neither fraction nor
// exponent and !!float otherwise; its text is kept as written.
func (p *jsonParser) number() (*yaml.Node, error) {
	n := p.node()
	start := p.pos
	digits := func() int {
		s := p.pos
		for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
			p.pos++
		}
		return p.pos - s
	}
	if p.data[p.pos] == '-' {
		p.pos++
	}
	lead := p.pos
	switch d := digits(); {
	case d == 0:
		return nil, p.errorf("malformed number")
	case d > 1 && p.data[lead] == '0':
		return nil, p.errorf("number with a leading zero")
	}
	tag := "!!int"
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		p.pos++
		if digits() == 0 {
			return nil, p.errorf("malformed number")
		}
		tag = "!!float"
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return nil, p.errorf("malformed number")
		}
		tag = "!!float"
	}
	n.Kind, n.Tag, n.Value = yaml.ScalarNode, tag, string(p.data[start:p.pos])
	return n, nil
}
