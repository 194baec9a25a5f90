package hostile_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/securegen/securegen/runtime/httpapi"
)

// crashChild names the environment variable that makes the test binary
// play the server that is attacked.
const crashChild = "SECUREGEN_HOSTILE_CRASH_CHILD"

// TestDeepNestingCrashInChildProcess sends a 24 MiB body of '[' to every
// JSON path of a generated server allowing 32 MiB bodies, in a child
// process: a stack overflow is a fatal error that no recover can catch,
// so only a separate process can show that the server lives.
func TestDeepNestingCrashInChildProcess(t *testing.T) {
	if os.Getenv(crashChild) == "1" {
		attackedServer()
		return
	}
	if testing.Short() {
		t.Skip("sends 96 MiB of requests")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDeepNestingCrashInChildProcess$", "-test.v")
	cmd.Env = append(os.Environ(), crashChild+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the attacked server died: %v\n%.2000s", err, out)
	}
	if !strings.Contains(string(out), "server lives: 4 answers") {
		t.Fatalf("the child did not report its answers:\n%.2000s", out)
	}
}

func attackedServer() {
	s := &docs{}
	h, err := newHandlerNoT(s, httpapi.WithMaxBodyBytes(32<<20))
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	body := strings.Repeat("[", 24<<20)
	answers := 0
	for _, target := range []struct{ method, path string }{
		{"POST", "/documents"}, {"POST", "/blobs"}, {"POST", "/payments"}, {"PUT", "/documents/1"},
	} {
		req, _ := http.NewRequest(target.method, srv.URL+target.path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client().Do(req)
		if err != nil {
			fmt.Println(target.path, err)
			os.Exit(3)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || s.reached != 0 {
			fmt.Println(target.path, "answered", resp.StatusCode, "reached", s.reached)
			os.Exit(4)
		}
		answers++
	}
	fmt.Printf("server lives: %d answers\n", answers)
}
