package model

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/securegen/securegen/generator/diag"
)

// The extensions of oapi-codegen that securegen honours, with the
// meanings oapi-codegen documents, so that teams moving a spec-first API
// keep their Go types.
const (
	// ExtGoType replaces a schema's or property's Go type.
	ExtGoType = "x-go-type"
	// ExtGoTypeImport names the package ExtGoType needs: {path, name}.
	ExtGoTypeImport = "x-go-type-import"
	// ExtGoName names a type, a field or an operation.
	ExtGoName = "x-go-name"
	// ExtGoTypeName names a type (never a field).
	ExtGoTypeName = "x-go-type-name"
	// ExtOmitEmpty forces omitempty on a field, or off.
	ExtOmitEmpty = "x-omitempty"
	// ExtSkipOptionalPointer keeps an optional field a value, not a
	// pointer.
	ExtSkipOptionalPointer = "x-go-type-skip-optional-pointer"
)

// GoImport is a package that generated code imports for a type the spec
// names with x-go-type.
type GoImport struct {
	// Name is the local name, "" for the package's own.
	Name string
	Path string
}

// extension returns the value of the extension key on ref: a sibling of a
// $ref first, then the schema's own.
func extension(ref *openapi3.SchemaRef, key string) (any, bool) {
	if ref == nil {
		return nil, false
	}
	if v, ok := ref.Extensions[key]; ok {
		return v, true
	}
	if ref.Value != nil {
		v, ok := ref.Value.Extensions[key]
		return v, ok
	}
	return nil, false
}

// externalType returns the Go type that x-go-type names on ref, with its
// import registered; nil when there is none. The expression is checked to
// be a Go type, and nothing else: it is pasted into generated code.
func (b *builder) externalType(ref *openapi3.SchemaRef, ptr string) (*GoType, error) {
	v, ok := extension(ref, ExtGoType)
	if !ok {
		return nil, nil
	}
	expr, isString := v.(string)
	if !isString || !isTypeExpr(expr) {
		return nil, diag.Errorf(b.loc(ptr+"/"+ExtGoType), "%s must be a Go type such as decimal.Decimal or *mypkg.Amount, not %q", ExtGoType, v)
	}
	if iv, ok := extension(ref, ExtGoTypeImport); ok {
		imp, ok := iv.(map[string]any)
		path, _ := imp["path"].(string)
		name, _ := imp["name"].(string)
		if !ok || !isImportPath(path) || name != "" && (!token.IsIdentifier(name) || name == "_") {
			return nil, diag.Errorf(b.loc(ptr+"/"+ExtGoTypeImport), "%s must be {path: an import path, name: an optional identifier}, not %v", ExtGoTypeImport, iv)
		}
		b.addImport(GoImport{Name: name, Path: path})
	}
	return &GoType{Kind: KindExternal, External: expr}, nil
}

func (b *builder) addImport(imp GoImport) {
	for _, have := range b.api.Imports {
		if have == imp {
			return
		}
	}
	b.api.Imports = append(b.api.Imports, imp)
}

// isTypeExpr reports whether s is a Go type expression made of names,
// qualified names, pointers, slices, arrays of literal length and maps:
// what x-go-type may hold.
func isTypeExpr(s string) bool {
	if strings.ContainsAny(s, "\n\r;/`\"{}()") || len(s) > 200 {
		return false
	}
	e, err := parser.ParseExpr(s)
	if err != nil {
		return false
	}
	var ok func(ast.Expr) bool
	ok = func(e ast.Expr) bool {
		switch x := e.(type) {
		case *ast.Ident:
			return x.Name != "_"
		case *ast.SelectorExpr:
			id, isIdent := x.X.(*ast.Ident)
			return isIdent && id.Name != "_" && x.Sel.Name != "_"
		case *ast.StarExpr:
			return ok(x.X)
		case *ast.ArrayType:
			if x.Len != nil {
				if lit, isLit := x.Len.(*ast.BasicLit); !isLit || lit.Kind != token.INT {
					return false
				}
			}
			return ok(x.Elt)
		case *ast.MapType:
			return ok(x.Key) && ok(x.Value)
		}
		return false
	}
	return ok(e)
}

// isImportPath reports whether p can be an import path.
func isImportPath(p string) bool {
	if p == "" || len(p) > 300 || strings.HasPrefix(p, "/") || strings.Contains(p, "..") {
		return false
	}
	for _, r := range p {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("-._~/+", r):
		default:
			return false
		}
	}
	return true
}

// goName returns the identifier that key (x-go-name, x-go-type-name)
// gives ref, "" when it gives none.
func (b *builder) goName(ref *openapi3.SchemaRef, ptr string, keys ...string) (string, error) {
	for _, key := range keys {
		v, ok := extension(ref, key)
		if !ok {
			continue
		}
		name, _ := v.(string)
		if !token.IsIdentifier(name) || token.IsKeyword(name) || !ast.IsExported(name) {
			return "", diag.Errorf(b.loc(ptr+"/"+key), "%s must be an exported Go identifier, not %v", key, v)
		}
		return name, nil
	}
	return "", nil
}

// flag returns the boolean extension key of ref, and whether it is set.
func (b *builder) flag(ref *openapi3.SchemaRef, ptr, key string) (value, set bool, err error) {
	v, ok := extension(ref, key)
	if !ok {
		return false, false, nil
	}
	on, isBool := v.(bool)
	if !isBool {
		return false, false, diag.Errorf(b.loc(ptr+"/"+key), "%s must be true or false, not %v", key, v)
	}
	return on, true, nil
}
