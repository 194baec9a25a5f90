package load

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v4"

	"github.com/securegen/securegen/generator/diag"
)

// RefError reports a $ref that does not resolve. It names both ends: where
// the reference is written and what it says, and then why it leads nowhere.
type RefError struct {
	// At is where the reference is written: the file, the JSON pointer of
	// the object holding the $ref, and the line of the $ref when known.
	At diag.Location
	// Ref is the reference as written.
	Ref string
	// Err says why Ref does not resolve. It names the target as resolved
	// (file and pointer) where it gets that far.
	Err error
}

// Error renders the error as `file#pointer (line N): $ref "…": reason`.
func (e *RefError) Error() string {
	return fmt.Sprintf("%s: $ref %q: %v", e.At, e.Ref, e.Err)
}

// Unwrap returns Err.
func (e *RefError) Unwrap() error { return e.Err }

// ErrRemoteRef is the reason a reference to a URL is refused: a spec must
// not make the generator fetch anything.
var ErrRemoteRef = errors.New("remote references are not followed; only files next to the spec are read")

// maxRefHops bounds how many references one pointer may run through, so
// that resolution ends even where a cycle escapes detection.
const maxRefHops = 64

// site is one $ref written in a file.
type site struct {
	file *file
	// ref is the reference as written, before any rewriting.
	ref string
	// obj is the reference object; val is its $ref string.
	obj, val *yaml.Node
	at       diag.Location
	// soft marks a reference whose failure the loader tolerates with a
	// warning (a tag description given as a $ref).
	soft bool
}

// target is what a reference resolves to.
type target struct {
	file *file
	node *yaml.Node
	// ptr is the pointer of node in file, with no reference on the way:
	// the canonical form of the reference.
	ptr []string
	// through is set when the reference, as written, ran through another
	// reference on the way to node.
	through bool
}

func (t *target) String() string { return t.file.path + "#" + pointer(t.ptr...) }

// checkRefs finds every $ref in the spec, starting from the root file
// and reading each file that a reference leads into, and makes sure each
// resolves.
//
// Resolution is done here, on the raw trees, before kin-openapi sees the
// spec, for three reasons. kin-openapi resolves a pointer by walking its
// typed model, which fails where the pointer runs through another
// reference that it has not resolved yet (`…/items/allOf/0` where items is
// a $ref); here such a pointer is followed through the reference and
// rewritten to its canonical form, which kin-openapi's walk then resolves
// to the very node the spec names, sharing it: nothing is inlined, so
// nothing can grow. Second, only here is it known where each reference is
// written, so only here can an error name the referring location and
// line as well as the target. Third, a cycle of references that never
// reaches an object is caught here as an error, where kin-openapi would
// silently resolve it to nothing.
//
// Only local files are read; a reference to a URL is an error.
func (s *source) checkRefs() ([]*site, error) {
	var all []*site
	for i := 0; i < len(s.order); i++ {
		f := s.order[i]
		if f.err != nil || f.root == nil {
			continue
		}
		var sites []*site
		w := refWalker{f: f, swagger: s.swagger, visit: func(st *site) { sites = append(sites, st) }}
		w.walk(f.root, false)
		for _, st := range sites {
			if err := s.checkSite(st); err != nil {
				if st.soft {
					s.sink.Warnf(st.at, "$ref %q: %v", st.ref, err)
					continue
				}
				return nil, &RefError{At: st.at, Ref: st.ref, Err: err}
			}
		}
		all = append(all, sites...)
	}
	return all, nil
}

// checkSite resolves one reference, rewrites it to its canonical form if
// it runs through another, and checks that a chain of references starting
// there ends.
func (s *source) checkSite(st *site) error {
	t, err := s.resolve(st.file, st.val.Value, 0, nil)
	if err != nil {
		if errors.Is(err, ErrRemoteRef) {
			return err
		}
		return fmt.Errorf("does not resolve: %w", err)
	}
	if t == nil {
		return nil // a fragment kin-openapi resolves by itself (a plain name)
	}
	if t.through {
		st.val.Value = refTo(st.file, t.file, t.ptr)
		st.file.changed = true
	}
	return s.checkChain(st, t)
}

// chainState is the memo of checkChain.
type chainState uint8

const (
	chainOnPath chainState = iota + 1
	chainEnds
)

// checkChain follows a reference whose target is itself a reference
// object, and so on, and fails if the chain comes back on itself.
func (s *source) checkChain(st *site, t *target) error {
	type hop struct {
		node *yaml.Node
		file *file
		ptr  string
	}
	path := []hop{{st.obj, st.file, st.at.Pointer}}
	s.chain[st.obj] = chainOnPath
	defer func() {
		for _, h := range path {
			if s.chain[h.node] == chainOnPath {
				s.chain[h.node] = chainEnds
			}
		}
	}()
	for cur := t; cur != nil; {
		ref := refOf(cur.node)
		if ref == "" {
			return nil
		}
		switch s.chain[cur.node] {
		case chainEnds:
			return nil
		case chainOnPath:
			var names []string
			start := 0
			for i, h := range path {
				if h.node == cur.node {
					start = i
				}
			}
			// Names in the file of the reference go without the file.
			name := func(h hop) string {
				if h.file == st.file {
					return "#" + h.ptr
				}
				return h.file.path + "#" + h.ptr
			}
			for _, h := range path[start:] {
				names = append(names, name(h))
			}
			names = append(names, name(path[start]))
			verb := "leads into"
			if start == 0 {
				verb = "is part of"
			}
			return fmt.Errorf("%s a cycle of references that never reaches an object: %s", verb, strings.Join(names, " → "))
		}
		s.chain[cur.node] = chainOnPath
		path = append(path, hop{cur.node, cur.file, pointer(cur.ptr...)})
		next, err := s.resolve(cur.file, ref, 0, nil)
		if err != nil {
			// Reported where that reference is written.
			return nil
		}
		cur = next
	}
	return nil
}

// resolve finds what ref, written in from, names. It returns nil, nil for
// a fragment that is not a JSON pointer (a plain name, as a 3.1 $anchor),
// which is left to kin-openapi.
func (s *source) resolve(from *file, ref string, hops int, trail []string) (*target, error) {
	if strings.HasPrefix(ref, "#/") && !strings.Contains(ref, "%") {
		// The common case, a pointer into the same file, needs no URI
		// parsing.
		return s.lookup(from, ref[1:], hops, trail)
	}
	u, err := url.Parse(ref)
	if err != nil {
		return nil, fmt.Errorf("not a URI reference: %v", err)
	}
	if u.Scheme != "" && u.Scheme != "file" || u.Host != "" {
		return nil, ErrRemoteRef
	}
	f := from
	if u.Path != "" {
		p := filepath.FromSlash(u.Path)
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(from.path), p)
		}
		f = s.open(p)
		if f.err != nil {
			return nil, f.err
		}
	}
	frag := u.Fragment
	if frag != "" && frag[0] != '/' {
		return nil, nil
	}
	return s.lookup(f, frag, hops, trail)
}

// lookup walks the JSON pointer ptr in f. Where the pointer runs through a
// reference object that lacks the next key, it follows the reference and
// goes on from its target: a pointer written against the spec as its
// author sees it, references resolved, still finds its node.
func (s *source) lookup(f *file, ptr string, hops int, trail []string) (*target, error) {
	t := &target{file: f, node: f.root}
	if ptr == "" {
		if f.root == nil {
			return nil, fmt.Errorf("%s is empty", f.path)
		}
		return t, nil
	}
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = unescapeToken(tok)
		for {
			n := t.node
			for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxRefHops; i++ {
				n = n.Alias
			}
			if n == nil {
				return nil, fmt.Errorf("%s is empty", t)
			}
			if n.Kind == yaml.MappingNode {
				if v := s.member(n, tok); v != nil {
					t.node = v
					break
				}
				ref := refOf(n)
				if ref == "" {
					return nil, fmt.Errorf("%s has no %q", locName(t), tok)
				}
				// The pointer runs through a reference: follow it.
				here := t.String()
				for _, h := range trail {
					if h == here {
						return nil, fmt.Errorf("the pointer runs round a cycle of references at %s", here)
					}
				}
				if hops >= maxRefHops {
					return nil, fmt.Errorf("the pointer runs through more than %d references", maxRefHops)
				}
				next, err := s.resolve(t.file, ref, hops+1, append(trail[:len(trail):len(trail)], here))
				if err != nil {
					return nil, fmt.Errorf("%s is $ref %q, which does not resolve: %w", here, ref, err)
				}
				if next == nil {
					return nil, fmt.Errorf("%s is $ref %q, which the pointer cannot run through", here, ref)
				}
				t = &target{file: next.file, node: next.node, ptr: next.ptr, through: true}
				continue
			}
			if n.Kind == yaml.SequenceNode {
				i, err := strconv.Atoi(tok)
				if err != nil || i < 0 || tok[0] == '+' || tok[0] == '-' {
					return nil, fmt.Errorf("%s is an array, and %q is not an index", locName(t), tok)
				}
				if i >= len(n.Content) {
					return nil, fmt.Errorf("%s has no item %s (it has %d)", locName(t), tok, len(n.Content))
				}
				t.node = n.Content[i]
				break
			}
			return nil, fmt.Errorf("%s is a scalar, so it has no %q", locName(t), tok)
		}
		t.ptr = append(t.ptr[:len(t.ptr):len(t.ptr)], tok)
	}
	return t, nil
}

// locName names a location in messages: the file alone for its root.
func locName(t *target) string {
	if len(t.ptr) == 0 {
		return t.file.path
	}
	return t.String()
}

func unescapeToken(tok string) string {
	if !strings.Contains(tok, "~") {
		return tok
	}
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
}

// refTo writes a reference, from the file from, to the pointer ptr in to.
func refTo(from, to *file, ptr []string) string {
	frag := "#" + strings.ReplaceAll(pointer(ptr...), "%", "%25")
	if from == to {
		return frag
	}
	rel, err := filepath.Rel(filepath.Dir(from.path), to.path)
	if err != nil {
		rel = to.path
	}
	p := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(filepath.ToSlash(rel))
	if first, _, _ := strings.Cut(p, "/"); strings.Contains(first, ":") {
		p = "./" + p
	}
	return p + frag
}

// refWalker visits the $refs of a file's tree. It knows just enough of the
// OpenAPI grammar to skip literal values (examples, defaults, enums,
// extensions), in which "$ref" is data, not a reference, and to tell a
// map of names ("properties", "responses", …), whose keys may be anything
// including "default" or "example", from an object's fields.
type refWalker struct {
	f       *file
	swagger bool
	visit   func(*site)
	ptr     []string
}

// nameMaps are the fields whose value maps names to objects.
var nameMaps = map[string]bool{
	"properties": true, "patternProperties": true, "definitions": true, "$defs": true,
	"dependentSchemas": true, "schemas": true, "responses": true, "parameters": true,
	"examples": true, "requestBodies": true, "headers": true, "securitySchemes": true,
	"links": true, "callbacks": true, "pathItems": true, "paths": true, "webhooks": true,
	"content": true, "encoding": true, "variables": true, "securityDefinitions": true,
}

// literal reports whether the field key of an object holds a literal
// value rather than more of the spec.
func (w *refWalker) literal(key string, v *yaml.Node) bool {
	switch key {
	case "example", "default", "enum", "const", "value":
		return true
	case "examples":
		return w.swagger || v.Kind == yaml.SequenceNode
	}
	return strings.HasPrefix(key, "x-")
}

func (w *refWalker) walk(n *yaml.Node, names bool) {
	switch n.Kind {
	case yaml.MappingNode:
		// In a map of names, "$ref" is a name, unless it is the only
		// member: then the whole map is given as a reference
		// ("properties: {$ref: …}"), which the loader tolerates.
		if !names || len(n.Content) == 2 {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if k.Value == "$ref" && v.Kind == yaml.ScalarNode {
					w.visit(&site{
						file: w.f, obj: n, val: v, ref: v.Value,
						at:   diag.Location{File: w.f.path, Pointer: pointer(w.ptr...), Line: k.Line},
						soft: len(w.ptr) == 3 && w.ptr[0] == "tags" && w.ptr[2] == "description",
					})
					break
				}
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "$ref" && v.Kind == yaml.ScalarNode {
				continue
			}
			if !names && w.literal(k.Value, v) {
				continue
			}
			w.ptr = append(w.ptr, k.Value)
			w.walk(v, !names && nameMaps[k.Value])
			w.ptr = w.ptr[:len(w.ptr)-1]
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			w.ptr = append(w.ptr, strconv.Itoa(i))
			w.walk(c, false)
			w.ptr = w.ptr[:len(w.ptr)-1]
		}
	}
}

// quotedRef finds the quoted strings in kin-openapi's messages that may be
// references.
var quotedRef = regexp.MustCompile(`"([^"\\]*)"`)

// locate turns an error from kin-openapi into a *RefError when it names a
// reference the loader has seen, so that it says where the reference is
// written. Others are returned as they are.
func locate(err error, sites []*site) error {
	if err == nil {
		return nil
	}
	var re *RefError
	if errors.As(err, &re) {
		return err
	}
	byRef := make(map[string]*site, len(sites))
	for _, st := range sites {
		for _, r := range []string{st.ref, st.val.Value} {
			if _, ok := byRef[r]; !ok {
				byRef[r] = st
			}
		}
	}
	for _, m := range quotedRef.FindAllStringSubmatch(err.Error(), -1) {
		if st, ok := byRef[m[1]]; ok {
			return &RefError{At: st.at, Ref: st.ref, Err: err}
		}
	}
	return err
}

// pointer builds a JSON pointer from reference tokens, escaping each. It
// is diag.Pointer without the cost of a strings.Replacer per call, which
// matters at one call per reference of a large spec.
func pointer(tokens ...string) string {
	n := 0
	for _, t := range tokens {
		n += 1 + len(t)
	}
	var b strings.Builder
	b.Grow(n)
	for _, t := range tokens {
		b.WriteByte('/')
		if !strings.ContainsAny(t, "~/") {
			b.WriteString(t)
			continue
		}
		for i := 0; i < len(t); i++ {
			switch t[i] {
			case '~':
				b.WriteString("~0")
			case '/':
				b.WriteString("~1")
			default:
				b.WriteByte(t[i])
			}
		}
	}
	return b.String()
}
