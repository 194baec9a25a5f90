package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// repoRoot walks up from the test's directory to the one holding go.work.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.work above the test's directory")
		}
		dir = parent
	}
}

func runCmd(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestAuditExitStatus(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "testdata", "specs", "audit")
	spec := func(name string) string { return filepath.Join(dir, name) }
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"clean", []string{spec("clean.yaml")}, 0},
		{"error fails by default", []string{spec("undeclared-scheme.yaml")}, 1},
		{"error with -fail-on never", []string{"-fail-on", "never", spec("undeclared-scheme.yaml")}, 0},
		{"unsupported scheme is an error", []string{spec("unsupported-scheme.yaml")}, 1},
		{"warning passes by default", []string{spec("apikey-in-query.yaml")}, 0},
		{"warning with -fail-on warning", []string{"-fail-on", "warning", spec("apikey-in-query.yaml")}, 1},
		{"error with -fail-on warning", []string{"-fail-on=warning", spec("undeclared-scheme.yaml")}, 1},
		{"note with -fail-on warning", []string{"-fail-on", "warning", spec("http-basic.yaml")}, 0},
		{"object check missing is a note", []string{"-fail-on", "warning", spec("object-check-missing.yaml")}, 0},
		{"-authorize-objects", []string{"-authorize-objects", spec("object-check-missing.yaml")}, 0},
		{"markdown", []string{"-format", "markdown", spec("clean.yaml")}, 0},
		{"json", []string{"-format", "json", spec("clean.yaml")}, 0},
		{"bad -fail-on", []string{"-fail-on", "sometimes", spec("clean.yaml")}, 2},
		{"bad -format", []string{"-format", "xml", spec("clean.yaml")}, 2},
		{"unknown flag", []string{"-bogus", spec("clean.yaml")}, 2},
		{"no spec", nil, 2},
		{"two specs", []string{spec("clean.yaml"), spec("clean.yaml")}, 2},
		{"missing spec", []string{spec("does-not-exist.yaml")}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(append([]string{"audit"}, tt.args...)...)
			if code != tt.want {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.want, stdout, stderr)
			}
			if tt.want == 1 && strings.Contains(tt.name, "missing") && !strings.Contains(stderr, "does-not-exist.yaml") {
				t.Errorf("stderr does not name the spec: %s", stderr)
			}
		})
	}
}

func TestAuditJSONOutput(t *testing.T) {
	code, stdout, stderr := runCmd("audit", "-format", "json", "-fail-on", "never",
		filepath.Join(repoRoot(t), "testdata", "specs", "audit", "undeclared-scope.yaml"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r struct {
		Operations []map[string]any `json:"operations"`
		Findings   []struct {
			Severity, Code, Location, Message string
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if len(r.Operations) != 2 || len(r.Findings) != 2 || r.Findings[0].Code != "undeclared-scope" || r.Findings[0].Severity != "warning" {
		t.Errorf("unexpected report:\n%s", stdout)
	}
}

func TestDiffExitStatus(t *testing.T) {
	cases := filepath.Join(repoRoot(t), "testdata", "specs", "diff")
	pair := func(name string) []string {
		return []string{filepath.Join(cases, name, "old.yaml"), filepath.Join(cases, name, "new.yaml")}
	}
	tests := []struct {
		name   string
		args   []string
		want   int
		stdout string
	}{
		{"weakening", pair("scope-removed"), 1, "scope-removed"},
		{"weakening allowed", append([]string{"-allow-weakening"}, pair("scope-removed")...), 0, "scope-removed"},
		{"strengthening", pair("scope-added"), 0, "scope-added"},
		{"no change", pair("path-param-renamed"), 0, "no security changes"},
		{"json weakening", append([]string{"-format", "json"}, pair("became-public")...), 1, `"weakening": true`},
		{"json strengthening", append([]string{"-format", "json"}, pair("became-protected")...), 0, `"weakening": false`},
		{"scheme relaxed", pair("apikey-moved-to-query"), 1, "scheme-location-changed"},
		{"object check removed", pair("object-check-removed"), 1, "object-check-removed"},
		{"object check added", pair("object-check-added"), 0, "object-check-added"},
		// With the option, both sides have the check: the root's
		// extension said what the option says.
		{"object check removed, -authorize-objects", append([]string{"-authorize-objects"}, pair("object-check-removed")...), 0, "no security changes"},
		// An explicit false still wins over the option.
		{"object check opted out, -authorize-objects", append([]string{"-authorize-objects"}, pair("object-check-opted-out")...), 1, "object-check-removed"},
		{"bad format", append([]string{"-format", "markdown"}, pair("scope-added")...), 2, ""},
		{"one spec", pair("scope-added")[:1], 2, ""},
		{"missing spec", []string{filepath.Join(cases, "nope.yaml"), pair("scope-added")[1]}, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(append([]string{"diff"}, tt.args...)...)
			if code != tt.want {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.want, stdout, stderr)
			}
			if !strings.Contains(stdout, tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, stdout)
			}
		})
	}
}

// TestAuditObjectCheck checks the objectCheck of every row in the JSON,
// the OBJECT CHECK column of the text, and the object-check-missing note,
// with and without -authorize-objects.
func TestAuditObjectCheck(t *testing.T) {
	spec := filepath.Join(repoRoot(t), "testdata", "specs", "audit", "object-check-missing.yaml")
	tests := []struct {
		flags []string
		// checked are the operations with an object check; missing, those
		// with the note.
		checked, missing []string
	}{
		{nil, []string{"deleteItem"}, []string{"getItem", "getKey", "optedOut"}},
		{[]string{"-authorize-objects"}, []string{"deleteItem", "getItem", "getKey"}, []string{"optedOut"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(append([]string{"audit"}, tt.flags...), " "), func(t *testing.T) {
			code, stdout, stderr := runCmd(append(append([]string{"audit", "-format", "json"}, tt.flags...), spec)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var r struct {
				Operations []struct {
					OperationID string `json:"operationId"`
					ObjectCheck *bool  `json:"objectCheck"`
				} `json:"operations"`
				Findings []struct {
					Severity, Code, Location, Message string
				} `json:"findings"`
			}
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatalf("%v\n%s", err, stdout)
			}
			var checked, missing []string
			for _, op := range r.Operations {
				if op.ObjectCheck == nil {
					t.Fatalf("%s has no objectCheck:\n%s", op.OperationID, stdout)
				}
				if *op.ObjectCheck {
					checked = append(checked, op.OperationID)
				}
				for _, f := range r.Findings {
					if f.Code == "object-check-missing" && f.Severity == "note" && strings.Contains(f.Message, "("+op.OperationID+")") {
						missing = append(missing, op.OperationID)
					}
				}
			}
			slices.Sort(checked)
			slices.Sort(missing)
			if !slices.Equal(checked, tt.checked) || !slices.Equal(missing, tt.missing) {
				t.Errorf("object checks on %v, notes on %v; want %v and %v", checked, missing, tt.checked, tt.missing)
			}
			_, text, _ := runCmd(append(append([]string{"audit"}, tt.flags...), spec)...)
			if !strings.Contains(text, "OBJECT CHECK") || !strings.Contains(text, "object-check-missing") {
				t.Errorf("text output:\n%s", text)
			}
		})
	}
}

// TestGenerateOverExistingReportsWeakening checks that securegen generate
// prints the security diff when it overwrites a package.
func TestGenerateOverExistingReportsWeakening(t *testing.T) {
	cases := filepath.Join(repoRoot(t), "testdata", "specs", "diff", "alternative-added")
	out := filepath.Join(t.TempDir(), "api")
	if code, _, stderr := runCmd("generate", "-o", out, filepath.Join(cases, "old.yaml")); code != 0 {
		t.Fatalf("first generate: exit %d: %s", code, stderr)
	}
	code, _, stderr := runCmd("generate", "-o", out, filepath.Join(cases, "new.yaml"))
	if code != 0 {
		t.Fatalf("second generate: exit %d: %s", code, stderr)
	}
	for _, s := range []string{"weakening", "alternative-added", "GET /items/{id} (getItem)"} {
		if !strings.Contains(stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, stderr)
		}
	}
}
