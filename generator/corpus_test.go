package generator_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/securegen/securegen/generator"
)

// corpusSpecs returns the entry files of the corpus of real public specs
// in ../shared/corpus/specs. Without the corpus the test is skipped,
// unless CI is set: CI must never pass by skipping.
func corpusSpecs(tb testing.TB) []string {
	tb.Helper()
	dir := filepath.Join(repoRoot(tb), "..", "shared", "corpus", "specs")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("corpus not found at %s (CI is set, so this fails instead of skipping)", dir)
		}
		tb.Skipf("corpus not found at %s; skipping", dir)
	}
	var specs []string
	for _, pat := range []string{"*.json", "*.yaml"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		specs = append(specs, m...)
	}
	specs = append(specs,
		filepath.Join(dir, "digitalocean-multifile", "specification", "DigitalOcean-public.v2.yaml"),
		filepath.Join(dir, "polaris-multifile", "spec", "polaris-catalog-service.yaml"))
	if len(specs) != 20 {
		tb.Fatalf("found %d corpus specs, want 20", len(specs))
	}
	return specs
}

func repoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("go.work not found above the test's directory")
		}
		dir = parent
	}
}

func corpusPackage(spec string) string {
	base := filepath.Base(spec)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	var b strings.Builder
	for _, r := range strings.ToLower(base) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' && b.Len() > 0 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestCorpusCompiles generates a package from every corpus spec and
// proves that each passes go build and go vet.
func TestCorpusCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("generating and compiling 20 real specs takes minutes; skipped under -short")
	}
	specs := corpusSpecs(t)
	root := repoRoot(t)
	// The packages must live inside the module to import the runtime.
	out, err := os.MkdirTemp(root, ".corpus-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(out) })
	var dirs []string
	for _, spec := range specs {
		pkg := corpusPackage(spec)
		dir := filepath.Join(out, pkg)
		res, err := generator.Generate(context.Background(), generator.Config{Spec: spec, Package: pkg, Output: dir, Authtest: true})
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(spec), err)
			continue
		}
		t.Logf("%s: %d operations, %d types, %d warnings", filepath.Base(spec), len(res.API.Operations), len(res.API.Types), len(res.Diagnostics))
		dirs = append(dirs, "./"+filepath.ToSlash(strings.TrimPrefix(dir, root+string(filepath.Separator))))
	}
	// go test runs the generated authtest proof of every package.
	for _, tool := range [][]string{{"build"}, {"vet"}, {"test", "-count=1"}} {
		cmd := exec.Command("go", append(tool, dirs...)...)
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", tool[0], err, b)
		}
		t.Logf("go %s: %d packages pass", tool[0], len(dirs))
	}
}
