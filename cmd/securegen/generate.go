package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	yaml "go.yaml.in/yaml/v4"

	"github.com/securegen/securegen/generator"
)

// fileConfig is the YAML configuration file; its keys are the flags'.
type fileConfig struct {
	Spec    string `yaml:"spec"`
	Package string `yaml:"package"`
	Output  string `yaml:"output"`
	// O is the -o flag's own name for output.
	O        string `yaml:"o"`
	Authtest bool   `yaml:"authtest"`
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

func runGenerate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("generate", stderr)
	configPath := fs.String("config", "", "YAML file with the keys spec, package, output, authtest")
	pkg := fs.String("package", "", "package name (default: the base name of -o)")
	out := fs.String("o", "", "output directory (default: the current directory)")
	authtest := fs.Bool("authtest", false, "also write security_test.go, which proves every operation is protected")
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
	// Flags override the file.
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
	cfg.Authtest = fc.Authtest || *authtest
	if cfg.Spec == "" {
		fmt.Fprintln(stderr, "securegen generate: no SPEC given")
		return 2
	}
	res, err := generator.Generate(ctx, cfg)
	if res != nil {
		for _, d := range res.Diagnostics {
			fmt.Fprintln(stderr, d)
		}
		if res.SecurityChanges != "" {
			fmt.Fprint(stderr, res.SecurityChanges)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "securegen:", err)
		return 1
	}
	return 0
}
