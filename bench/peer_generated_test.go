package bench

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPeerGeneratedUpToDate fails when a server package that the peer
// benchmark measures is not what its generator makes of
// testdata/peer.yaml today: securegen's (built from this checkout, so a
// change to securegen's templates that is not regenerated here fails it),
// oapi-codegen's and ogen's. `GOWORK=off go generate ./peer/...` rewrites
// them all.
func TestPeerGeneratedUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the generators; skipped with -short")
	}
	securegen, oapiCodegen := tools(t)
	spec, err := filepath.Abs(filepath.Join("testdata", "peer.yaml"))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("securegen", func(t *testing.T) {
		cmd := exec.Command(securegen, "generate", "-check", "-package", "sggen", "-o", filepath.Join("peer", "sggen"), spec)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("peer/sggen is stale (run GOWORK=off go generate ./peer/sggen): %v\n%s", err, tail(out))
		}
	})

	t.Run("oapi-codegen", func(t *testing.T) {
		dir := t.TempDir()
		// oapi-codegen looks for a go.mod above its output.
		if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module bench\n\ngo 1.26\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := filepath.Abs(filepath.Join("peer", "oapigen", "oapi-codegen.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(oapiCodegen, "-config", cfg, spec)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, tail(out))
		}
		sameFiles(t, filepath.Join("peer", "oapigen"), dir, func(name string) bool { return name == "oapigen.gen.go" })
	})

	for _, pkg := range []string{"ogengen", "ogenlite"} {
		t.Run("ogen/"+pkg, func(t *testing.T) {
			dir := t.TempDir()
			cfg, err := filepath.Abs(filepath.Join("peer", pkg, "ogen.yml"))
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(filepath.Join(filepath.Dir(oapiCodegen), "ogen"), "-config", cfg, "-target", dir, "-package", pkg, "-clean", spec)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, tail(out))
			}
			sameFiles(t, filepath.Join("peer", pkg), dir, func(name string) bool {
				return strings.HasPrefix(name, "oas_") && strings.HasSuffix(name, "_gen.go")
			})
		})
	}
}

// sameFiles fails t unless the files of committed and fresh that generated
// selects are the same, name for name and byte for byte.
func sameFiles(t *testing.T, committed, fresh string, generated func(string) bool) {
	t.Helper()
	list := func(dir string) map[string][]byte {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		files := make(map[string][]byte)
		for _, e := range entries {
			if e.Type().IsRegular() && generated(e.Name()) {
				data, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				files[e.Name()] = data
			}
		}
		return files
	}
	old, cur := list(committed), list(fresh)
	if len(cur) == 0 {
		t.Fatalf("the generator wrote nothing into %s", fresh)
	}
	for name, data := range cur {
		if prev, ok := old[name]; !ok {
			t.Errorf("%s/%s is missing (run GOWORK=off go generate ./%s)", committed, name, committed)
		} else if !bytes.Equal(prev, data) {
			t.Errorf("%s/%s is stale (run GOWORK=off go generate ./%s)", committed, name, committed)
		}
	}
	for name := range old {
		if _, ok := cur[name]; !ok {
			t.Errorf("%s/%s is no longer generated: remove it", committed, name)
		}
	}
}
