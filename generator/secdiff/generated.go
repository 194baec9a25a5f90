package secdiff

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/securegen/securegen/generator/model"
	"github.com/securegen/securegen/runtime/auth"
)

// OperationsFile is the generated file that lists the operations with their
// security and declares the scope constants.
const OperationsFile = "operations.gen.go"

// FromGenerated reads the snapshot of the package securegen generated into
// dir. It reads the operations() function of operations.gen.go, with the
// package-level variables and scope constants it names, and, when another *.gen.go file has it, the schemes()
// method for the schemes' types and apiKey locations (OAuth2 flows are not
// in generated code, so they are left unknown). ok is false, with no error,
// when dir holds no operations.gen.go.
func FromGenerated(dir string) (snap Snapshot, ok bool, err error) {
	path := filepath.Join(dir, OperationsFile)
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Snapshot{}, false, nil
	}
	if err != nil {
		return Snapshot{}, false, fmt.Errorf("secdiff: read generated code: %w", err)
	}
	snap, err = parseOperations(path, src)
	if err != nil {
		return Snapshot{}, false, err
	}
	snap.Schemes = generatedSchemes(dir)
	return snap, true, nil
}

// parseOperations extracts the operations of a generated
// operations.gen.go, resolving the scope constants it declares: the
// auth.Operation values the generated code itself holds, normalized.
func parseOperations(path string, src []byte) (Snapshot, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
	if err != nil {
		return Snapshot{}, fmt.Errorf("secdiff: parse generated code: %w", err)
	}
	consts := stringConsts(f)
	vars := literalVars(f)
	var body *ast.CompositeLit
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Recv != nil || fd.Name.Name != "operations" || fd.Body == nil {
			continue
		}
		body = returnedLiteral(fd.Body)
	}
	if body == nil {
		return Snapshot{}, fmt.Errorf("secdiff: %s: no operations() function returning a composite literal", path)
	}
	var snap Snapshot
	for i, elt := range body.Elts {
		// An operation is written in place, or as a variable of the file.
		lit := compositeOf(elt)
		if id, ok := elt.(*ast.Ident); ok {
			lit = vars[id.Name]
		}
		if lit == nil {
			return Snapshot{}, fmt.Errorf("secdiff: %s: operation %d: neither a composite literal nor a variable of the file holding one", fset.Position(elt.Pos()), i)
		}
		op, err := parseOperation(lit, consts)
		if err != nil {
			return Snapshot{}, fmt.Errorf("secdiff: %s: operation %d: %w", fset.Position(elt.Pos()), i, err)
		}
		snap.Operations = append(snap.Operations, op)
	}
	return snap, nil
}

// parseOperation reads one auth.Operation literal.
func parseOperation(lit *ast.CompositeLit, consts map[string]string) (auth.Operation, error) {
	var op auth.Operation
	for _, e := range lit.Elts {
		kv, ok := e.(*ast.KeyValueExpr)
		if !ok {
			return op, errors.New("field without a key")
		}
		key, ok := kv.Key.(*ast.Ident)
		if !ok {
			return op, errors.New("key is not a field name")
		}
		var err error
		switch key.Name {
		case "ID":
			op.ID, err = stringValue(kv.Value, consts)
		case "Method":
			op.Method, err = stringValue(kv.Value, consts)
		case "Path":
			op.Path, err = stringValue(kv.Value, consts)
		case "Pattern":
			// The route decides nothing about security: read it when it
			// is a string, and never fail for it.
			if v, perr := stringValue(kv.Value, consts); perr == nil {
				op.Pattern = v
			}
		case "Alternatives":
			op.Alternatives, err = parseAlternatives(kv.Value, consts)
		case "ObjectCheck":
			op.ObjectCheck, err = boolValue(kv.Value)
		}
		if err != nil {
			return op, fmt.Errorf("%s: %w", key.Name, err)
		}
	}
	return Normalize(op), nil
}

// parseAlternatives reads the [][]auth.Need literal of an operation's
// alternatives.
func parseAlternatives(e ast.Expr, consts map[string]string) ([][]auth.Need, error) {
	if id, ok := e.(*ast.Ident); ok && id.Name == "nil" {
		return nil, nil
	}
	lit := compositeOf(e)
	if lit == nil {
		return nil, errors.New("not a composite literal")
	}
	alts := make([][]auth.Need, 0, len(lit.Elts))
	for i, ae := range lit.Elts {
		al := compositeOf(ae)
		if al == nil {
			return nil, fmt.Errorf("alternative %d: not a composite literal", i)
		}
		alt := []auth.Need{}
		for j, ne := range al.Elts {
			nl := compositeOf(ne)
			if nl == nil {
				return nil, fmt.Errorf("alternative %d, need %d: not a composite literal", i, j)
			}
			n, err := parseNeed(nl, consts)
			if err != nil {
				return nil, fmt.Errorf("alternative %d, need %d: %w", i, j, err)
			}
			alt = append(alt, n)
		}
		alts = append(alts, alt)
	}
	return alts, nil
}

// parseNeed reads one auth.Need literal.
func parseNeed(lit *ast.CompositeLit, consts map[string]string) (auth.Need, error) {
	var n auth.Need
	for _, e := range lit.Elts {
		kv, ok := e.(*ast.KeyValueExpr)
		if !ok {
			return n, errors.New("field without a key")
		}
		key, ok := kv.Key.(*ast.Ident)
		if !ok {
			return n, errors.New("key is not a field name")
		}
		switch key.Name {
		case "Scheme":
			s, err := stringValue(kv.Value, consts)
			if err != nil {
				return n, fmt.Errorf("Scheme: %w", err)
			}
			n.Scheme = s
		case "Scopes":
			if id, ok := kv.Value.(*ast.Ident); ok && id.Name == "nil" {
				continue
			}
			sl := compositeOf(kv.Value)
			if sl == nil {
				return n, errors.New("Scopes: not a composite literal")
			}
			for _, se := range sl.Elts {
				s, err := stringValue(se, consts)
				if err != nil {
					return n, fmt.Errorf("Scopes: %w", err)
				}
				n.Scopes = append(n.Scopes, s)
			}
		}
	}
	if n.Scheme == "" {
		return n, errors.New("no scheme")
	}
	return n, nil
}

// generatedSchemes reads the schemes() method from the *.gen.go files of
// dir; nil when none has it or it cannot be read.
func generatedSchemes(dir string) map[string]Scheme {
	files, err := filepath.Glob(filepath.Join(dir, "*.gen.go"))
	if err != nil {
		return nil
	}
	sort.Strings(files)
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil || !bytes.Contains(src, []byte("schemes()")) {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Name.Name != "schemes" || fd.Body == nil {
				continue
			}
			if lit := returnedLiteral(fd.Body); lit != nil {
				if m, ok := parseSchemes(lit, stringConsts(f)); ok {
					return m
				}
			}
		}
	}
	return nil
}

func parseSchemes(lit *ast.CompositeLit, consts map[string]string) (map[string]Scheme, bool) {
	out := map[string]Scheme{}
	for _, e := range lit.Elts {
		sl := compositeOf(e)
		if sl == nil {
			return nil, false
		}
		var s Scheme
		in := "header" // the zero auth.KeyLocation
		for _, fe := range sl.Elts {
			kv, ok := fe.(*ast.KeyValueExpr)
			if !ok {
				return nil, false
			}
			key, ok := kv.Key.(*ast.Ident)
			if !ok {
				return nil, false
			}
			switch key.Name {
			case "Name":
				v, err := stringValue(kv.Value, consts)
				if err != nil {
					return nil, false
				}
				s.Key = v
			case "KeyName":
				v, err := stringValue(kv.Value, consts)
				if err != nil {
					return nil, false
				}
				s.KeyName = v
			case "Type":
				s.Type = model.SchemeType(selectorName(kv.Value))
			case "In":
				switch selectorName(kv.Value) {
				case "InHeader":
					in = "header"
				case "InQuery":
					in = "query"
				case "InCookie":
					in = "cookie"
				default:
					return nil, false
				}
			}
		}
		if s.Key == "" {
			return nil, false
		}
		if s.Type == "" {
			s.Type = model.Unsupported // the zero auth.SchemeType
		}
		if s.Type == model.APIKey {
			s.In = in
		} else {
			s.KeyName = ""
		}
		out[s.Key] = s
	}
	return out, true
}

// returnedLiteral finds the composite literal that a function body returns.
func returnedLiteral(body *ast.BlockStmt) *ast.CompositeLit {
	for _, st := range body.List {
		if ret, ok := st.(*ast.ReturnStmt); ok && len(ret.Results) == 1 {
			return compositeOf(ret.Results[0])
		}
	}
	return nil
}

// compositeOf returns e as a composite literal, looking through & and
// parentheses; nil when it is none.
func compositeOf(e ast.Expr) *ast.CompositeLit {
	for {
		switch x := e.(type) {
		case *ast.CompositeLit:
			return x
		case *ast.UnaryExpr:
			if x.Op != token.AND {
				return nil
			}
			e = x.X
		case *ast.ParenExpr:
			e = x.X
		default:
			return nil
		}
	}
}

// stringConsts maps the file's string constants to their values.
func stringConsts(f *ast.File) map[string]string {
	out := map[string]string{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, sp := range gd.Specs {
			vs, ok := sp.(*ast.ValueSpec)
			if !ok || len(vs.Values) != len(vs.Names) {
				continue
			}
			for i, name := range vs.Names {
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if v, err := strconv.Unquote(lit.Value); err == nil {
						out[name.Name] = v
					}
				}
			}
		}
	}
	return out
}

// literalVars maps the file's package-level variables whose value is a
// composite literal (or its address) to that literal.
func literalVars(f *ast.File) map[string]*ast.CompositeLit {
	out := map[string]*ast.CompositeLit{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			continue
		}
		for _, sp := range gd.Specs {
			vs, ok := sp.(*ast.ValueSpec)
			if !ok || len(vs.Values) != len(vs.Names) {
				continue
			}
			for i, name := range vs.Names {
				if lit := compositeOf(vs.Values[i]); lit != nil {
					out[name.Name] = lit
				}
			}
		}
	}
	return out
}

// boolValue evaluates true or false.
func boolValue(e ast.Expr) (bool, error) {
	for {
		p, ok := e.(*ast.ParenExpr)
		if !ok {
			break
		}
		e = p.X
	}
	if id, ok := e.(*ast.Ident); ok {
		switch id.Name {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, fmt.Errorf("unexpected %T where true or false belongs", e)
}

// stringValue evaluates a string literal or a string constant of the file.
func stringValue(e ast.Expr, consts map[string]string) (string, error) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			return "", fmt.Errorf("%s is not a string", x.Value)
		}
		v, err := strconv.Unquote(x.Value)
		if err != nil {
			return "", fmt.Errorf("string %s: %w", x.Value, err)
		}
		return v, nil
	case *ast.Ident:
		if v, ok := consts[x.Name]; ok {
			return v, nil
		}
		return "", fmt.Errorf("%s is not a string constant of the file", x.Name)
	case *ast.ParenExpr:
		return stringValue(x.X, consts)
	}
	return "", fmt.Errorf("unexpected %T where a string belongs", e)
}

// selectorName returns Sel of pkg.Sel, or the name of an identifier.
func selectorName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.SelectorExpr:
		return x.Sel.Name
	case *ast.Ident:
		return x.Name
	}
	return ""
}
