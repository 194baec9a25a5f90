package generator_test

import (
	"bytes"
	"context"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/securegen/securegen/generator"
)

var update = flag.Bool("update", false, "rewrite the golden packages in internal/e2e")

// goldens are the hand-written specs of testdata/specs and the packages,
// under internal/e2e, that hold their expected output and its end-to-end
// tests.
var goldens = []struct{ spec, pkg string }{
	{"security.yaml", "security"},
	{"roles.v31.yaml", "roles"},
	{"types.yaml", "types"},
	{"params.yaml", "params"},
	{"swagger2.json", "swagger2"},
	{"multifile/api.yaml", "multifile"},
	{"issuer.yaml", "issuer"},
	{"validation.yaml", "validation"},
	{"validation.v31.yaml", "validation31"},
	{"hostile.v31.yaml", "hostile"},
	{"objects.yaml", "objects"},
	{"undeclared.yaml", "undeclared"},
	{"extensions.yaml", "extensions"},
	{"forms.yaml", "forms"},
	{"sharedissuer.yaml", "sharedissuer"},
	{"ratelimits.yaml", "ratelimits"},
}

func TestGoldenOutput(t *testing.T) {
	for _, g := range goldens {
		t.Run(g.pkg, func(t *testing.T) {
			dir := filepath.Join("..", "internal", "e2e", g.pkg)
			res, err := generator.Build(context.Background(), generator.Config{
				Spec: filepath.Join("..", "testdata", "specs", g.spec), Package: g.pkg, Output: dir})
			if err != nil {
				t.Fatal(err)
			}
			if *update {
				if _, err := generator.WritePackage(dir, res.Files); err != nil {
					t.Fatal(err)
				}
				return
			}
			// What differs, what is missing, and what securegen wrote
			// there and no longer writes.
			drift, err := generator.Drifts(dir, res.Files)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range drift {
				diff := strings.SplitAfter(d.Diff(), "\n")
				if len(diff) > 40 {
					diff = append(diff[:40], "...\n")
				}
				t.Errorf("%s is %s; run go test ./generator -update and review the diff:\n%s", d.Path, d.Kind, strings.Join(diff, ""))
			}
		})
	}
}

func TestGenerationIsDeterministic(t *testing.T) {
	for _, g := range goldens {
		cfg := generator.Config{Spec: filepath.Join("..", "testdata", "specs", g.spec), Package: g.pkg, Output: t.TempDir()}
		a, err := generator.Build(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			b, err := generator.Build(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			for j := range a.Files {
				if !bytes.Equal(a.Files[j].Content, b.Files[j].Content) {
					t.Fatalf("%s: %s differs between two runs", g.spec, a.Files[j].Name)
				}
			}
		}
	}
}
