// Package render lays a model out as Go source with the embedded
// templates, drops unused imports with golang.org/x/tools/go/ast/astutil,
// and formats it as gofmt does.
package render

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	gofmt "go/format"
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"unicode"

	"golang.org/x/tools/go/ast/astutil"

	"github.com/securegen/securegen/generator/model"
	"github.com/securegen/securegen/templates"
)

// File is one generated file.
type File struct {
	Name    string // base name, such as "server.gen.go"
	Content []byte
}

// Renderer holds parsed templates; it can render many models.
type Renderer struct {
	tmpls []*template.Template
}

// New parses the templates of fsys (templates.FS when nil), one output
// file per *.go.tmpl.
func New(fsys fs.FS) (*Renderer, error) {
	if fsys == nil {
		fsys = templates.FS
	}
	names, err := fs.Glob(fsys, "*.go.tmpl")
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	sort.Strings(names)
	r := &Renderer{}
	for _, n := range names {
		src, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("render: %w", err)
		}
		t, err := template.New(n).Funcs(funcs).Option("missingkey=error").Parse(string(src))
		if err != nil {
			return nil, fmt.Errorf("render: parse %s: %w", n, err)
		}
		r.tmpls = append(r.tmpls, t)
	}
	if len(r.tmpls) == 0 {
		return nil, fmt.Errorf("render: no *.go.tmpl templates")
	}
	return r, nil
}

// Options choose which files Render writes.
type Options struct {
	// Tests also renders the *_test.go.tmpl templates, into *.gen_test.go.
	Tests bool
}

// Render lays api out and formats the result. A formatting failure is a
// bug in securegen, never in the spec; the error says which file.
func (r *Renderer) Render(api *model.API, opts Options) ([]File, error) {
	type job struct {
		t    *template.Template
		name string
	}
	var jobs []job
	for _, t := range r.tmpls {
		base := path.Base(t.Name())
		name := strings.TrimSuffix(base, ".go.tmpl") + ".gen.go"
		if test, ok := strings.CutSuffix(base, "_test.go.tmpl"); ok {
			if !opts.Tests {
				continue
			}
			name = test + ".gen_test.go"
		}
		jobs = append(jobs, job{t, name})
	}
	// Files are independent: lay them out and format them in parallel.
	files := make([]File, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			files[i], errs[i] = renderOne(j.t, j.name, api)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return files, nil
}

func renderOne(t *template.Template, name string, api *model.API) (File, error) {
	{
		var buf bytes.Buffer
		if err := t.Execute(&buf, api); err != nil {
			return File{}, fmt.Errorf("render %s: %w", t.Name(), err)
		}
		out, err := format(name, buf.Bytes())
		if err != nil {
			return File{}, fmt.Errorf("render %s: generated code does not parse (a securegen bug): %w", name, err)
		}
		return File{Name: name, Content: out}, nil
	}
}

// format removes the imports src does not use and gofmts it. Templates
// write every import a file may need, so, unlike goimports, format never
// has to search for a package; and it parses and prints once, where
// imports.Process prints twice, which halves the cost on big specs.
func format(name string, src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	// Generated code never shadows a package name, so a qualifier X in
	// X.Sel names an import: no need for full object resolution.
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	for _, imp := range slices.Clone(f.Imports) {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			return nil, err
		}
		local := path.Base(p)
		if imp.Name != nil {
			local = imp.Name.Name
		}
		if !used[local] {
			name := ""
			if imp.Name != nil {
				name = imp.Name.Name
			}
			astutil.DeleteNamedImport(fset, f, name, p)
		}
	}
	var out bytes.Buffer
	if err := gofmt.Node(&out, fset, f); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// funcs are the template functions: they write Go for the model's typed
// values, so that neither the model nor the templates build Go syntax out
// of strings.
var funcs = template.FuncMap{
	"comment":   comment,
	"oneLine":   oneLine,
	"goType":    goType,
	"fieldType": fieldType,
	"jsonTag":   jsonTag,
	"literal":   literal,
	"jsonValue": jsonValue,
	"typeSet":   typeSet,
	"bounds":    boundsLiteral,
	"place":     place,
	"pathOf":    pathOf,
	"local":     local,
	"seenWord":  func(i int) int { return i / 64 },
	"seenBit":   func(i int) int { return i % 64 },
	"ptrFunc":   ptrFunc,
	"authIn":    authIn,
	"requires":  requires,
	"quote":     strconv.Quote,
	"param":     param,
	"rateLimit": rateLimit,
	"limited":   limited,
	"import":    importSpec,
	"formField": formField,
}

// comment builds a doc comment: "// name summary" then the spec's text,
// one "//" line per line, with characters that do not belong in source
// replaced.
func comment(name, summary, text string) string {
	var lines []string
	first := strings.TrimSpace(name + " " + summary)
	if first != "" {
		lines = append(lines, first)
	}
	text = clean(text)
	if text != "" {
		if first != "" {
			lines = append(lines, "")
		}
		lines = append(lines, strings.Split(text, "\n")...)
	}
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		l = strings.TrimRightFunc(l, unicode.IsSpace)
		if l == "" {
			b.WriteString("//")
		} else {
			b.WriteString("// ")
			b.WriteString(l)
		}
	}
	return b.String()
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(clean(s)), " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return strings.TrimSuffix(s, ".")
}

func clean(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n', r == '\t':
			return r
		case r == '\r', r == '\u2028', r == '\u2029':
			return '\n'
		case unicode.IsControl(r), r == '\ufeff':
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}
