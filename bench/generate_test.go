// Package bench compares securegen with other generators, side by side in
// one benchmark run. It is its own module, outside go.work, so that the
// tools it measures never enter securegen's build.
//
// Run it from this directory. Generation (BenchmarkGenerate):
//
//	GOWORK=off go test -run '^$' -bench Generate -count 6 . | tee new.txt
//	go run golang.org/x/perf/cmd/benchstat@latest new.txt
//
// The servers side by side (BenchmarkPeer, see peer_test.go), in rounds
// interleaved across servers, then benchstat's tables and the README's:
//
//	GOWORK=off go test -run '^$' -bench Peer -count 1 -timeout 60m . -peer.rounds 6 | tee peer.txt
//	benchstat -row /alg,/case -col /impl -ignore /round peer.txt
//	GOWORK=off go run ./peer/peertable peer.txt
package bench

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// tools builds securegen (from this checkout, with its go.work),
// oapi-codegen v2.8.2 and ogen v1.24.0 (from this module's go.mod) once per
// run.
func tools(tb testing.TB) (securegen, oapiCodegen string) {
	tb.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "securegen-bench-")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, "oapi-codegen"), "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen")
		cmd.Env = append(os.Environ(), "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = &buildError{"oapi-codegen", err, out}
			return
		}
		cmd = exec.Command("go", "build", "-o", filepath.Join(binDir, "ogen"), "github.com/ogen-go/ogen/cmd/ogen")
		cmd.Env = append(os.Environ(), "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = &buildError{"ogen", err, out}
			return
		}
		// securegen's module resolves the runtime module through the
		// workspace, so its build uses go.work even when this module's
		// run has GOWORK=off.
		work, err := filepath.Abs(filepath.Join("..", "go.work"))
		if err != nil {
			buildErr = err
			return
		}
		cmd = exec.Command("go", "build", "-o", filepath.Join(binDir, "securegen"), "./cmd/securegen")
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "GOWORK="+work)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = &buildError{"securegen", err, out}
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return filepath.Join(binDir, "securegen"), filepath.Join(binDir, "oapi-codegen")
}

type buildError struct {
	tool string
	err  error
	out  []byte
}

func (e *buildError) Error() string {
	return "build " + e.tool + ": " + e.err.Error() + "\n" + string(e.out)
}

func corpus(b *testing.B, name string) string {
	b.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "shared", "corpus", "specs", name))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			b.Fatalf("corpus spec %s missing (CI is set)", p)
		}
		b.Skipf("corpus spec %s missing", p)
	}
	return p
}

// BenchmarkGenerate times whole command runs, as a user's go generate
// does: process start, load, generate, format, write.
func BenchmarkGenerate(b *testing.B) {
	for _, spec := range []string{"okta-management.yaml", "kubernetes.swagger2.json"} {
		// Every run writes into a directory of its own, so that every run
		// does the same work whatever b.N is: the first generation.
		b.Run(spec+"/securegen", func(b *testing.B) {
			sg, _ := tools(b)
			p := corpus(b, spec)
			base := b.TempDir()
			run := 0
			for b.Loop() {
				run++
				out := filepath.Join(base, strconv.Itoa(run))
				cmd := exec.Command(sg, "generate", "-package", "api", "-o", out, p)
				if msg, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("%v\n%s", err, tail(msg))
				}
			}
		})
		// Over the package the run before wrote, as go generate runs after
		// the first time: securegen then also reads the old package, to
		// report how the security of its operations changed.
		b.Run(spec+"/securegen-regenerate", func(b *testing.B) {
			sg, _ := tools(b)
			p := corpus(b, spec)
			out := b.TempDir()
			if msg, err := exec.Command(sg, "generate", "-package", "api", "-o", out, p).CombinedOutput(); err != nil {
				b.Fatalf("%v\n%s", err, tail(msg))
			}
			for b.Loop() {
				cmd := exec.Command(sg, "generate", "-package", "api", "-o", out, p)
				if msg, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("%v\n%s", err, tail(msg))
				}
			}
		})
		// oapi-codegen's full output (types and a server) is the like of
		// securegen's; its server alone is less work, and measured because
		// the full run fails on some specs.
		for _, gen := range []string{"types,std-http-server", "std-http-server"} {
			b.Run(spec+"/oapi-codegen-"+strings.ReplaceAll(gen, ",", "+"), func(b *testing.B) {
				_, oc := tools(b)
				p := corpus(b, spec)
				dir := b.TempDir()
				// oapi-codegen looks for a go.mod above its output.
				if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module bench\n\ngo 1.26\n"), 0o644); err != nil {
					b.Fatal(err)
				}
				out := filepath.Join(dir, "api.gen.go")
				failed := 0
				for b.Loop() {
					cmd := exec.Command(oc, "-generate", gen, "-package", "api", "-o", out, p)
					cmd.Dir = dir
					if msg, err := cmd.CombinedOutput(); err != nil {
						// Still timed: the time oapi-codegen takes to give up.
						if failed == 0 {
							b.Logf("oapi-codegen fails on %s: %v\n%s", spec, err, tail(msg))
						}
						failed++
					}
				}
				b.ReportMetric(float64(failed)/float64(b.N), "failures/op")
			})
		}
	}
}

func tail(b []byte) []byte {
	if len(b) > 2000 {
		return b[len(b)-2000:]
	}
	return b
}
