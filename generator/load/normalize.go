package load

import (
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v4"

	"github.com/securegen/securegen/generator/diag"
)

// normalize rewrites the tree of a file, after the spec's references are
// checked and before kin-openapi reads the file, so that shapes which are
// non-standard but clear in meaning load:
//   - an operation object that is a $ref is replaced by what it refers to;
//   - a tag description given as a $ref is replaced by the text it names;
//   - a response header that refers to a parameter gets that parameter's
//     schema and description;
//   - a "properties" given as a $ref is replaced by the map it names.
//
// It works on the tree read for the reference check, so no file is read or
// parsed twice, and only on the files kin-openapi reads: a file whose only
// use was an operation now inlined is left alone, and says nothing.
func (s *source) normalize(f *file) {
	if f.normalized || f.err != nil || f.root == nil || f.root.Kind != yaml.MappingNode {
		// A fragment file (a schema, say) that is not an object is left
		// to the loader to judge.
		return
	}
	f.normalized = true
	s.inlineOperations(f)
	s.resolveTagDescriptions(f)
	sh := shapes{s: s, f: f, expanding: map[*yaml.Node]bool{}}
	sh.walk(f.root, false, nil)
}

var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func (s *source) inlineOperations(f *file) {
	paths := member(f.root, "paths")
	if paths == nil || paths.Kind != yaml.MappingNode {
		return
	}
	inlined := 0
	for i := 0; i+1 < len(paths.Content); i += 2 {
		p, item := paths.Content[i].Value, paths.Content[i+1]
		if item.Kind != yaml.MappingNode {
			continue
		}
		for _, m := range methods {
			ref := refOf(member(item, m))
			if ref == "" {
				continue
			}
			loc := diag.Location{File: f.path, Pointer: pointer("paths", p, m)}
			t, err := s.resolve(f, ref, 0, nil)
			if err == nil && t == nil {
				err = fmt.Errorf("not a JSON pointer")
			}
			if err != nil {
				s.sink.Warnf(loc, "operation $ref %q cannot be resolved: %v", ref, err)
				continue
			}
			if t.node.Kind != yaml.MappingNode {
				s.sink.Warnf(loc, "operation $ref %q is not an object", ref)
				continue
			}
			op := copyNode(t.node)
			if t.file != f {
				refFile, _, _ := strings.Cut(ref, "#")
				rebase(op, refFile)
			}
			setMember(item, m, op)
			delete(s.index, item)
			f.changed = true
			inlined++
		}
	}
	if inlined > 0 {
		s.sink.Warnf(diag.Location{File: f.path, Pointer: "/paths"}, "%d operation objects are $refs, which OpenAPI does not allow; inlined what they refer to", inlined)
	}
}

func (s *source) resolveTagDescriptions(f *file) {
	tags := member(f.root, "tags")
	if tags == nil || tags.Kind != yaml.SequenceNode {
		return
	}
	for i, tag := range tags.Content {
		d := member(tag, "description")
		if d == nil || d.Kind != yaml.MappingNode {
			continue
		}
		text := ""
		if ref := refOf(d); ref != "" {
			if t, err := s.resolve(f, ref, 0, nil); err == nil && t != nil && t.node != nil && t.node.Kind == yaml.ScalarNode && t.node.Tag == "!!str" {
				text = t.node.Value
			}
		}
		setMember(tag, "description", strNode(text))
		delete(s.index, tag)
		f.changed = true
		s.sink.Warnf(diag.Location{File: f.path, Pointer: pointer("tags", strconv.Itoa(i), "description")}, "tag description is a $ref, which OpenAPI does not allow; used the text it refers to")
	}
}

// shapes walks a tree for the shapes that need rewriting at any depth.
type shapes struct {
	s *source
	f *file
	// expanding holds the "properties" maps being inlined on the current
	// path, so that one which contains a reference to itself is refused
	// instead of inlined without end.
	expanding map[*yaml.Node]bool
}

// walk visits n, whose keys are names (of properties, responses, …) when
// names is set and an object's fields otherwise: a property named
// "properties" or "headers" is not rewritten.
func (sh *shapes) walk(n *yaml.Node, names bool, ptr []string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			sub := !names && nameMaps[k]
			if !names {
				switch k {
				case "headers":
					sh.headersFromParameters(n.Content[i+1], append(ptr, k))
				case "properties":
					if ref := refOf(n.Content[i+1]); ref != "" && len(n.Content[i+1].Content) == 2 {
						var done func()
						delete(sh.s.index, n)
						n.Content[i+1], done = sh.inlineProperties(ref, append(ptr, k))
						if n.Content[i+1] == nil {
							n.Content = append(n.Content[:i:i], n.Content[i+2:]...)
							i -= 2
							continue
						}
						sh.walk(n.Content[i+1], true, append(ptr, k))
						done()
						continue
					}
				}
			}
			sh.walk(n.Content[i+1], sub, append(ptr, k))
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			sh.walk(c, false, append(ptr, strconv.Itoa(i)))
		}
	}
}

// headersFromParameters replaces, in a "headers" map, each entry that
// refers to a parameter (#/components/parameters/...), which OpenAPI does
// not allow but some specs do, by a header built from it.
func (sh *shapes) headersFromParameters(hs *yaml.Node, ptr []string) {
	if hs.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(hs.Content); i += 2 {
		name, h := hs.Content[i].Value, hs.Content[i+1]
		ref := refOf(h)
		if !strings.HasPrefix(ref, "#/components/parameters/") {
			continue
		}
		frag, err := url.PathUnescape(ref[1:])
		if err != nil {
			continue
		}
		t, err := sh.s.lookup(sh.f, frag, 0, nil)
		if err != nil || t.node.Kind != yaml.MappingNode {
			continue
		}
		header := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: h.Line, Column: h.Column}
		for j := 0; j+1 < len(t.node.Content); j += 2 {
			if k := t.node.Content[j].Value; k != "name" && k != "in" {
				header.Content = append(header.Content, t.node.Content[j], t.node.Content[j+1])
			}
		}
		hs.Content[i+1] = header
		delete(sh.s.index, hs)
		sh.f.changed = true
		sh.s.sink.Warnf(diag.Location{File: sh.f.path, Pointer: pointer(append(append([]string{}, ptr...), name)...)}, "response header refers to parameter %q, which OpenAPI does not allow; used it as a header", ref)
	}
}

// inlineProperties returns the map that a "properties" given as a $ref
// names, copied, or nil when there is none; done ends its expansion.
func (sh *shapes) inlineProperties(ref string, ptr []string) (*yaml.Node, func()) {
	loc := diag.Location{File: sh.f.path, Pointer: pointer(ptr...)}
	sh.f.changed = true
	t, err := sh.s.resolve(sh.f, ref, 0, nil)
	if err != nil || t == nil || t.node.Kind != yaml.MappingNode {
		sh.s.sink.Warnf(loc, "properties is a $ref that cannot be resolved; ignored it")
		return nil, nil
	}
	if sh.expanding[t.node] {
		sh.s.sink.Warnf(loc, "properties is a $ref to a map that contains it; ignored it")
		return nil, nil
	}
	props := copyNode(t.node)
	if t.file != sh.f {
		refFile, _, _ := strings.Cut(ref, "#")
		rebase(props, refFile)
	}
	sh.s.sink.Warnf(loc, "properties is a $ref, which JSON Schema does not allow; inlined what it refers to")
	sh.expanding[t.node] = true
	return props, func() { delete(sh.expanding, t.node) }
}

// rebase rewrites every $ref under n, written relative to refFile, so that
// it is relative to the file that now holds n.
func rebase(n *yaml.Node, refFile string) {
	if n.Kind != yaml.MappingNode {
		for _, c := range n.Content {
			rebase(c, refFile)
		}
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1]
		switch {
		case k == "$ref" && v.Kind == yaml.ScalarNode:
			v.Value = rebaseRef(v.Value, refFile)
		case k == "discriminator" && v.Kind == yaml.MappingNode:
			// Mapping values that are references move with the schema;
			// bare schema names do not.
			if m := member(v, "mapping"); m != nil && m.Kind == yaml.MappingNode {
				for j := 1; j < len(m.Content); j += 2 {
					if mv := m.Content[j]; mv.Kind == yaml.ScalarNode && strings.ContainsAny(mv.Value, "#/.") {
						mv.Value = rebaseRef(mv.Value, refFile)
					}
				}
			}
		default:
			rebase(v, refFile)
		}
	}
}

func rebaseRef(ref, refFile string) string {
	if strings.HasPrefix(ref, "#") {
		return refFile + ref
	}
	if strings.Contains(ref, "://") || strings.HasPrefix(ref, "/") {
		return ref
	}
	file, frag, hasFrag := strings.Cut(ref, "#")
	out := path.Join(path.Dir(refFile), file)
	if hasFrag {
		out += "#" + frag
	}
	return out
}

// tupleItems rewrites Swagger 2.0 "items" given as an array (a JSON Schema
// tuple, which Swagger does not allow) into one schema: the single
// non-null member when there is one, else an unconstrained schema. It
// reports whether it changed anything.
func tupleItems(sink *diag.Sink, file string, n *yaml.Node, ptr []string) bool {
	changed := false
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i].Value, n.Content[i+1]
			if k == "items" && v.Kind == yaml.SequenceNode {
				var keep []*yaml.Node
				for _, it := range v.Content {
					if t := member(it, "type"); t != nil && t.Value == "null" && t.Kind == yaml.ScalarNode {
						continue
					}
					keep = append(keep, it)
				}
				loc := diag.Location{File: file, Pointer: pointer(append(append([]string{}, ptr...), k)...)}
				if len(keep) == 1 {
					n.Content[i+1] = keep[0]
					sink.Warnf(loc, "items is an array, which Swagger 2.0 does not allow; used its one non-null member")
				} else {
					n.Content[i+1] = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
					sink.Warnf(loc, "items is an array, which Swagger 2.0 does not allow; items are left untyped")
				}
				changed = true
			}
			if tupleItems(sink, file, n.Content[i+1], append(ptr, k)) {
				changed = true
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if tupleItems(sink, file, c, append(ptr, strconv.Itoa(i))) {
				changed = true
			}
		}
	}
	return changed
}
