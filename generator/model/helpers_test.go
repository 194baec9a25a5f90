package model

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/securegen/securegen/generator/diag"
	"github.com/securegen/securegen/generator/load"
)

// loadSpec writes spec to a file in a fresh directory, JSON when it starts
// with "{" and YAML otherwise, and loads it as generator.Build does.
func loadSpec(t *testing.T, spec string) *load.Spec {
	t.Helper()
	name := "spec.yaml"
	if strings.HasPrefix(strings.TrimSpace(spec), "{") {
		name = "spec.json"
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	var sink diag.Sink
	s, err := load.Load(context.Background(), path, &sink)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return s
}

// buildSpec loads spec and models it with opts, returning what Build
// returned and the diagnostics it recorded.
func buildSpec(t *testing.T, spec string, opts Options) (*API, []diag.Diagnostic, error) {
	t.Helper()
	s := loadSpec(t, spec)
	var sink diag.Sink
	api, err := Build(s, opts, &sink)
	return api, sink.All(), err
}

// mustBuild is buildSpec for specs that must model without error.
func mustBuild(t *testing.T, spec string) (*API, []diag.Diagnostic) {
	t.Helper()
	api, diags, err := buildSpec(t, spec, Options{Package: "api"})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return api, diags
}

// typeNamed returns the declared type called name, failing the test when
// there is none.
func typeNamed(t *testing.T, api *API, name string) *Type {
	t.Helper()
	for _, ty := range api.Types {
		if ty.Name == name {
			return ty
		}
	}
	var names []string
	for _, ty := range api.Types {
		names = append(names, ty.Name)
	}
	t.Fatalf("no type %s; types: %v", name, names)
	return nil
}

// opByID returns the operation with the given ID.
func opByID(t *testing.T, api *API, id string) *Operation {
	t.Helper()
	for _, o := range api.Operations {
		if o.ID == id {
			return o
		}
	}
	var ids []string
	for _, o := range api.Operations {
		ids = append(ids, o.ID)
	}
	t.Fatalf("no operation %s; operations: %v", id, ids)
	return nil
}

// fieldNamed returns the field of ty whose JSON name is json.
func fieldNamed(t *testing.T, ty *Type, json string) *Field {
	t.Helper()
	for _, f := range ty.Fields {
		if f.JSONName == json {
			return f
		}
	}
	t.Fatalf("type %s has no field for %q", ty.Name, json)
	return nil
}

// paramNamed returns the parameter of o called name in loc.
func paramNamed(t *testing.T, o *Operation, in ParamIn, name string) *Param {
	t.Helper()
	for _, p := range o.Params {
		if p.In == in && p.Name == name {
			return p
		}
	}
	t.Fatalf("operation %s has no %s parameter %q", o.ID, in, name)
	return nil
}

// diagAt returns the diagnostics whose pointer is ptr and whose message
// contains text.
func diagAt(diags []diag.Diagnostic, ptr, text string) []diag.Diagnostic {
	var out []diag.Diagnostic
	for _, d := range diags {
		if d.Location.Pointer == ptr && strings.Contains(d.Message, text) {
			out = append(out, d)
		}
	}
	return out
}

// wantDiag fails unless exactly one diagnostic of severity sev sits at
// ptr with a message containing text.
func wantDiag(t *testing.T, diags []diag.Diagnostic, sev diag.Severity, ptr, text string) {
	t.Helper()
	got := diagAt(diags, ptr, text)
	if len(got) != 1 || got[0].Severity != sev {
		t.Errorf("want one %s at %s containing %q; diagnostics:\n%s", sev, ptr, text, diagList(diags))
	}
}

// wantNoDiags fails when any diagnostic was recorded.
func wantNoDiags(t *testing.T, diags []diag.Diagnostic) {
	t.Helper()
	if len(diags) > 0 {
		t.Errorf("want no diagnostics, got:\n%s", diagList(diags))
	}
}

func diagList(diags []diag.Diagnostic) string {
	var b strings.Builder
	for _, d := range diags {
		b.WriteString("  " + d.String() + "\n")
	}
	return b.String()
}

// typeNames returns the names of api's types, in order.
func typeNames(api *API) []string {
	var out []string
	for _, ty := range api.Types {
		out = append(out, ty.Name)
	}
	return out
}
