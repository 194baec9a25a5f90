package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	yaml "go.yaml.in/yaml/v4"

	"github.com/securegen/securegen/generator"
)

// fileConfig is the YAML configuration file; its keys are the flags'.
type fileConfig struct {
	Spec    string `yaml:"spec"`
	Package string `yaml:"package"`
	Output  string `yaml:"output"`
	// O is the -o flag's own name for output.
	O                string `yaml:"o"`
	Authtest         bool   `yaml:"authtest"`
	AuthorizeObjects bool   `yaml:"authorizeObjects"`
	Check            bool   `yaml:"check"`
	Strict           bool   `yaml:"strict"`
}

func readConfig(path string) (fileConfig, error) {
	var fc fileConfig
	data, err := os.ReadFile(path)
	if err != nil {
		return fc, fmt.Errorf("config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&fc); err != nil && !errors.Is(err, io.EOF) {
		return fc, fmt.Errorf("config %s: %w", path, err)
	}
	if fc.Output == "" {
		fc.Output = fc.O
	} else if fc.O != "" && fc.O != fc.Output {
		return fc, fmt.Errorf("config %s: o and output disagree", path)
	}
	// Paths in the file are relative to the file.
	base := filepath.Dir(path)
	if fc.Spec != "" && !filepath.IsAbs(fc.Spec) {
		fc.Spec = filepath.Join(base, fc.Spec)
	}
	if fc.Output != "" && !filepath.IsAbs(fc.Output) {
		fc.Output = filepath.Join(base, fc.Output)
	}
	return fc, nil
}

// runGenerate implements securegen generate: it writes the package, or
// with -check compares it with what the output directory holds and
// writes nothing.
func runGenerate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("generate", stderr)
	configPath := fs.String("config", "", "YAML file with the keys spec, package, output, authtest, authorizeObjects, check, strict")
	pkg := fs.String("package", "", "package name (default: the base name of -o)")
	out := fs.String("o", "", "output directory (default: the current directory)")
	authtest := fs.Bool("authtest", false, "also write security.gen_test.go, which proves every operation is protected")
	authorize := fs.Bool("authorize-objects", false, "ask for an object-level check (an Authorize method) on every secured operation with a path parameter, unless the spec says otherwise with x-securegen-authorize")
	check := fs.Bool("check", false, "write nothing; exit 1 with a unified diff when the generated files in the output directory are not what the spec generates")
	strict := fs.Bool("strict", false, "treat every warning as an error: print them and write nothing")
	if err := fs.Parse(args); err != nil {
		return parseStatus(err)
	}
	var fc fileConfig
	if *configPath != "" {
		var err error
		if fc, err = readConfig(*configPath); err != nil {
			fmt.Fprintln(stderr, "securegen:", err)
			return 2
		}
	}
	// Flags given on the command line override the file.
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	flagOr := func(name string, flagValue, fileValue bool) bool {
		if set[name] {
			return flagValue
		}
		return fileValue
	}
	cfg := generator.Config{Spec: fc.Spec, Package: fc.Package, Output: fc.Output}
	if fs.NArg() > 1 {
		fmt.Fprintln(stderr, "securegen generate: want one SPEC, got", fs.NArg())
		return 2
	}
	if fs.NArg() == 1 {
		cfg.Spec = fs.Arg(0)
	}
	if *pkg != "" {
		cfg.Package = *pkg
	}
	if *out != "" {
		cfg.Output = *out
	}
	if cfg.Output == "" {
		cfg.Output = "."
	}
	cfg.Authtest = flagOr("authtest", *authtest, fc.Authtest)
	cfg.AuthorizeObjects = flagOr("authorize-objects", *authorize, fc.AuthorizeObjects)
	cfg.Strict = flagOr("strict", *strict, fc.Strict)
	checkOnly := flagOr("check", *check, fc.Check)
	if cfg.Spec == "" {
		fmt.Fprintln(stderr, "securegen generate: no SPEC given")
		return 2
	}
	if checkOnly {
		return runCheck(ctx, cfg, stdout, stderr)
	}
	res, err := generator.Generate(ctx, cfg)
	if res != nil {
		printDiagnostics(stderr, res)
		if res.SecurityChanges != "" {
			fmt.Fprint(stderr, res.SecurityChanges)
		}
		for _, name := range res.Removed {
			fmt.Fprintf(stderr, "securegen: removed %s: securegen wrote it and no longer does\n", filepath.Join(cfg.Output, name))
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "securegen:", err)
		return 1
	}
	return 0
}

// runCheck implements securegen generate -check: it prints the unified
// diff of every generated file that is not current to stdout, and returns
// 1 when there is one.
func runCheck(ctx context.Context, cfg generator.Config, stdout, stderr io.Writer) int {
	res, err := generator.Check(ctx, cfg)
	if res != nil {
		printDiagnostics(stderr, res)
	}
	if err != nil {
		fmt.Fprintln(stderr, "securegen:", err)
		return 1
	}
	if len(res.Drift) == 0 {
		return 0
	}
	var b strings.Builder
	for _, d := range res.Drift {
		b.WriteString(d.Diff())
	}
	if _, err := io.WriteString(stdout, b.String()); err != nil {
		fmt.Fprintln(stderr, "securegen:", err)
		return 1
	}
	counts := map[generator.DriftKind]int{}
	for _, d := range res.Drift {
		counts[d.Kind]++
	}
	var parts []string
	for _, k := range []generator.DriftKind{generator.Changed, generator.Missing, generator.Stale} {
		if counts[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
		}
	}
	fmt.Fprintf(stderr, "securegen generate -check: %s is not what %s generates (%s); run securegen generate without -check\n",
		cfg.Output, cfg.Spec, strings.Join(parts, ", "))
	return 1
}

// printDiagnostics prints what loading and modeling tolerated, one line
// each with its location. (Under -strict, the error that follows them
// says they stopped the run.)
func printDiagnostics(w io.Writer, res *generator.Result) {
	for _, d := range res.Diagnostics {
		fmt.Fprintln(w, d)
	}
}
