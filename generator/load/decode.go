package load

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/getkin/kin-openapi/openapi3"
	yaml "go.yaml.in/yaml/v4"

	"github.com/securegen/securegen/generator/diag"
)

// decodeV3 decodes the root file's tree into kin-openapi's model.
//
// kin-openapi v0.153 decodes YAML natively: it parses the text into a node
// tree and decodes the tree through UnmarshalYAML methods. Its JSON decode
// (encoding/json through UnmarshalJSON methods that decode each object
// twice, once for the fields and once for the extensions) is the slow one:
// on okta-management.yaml, 325 ms against 85 ms for the node decode.
// So the loader does not convert YAML to JSON for kin-openapi; it hands
// over the tree it has already parsed and checked, prepared exactly as
// kin-openapi prepares its own (prepareScalars), and each file is parsed
// once.
func decodeV3(f *file) (*openapi3.T, error) {
	if err := prepare(f.root); err != nil {
		if ne, ok := err.(*nodeError); ok {
			ptr, _ := nodeAt(f.root, ne.n.Line, ne.n.Column, nil)
			return nil, diag.Errorf(diag.Location{File: f.path, Pointer: ptr, Line: ne.n.Line}, "%s", ne.msg)
		}
		return nil, err
	}
	if len(f.data) >= minSplitBytes && runtime.GOMAXPROCS(0) > 1 {
		if doc, ok := decodeParallel(f.root); ok {
			return doc, nil
		}
	}
	doc := &openapi3.T{}
	if err := f.root.Decode(doc); err != nil {
		return nil, decodeError(f, err)
	}
	return doc, nil
}

// decodeParallel decodes a document's large parts on all cores: the paths,
// each map of the components, and the rest. Each part is decoded by the
// same UnmarshalYAML that decoding the whole document reaches it through,
// so the result is the same; the parts share nothing but kin-openapi's
// read-only caches. It returns false when any part fails, for the caller
// to decode the whole document and report the error as that does.
func decodeParallel(root *yaml.Node) (*openapi3.T, bool) {
	if root.Kind != yaml.MappingNode {
		return nil, false
	}
	doc := &openapi3.T{}
	var parts []func() error
	rest := &yaml.Node{Kind: yaml.MappingNode, Tag: root.Tag, Line: root.Line, Column: root.Column, Style: root.Style}
	var comps *openapi3.Components
	finish := func() {}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch {
		case k.Value == "paths" && v.Kind == yaml.MappingNode:
			paths := &openapi3.Paths{}
			doc.Paths = paths
			parts = append(parts, func() error { return v.Decode(paths) })
			continue
		case k.Value == "components" && v.Kind == yaml.MappingNode:
			comps = &openapi3.Components{}
			var cp []func() error
			cp, finish = componentParts(v, comps)
			parts = append(parts, cp...)
			continue
		}
		rest.Content = append(rest.Content, k, v)
	}
	parts = append(parts, func() error { return rest.Decode(doc) })
	errs := make([]error, len(parts))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(parts)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(parts) {
					return
				}
				errs[i] = parts[i]()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, false
		}
	}
	if comps != nil {
		finish()
		doc.Components = comps
	}
	return doc, true
}

// componentParts returns the decodes of a components object into c: one
// per map of components, and one for the rest; finish, called once all
// have run, puts the maps in place.
func componentParts(n *yaml.Node, c *openapi3.Components) (parts []func() error, finish func()) {
	var split openapi3.Components
	var set []func()
	rest := &yaml.Node{Kind: yaml.MappingNode, Tag: n.Tag, Line: n.Line, Column: n.Column, Style: n.Style}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var dst any
		var put func()
		if v.Kind == yaml.MappingNode {
			switch k.Value {
			case "schemas":
				dst, put = &split.Schemas, func() { c.Schemas = split.Schemas }
			case "parameters":
				dst, put = &split.Parameters, func() { c.Parameters = split.Parameters }
			case "headers":
				dst, put = &split.Headers, func() { c.Headers = split.Headers }
			case "requestBodies":
				dst, put = &split.RequestBodies, func() { c.RequestBodies = split.RequestBodies }
			case "responses":
				dst, put = &split.Responses, func() { c.Responses = split.Responses }
			case "securitySchemes":
				dst, put = &split.SecuritySchemes, func() { c.SecuritySchemes = split.SecuritySchemes }
			case "examples":
				dst, put = &split.Examples, func() { c.Examples = split.Examples }
			case "links":
				dst, put = &split.Links, func() { c.Links = split.Links }
			case "callbacks":
				dst, put = &split.Callbacks, func() { c.Callbacks = split.Callbacks }
			}
		}
		if dst == nil {
			rest.Content = append(rest.Content, k, v)
			continue
		}
		parts = append(parts, func() error { return v.Decode(dst) })
		set = append(set, put)
	}
	parts = append(parts, func() error { return rest.Decode(c) })
	return parts, func() {
		for _, put := range set {
			put()
		}
	}
}

// nodeError is an error about a node, located by decodeV3.
type nodeError struct {
	n   *yaml.Node
	msg string
}

func (e *nodeError) Error() string { return fmt.Sprintf("line %d: %s", e.n.Line, e.msg) }

// prepare gives a tree the form kin-openapi gives the trees it parses
// before decoding them (openapi3.prepareScalars in v0.153): a scalar with
// an application's own tag, or a date-shaped one, is read as a string; a
// scalar key is read as its text; a null key, an infinite or NaN number
// and an alias whose value contains itself are refused.
func prepare(n *yaml.Node) error {
	hasAlias := false
	var walk func(n *yaml.Node) error
	walk = func(n *yaml.Node) error {
		switch n.Kind {
		case yaml.AliasNode:
			hasAlias = true
		case yaml.ScalarNode:
			if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") || n.Tag == "!!timestamp" {
				n.Tag = "!!str"
			}
			if n.Tag == "!!float" {
				switch strings.ToLower(strings.TrimLeft(n.Value, "+-")) {
				case ".inf", ".nan":
					return &nodeError{n, n.Value + " has no JSON representation"}
				}
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if k.Tag == "!!merge" || k.Value == "<<" && k.Style == 0 && (k.Tag == "" || k.Tag == "!!str") {
					continue
				}
				if k.Kind == yaml.AliasNode && k.Alias != nil && k.Alias.Kind == yaml.ScalarNode {
					named := *k.Alias
					named.Anchor = ""
					named.Line, named.Column = k.Line, k.Column
					n.Content[i], k = &named, &named
				}
				if k.Kind != yaml.ScalarNode || k.Tag == "!!str" {
					continue
				}
				if k.Tag == "!!null" {
					return &nodeError{k, "mapping key is null, so it names nothing"}
				}
				k.Tag = "!!str"
			}
		}
		for _, c := range n.Content {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(n); err != nil {
		return err
	}
	if hasAlias {
		return aliasCycles(n)
	}
	return nil
}

// aliasCycles refuses a tree in which an alias leads back into the node
// that holds it, which decoding would expand without end.
func aliasCycles(root *yaml.Node) error {
	const (
		onPath = iota + 1
		done
	)
	state := make(map[*yaml.Node]uint8)
	var walk func(n *yaml.Node) error
	walk = func(n *yaml.Node) error {
		switch state[n] {
		case onPath:
			return &nodeError{n, fmt.Sprintf("anchor %q value contains itself", n.Anchor)}
		case done:
			return nil
		}
		state[n] = onPath
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			if err := walk(n.Alias); err != nil {
				return err
			}
		}
		for _, c := range n.Content {
			if err := walk(c); err != nil {
				return err
			}
		}
		state[n] = done
		return nil
	}
	return walk(root)
}

// decodeError locates an error of the typed decode: go-yaml names a line
// and column, and the tree gives the JSON pointer of the node there.
func decodeError(f *file, err error) error {
	var le *yaml.LoadErrors
	if !errors.As(err, &le) || len(le.Errors) == 0 {
		return fmt.Errorf("%s: %w", f.path, err)
	}
	e := le.Errors[0]
	ptr, _ := nodeAt(f.root, e.Mark.Line, e.Mark.Column, nil)
	return diag.Errorf(diag.Location{File: f.path, Pointer: ptr, Line: e.Mark.Line}, "%s", e.Message)
}

// nodeAt returns the pointer of the shallowest node under n that starts at
// line and column.
func nodeAt(n *yaml.Node, line, col int, ptr []string) (string, bool) {
	if n.Line == line && n.Column == col {
		return pointer(ptr...), true
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if p, ok := nodeAt(n.Content[i+1], line, col, append(ptr, n.Content[i].Value)); ok {
				return p, true
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if p, ok := nodeAt(c, line, col, append(ptr, strconv.Itoa(i))); ok {
				return p, true
			}
		}
	}
	return "", false
}

// maxAliasDepth bounds how deep aliases may nest when a tree is written
// out as JSON, which expands them.
const maxAliasDepth = 64

// jsonBytes writes a tree as JSON, with the meaning go-yaml gives it and
// the key order it has. It is used for Swagger 2.0, whose kin-openapi
// model decodes only from JSON, when the file is YAML or was rewritten.
func jsonBytes(n *yaml.Node) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(1 << 16)
	if err := writeJSON(&b, n, 0); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeJSON(b *bytes.Buffer, n *yaml.Node, aliases int) error {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			b.WriteString("null")
			return nil
		}
		return writeJSON(b, n.Content[0], aliases)
	case yaml.AliasNode:
		if aliases >= maxAliasDepth || n.Alias == nil {
			return diag.Errorf(diag.Location{Line: n.Line}, "aliases nest deeper than %d", maxAliasDepth)
		}
		return writeJSON(b, n.Alias, aliases+1)
	case yaml.MappingNode:
		b.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return diag.Errorf(diag.Location{Line: k.Line}, "mapping key is not a scalar")
			}
			if k.Value == "<<" && k.Style == 0 || k.Tag == "!!merge" {
				return diag.Errorf(diag.Location{Line: k.Line}, "merge keys (<<) are not supported in Swagger 2.0 specs written in YAML")
			}
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k.Value)
			b.WriteByte(':')
			if err := writeJSON(b, n.Content[i+1], aliases); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSON(b, c, aliases); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case yaml.ScalarNode:
		return writeScalar(b, n)
	default:
		b.WriteString("null")
	}
	return nil
}

func writeScalar(b *bytes.Buffer, n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!null":
		b.WriteString("null")
	case "!!bool":
		var v bool
		if err := n.Decode(&v); err != nil {
			return diag.Errorf(diag.Location{Line: n.Line}, "%v", err)
		}
		b.WriteString(strconv.FormatBool(v))
	case "!!int":
		if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
			b.WriteString(strconv.FormatInt(i, 10))
			return nil
		}
		if u, err := strconv.ParseUint(strings.TrimPrefix(n.Value, "+"), 0, 64); err == nil {
			b.WriteString(strconv.FormatUint(u, 10))
			return nil
		}
		fallthrough
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return diag.Errorf(diag.Location{Line: n.Line}, "%v", err)
		}
		j, err := json.Marshal(f)
		if err != nil {
			return diag.Errorf(diag.Location{Line: n.Line}, "%s has no JSON representation", n.Value)
		}
		b.Write(j)
	default:
		writeString(b, n.Value)
	}
	return nil
}

// writeString writes s as a JSON string. Invalid UTF-8 is written as it
// is; encoding/json reads it back as U+FFFD, as it would the original.
func writeString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b.WriteString(s[start:i])
		switch c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xF])
		}
		start = i + 1
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}
