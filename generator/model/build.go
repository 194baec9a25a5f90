package model

import (
	"fmt"
	"go/token"
	"sort"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/securegen/securegen/generator/diag"
	"github.com/securegen/securegen/generator/load"
)

// Options are the choices Build takes beyond the spec.
type Options struct {
	// Package is the Go package name of the generated code.
	Package string
	// LenientSecurity makes Build tolerate a security requirement that
	// names an undeclared scheme: instead of failing, it records an Error
	// diagnostic at the requirement and drops that alternative, so that
	// the alternative admits nobody (fail closed). Audit uses it; generation
	// stays strict.
	LenientSecurity bool
	// AuthorizeObjects asks for an object-level authorizer on every
	// secured operation that has a path parameter, as a root-level
	// x-securegen-authorize: true would; an explicit value in the spec
	// wins.
	AuthorizeObjects bool
}

// builder carries the state of one Build.
type builder struct {
	api  *API
	doc  *openapi3.T
	file string
	sink *diag.Sink

	// names is the package scope: types, constants, functions.
	names     Namespace
	named     map[*openapi3.Schema]*Type
	byName    map[string]*Type
	schemaKey map[*Type]string
	schemes   map[string]*Scheme
	scopes    map[string]*ScopeConst
	depth     int
	chk       *checker
	dec       *decoders
	strip     *strippers
	// lenient is Options.LenientSecurity.
	lenient bool
	// authorizeObjects is Options.AuthorizeObjects.
	authorizeObjects bool
	// err is the first error that stops generation, found where building
	// goes on to report it at the end.
	err error
}

// reserved are the package-scope names every generated package declares.
var reserved = []string{"Server", "Unimplemented", "NewHandler", "Security", "Option", "Operations"}

// Build makes the model of spec. Diagnostics about what it tolerated go to
// sink; an error means the spec cannot be generated safely, and names where.
func Build(spec *load.Spec, opts Options, sink *diag.Sink) (api *API, err error) {
	if opts.Package == "" {
		opts.Package = "api"
	}
	if !token.IsIdentifier(opts.Package) || token.IsKeyword(opts.Package) {
		return nil, fmt.Errorf("package name %q is not a Go identifier", opts.Package)
	}
	if sink == nil {
		sink = &diag.Sink{}
	}
	doc := spec.Doc
	b := &builder{
		api:       &API{Package: opts.Package},
		doc:       doc,
		file:      spec.File,
		sink:      sink,
		named:     map[*openapi3.Schema]*Type{},
		byName:    map[string]*Type{},
		schemaKey: map[*Type]string{},
		schemes:   map[string]*Scheme{},
		scopes:    map[string]*ScopeConst{},
		lenient:   opts.LenientSecurity,

		authorizeObjects: opts.AuthorizeObjects,
	}
	if doc.Info != nil {
		b.api.Title = doc.Info.Title
	}
	b.api.Realm = b.api.Title
	if b.api.Realm == "" {
		b.api.Realm = opts.Package
	}
	b.names.Reserve(reserved...)
	b.dec = &decoders{b: b, byType: map[*Type]*StructDecoder{}}
	b.strip = &strippers{b: b, done: map[*openapi3.Schema]string{}, holds: map[*openapi3.Schema]bool{}}
	b.chk = &checker{b: b, bySch: map[*openapi3.Schema]*Check{}, byKey: map[string]*Check{}, bounds: map[string]*Bounds{}}

	b.buildSchemes()
	b.buildComponentSchemas()
	if err := b.buildOperations(); err != nil {
		return nil, err
	}
	if b.err != nil {
		return nil, b.err
	}
	b.buildScopes()
	b.markUsedSchemes()

	breakCycles(b.api.Types)
	sort.Slice(b.api.Types, func(i, j int) bool { return b.api.Types[i].Name < b.api.Types[j].Name })
	return b.api, nil
}

func (b *builder) buildComponentSchemas() {
	if b.doc.Components == nil {
		return
	}
	schemas := b.doc.Components.Schemas
	keys := sortedKeys(schemas)
	// Declare first, so that references between components, recursive ones
	// included, resolve to names; aliases ($ref to another component) last.
	var defs, aliases []string
	for _, k := range keys {
		ref := schemas[k]
		if ref == nil || ref.Value == nil {
			b.warn("/components/schemas/"+escapeToken(k), "schema has no value; left out")
			continue
		}
		if _, dup := b.named[ref.Value]; dup || ref.Ref != "" {
			aliases = append(aliases, k)
			continue
		}
		ptr := "/components/schemas/" + escapeToken(k)
		name := GoName(k)
		if n := b.typeName(ref, ptr); n != "" {
			name = n
		}
		if ext := b.external(ref, ptr); ext != nil {
			// x-go-type on a component: its name stands for that type
			// everywhere, as in oapi-codegen.
			t := &Type{Name: b.names.Unique(name), Kind: DefinedType, Underlying: ext, Doc: schemaDoc(ref.Value), Location: b.loc(ptr)}
			b.named[ref.Value] = t
			b.byName[t.Name] = t
			b.schemaKey[t] = k
			b.api.Types = append(b.api.Types, t)
			continue
		}
		defs = append(defs, k)
		t := b.declare(ref.Value, name, ptr)
		b.schemaKey[t] = k
	}
	for _, k := range defs {
		s := schemas[k].Value
		b.fill(b.named[s], s, "/components/schemas/"+escapeToken(k))
	}
	for _, k := range aliases {
		ref := schemas[k]
		ptr := "/components/schemas/" + escapeToken(k)
		if _, ok := b.named[ref.Value]; !ok && needsName(ref.Value) {
			// A reference to a schema outside components: it takes this name.
			t := b.declare(ref.Value, GoName(k), ptr)
			b.schemaKey[t] = k
			b.fill(t, ref.Value, ptr)
			continue
		}
		target := b.typeOf(&openapi3.SchemaRef{Value: ref.Value}, GoName(k), "/components/schemas/"+escapeToken(k))
		name := b.names.Unique(GoName(k))
		t := &Type{Name: name, Kind: DefinedType, Underlying: target, Doc: schemaDoc(ref.Value),
			Location: b.loc("/components/schemas/" + escapeToken(k))}
		b.byName[name] = t
		b.schemaKey[t] = k
		b.api.Types = append(b.api.Types, t)
	}
}

// fail records err, the first of which stops generation.
func (b *builder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

func (b *builder) loc(ptr string) diag.Location {
	return diag.Location{File: b.file, Pointer: ptr}
}

func (b *builder) warn(ptr, format string, args ...any) {
	b.sink.Warnf(b.loc(ptr), format, args...)
}
