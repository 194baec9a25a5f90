package load

import (
	"encoding/json"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	yaml "go.yaml.in/yaml/v4"

	"github.com/securegen/securegen/generator/diag"
)

// normalizer rewrites each file of a spec, before kin-openapi sees it, so
// that shapes which are non-standard but clear in meaning load:
//   - an operation object that is a $ref is replaced by what it refers to;
//   - a tag description given as a $ref is replaced by the text it names;
//   - a response header that refers to a parameter gets that parameter's
//     schema and description.
type normalizer struct {
	sink *diag.Sink
	// done caches each file's normalized form: the loader reads a file
	// once per $ref into it.
	done map[string][]byte
}

var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func (n *normalizer) normalize(file string, data []byte) ([]byte, error) {
	if out, ok := n.done[file]; ok {
		return out, nil
	}
	out, err := n.rewrite(file, data)
	if err != nil {
		return nil, err
	}
	if n.done == nil {
		n.done = make(map[string][]byte)
	}
	n.done[file] = out
	return out, nil
}

func (n *normalizer) rewrite(file string, data []byte) ([]byte, error) {
	var tree any
	if err := yaml.Unmarshal(data, &tree); err != nil {
		return nil, fmt.Errorf("load %s: %w", file, err)
	}
	tree = jsonable(tree)
	root, ok := tree.(map[string]any)
	if !ok {
		// A fragment file (a schema, say) that is not an object is left to
		// the loader to judge.
		return data, nil
	}
	n.inlineOperations(file, root)
	n.resolveTagDescriptions(file, root)
	n.headersFromParameters(file, root, root, nil)
	n.inlinePropertiesRefs(file, root, root, nil)
	out, err := json.Marshal(root)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", file, err)
	}
	return out, nil
}

func (n *normalizer) inlineOperations(file string, root map[string]any) {
	paths, _ := root["paths"].(map[string]any)
	inlined := 0
	for p, item := range paths {
		ops, _ := item.(map[string]any)
		for _, m := range methods {
			op, _ := ops[m].(map[string]any)
			ref, _ := op["$ref"].(string)
			if ref == "" {
				continue
			}
			target, err := n.resolve(file, ref)
			if err != nil {
				n.sink.Warnf(diag.Location{File: file, Pointer: diag.Pointer("paths", p, m)}, "operation $ref %q cannot be resolved: %v", ref, err)
				continue
			}
			obj, ok := target.(map[string]any)
			if !ok {
				n.sink.Warnf(diag.Location{File: file, Pointer: diag.Pointer("paths", p, m)}, "operation $ref %q is not an object", ref)
				continue
			}
			refFile, _, _ := strings.Cut(ref, "#")
			ops[m] = rebase(deepCopy(obj), refFile, refFile == "")
			inlined++
		}
	}
	if inlined > 0 {
		n.sink.Warnf(diag.Location{File: file, Pointer: "/paths"}, "%d operation objects are $refs, which OpenAPI does not allow; inlined what they refer to", inlined)
	}
}

func (n *normalizer) resolveTagDescriptions(file string, root map[string]any) {
	tags, _ := root["tags"].([]any)
	for i, t := range tags {
		tag, _ := t.(map[string]any)
		d, _ := tag["description"].(map[string]any)
		ref, _ := d["$ref"].(string)
		if d == nil {
			continue
		}
		text := ""
		if ref != "" {
			if v, err := n.resolve(file, ref); err == nil {
				text, _ = v.(string)
			}
		}
		tag["description"] = text
		n.sink.Warnf(diag.Location{File: file, Pointer: diag.Pointer("tags", fmt.Sprint(i), "description")}, "tag description is a $ref, which OpenAPI does not allow; used the text it refers to")
	}
}

// headersFromParameters walks the tree for "headers" maps whose entries
// refer to a parameter (#/components/parameters/...), which OpenAPI does
// not allow but some specs do, and inlines a header built from it.
func (n *normalizer) headersFromParameters(file string, root map[string]any, node any, ptr []string) {
	switch v := node.(type) {
	case map[string]any:
		for k, child := range v {
			if k == "headers" {
				if hs, ok := child.(map[string]any); ok {
					for name, h := range hs {
						hm, _ := h.(map[string]any)
						ref, _ := hm["$ref"].(string)
						if !strings.HasPrefix(ref, "#/components/parameters/") {
							continue
						}
						target, err := pointerGet(root, strings.TrimPrefix(ref, "#"))
						param, _ := target.(map[string]any)
						if err != nil || param == nil {
							continue
						}
						header := map[string]any{}
						for key, val := range param {
							if key != "name" && key != "in" {
								header[key] = val
							}
						}
						hs[name] = header
						n.sink.Warnf(diag.Location{File: file, Pointer: diag.Pointer(append(append([]string{}, ptr...), k, name)...)}, "response header refers to parameter %q, which OpenAPI does not allow; used it as a header", ref)
					}
				}
			}
			n.headersFromParameters(file, root, child, append(ptr, k))
		}
	case []any:
		for i, child := range v {
			n.headersFromParameters(file, root, child, append(ptr, fmt.Sprint(i)))
		}
	}
}

// resolve returns the node that ref (relative to file) names.
func (n *normalizer) resolve(file, ref string) (any, error) {
	refFile, frag, _ := strings.Cut(ref, "#")
	var tree any
	if refFile == "" {
		return nil, fmt.Errorf("local operation $ref is not supported")
	}
	if strings.Contains(refFile, "://") {
		return nil, fmt.Errorf("remote $ref %q: only files next to the spec are read", ref)
	}
	p := filepath.Join(filepath.Dir(file), filepath.FromSlash(refFile))
	data, err := readFile(p)
	if err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(data, &tree); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return pointerGet(jsonable(tree), frag)
}

func pointerGet(node any, ptr string) (any, error) {
	if ptr == "" || ptr == "/" {
		return node, nil
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch v := node.(type) {
		case map[string]any:
			next, ok := v[tok]
			if !ok {
				return nil, fmt.Errorf("pointer %q: no key %q", ptr, tok)
			}
			node = next
		case []any:
			var i int
			if _, err := fmt.Sscan(tok, &i); err != nil || i < 0 || i >= len(v) {
				return nil, fmt.Errorf("pointer %q: bad index %q", ptr, tok)
			}
			node = v[i]
		default:
			return nil, fmt.Errorf("pointer %q: %q is not in a container", ptr, tok)
		}
	}
	return node, nil
}

// rebase rewrites every $ref under node, written relative to refFile, so
// that it is relative to the file that now holds node.
func rebase(node any, refFile string, local bool) any {
	switch v := node.(type) {
	case map[string]any:
		for k, child := range v {
			if s, ok := child.(string); ok && k == "$ref" && !local {
				v[k] = rebaseRef(s, refFile)
				continue
			}
			if d, ok := child.(map[string]any); ok && k == "discriminator" && !local {
				// Mapping values that are references move with the schema;
				// bare schema names do not.
				mapping, _ := d["mapping"].(map[string]any)
				for mk, mv := range mapping {
					if s, ok := mv.(string); ok && strings.ContainsAny(s, "#/.") {
						mapping[mk] = rebaseRef(s, refFile)
					}
				}
				continue
			}
			v[k] = rebase(child, refFile, local)
		}
	case []any:
		for i, child := range v {
			v[i] = rebase(child, refFile, local)
		}
	}
	return node
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

func deepCopy(node any) any {
	switch v := node.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, c := range v {
			m[k] = deepCopy(c)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, c := range v {
			s[i] = deepCopy(c)
		}
		return s
	}
	return node
}

// jsonable turns what a YAML decoder produced into values encoding/json
// takes: map keys become strings.
func jsonable(node any) any {
	switch v := node.(type) {
	case map[string]any:
		for k, c := range v {
			v[k] = jsonable(c)
		}
		return v
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, c := range v {
			m[fmt.Sprint(k)] = jsonable(c)
		}
		return m
	case []any:
		for i, c := range v {
			v[i] = jsonable(c)
		}
	}
	return node
}

// inlinePropertiesRefs replaces a "properties" map given as a $ref, which
// JSON Schema does not allow, by the map it refers to.
func (n *normalizer) inlinePropertiesRefs(file string, root map[string]any, node any, ptr []string) {
	switch v := node.(type) {
	case map[string]any:
		for k, child := range v {
			if m, ok := child.(map[string]any); ok && k == "properties" && len(m) == 1 {
				if ref, ok := m["$ref"].(string); ok {
					loc := diag.Location{File: file, Pointer: diag.Pointer(append(append([]string{}, ptr...), k)...)}
					var target any
					var err error
					if strings.HasPrefix(ref, "#") {
						target, err = pointerGet(root, ref[1:])
						target = deepCopy(target)
					} else {
						target, err = n.resolve(file, ref)
						refFile, _, _ := strings.Cut(ref, "#")
						target = rebase(target, refFile, false)
					}
					if props, ok := target.(map[string]any); ok && err == nil {
						v[k] = props
						n.sink.Warnf(loc, "properties is a $ref, which JSON Schema does not allow; inlined what it refers to")
						child = props
					} else {
						n.sink.Warnf(loc, "properties is a $ref that cannot be resolved; ignored it")
						delete(v, k)
						continue
					}
				}
			}
			n.inlinePropertiesRefs(file, root, child, append(ptr, k))
		}
	case []any:
		for i, child := range v {
			n.inlinePropertiesRefs(file, root, child, append(ptr, fmt.Sprint(i)))
		}
	}
}

// tupleItems rewrites Swagger 2.0 "items" given as an array (a JSON Schema
// tuple, which Swagger does not allow) into one schema: the single
// non-null member when there is one, else an unconstrained schema.
func tupleItems(sink *diag.Sink, file string, node any, ptr []string) {
	switch v := node.(type) {
	case map[string]any:
		for k, child := range v {
			if list, ok := child.([]any); ok && k == "items" {
				var keep []any
				for _, it := range list {
					if m, ok := it.(map[string]any); ok && m["type"] == "null" {
						continue
					}
					keep = append(keep, it)
				}
				loc := diag.Location{File: file, Pointer: diag.Pointer(append(append([]string{}, ptr...), k)...)}
				if len(keep) == 1 {
					v[k] = keep[0]
					sink.Warnf(loc, "items is an array, which Swagger 2.0 does not allow; used its one non-null member")
				} else {
					v[k] = map[string]any{}
					sink.Warnf(loc, "items is an array, which Swagger 2.0 does not allow; items are left untyped")
				}
				child = v[k]
			}
			tupleItems(sink, file, child, append(ptr, k))
		}
	case []any:
		for i, child := range v {
			tupleItems(sink, file, child, append(ptr, fmt.Sprint(i)))
		}
	}
}
