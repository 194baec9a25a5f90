// Package generator turns an OpenAPI document into a Go server package:
// load (kin-openapi) → model → render (templates) → format → atomic write.
package generator

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/securegen/securegen/generator/diag"
	"github.com/securegen/securegen/generator/load"
	"github.com/securegen/securegen/generator/model"
	"github.com/securegen/securegen/generator/render"
	"github.com/securegen/securegen/generator/secdiff"
)

// Config says what to generate from which spec.
type Config struct {
	// Spec is the path of the OpenAPI document.
	Spec string
	// Package is the generated package's name; by default the base name
	// of Output.
	Package string
	// Output is the directory to write into.
	Output string
	// Authtest also writes security.gen_test.go, a test that proves with
	// runtime/authtest that every operation is protected.
	Authtest bool
	// AuthorizeObjects asks for an object-level authorizer on every
	// secured operation that has a path parameter, as a root-level
	// x-securegen-authorize: true would; an explicit value in the spec
	// wins (see model.Options.AuthorizeObjects).
	AuthorizeObjects bool
	// Strict makes every warning an error: Build fails with a
	// *StrictError that lists them, so nothing is written.
	Strict bool
}

// Result is what a generation produced.
type Result struct {
	API         *model.API
	Files       []render.File
	Diagnostics []diag.Diagnostic
	// SecurityChanges describes, when Generate overwrote a package, how
	// the security of its operations changed; "" when nothing did.
	SecurityChanges string
	// Removed are the stale files Generate deleted: files securegen
	// wrote into the output directory that it no longer writes.
	Removed []string
	// Drift is, after Check, every file of the output directory that
	// differs from what generation writes; none when the package is
	// current.
	Drift []Drift
}

// LoadModel loads the spec at path and builds its model: the one load →
// model sequence that generate, audit and diff share. Diagnostics about
// what loading and modeling tolerated go to sink (nil discards them). An
// error from loading is returned as load reports it, naming the file; an
// error from modeling is a *ModelError.
func LoadModel(ctx context.Context, path string, opts model.Options, sink *diag.Sink) (*model.API, error) {
	if sink == nil {
		sink = &diag.Sink{}
	}
	spec, err := load.Load(ctx, path, sink)
	if err != nil {
		return nil, err
	}
	api, err := model.Build(spec, opts, sink)
	if err != nil {
		return nil, &ModelError{Spec: path, Err: err}
	}
	return api, nil
}

// ModelError reports that a spec was loaded but could not be modeled:
// it cannot be generated safely. Its message is Err's, which names the
// location in the spec where it can.
type ModelError struct {
	// Spec is the path of the spec.
	Spec string
	// Err is what model.Build reported.
	Err error
}

// Error returns Err's message.
func (e *ModelError) Error() string { return e.Err.Error() }

// Unwrap returns Err.
func (e *ModelError) Unwrap() error { return e.Err }

// Build loads the spec and renders the package in memory; it writes
// nothing.
func Build(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Spec == "" {
		return nil, errors.New("no spec given")
	}
	pkg := cfg.Package
	if pkg == "" {
		pkg = packageName(cfg.Output)
	}
	var sink diag.Sink
	res := &Result{}
	api, err := LoadModel(ctx, cfg.Spec, model.Options{Package: pkg, AuthorizeObjects: cfg.AuthorizeObjects}, &sink)
	res.Diagnostics = sink.All()
	if err != nil {
		return res, err
	}
	if cfg.Strict {
		var warnings []diag.Diagnostic
		for _, d := range res.Diagnostics {
			if d.Severity >= diag.Warning {
				warnings = append(warnings, d)
			}
		}
		if len(warnings) > 0 {
			return res, &StrictError{Spec: cfg.Spec, Diagnostics: warnings}
		}
	}
	r, err := render.New(nil)
	if err != nil {
		return res, err
	}
	files, err := r.Render(api, render.Options{Tests: cfg.Authtest})
	if err != nil {
		return res, err
	}
	res.API, res.Files = api, files
	return res, nil
}

// StrictError reports that Config.Strict refused a spec because loading
// or modeling it gave warnings.
type StrictError struct {
	// Spec is the path of the spec.
	Spec string
	// Diagnostics are the warnings (and tolerated errors), each located.
	Diagnostics []diag.Diagnostic
}

// Error says how many warnings there were; the Diagnostics locate them.
func (e *StrictError) Error() string {
	noun := "warnings"
	if len(e.Diagnostics) == 1 {
		noun = "warning"
	}
	return fmt.Sprintf("%s: %d %s, and strict mode makes every warning an error", e.Spec, len(e.Diagnostics), noun)
}

// Generate builds the package and writes it into cfg.Output, and deletes
// the files securegen wrote there before and no longer writes (see
// WritePackage). Each file is written to a temporary file and renamed
// into place, and nothing is written or deleted unless every file
// rendered: a failure never leaves a file half written.
func Generate(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Output == "" {
		return nil, errors.New("no output directory given")
	}
	res, err := Build(ctx, cfg)
	if err != nil {
		return res, err
	}
	// Compare with the package being overwritten, before it is.
	if old, ok, err := secdiff.FromGenerated(cfg.Output); err != nil {
		res.SecurityChanges = fmt.Sprintf("security changes not computed: %v\n", err)
	} else if ok {
		res.SecurityChanges = secdiff.Compare(old, secdiff.FromModel(res.API)).Text()
	}
	removed, err := WritePackage(cfg.Output, res.Files)
	res.Removed = removed
	if err != nil {
		return res, err
	}
	return res, nil
}

// WritePackage writes files into dir as WriteFiles does and then deletes
// the stale files there (see StaleFiles): a package regenerated from a
// spec that lost a file holds no leftover that still compiles into it.
// Nothing is deleted unless every file was written. It returns the base
// names of the files it deleted.
func WritePackage(dir string, files []render.File) (removed []string, err error) {
	stale, err := StaleFiles(dir, files)
	if err != nil {
		return nil, err
	}
	if err := WriteFiles(dir, files); err != nil {
		return nil, err
	}
	for _, name := range stale {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("remove stale %s: %w", name, err)
		}
		removed = append(removed, name)
	}
	return removed, nil
}

// WriteFiles writes files into dir: it stages every file first and then
// renames each into place, so a failure leaves the old files as they were.
func WriteFiles(dir string, files []render.File) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	// Stage everything first, so that a failure leaves the old files.
	staged := make([]string, len(files))
	cleanup := func() {
		for _, s := range staged {
			if s != "" {
				os.Remove(s)
			}
		}
	}
	for i, f := range files {
		tmp, err := os.CreateTemp(dir, "."+f.Name+".*.tmp")
		if err != nil {
			cleanup()
			return fmt.Errorf("write %s: %w", f.Name, err)
		}
		staged[i] = tmp.Name()
		_, werr := tmp.Write(f.Content)
		serr := tmp.Sync()
		cerr := tmp.Close()
		if err := errors.Join(werr, serr, cerr); err != nil {
			cleanup()
			return fmt.Errorf("write %s: %w", f.Name, err)
		}
		if err := os.Chmod(tmp.Name(), 0o644); err != nil {
			cleanup()
			return fmt.Errorf("write %s: %w", f.Name, err)
		}
	}
	for i, f := range files {
		if err := os.Rename(staged[i], filepath.Join(dir, f.Name)); err != nil {
			cleanup()
			return fmt.Errorf("write %s: %w", f.Name, err)
		}
		staged[i] = ""
	}
	return nil
}

// packageName derives a package name from the output directory.
func packageName(dir string) string {
	base := filepath.Base(filepath.Clean(dir))
	var b strings.Builder
	for _, r := range strings.ToLower(base) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' && b.Len() > 0 {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 || base == "." || base == "/" {
		return "api"
	}
	return b.String()
}
