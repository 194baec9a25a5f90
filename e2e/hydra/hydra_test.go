//go:build unix

package hydra

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// This file runs ORY Hydra for the suite: it finds or builds the binary,
// starts it on free loopback ports with an in-memory database, stops it
// with its whole process group, and keeps its logs when a test fails.

const hydraVersion = "v2.3.0"

// hydraBinary returns the path of the Hydra binary, building it with
// build-hydra.sh the first time on a machine (a few minutes). It skips the
// test under -short or when Hydra cannot be had, and fails it instead when
// the environment variable CI is set.
func hydraBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping the Hydra end-to-end suite in -short mode")
	}
	hydraBin.once.Do(func() { hydraBin.path, hydraBin.err = findHydra() })
	if hydraBin.err != nil {
		unavailable(t, "ORY Hydra %s is not available: %v", hydraVersion, hydraBin.err)
	}
	return hydraBin.path
}

var hydraBin struct {
	once sync.Once
	path string
	err  error
}

// findHydra runs build-hydra.sh, which prints the cached binary's path at
// once when it exists (or when HYDRA_BIN names one), and builds it
// otherwise.
func findHydra() (string, error) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		return "", fmt.Errorf("build-hydra.sh needs bash: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, "build-hydra.sh")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build-hydra.sh: %w\n%s", err, tail(strings.TrimSpace(stderr.String()), 4000))
	}
	path := strings.TrimSpace(stdout.String())
	if i := strings.LastIndexByte(path, '\n'); i >= 0 {
		path = path[i+1:]
	}
	if fi, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("build-hydra.sh printed %q: %w", path, err)
	} else if fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("build-hydra.sh printed %q, which is not executable", path)
	}
	return path, nil
}

// unavailable skips the test, or fails it when CI is set so that CI can
// never pass by skipping.
func unavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf(format+" (CI is set, so this fails instead of skipping)", args...)
	}
	t.Skipf(format+" (set CI to make this a failure)", args...)
}

// hydra is one Hydra server, which may be stopped and started again on
// the same ports.
type hydra struct {
	t          *testing.T
	bin        string
	publicPort int
	adminPort  int
	logDir     string
	starts     int

	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	log  *os.File
}

// startHydra starts a Hydra server for t with system secret secret, and
// stops it when t ends. When t fails, Hydra's logs are kept and their
// directory is logged.
func startHydra(t *testing.T, secret string) *hydra {
	t.Helper()
	h := &hydra{t: t, bin: hydraBinary(t), logDir: hydraLogDir(t)}
	t.Cleanup(h.stop)
	var err error
	for range 3 { // a free port may be taken between choosing and binding it
		h.publicPort, h.adminPort = freePort(t), freePort(t)
		if err = h.start(secret); err == nil {
			return h
		}
		h.stop()
	}
	unavailable(t, "Hydra did not start (logs in %s): %v", h.logDir, err)
	return nil
}

// hydraLogDir returns a directory for t's Hydra logs that outlives the
// test: under $HYDRA_LOGS, or os.TempDir()/securegen-hydra-logs. It is
// removed when t passes.
func hydraLogDir(t *testing.T) string {
	t.Helper()
	root := os.Getenv("HYDRA_LOGS")
	if root == "" {
		root = filepath.Join(os.TempDir(), "securegen-hydra-logs")
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatalf("hydra logs: %v", err)
	}
	name := regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_")
	dir, err := os.MkdirTemp(root, name+"-")
	if err != nil {
		t.Fatalf("hydra logs: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Hydra's logs are kept in %s", dir)
			return
		}
		os.RemoveAll(dir)
	})
	return dir
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("choose a port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (h *hydra) publicURL() string { return "http://127.0.0.1:" + strconv.Itoa(h.publicPort) }
func (h *hydra) adminURL() string  { return "http://127.0.0.1:" + strconv.Itoa(h.adminPort) }

// issuer is the issuer Hydra names in its tokens and discovery document.
func (h *hydra) issuer() string       { return h.publicURL() }
func (h *hydra) jwksURL() string      { return h.publicURL() + "/.well-known/jwks.json" }
func (h *hydra) discoveryURL() string { return h.publicURL() + "/.well-known/openid-configuration" }
func (h *hydra) introspectURL() string {
	return h.adminURL() + "/admin/oauth2/introspect"
}

// start runs Hydra on h's ports and waits until it is ready. With
// DSN=memory every start has a fresh database, so fresh clients and a
// fresh set of signing keys.
func (h *hydra) start(secret string) error {
	if h.cmd != nil {
		return errors.New("hydra is already running")
	}
	h.starts++
	logPath := filepath.Join(h.logDir, fmt.Sprintf("hydra-%d.log", h.starts))
	log, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(h.bin, "serve", "all", "--dev", "--sqa-opt-out")
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"TMPDIR=" + os.TempDir(),
		"DSN=memory",
		"SECRETS_SYSTEM=" + secret,
		"URLS_SELF_ISSUER=" + h.issuer(),
		"STRATEGIES_ACCESS_TOKEN=jwt",
		"SERVE_PUBLIC_HOST=127.0.0.1",
		"SERVE_PUBLIC_PORT=" + strconv.Itoa(h.publicPort),
		"SERVE_ADMIN_HOST=127.0.0.1",
		"SERVE_ADMIN_PORT=" + strconv.Itoa(h.adminPort),
	}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start %s: %w", h.bin, err)
	}
	h.cmd, h.log, h.done = cmd, log, make(chan struct{})
	go func(done chan struct{}) {
		cmd.Wait()
		close(done)
	}(h.done)

	deadline := time.Now().Add(30 * time.Second)
	for _, u := range []string{h.publicURL() + "/health/ready", h.adminURL() + "/health/ready"} {
		for {
			if ok, _ := get(u); ok {
				break
			}
			select {
			case <-h.done:
				return fmt.Errorf("hydra exited early (%v); log %s:\n%s", cmd.ProcessState, logPath, tailFile(logPath))
			case <-time.After(50 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("hydra not ready at %s after 30s; log %s:\n%s", u, logPath, tailFile(logPath))
			}
		}
	}
	return nil
}

// stop ends Hydra's process group: SIGTERM, then SIGKILL after 10 seconds.
// It does nothing when Hydra is not running.
func (h *hydra) stop() {
	if h.cmd == nil {
		return
	}
	pgid := h.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-h.done
	}
	syscall.Kill(-pgid, syscall.SIGKILL) // anything left in the group
	h.log.Close()
	h.cmd, h.log, h.done = nil, nil, nil
}

// restart stops Hydra and starts it again on the same ports with secret.
func (h *hydra) restart(secret string) {
	h.t.Helper()
	h.stop()
	if err := h.start(secret); err != nil {
		h.t.Fatalf("restart hydra: %v", err)
	}
}

// get reports whether u answers 200.
func get(u string) (bool, error) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusOK, nil
}

// client is an OAuth 2.0 client registered at Hydra.
type client struct {
	ID     string
	Secret string
}

// clientOptions describes a client to register.
type clientOptions struct {
	Scope    string   // space-separated scopes the client may request
	Audience []string // audiences the client may request
	Strategy string   // access_token_strategy: "jwt" (Hydra's setting here) or "opaque"
}

// createClient registers a client_credentials client through Hydra's admin
// API.
func (h *hydra) createClient(o clientOptions) client {
	h.t.Helper()
	body := map[string]any{
		"client_name":                "securegen-e2e",
		"client_secret":              "e2e-secret-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		"grant_types":                []string{"client_credentials"},
		"scope":                      o.Scope,
		"audience":                   o.Audience,
		"token_endpoint_auth_method": "client_secret_basic",
	}
	if o.Strategy != "" {
		body["access_token_strategy"] = o.Strategy
	}
	b, _ := json.Marshal(body)
	resp, err := http.Post(h.adminURL()+"/admin/clients", "application/json", bytes.NewReader(b))
	if err != nil {
		h.t.Fatalf("create client: %v", err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		h.t.Fatalf("create client: %s: %s", resp.Status, out)
	}
	var c struct {
		ID       string `json:"client_id"`
		Secret   string `json:"client_secret"`
		Strategy string `json:"access_token_strategy"`
	}
	if err := json.Unmarshal(out, &c); err != nil {
		h.t.Fatalf("create client: %v: %s", err, out)
	}
	if o.Strategy != "" && c.Strategy != o.Strategy {
		h.t.Fatalf("create client: access_token_strategy is %q, want %q", c.Strategy, o.Strategy)
	}
	return client{ID: c.ID, Secret: c.Secret}
}

// token gets an access token for c with the client_credentials grant.
func (h *hydra) token(c client, scope, audience string) string {
	h.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {scope}}
	if audience != "" {
		form.Set("audience", audience)
	}
	req, err := http.NewRequest(http.MethodPost, h.publicURL()+"/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(c.ID), url.QueryEscape(c.Secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("token: %v", err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("token: %s: %s", resp.Status, out)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
	}
	if err := json.Unmarshal(out, &tok); err != nil || tok.AccessToken == "" {
		h.t.Fatalf("token: no access_token (%v): %s", err, out)
	}
	if tok.Scope != scope {
		h.t.Fatalf("token: granted scope %q, asked for %q", tok.Scope, scope)
	}
	return tok.AccessToken
}

// jwksKids returns the key ids of Hydra's published key set.
func (h *hydra) jwksKids() []string {
	h.t.Helper()
	resp, err := http.Get(h.jwksURL())
	if err != nil {
		h.t.Fatalf("jwks: %v", err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		h.t.Fatalf("jwks: %v", err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

func tailFile(path string) string {
	b, _ := os.ReadFile(path)
	return tail(string(b), 4000)
}
