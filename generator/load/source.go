package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"

	yaml "go.yaml.in/yaml/v4"

	"github.com/securegen/securegen/generator/diag"
)

// source holds the files of one spec while it loads: each file is read and
// parsed once, however many references lead into it. It belongs to one
// Load call.
type source struct {
	ctx   context.Context
	sink  *diag.Sink
	files map[string]*file
	// order lists the files in the order they were first reached, which
	// makes every walk over them, and so every message, deterministic.
	order []*file
	// swagger is set for a Swagger 2.0 document, whose grammar differs in
	// where literal values may appear.
	swagger bool
	// chain memoizes the check that following a reference object's $ref
	// ends somewhere (see checkChain).
	chain map[*yaml.Node]chainState
	// index maps the keys of the large mappings that pointers have gone
	// through (components/schemas, definitions, paths) to their values, so
	// that resolving every reference of a spec costs linear time. Whoever
	// changes a mapping's members deletes its entry.
	index map[*yaml.Node]map[string]*yaml.Node
}

// file is one file of a spec.
type file struct {
	// path is the file's path as the loader opens it: the root as given,
	// the others joined onto the directory of the file referring to them.
	path string
	data []byte
	// root is the parsed document's top node; nil for an empty file.
	root *yaml.Node
	// changed is set once the tree no longer says what data does, so that
	// kin-openapi must be given the tree, not the bytes.
	changed bool
	// err is why the file could not be read or parsed.
	err error
	// out caches what bytes returns for a changed tree.
	out []byte
	// normalized is set once normalize has run on the tree.
	normalized bool
	// spans, for a JSON file, says where its top-level values and their
	// entries are in data.
	spans map[*yaml.Node]span
}

func newSource(ctx context.Context, sink *diag.Sink) *source {
	if sink == nil {
		sink = &diag.Sink{}
	}
	return &source{ctx: ctx, sink: sink, files: make(map[string]*file), chain: make(map[*yaml.Node]chainState), index: make(map[*yaml.Node]map[string]*yaml.Node)}
}

// open returns the file at path, reading and parsing it the first time.
// A file that cannot be read or parsed is returned with err set; the
// caller decides whom to blame.
func (s *source) open(path string) *file {
	path = filepath.Clean(path)
	if f, ok := s.files[path]; ok {
		return f
	}
	f := &file{path: path}
	s.files[path] = f
	s.order = append(s.order, f)
	if err := s.ctx.Err(); err != nil {
		f.err = err
		return f
	}
	f.data, f.err = readFile(path)
	if f.err == nil {
		f.root, f.spans, f.err = parse(path, f.data)
	}
	return f
}

// parse reads data, JSON or YAML, into a node tree. JSON goes through the
// fast parser, which also says where the values of the top two levels
// are; what it refuses (JSON with a YAML-only feature, say) is left to
// go-yaml, whose message is the one reported.
func parse(path string, data []byte) (*yaml.Node, map[*yaml.Node]span, error) {
	if mayBeJSON(data) {
		if n, spans, err := parseJSONSpans(data); err == nil {
			return n, spans, nil
		}
	}
	n, err := parseYAML(data)
	if err != nil {
		return nil, nil, yamlError(path, err)
	}
	return n, nil, nil
}

// yamlError locates a go-yaml error: the line it names becomes part of the
// location, so that the message reads like every other one.
func yamlError(path string, err error) error {
	var le *yaml.LoadErrors
	if errors.As(err, &le) && len(le.Errors) > 0 {
		e := le.Errors[0]
		return diag.Errorf(diag.Location{File: path, Line: e.Mark.Line}, "%s", e.Message)
	}
	var one *yaml.LoadError
	if errors.As(err, &one) {
		return diag.Errorf(diag.Location{File: path, Line: one.Mark.Line}, "%s", one.Message)
	}
	return fmt.Errorf("%s: %w", path, err)
}

// bytes returns what kin-openapi should read for f: the file as it is, or,
// once the loader has changed its tree, the tree written out again. go-yaml
// writes every tag it read, so the text means what the tree does.
func (f *file) bytes() ([]byte, error) {
	if f.out != nil {
		return f.out, nil
	}
	if !f.changed {
		return f.data, nil
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := enc.Encode(f.root); err != nil {
		return nil, fmt.Errorf("%s: %w", f.path, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("%s: %w", f.path, err)
	}
	f.out = buf.Bytes()
	return f.out, nil
}

// member returns the value of key in the mapping m, or nil.
func member(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i].Kind == yaml.ScalarNode {
			return m.Content[i+1]
		}
	}
	return nil
}

// member returns the value of key in the mapping m, or nil, through an
// index when m is large.
func (s *source) member(m *yaml.Node, key string) *yaml.Node {
	if len(m.Content) < 64 {
		return member(m, key)
	}
	idx, ok := s.index[m]
	if !ok {
		idx = make(map[string]*yaml.Node, len(m.Content)/2)
		for i := len(m.Content) - 2; i >= 0; i -= 2 {
			if k := m.Content[i]; k.Kind == yaml.ScalarNode {
				idx[k.Value] = m.Content[i+1]
			}
		}
		s.index[m] = idx
	}
	return idx[key]
}

// setMember sets key in the mapping m to v, adding the member if needed.
func setMember(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i].Kind == yaml.ScalarNode {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, strNode(key), v)
}

// refOf returns the $ref of a reference object, or "".
func refOf(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.MappingNode {
		return ""
	}
	v := member(n, "$ref")
	if v == nil || v.Kind != yaml.ScalarNode || v.Tag != "!!str" && v.Tag != "" {
		return ""
	}
	return v.Value
}

func strNode(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

// copyNode copies the tree under n. Aliases keep pointing at their anchors.
func copyNode(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	if len(n.Content) > 0 {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, ch := range n.Content {
			c.Content[i] = copyNode(ch)
		}
	}
	return &c
}
