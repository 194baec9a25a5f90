package generator_test

import (
	"cmp"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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

// corpusPackageName is the package name of a corpus spec: its file
// name, in lower-case letters and digits.
func corpusPackageName(spec string) string {
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

// corpusVariants are the ways TestCorpusCompiles generates every spec:
// as the spec says, and with -authorize-objects, which adds an
// object-level check, and an Authorize method to Server, on every secured
// operation with a path parameter.
var corpusVariants = []struct {
	name             string
	authorizeObjects bool
}{
	{"plain", false},
	{"authorize-objects", true},
}

// corpusPackage is one generated package of the corpus test.
type corpusPackage struct {
	spec, variant string
	// dir is the package's directory relative to the repository root,
	// as go commands take it: ./.corpus-*/variant/pkg.
	dir string
	res *generator.Result
	err error
}

// TestCorpusCompiles generates a package from every corpus spec, once as
// the spec says and once with -authorize-objects, and proves that each
// passes go vet, compiles, and passes its generated authtest proof.
//
// The 40 packages go through one go vet and one go test invocation, so
// that the go command keeps every core busy across all of them, the
// largest first, so that no big compile starts last and runs alone.
// go test compiles every file of each package (its
// test build is the package plus security.gen_test.go) and links it; a
// separate go build would compile each package a second time, which is
// nearly half of the test's time, and prove nothing more. go test runs
// with -vet=off because go vet has already run every analyzer go test
// would, and links without DWARF (-ldflags=-w), which no proof needs.
//
// The go commands stop a minute before the test's deadline, so that a
// -timeout too short for the machine fails the test with a message and
// leaves no package behind, instead of a panic that leaves both.
func TestCorpusCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("generating and compiling 20 real specs twice takes minutes; skipped under -short")
	}
	specs := corpusSpecs(t)
	root := repoRoot(t)
	ctx := t.Context()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-time.Minute))
		defer cancel()
	}
	// The packages must live inside the module to import the runtime.
	out, err := os.MkdirTemp(root, ".corpus-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(out) })

	var pkgs []*corpusPackage
	for _, v := range corpusVariants {
		for _, spec := range specs {
			dir := filepath.Join(out, v.name, corpusPackageName(spec))
			pkgs = append(pkgs, &corpusPackage{spec: spec, variant: v.name,
				dir: "./" + filepath.ToSlash(strings.TrimPrefix(dir, root+string(filepath.Separator)))})
		}
	}
	// Generate on every core: the specs are independent.
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, p := range pkgs {
		v := corpusVariants[i/len(specs)]
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			p.res, p.err = generator.Generate(ctx, generator.Config{Spec: p.spec, Package: corpusPackageName(p.spec),
				Output: filepath.Join(root, filepath.FromSlash(p.dir)), Authtest: true, AuthorizeObjects: v.authorizeObjects})
		})
	}
	wg.Wait()

	size := func(p *corpusPackage) int {
		n := 0
		if p.res != nil {
			for _, f := range p.res.Files {
				n += len(f.Content)
			}
		}
		return n
	}
	slices.SortStableFunc(pkgs, func(a, b *corpusPackage) int { return cmp.Compare(size(b), size(a)) })
	var dirs []string
	checks := map[string]int{}
	for _, p := range pkgs {
		if p.err != nil {
			t.Errorf("%s (%s): %v", filepath.Base(p.spec), p.variant, p.err)
			continue
		}
		n := 0
		for _, op := range p.res.API.Operations {
			if op.ObjectCheck {
				n++
			}
		}
		checks[p.variant] += n
		t.Logf("%s (%s): %d operations, %d object checks, %d types, %d warnings",
			filepath.Base(p.spec), p.variant, len(p.res.API.Operations), n, len(p.res.API.Types), len(p.res.Diagnostics))
		dirs = append(dirs, p.dir)
	}
	if t.Failed() {
		t.FailNow()
	}
	if checks["authorize-objects"] == 0 {
		t.Fatal("-authorize-objects added no object check to any corpus spec")
	}
	for _, tool := range [][]string{{"vet"}, {"test", "-vet=off", "-count=1", "-ldflags=-w"}} {
		start := time.Now()
		cmd := exec.CommandContext(ctx, "go", append(tool, dirs...)...)
		cmd.Dir = root
		// Interrupted, the go command waits for the compilers it runs.
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
		cmd.WaitDelay = 30 * time.Second
		b, err := cmd.CombinedOutput()
		if ctx.Err() != nil {
			t.Fatalf("go %s: stopped after %s, before the test's deadline: run with a longer -timeout (CI uses 45m)\n%s",
				strings.Join(tool, " "), time.Since(start).Round(time.Second), b)
		}
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(tool, " "), err, b)
		}
		t.Logf("go %s: %d packages pass (%s)", strings.Join(tool, " "), len(dirs), time.Since(start).Round(time.Second))
	}
}
