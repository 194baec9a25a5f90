// Command items is a runnable spec-first API built with securegen, in the
// spirit of FastAPI's security tutorial. Its operations are declared in
// openapi.yaml; package api is generated from it (go generate) and
// enforces, on every route, the scopes the spec names. The API issues its
// own tokens: the OAuth2 password flow at POST /token (refresh tokens at
// the same URL), revocation at POST /oauth2/revoke, the signing keys at
// GET /.well-known/jwks.json and the RFC 8414 metadata at GET
// /.well-known/oauth-authorization-server.
//
// Run it from the repository root:
//
//	go run ./examples/items
//
// It listens on localhost:8000 (flag -addr), keeps refresh tokens,
// revocations and failed-login counters in memory, signs with an Ed25519
// key generated at start, and prints demo users and curl commands.
//
// With -redis ADDR the token state lives in Redis instead, so that several
// replicas share refresh tokens, revocations and throttling. Replicas must
// also share the signing key (-key-file, created on first use) and the
// issuer URL (-issuer): without them, an access token issued by one replica
// is rejected by the others. Items themselves always stay in the memory of
// each process.
package main

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/securegen/securegen/examples/items/api"
	"github.com/securegen/securegen/runtime/auth"
	"github.com/securegen/securegen/runtime/httpapi"
	"github.com/securegen/securegen/runtime/issuer"
	"github.com/securegen/securegen/runtime/issuer/redisstore"
	"github.com/securegen/securegen/runtime/password"
)

// demoUser is a user the example creates at start, with a password that
// is printed: for trying the API out, never for production.
type demoUser struct {
	Username string
	Password string
	Scopes   []string
}

// demoUsers are the users the example logs in.
var demoUsers = []demoUser{
	{Username: "alice", Password: "wonderland", Scopes: []string{api.ScopeItemsRead, api.ScopeItemsWrite}},
	{Username: "admin", Password: "change-me-now", Scopes: []string{api.ScopeItemsRead, api.ScopeItemsWrite, api.ScopeItemsAdmin}},
	{Username: "bob", Password: "builder", Scopes: []string{api.ScopeItemsRead, api.ScopeItemsWrite}},
	{Username: "mallory", Password: "disabled", Scopes: []string{api.ScopeItemsRead}},
}

// disabledUsers may still log in, as FastAPI's tutorial's inactive user
// can, but every token of theirs is refused with 403: the check stacked on
// the verifier with auth.Then.
var disabledUsers = []string{"mallory"}

// hashUsers hashes the demo users' passwords with bcrypt at cost (the
// default cost when 0).
func hashUsers(users []demoUser, cost int) ([]issuer.User, error) {
	out := make([]issuer.User, 0, len(users))
	for _, u := range users {
		h, err := password.HashBcrypt(u.Password, cost)
		if err != nil {
			return nil, fmt.Errorf("hash the password of %s: %w", u.Username, err)
		}
		out = append(out, issuer.User{Username: u.Username, PasswordHash: h, Scopes: u.Scopes})
	}
	return out, nil
}

// config is what newServer builds the API from.
type config struct {
	// Issuer is the public base URL of the API: the "iss" and "aud" of its
	// tokens. Replicas must agree on it.
	Issuer string
	// Users may log in with the password grant.
	Users []issuer.User
	// Clients are registered OAuth2 clients; requests that name no client
	// are allowed too (as public clients), as curl and FastAPI's tutorial
	// do.
	Clients []issuer.Client
	// Keys sign access tokens (Keys[0]) and verify them; when empty, a key
	// is generated for this process only.
	Keys []crypto.Signer
	// Store holds refresh tokens, revocations and failed-login counters;
	// in memory when nil.
	Store issuer.Store
	// Throttle limits failed logins; the issuer's defaults when zero.
	Throttle issuer.Throttle
	// Logger records denials and the issuer's events; nothing is logged
	// when nil.
	Logger *slog.Logger
	// Disabled users' tokens are refused with 403.
	Disabled []string
}

// newServer returns the API's handler: the generated operations, each
// behind the security the spec requires, and the issuer's endpoints that
// the generated handler mounts because the spec's tokenUrl is /token.
func newServer(cfg config) (http.Handler, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	iss, err := issuer.New(issuer.Config{
		Issuer:             cfg.Issuer,
		Authenticate:       issuer.Users(cfg.Users),
		Clients:            cfg.Clients,
		AllowPublicClients: true,
		Keys:               cfg.Keys,
		Store:              cfg.Store,
		Throttle:           cfg.Throttle,
		TokenPath:          "/token",
		Logger:             logger,
	})
	if err != nil {
		return nil, fmt.Errorf("new issuer: %w", err)
	}
	// A valid token of a disabled user is still refused: the check is
	// stacked on the issuer's verifier, which stays the token endpoint.
	active := auth.Then(iss, func(_ context.Context, p *auth.Principal) error {
		if slices.Contains(cfg.Disabled, p.Subject) {
			return auth.Forbidden("user " + p.Subject + " is disabled")
		}
		return nil
	})
	h, err := api.NewHandler(newItems(), api.Security{Users: active}, httpapi.WithLogger(logger))
	if err != nil {
		return nil, fmt.Errorf("new handler: %w", err)
	}
	return h, nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "items:", err)
		os.Exit(1)
	}
}

// run parses args, serves the API until ctx is done, and shuts it down.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("items", flag.ContinueOnError)
	flags.SetOutput(stderr)
	addr := flags.String("addr", "localhost:8000", "address to listen on")
	issuerURL := flags.String("issuer", "", "public base URL of the API, the iss and aud of its tokens (default http://HOST:PORT of -addr); replicas must share it")
	redisAddr := flags.String("redis", "", "Redis address (host:port) for refresh tokens, revocations and throttling shared by replicas; in memory when empty")
	redisPrefix := flags.String("redis-prefix", redisstore.DefaultPrefix, "prefix of the Redis keys")
	keyFile := flags.String("key-file", "", "PEM (PKCS #8) Ed25519 signing key, created when missing; replicas must share it (default: a key generated for this process)")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("flags: %w", err)
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(flags.Args(), " "))
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	base := *issuerURL
	if base == "" {
		base = baseURL(*addr, ln.Addr())
	}

	cfg := config{Issuer: base, Logger: logger, Disabled: disabledUsers}
	if cfg.Users, err = hashUsers(demoUsers, 0); err != nil {
		return err
	}
	if *keyFile != "" {
		key, created, err := loadOrCreateKey(*keyFile)
		if err != nil {
			return err
		}
		cfg.Keys = []crypto.Signer{key}
		if created {
			logger.Info("created a signing key", slog.String("file", *keyFile))
		}
	}
	if *redisAddr != "" {
		rdb := redis.NewClient(&redis.Options{Addr: *redisAddr})
		defer rdb.Close()
		pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := rdb.Ping(pingCtx).Err()
		cancel()
		if err != nil {
			return fmt.Errorf("redis %s: %w", *redisAddr, err)
		}
		cfg.Store = redisstore.New(rdb, *redisPrefix)
		if *keyFile == "" {
			logger.Warn("-redis without -key-file: this replica signs with a key of its own, so other replicas reject its access tokens (refresh tokens and revocations are shared)")
		}
	}

	h, err := newServer(cfg)
	if err != nil {
		return err
	}
	printWelcome(stdout, base, cfg.Store != nil)

	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// baseURL is the default issuer: http:// and the address listened on,
// with localhost for a wildcard host.
func baseURL(flagAddr string, listened net.Addr) string {
	host, _, err := net.SplitHostPort(flagAddr)
	if err != nil || host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	_, port, err := net.SplitHostPort(listened.String())
	if err != nil {
		return "http://" + listened.String()
	}
	return "http://" + net.JoinHostPort(host, port)
}

// printWelcome tells who may log in and how.
func printWelcome(w io.Writer, base string, shared bool) {
	store := "memory (this process only)"
	if shared {
		store = "Redis (shared by replicas)"
	}
	fmt.Fprintf(w, "Items API on %s — tokens in %s\n\n", base, store)
	fmt.Fprintln(w, "Demo users (passwords for trying it out only):")
	for _, u := range demoUsers {
		fmt.Fprintf(w, "  %-6s password %-16q scopes %s\n", u.Username, u.Password, strings.Join(u.Scopes, " "))
	}
	u := demoUsers[0]
	fmt.Fprintf(w, `
Try:
  # log in (OAuth2 password grant)
  curl -s %[1]s/token -d grant_type=password -d username=%[2]s -d password=%[3]s
  TOKEN=...   # the access_token above
  curl -s %[1]s/users/me -H "Authorization: Bearer $TOKEN"
  curl -s %[1]s/items -H "Authorization: Bearer $TOKEN"
  curl -s %[1]s/items -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"name":"Baz","price":3.5}'
  curl -si -X DELETE %[1]s/items/2 -H "Authorization: Bearer $TOKEN"   # 403: admin owns item 2
  curl -si -X DELETE %[1]s/items/1 -H "Authorization: Bearer $TOKEN"   # 204: alice owns item 1
  # refresh, then revoke
  curl -s %[1]s/token -d grant_type=refresh_token -d refresh_token=...
  curl -si %[1]s/oauth2/revoke -d token=$TOKEN

`, base, u.Username, u.Password)
}

// loadOrCreateKey reads an Ed25519 private key from a PEM file (PKCS #8,
// "PRIVATE KEY"), or creates the file with a new key when it does not
// exist. created reports the latter.
func loadOrCreateKey(path string) (key ed25519.PrivateKey, created bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err = createKey(path)
		if !errors.Is(err, fs.ErrExist) {
			return key, err == nil, err
		}
		// Another replica created it first: use that one.
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, false, fmt.Errorf("read signing key: %w", err)
	}
	key, err = parseKey(data)
	if err != nil {
		return nil, false, fmt.Errorf("signing key %s: %w", path, err)
	}
	return key, false, nil
}

// parseKey decodes a PEM PKCS #8 Ed25519 private key.
func parseKey(data []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("no PEM \"PRIVATE KEY\" block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse PKCS #8: %w", err)
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key is a %T, not an Ed25519 key", k)
	}
	return ek, nil
}

// createKey writes a new Ed25519 key to path, readable by its owner only.
// The key is written to a temporary file first and then linked into
// place, so that a replica starting at the same moment never reads half a
// key. It fails with an error wrapping fs.ErrExist when path exists.
func createKey(path string) (ed25519.PrivateKey, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode signing key: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".signing-key-*")
	if err != nil {
		return nil, fmt.Errorf("create signing key file: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	err = pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("write signing key: %w", err)
	}
	if err := os.Link(tmp, path); err != nil {
		return nil, fmt.Errorf("create signing key file: %w", err)
	}
	return key, nil
}
