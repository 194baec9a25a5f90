package generator_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/securegen/securegen/generator"
	"github.com/securegen/securegen/generator/diag"
	"github.com/securegen/securegen/generator/model"
)

// TestLoadModel checks the one load → model sequence: its errors say
// which stage failed, and its diagnostics reach the sink.
func TestLoadModel(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	write := func(name, src string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A value x-securegen-authorize cannot have stops the model: a spec
	// that asks for a check and gets none would fail open.
	invalid := write("invalid.yaml", `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /x/{id}:
    get:
      operationId: getX
      x-securegen-authorize: maybe
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200": {description: ok}
`)
	undeclared := write("undeclared.yaml", `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /x:
    get:
      operationId: getX
      security:
        - nowhere: []
      responses:
        "200": {description: ok}
`)

	t.Run("model error", func(t *testing.T) {
		_, err := generator.LoadModel(ctx, invalid, model.Options{}, nil)
		me, ok := errors.AsType[*generator.ModelError](err)
		if !ok {
			t.Fatalf("err %v, want a *generator.ModelError", err)
		}
		if me.Spec != invalid || !strings.Contains(err.Error(), "invalid.yaml#/paths/~1x~1{id}/get/x-securegen-authorize") {
			t.Errorf("ModelError %+v: want the spec and the location", me)
		}
		if _, ok := errors.AsType[*diag.SpecError](err); !ok {
			t.Errorf("the model's *diag.SpecError is not reachable from %v", err)
		}
	})
	t.Run("undeclared scheme warns", func(t *testing.T) {
		var sink diag.Sink
		api, err := generator.LoadModel(ctx, undeclared, model.Options{}, &sink)
		if err != nil {
			t.Fatal(err)
		}
		if len(api.Operations) != 1 || api.Requirements()[0].Public() {
			t.Fatalf("want one operation that is not public: %+v", api.Requirements())
		}
		ds := sink.All()
		if len(ds) != 1 || ds[0].Severity != diag.Warning || ds[0].Location.Pointer != "/paths/~1x/get/security/0/nowhere" {
			t.Errorf("diagnostics %v, want one warning at the requirement", ds)
		}
	})
	t.Run("lenient", func(t *testing.T) {
		var sink diag.Sink
		api, err := generator.LoadModel(ctx, undeclared, model.Options{LenientSecurity: true}, &sink)
		if err != nil {
			t.Fatal(err)
		}
		if len(api.Operations) != 1 || len(sink.All()) == 0 {
			t.Errorf("%d operations, diagnostics %v; want 1 and the undeclared scheme", len(api.Operations), sink.All())
		}
	})
	t.Run("load error", func(t *testing.T) {
		_, err := generator.LoadModel(ctx, filepath.Join(dir, "missing.yaml"), model.Options{}, nil)
		if err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "missing.yaml") {
			t.Fatalf("err %v, want one naming the missing file", err)
		}
		if _, ok := errors.AsType[*generator.ModelError](err); ok {
			t.Errorf("a load error is a *generator.ModelError: %v", err)
		}
	})
	t.Run("requirements", func(t *testing.T) {
		api, err := generator.LoadModel(ctx, filepath.Join(repoRoot(t), "testdata", "specs", "security.yaml"), model.Options{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		reqs := api.Requirements()
		if len(reqs) != len(api.Operations) || len(reqs) == 0 {
			t.Fatalf("%d requirements for %d operations", len(reqs), len(api.Operations))
		}
		for i, op := range api.Operations {
			if r := reqs[i]; r.ID != op.ID || r.Public() != op.Security.Public {
				t.Errorf("requirement %d: %+v for operation %s (public %v)", i, r, op.ID, op.Security.Public)
			}
		}
	})
}
