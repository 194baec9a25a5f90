package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestGenerateFromConfigFileWithFlagOverrides(t *testing.T) {
	spec := filepath.Join(repoRoot(t), "testdata", "specs", "security.yaml")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "securegen.yaml")
	if err := os.WriteFile(cfg, []byte("spec: "+spec+"\npackage: fromfile\no: out\nauthtest: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCmd("generate", "-config", cfg, "-package", "fromflag")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// Output comes from the file, relative to it; the package from the flag.
	src, err := os.ReadFile(filepath.Join(dir, "out", "server.gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), "package fromflag") {
		t.Fatal("flag did not override the file's package")
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "security.gen_test.go")); err != nil {
		t.Fatal("authtest from the file was not honoured")
	}
}

func TestConfigFileRejectsUnknownKeys(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "securegen.yaml")
	os.WriteFile(cfg, []byte("spec: x.yaml\npakage: typo\n"), 0o644)
	code, _, stderr := runCmd("generate", "-config", cfg)
	if code != 2 || !strings.Contains(stderr, "pakage") {
		t.Fatalf("exit %d, stderr %q: want 2 naming the unknown key", code, stderr)
	}
}

func TestInvalidSpecFailsWithLocationAndWritesNothing(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "bad.yaml")
	os.WriteFile(spec, []byte(`openapi: 3.0.3
info: {title: bad, version: "1"}
paths:
  /x/{id}:
    get:
      x-securegen-authorize: maybe
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200": {description: ok}
`), 0o644)
	out := filepath.Join(dir, "out")
	code, _, stderr := runCmd("generate", "-o", out, spec)
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, stderr)
	}
	if !strings.Contains(stderr, "bad.yaml#/paths/~1x~1{id}/get/x-securegen-authorize") {
		t.Fatalf("error does not name the location: %s", stderr)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Fatalf("files written for an invalid spec: %v", entries)
	}
	// Broken YAML names the file and the line.
	os.WriteFile(spec, []byte("openapi: 3.0.3\ninfo: [\n"), 0o644)
	code, _, stderr = runCmd("generate", "-o", out, spec)
	if code != 1 || !strings.Contains(stderr, "bad.yaml") || !strings.Contains(stderr, "line") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// serverMethods parses the generated server.gen.go in dir and returns the
// methods of its Server interface, sorted.
func serverMethods(t *testing.T, dir string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, "server.gen.go"), nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var methods []string
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != "Server" {
			return true
		}
		it, ok := ts.Type.(*ast.InterfaceType)
		if !ok {
			t.Fatalf("Server is a %T", ts.Type)
		}
		for _, m := range it.Methods.List {
			for _, name := range m.Names {
				methods = append(methods, name.Name)
			}
		}
		return false
	})
	slices.Sort(methods)
	return methods
}

// TestGenerateAuthorizeObjects checks that -authorize-objects, and the
// config key authorizeObjects, add an Authorize method to Server for
// every secured operation with a path parameter, and nothing else.
func TestGenerateAuthorizeObjects(t *testing.T) {
	spec := filepath.Join(repoRoot(t), "testdata", "specs", "security.yaml")
	dir := t.TempDir()
	generate := func(name string, args ...string) []string {
		t.Helper()
		out := filepath.Join(dir, name)
		args = append(append([]string{"generate", "-o", out}, args...), spec)
		if code, _, stderr := runCmd(args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		return serverMethods(t, out)
	}
	cfg := filepath.Join(dir, "securegen.yaml")
	if err := os.WriteFile(cfg, []byte("authorizeObjects: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	off := generate("off")
	on := generate("on", "-authorize-objects")
	fromFile := generate("file", "-config", cfg)
	overridden := generate("overridden", "-config", cfg, "-authorize-objects=false")

	// putItem (PUT /items/{itemId}) is the one secured operation with a
	// path parameter.
	if slices.Contains(off, "AuthorizePutItem") || !slices.Contains(off, "PutItem") {
		t.Errorf("without the flag: %v", off)
	}
	var added []string
	for _, m := range on {
		if !slices.Contains(off, m) {
			added = append(added, m)
		}
	}
	if !slices.Equal(added, []string{"AuthorizePutItem"}) || len(on) != len(off)+1 {
		t.Errorf("-authorize-objects added %v (of %v), want exactly AuthorizePutItem", added, on)
	}
	if !slices.Equal(fromFile, on) {
		t.Errorf("authorizeObjects: true gives %v, want %v", fromFile, on)
	}
	if !slices.Equal(overridden, off) {
		t.Errorf("-authorize-objects=false over the file gives %v, want %v", overridden, off)
	}
}

// TestGenerateCheck runs generate -check over a current package, one with
// a changed file, one with a missing file and one with an extra file
// securegen wrote: exit status, diff, and nothing written.
func TestGenerateCheck(t *testing.T) {
	spec := filepath.Join(repoRoot(t), "testdata", "specs", "security.yaml")
	const header = "// Code generated by securegen. DO NOT EDIT."
	tests := []struct {
		name string
		// change turns a current package in dir into the case's.
		change func(t *testing.T, dir string)
		code   int
		// diff is what stdout holds, in order; "" for nothing.
		diff []string
	}{
		{"current", func(t *testing.T, dir string) {}, 0, nil},
		{"changed", func(t *testing.T, dir string) {
			path := filepath.Join(dir, "operations.gen.go")
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			edited := strings.Replace(string(src), "package api\n", "package api\n\n// Edited by hand.\n", 1)
			if edited == string(src) {
				t.Fatal("nothing to edit")
			}
			os.WriteFile(path, []byte(edited), 0o644)
		}, 1, []string{
			"--- OUT/operations.gen.go\t(on disk)\n+++ OUT/operations.gen.go\t(generated)\n@@ -2,8 +2,6 @@\n \n package api\n \n-// Edited by hand.\n-\n import ",
		}},
		{"missing", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "types.gen.go"))
		}, 1, []string{"--- /dev/null\n+++ OUT/types.gen.go\t(generated)\n@@ -0,0 +1,", "\n+" + header + "\n+\n+package api\n"}},
		{"extra", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "old.gen.go"), []byte(header+"\n\npackage api\n"), 0o644)
		}, 1, []string{"--- OUT/old.gen.go\t(on disk)\n+++ /dev/null\n@@ -1,3 +0,0 @@\n-" + header + "\n-\n-package api\n"}},
		{"authtest file left over", func(t *testing.T, dir string) {
			// security.gen_test.go from an earlier run with -authtest.
			if code, _, stderr := runCmd("generate", "-authtest", "-o", dir, spec); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
		}, 1, []string{"--- OUT/security.gen_test.go\t(on disk)\n+++ /dev/null\n@@ -1,"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "api")
			if code, _, stderr := runCmd("generate", "-o", out, spec); code != 0 {
				t.Fatalf("generate: exit %d: %s", code, stderr)
			}
			// The user's files are never reported or touched.
			os.WriteFile(filepath.Join(out, "impl.go"), []byte("package api\n"), 0o644)
			os.WriteFile(filepath.Join(out, "mine.gen.go"), []byte("// Not securegen's.\npackage api\n"), 0o644)
			tt.change(t, out)
			before := readDir(t, out)

			code, stdout, stderr := runCmd("generate", "-check", "-o", out, spec)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			stdout = strings.ReplaceAll(stdout, out, "OUT")
			rest := stdout
			for _, d := range tt.diff {
				i := strings.Index(rest, d)
				if i < 0 {
					t.Errorf("stdout lacks, in order,\n%s\nstdout:\n%s", d, stdout)
					break
				}
				rest = rest[i+len(d):]
			}
			// (stderr has the spec's warnings.)
			if tt.code == 0 && (stdout != "" || strings.Contains(stderr, "-check")) {
				t.Errorf("current package: stdout %q, stderr %q; want no diff", stdout, stderr)
			}
			if tt.code == 1 && !strings.Contains(stderr, "-check") {
				t.Errorf("stderr does not say what failed: %q", stderr)
			}
			if strings.Contains(stdout, "impl.go") || strings.Contains(stdout, "mine.gen.go") {
				t.Errorf("the user's files are reported:\n%s", stdout)
			}
			if after := readDir(t, out); !maps.Equal(before, after) {
				t.Error("generate -check changed the directory")
			}
		})
	}

	t.Run("config check: true", func(t *testing.T) {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "securegen.yaml")
		os.WriteFile(cfg, []byte("spec: "+spec+"\noutput: api\ncheck: true\n"), 0o644)
		if code, stdout, _ := runCmd("generate", "-config", cfg); code != 1 || !strings.Contains(stdout, "+++ "+filepath.Join(dir, "api", "server.gen.go")) {
			t.Errorf("exit %d, stdout:\n%.300s\nwant 1 and server.gen.go missing", code, stdout)
		}
		if _, err := os.Stat(filepath.Join(dir, "api")); !os.IsNotExist(err) {
			t.Errorf("check wrote the package: %v", err)
		}
		// A package written, then checked: current.
		if code, _, stderr := runCmd("generate", "-config", cfg, "-check=false"); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if code, stdout, stderr := runCmd("generate", "-config", cfg); code != 0 {
			t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
		}
	})
}

// readDir reads every regular file of dir.
func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(b)
	}
	return files
}

// TestGenerateRemovesStaleFiles checks that generate deletes a file it
// wrote before and no longer writes, says so, and leaves the user's.
func TestGenerateRemovesStaleFiles(t *testing.T) {
	spec := filepath.Join(repoRoot(t), "testdata", "specs", "security.yaml")
	out := filepath.Join(t.TempDir(), "api")
	if code, _, stderr := runCmd("generate", "-authtest", "-o", out, spec); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	os.WriteFile(filepath.Join(out, "impl.go"), []byte("package api\n"), 0o644)
	code, _, stderr := runCmd("generate", "-o", out, spec)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "removed "+filepath.Join(out, "security.gen_test.go")) {
		t.Errorf("stderr does not report the removal: %s", stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "security.gen_test.go")); !os.IsNotExist(err) {
		t.Errorf("security.gen_test.go: %v; want it removed", err)
	}
	if _, err := os.Stat(filepath.Join(out, "impl.go")); err != nil {
		t.Errorf("impl.go: %v", err)
	}
	// The package is then current.
	if code, stdout, stderr := runCmd("generate", "-check", "-o", out, spec); code != 0 {
		t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// TestGenerateStrict checks that -strict, and the config key strict, make
// every warning an error: exit 1, each warning printed with its location,
// and nothing written.
func TestGenerateStrict(t *testing.T) {
	dir := t.TempDir()
	// A requirement naming an undeclared scheme: a warning, and an
	// alternative that admits nobody.
	undeclared := filepath.Join(dir, "undeclared.yaml")
	os.WriteFile(undeclared, []byte(`openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /x:
    get:
      security:
        - nowhere: []
      responses:
        "200": {description: ok}
`), 0o644)
	// security.yaml declares http negotiate, which securegen cannot verify.
	security := filepath.Join(repoRoot(t), "testdata", "specs", "security.yaml")
	cfg := filepath.Join(dir, "securegen.yaml")
	os.WriteFile(cfg, []byte("strict: true\n"), 0o644)
	tests := []struct {
		name     string
		args     []string
		location string
	}{
		{"undeclared scheme", []string{"-strict", undeclared}, "undeclared.yaml#/paths/~1x/get/security/0/nowhere"},
		{"unsupported scheme", []string{"-strict", security}, "security.yaml#/components/securitySchemes/kerberos"},
		{"config", []string{"-config", cfg, security}, "security.yaml#/components/securitySchemes/kerberos"},
		{"with -check", []string{"-strict", "-check", security}, "security.yaml#/components/securitySchemes/kerberos"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "api")
			code, stdout, stderr := runCmd(append([]string{"generate", "-o", out}, tt.args...)...)
			if code != 1 {
				t.Errorf("exit %d, want 1\n%s", code, stderr)
			}
			if !strings.Contains(stderr, tt.location+": warning: ") || !strings.Contains(stderr, "strict") {
				t.Errorf("stderr does not locate the warning and say strict made it an error:\n%s", stderr)
			}
			if stdout != "" {
				t.Errorf("stdout: %q", stdout)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("strict generation wrote %s: %v", out, err)
			}
		})
	}
	// Without -strict the same specs generate, with the warnings printed.
	out := filepath.Join(dir, "api")
	if code, _, stderr := runCmd("generate", "-o", out, undeclared); code != 0 || !strings.Contains(stderr, "undeclared.yaml#/paths/~1x/get/security/0/nowhere: warning: ") {
		t.Errorf("exit %d, stderr %q; want 0 and the warning", code, stderr)
	}
	// And -strict=false overrides the file.
	if code, _, stderr := runCmd("generate", "-config", cfg, "-strict=false", "-o", out, security); code != 0 {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := runCmd("version")
	if code != 0 || !strings.HasPrefix(stdout, "securegen v") {
		t.Fatalf("exit %d, %q", code, stdout)
	}
}

// TestHelpExitsZero checks that asking any command for help succeeds and
// prints its usage, while an unknown flag is still a usage error.
func TestHelpExitsZero(t *testing.T) {
	// A flag each command's usage lists.
	flags := map[string]string{"generate": "-authtest", "audit": "-fail-on", "diff": "-allow-weakening"}
	for cmd, listed := range flags {
		for _, help := range []string{"-h", "-help", "--help"} {
			t.Run(cmd+" "+help, func(t *testing.T) {
				code, _, stderr := runCmd(cmd, help)
				if code != 0 {
					t.Errorf("exit %d, want 0: %s", code, stderr)
				}
				if !strings.Contains(stderr, "Usage of "+cmd) || !strings.Contains(stderr, listed) {
					t.Errorf("stderr is not %s's usage: %q", cmd, stderr)
				}
			})
		}
		t.Run(cmd+" -bogus", func(t *testing.T) {
			if code, _, _ := runCmd(cmd, "-bogus"); code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
		})
	}
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}, {"version", "-h"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			if code, stdout, stderr := runCmd(args...); code != 0 || stdout == "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 0 and output", code, stdout, stderr)
			}
		})
	}
}
