package load

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/securegen/securegen/generator/diag"
)

// corpusDir returns ../shared/corpus/specs, or skips (fails when CI is
// set) when it is absent.
func corpusDir(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "specs")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("corpus not found at %s (CI is set, so this fails instead of skipping)", dir)
		}
		tb.Skipf("corpus not found at %s; skipping", dir)
	}
	return dir
}

// BenchmarkLoad measures loading the two specs of the generation
// benchmark: okta (YAML, OpenAPI 3.0) and kubernetes (JSON, Swagger 2.0).
func BenchmarkLoad(b *testing.B) {
	dir := corpusDir(b)
	for _, spec := range []string{"okta-management.yaml", "kubernetes.swagger2.json"} {
		b.Run(spec, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var sink diag.Sink
				if _, err := Load(context.Background(), filepath.Join(dir, spec), &sink); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
