package main

import (
	"os"
	"path/filepath"
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
  /x:
    get:
      security:
        - nowhere: []
      responses:
        "200": {description: ok}
`), 0o644)
	out := filepath.Join(dir, "out")
	code, _, stderr := runCmd("generate", "-o", out, spec)
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, stderr)
	}
	if !strings.Contains(stderr, "bad.yaml#/paths/~1x/get/security/0/nowhere") {
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
