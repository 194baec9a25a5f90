package generator_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/securegen/securegen/generator"
	"github.com/securegen/securegen/generator/render"
)

// specPath is the path of a spec under testdata/specs.
func specPath(tb testing.TB, name string) string {
	return filepath.Join(repoRoot(tb), "testdata", "specs", name)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// leftovers are files a package directory may hold besides what
// securegen writes now; stale says which securegen wrote.
var leftovers = []struct {
	name, content string
	stale         bool
}{
	{"legacy.gen.go", generator.Header + "\n\npackage api\n", true},
	{"crlf.gen_test.go", generator.Header + "\r\n\r\npackage api\r\n", true},
	// The user's, whatever their names.
	{"mine.gen.go", "// Hand-written.\n" + generator.Header + "\npackage api\n", false},
	{"header-later.gen.go", "package api\n\n" + generator.Header + "\n", false},
	{"prefix.gen.go", generator.Header + " Or so I say.\npackage api\n", false},
	{"handwritten.go", generator.Header + "\n\npackage api\n", false},
	{"notes.gen.go.txt", generator.Header + "\n", false},
	{"empty.gen.go", "", false},
}

func writeLeftovers(t *testing.T, dir string) {
	t.Helper()
	for _, l := range leftovers {
		writeFile(t, filepath.Join(dir, l.name), l.content)
	}
	// A directory is never securegen's file.
	if err := os.Mkdir(filepath.Join(dir, "dir.gen.go"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestGenerateRemovesStaleFiles checks that regenerating deletes the
// files securegen wrote and no longer writes, and only those.
func TestGenerateRemovesStaleFiles(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "api")
	cfg := generator.Config{Spec: specPath(t, "security.yaml"), Output: dir, Authtest: true}
	if _, err := generator.Generate(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	writeLeftovers(t, dir)
	// Without -authtest, security.gen_test.go is no longer written.
	cfg.Authtest = false
	res, err := generator.Generate(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"crlf.gen_test.go", "legacy.gen.go", "security.gen_test.go"}
	if !slices.Equal(res.Removed, want) {
		t.Errorf("removed %v, want %v", res.Removed, want)
	}
	for _, name := range want {
		if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: %v; want it deleted", name, err)
		}
	}
	for _, l := range leftovers {
		if l.stale {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(dir, l.name)); err != nil || string(b) != l.content {
			t.Errorf("%s was touched: %v", l.name, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "dir.gen.go")); err != nil || !fi.IsDir() {
		t.Errorf("dir.gen.go: %v", err)
	}
	for _, f := range res.Files {
		if _, err := os.Stat(filepath.Join(dir, f.Name)); err != nil {
			t.Errorf("%s not written: %v", f.Name, err)
		}
	}
	// No staging file is left behind.
	if tmp, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(tmp) > 0 {
		t.Errorf("staging files left: %v", tmp)
	}
}

// TestFailedGenerateDeletesNothing checks that a spec that cannot be
// generated leaves the package, stale files included, as it was.
func TestFailedGenerateDeletesNothing(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "api")
	if _, err := generator.Generate(ctx, generator.Config{Spec: specPath(t, "security.yaml"), Output: dir}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "legacy.gen.go"), generator.Header+"\n\npackage api\n")
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	writeFile(t, bad, "openapi: 3.0.3\ninfo: [\n")
	if _, err := generator.Generate(ctx, generator.Config{Spec: bad, Output: dir}); err == nil {
		t.Fatal("a broken spec generated")
	}
	if _, err := os.Stat(filepath.Join(dir, "legacy.gen.go")); err != nil {
		t.Errorf("a failed generation deleted a file: %v", err)
	}
}

// snapshotDir reads every regular file of dir.
func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			out[e.Name()] = string(b)
		}
	}
	return out
}

// TestCheck checks that Check reports what differs, is missing or is
// stale, ignores the user's files, and writes nothing.
func TestCheck(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "api")
	cfg := generator.Config{Spec: specPath(t, "security.yaml"), Output: dir, Authtest: true}

	// Nothing there yet: every file is missing, and the directory is not
	// created.
	res, err := generator.Check(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Drift) != len(res.Files) || len(res.Files) == 0 {
		t.Fatalf("%d drifts for %d files", len(res.Drift), len(res.Files))
	}
	for _, d := range res.Drift {
		if d.Kind != generator.Missing || d.Old != nil || !strings.HasPrefix(d.Diff(), "--- /dev/null\n+++ "+d.Path+"\t(generated)\n@@ -0,0 +1,") {
			t.Errorf("%s: %s, diff:\n%.200s", d.Path, d.Kind, d.Diff())
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Check created the output directory: %v", err)
	}

	if _, err := generator.Generate(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	writeLeftovers(t, dir)
	// Current, whatever else the directory holds.
	for _, l := range leftovers {
		if l.stale {
			os.Remove(filepath.Join(dir, l.name))
		}
	}
	if res, err = generator.Check(ctx, cfg); err != nil || len(res.Drift) != 0 {
		t.Fatalf("current package: err %v, drift %v", err, res.Drift)
	}

	// Changed, missing and stale at once.
	server := filepath.Join(dir, "server.gen.go")
	src, err := os.ReadFile(server)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, server, strings.Replace(string(src), "type Server interface", "type Server interface // edited", 1))
	if err := os.Remove(filepath.Join(dir, "types.gen.go")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "legacy.gen.go"), generator.Header+"\n\npackage api\n")
	before := snapshotDir(t, dir)
	res, err = generator.Check(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range res.Drift {
		got = append(got, d.Kind.String()+" "+filepath.Base(d.Path))
	}
	want := []string{"changed server.gen.go", "missing types.gen.go", "stale legacy.gen.go"}
	if !slices.Equal(got, want) {
		t.Errorf("drift %v, want %v", got, want)
	}
	for _, d := range res.Drift {
		diff := d.Diff()
		switch d.Kind {
		case generator.Changed:
			for _, s := range []string{"--- " + server + "\t(on disk)\n", "+++ " + server + "\t(generated)\n",
				"\n-type Server interface // edited {\n", "\n+type Server interface {\n", "\n@@ -"} {
				if !strings.Contains(diff, s) {
					t.Errorf("diff of the changed file lacks %q:\n%s", s, diff)
				}
			}
		case generator.Stale:
			if want := "--- " + d.Path + "\t(on disk)\n+++ /dev/null\n@@ -1,3 +0,0 @@\n-" + generator.Header + "\n-\n-package api\n"; diff != want {
				t.Errorf("diff of the stale file:\n%s\nwant\n%s", diff, want)
			}
		}
	}
	if after := snapshotDir(t, dir); !mapsEqual(before, after) {
		t.Error("Check changed the directory")
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || v != w {
			return false
		}
	}
	return true
}

// TestStrict checks that Strict turns the warnings into a *StrictError
// that lists them, and that nothing is written.
func TestStrict(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "api")
	// security.yaml declares an http negotiate scheme, which securegen
	// cannot verify: a warning.
	spec := specPath(t, "security.yaml")
	res, err := generator.Generate(ctx, generator.Config{Spec: spec, Output: dir, Strict: true})
	se, ok := errors.AsType[*generator.StrictError](err)
	if !ok {
		t.Fatalf("err %v, want a *generator.StrictError", err)
	}
	if se.Spec != spec || len(se.Diagnostics) == 0 || res == nil || len(res.Diagnostics) < len(se.Diagnostics) {
		t.Fatalf("StrictError %+v, result %+v", se, res)
	}
	found := false
	for _, d := range se.Diagnostics {
		if d.Location.File == spec && d.Location.Pointer == "/components/securitySchemes/kerberos" {
			found = true
		}
	}
	if !found {
		t.Errorf("no diagnostic at the negotiate scheme: %v", se.Diagnostics)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("strict generation wrote into %s: %v", dir, err)
	}
	// A spec without warnings generates.
	if _, err := generator.Generate(ctx, generator.Config{Spec: specPath(t, "roles.v31.yaml"), Output: dir, Strict: true}); err != nil {
		t.Errorf("a spec without warnings: %v", err)
	}
}

// TestAuthorizeObjects checks that the option reaches the model: an
// object check, and its Authorize method, on every secured operation
// with a path parameter.
func TestAuthorizeObjects(t *testing.T) {
	cfg := generator.Config{Spec: specPath(t, "security.yaml"), Package: "api", Output: t.TempDir()}
	for _, on := range []bool{false, true} {
		cfg.AuthorizeObjects = on
		res, err := generator.Build(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		var checked []string
		for _, op := range res.API.Requirements() {
			if op.ObjectCheck {
				checked = append(checked, op.ID)
			}
		}
		var want []string
		if on {
			want = []string{"putItem"}
		}
		if !slices.Equal(checked, want) {
			t.Errorf("AuthorizeObjects %v: object checks on %v, want %v", on, checked, want)
		}
		server := res.Files[slices.IndexFunc(res.Files, func(f render.File) bool { return f.Name == "server.gen.go" })]
		if has := bytes.Contains(server.Content, []byte("AuthorizePutItem(")); has != on {
			t.Errorf("AuthorizeObjects %v: server.gen.go declares AuthorizePutItem: %v", on, has)
		}
	}
}
