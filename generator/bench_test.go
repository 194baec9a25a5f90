package generator_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/securegen/securegen/generator"
)

// BenchmarkBuild measures generation in process, without writing: load,
// model, render and format. bench/ compares whole command runs with
// oapi-codegen's.
func BenchmarkBuild(b *testing.B) {
	dir := filepath.Dir(corpusSpecs(b)[0])
	for _, spec := range []string{"okta-management.yaml", "kubernetes.swagger2.json"} {
		b.Run(spec, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := generator.Build(context.Background(), generator.Config{Spec: filepath.Join(dir, spec), Package: "api"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
