package model

import (
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

// Stripper is a generated function that deletes, from the JSON of an
// answer, every property the schema marks writeOnly, at every depth: a
// password a handler left in a shared Go type never leaves the server
// (OWASP API3, Broken Object Property Level Authorization). It works on
// the encoded JSON, so it holds whatever Go value produced it, unions
// included.
type Stripper struct {
	Func string
	// Delete are the writeOnly properties of the object itself.
	Delete []string
	// Props are the properties whose values hold writeOnly properties
	// deeper down, each with its stripper.
	Props []*StripProp
	// Items strips each item of an array; Values each member of an object
	// whose other members the schema describes with additionalProperties.
	Items  string
	Values string
	// Parts strip the same value for each allOf, oneOf or anyOf member
	// that holds writeOnly properties: every member's, whichever matched,
	// so that a doubt deletes rather than leaks.
	Parts []string
}

// StripProp strips one property's value.
type StripProp struct {
	Name string
	Func string
}

// strippers builds Strippers for the schemas of answers.
type strippers struct {
	b     *builder
	names Namespace
	// done maps a schema to its stripper's name, "" when nothing under it
	// is writeOnly.
	done map[*openapi3.Schema]string
	// holds records which schemas hold a writeOnly property at some
	// depth, computed once over every schema reachable from answers.
	holds map[*openapi3.Schema]bool
}

// children returns the schemas directly under s, with what reaches them.
func children(s *openapi3.Schema) (props map[string]*openapi3.Schema, items, values *openapi3.Schema, parts []*openapi3.Schema) {
	props = map[string]*openapi3.Schema{}
	for name, p := range s.Properties {
		if p != nil && p.Value != nil {
			props[name] = p.Value
		}
	}
	if s.Items != nil {
		items = s.Items.Value
	}
	if s.AdditionalProperties.Schema != nil {
		values = s.AdditionalProperties.Schema.Value
	}
	for _, list := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, m := range list {
			if m != nil && m.Value != nil {
				parts = append(parts, m.Value)
			}
		}
	}
	return props, items, values, parts
}

// mark finds every schema reachable from root and records, by iterating to
// a fixed point over the whole graph (recursion included), which of them
// hold a writeOnly property somewhere below.
func (st *strippers) mark(root *openapi3.Schema) {
	if _, seen := st.holds[root]; seen || root == nil {
		return
	}
	var order []*openapi3.Schema
	stack := []*openapi3.Schema{root}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if _, seen := st.holds[s]; seen {
			continue
		}
		st.holds[s] = false
		order = append(order, s)
		props, items, values, parts := children(s)
		for _, name := range sortedKeys(props) {
			stack = append(stack, props[name])
		}
		for _, c := range append([]*openapi3.Schema{items, values}, parts...) {
			if c != nil {
				stack = append(stack, c)
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for _, s := range order {
			if st.holds[s] {
				continue
			}
			props, items, values, parts := children(s)
			h := false
			for _, p := range props {
				h = h || p.WriteOnly || st.holds[p]
			}
			for _, c := range append([]*openapi3.Schema{items, values}, parts...) {
				h = h || c != nil && st.holds[c]
			}
			if h {
				st.holds[s], changed = true, true
			}
		}
	}
}

// of returns the stripper of ref's schema, building it; "" when nothing in
// it is writeOnly.
func (st *strippers) of(ref *openapi3.SchemaRef, hint string) string {
	if ref == nil || ref.Value == nil {
		return ""
	}
	s := ref.Value
	st.mark(s)
	if !st.holds[s] {
		return ""
	}
	if name, ok := st.done[s]; ok {
		return name
	}
	if t := st.b.named[s]; t != nil {
		hint = t.Name
	}
	sp := &Stripper{Func: st.names.Unique("strip" + GoName(hint))}
	st.done[s] = sp.Func
	st.b.api.Strippers = append(st.b.api.Strippers, sp)
	props, items, values, parts := children(s)
	for _, name := range sortedKeys(props) {
		p := props[name]
		if p.WriteOnly {
			sp.Delete = append(sp.Delete, name)
			continue
		}
		if f := st.of(&openapi3.SchemaRef{Value: p}, hint+GoName(name)); f != "" {
			sp.Props = append(sp.Props, &StripProp{Name: name, Func: f})
		}
	}
	if items != nil {
		sp.Items = st.of(&openapi3.SchemaRef{Value: items}, hint+"Item")
	}
	if values != nil {
		sp.Values = st.of(&openapi3.SchemaRef{Value: values}, hint+"Value")
	}
	for i, p := range parts {
		if f := st.of(&openapi3.SchemaRef{Value: p}, fmt.Sprintf("%sPart%d", hint, i)); f != "" {
			sp.Parts = append(sp.Parts, f)
		}
	}
	return sp.Func
}
