package issuer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/securegen/securegen/runtime/password"
)

// maxFormBytes bounds the body of token and revocation requests.
const maxFormBytes = 64 << 10

// refreshTokenBytes is the entropy of a refresh token: 256 bits.
const refreshTokenBytes = 32

// oauthError is an RFC 6749 §5.2 error answer.
type oauthError struct {
	status      int
	code        string
	description string
	basic       bool          // answer WWW-Authenticate: Basic
	retryAfter  time.Duration // answer Retry-After
}

func (e *oauthError) Error() string { return e.code + ": " + e.description }

func badRequest(code, description string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: code, description: description}
}

func serverError() *oauthError {
	return &oauthError{status: http.StatusInternalServerError, code: "server_error", description: "the request could not be served"}
}

// noStore sets the headers RFC 6749 §5.1 requires on token responses.
func noStore(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":"server_error"}`)
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeError(w http.ResponseWriter, e *oauthError) {
	h := w.Header()
	noStore(h)
	if e.basic {
		h.Set("WWW-Authenticate", `Basic realm="token", charset="UTF-8"`)
	}
	if e.retryAfter > 0 {
		h.Set("Retry-After", strconv.FormatInt(int64(math.Ceil(e.retryAfter.Seconds())), 10))
	}
	body := map[string]string{"error": e.code}
	if e.description != "" {
		body["error_description"] = e.description
	}
	writeJSON(w, e.status, body)
}

// readForm checks that r is a form-encoded POST and returns its body
// parameters, each present at most once (RFC 6749 §3.2).
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, *oauthError) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return nil, badRequest("invalid_request", "the request must be a POST")
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, badRequest("invalid_request", "the body must be application/x-www-form-urlencoded")
	}
	if r.URL.RawQuery != "" {
		return nil, badRequest("invalid_request", "parameters must be sent in the request body, not the URL")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, badRequest("invalid_request", "the body is not a valid form")
	}
	for name, vs := range r.PostForm {
		if len(vs) > 1 {
			return nil, badRequest("invalid_request", fmt.Sprintf("parameter %q is repeated", name))
		}
	}
	return r.PostForm, nil
}

// caller is the client a request authenticated as. id is "" for a
// request that named no client (a public client, when allowed).
type caller struct {
	id     string
	client *Client // nil when id is ""
	public bool
	basic  bool // authenticated with HTTP Basic
}

func (c *caller) may(grant string) bool {
	if c.client == nil {
		return grant == GrantPassword || grant == GrantRefreshToken
	}
	return slices.Contains(c.client.Grants, grant)
}

// authenticateClient authenticates the client by HTTP Basic (RFC 6749
// §2.3.1) or by client_id and client_secret in the body, never both.
// Failures count against the client address: they keep att, the attempt
// reserved under it.
func (s *Server) authenticateClient(ctx context.Context, r *http.Request, form url.Values, att *attempt) (*caller, *oauthError) {
	id, secret, basic := r.BasicAuth()
	if authz := r.Header.Get("Authorization"); !basic && authz != "" {
		tried := len(authz) >= 6 && strings.EqualFold(authz[:6], "basic ")
		return nil, s.clientFailed(att, tried)
	}
	formID, formSecret := form.Get("client_id"), form.Get("client_secret")
	_, hasFormSecret := form["client_secret"]
	if basic {
		if hasFormSecret || (formID != "" && formID != id) {
			return nil, badRequest("invalid_request", "use one client authentication method, not several")
		}
		// RFC 6749 §2.3.1: both are form-urlencoded before Basic encoding.
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil || id == "" {
			return nil, s.clientFailed(att, true)
		}
	} else {
		id, secret = formID, formSecret
		if id == "" && hasFormSecret {
			return nil, badRequest("invalid_request", "client_secret without client_id")
		}
	}
	if id == "" {
		if !s.allowPublic {
			return nil, &oauthError{status: http.StatusUnauthorized, code: "invalid_client", description: "client authentication is required"}
		}
		return &caller{public: true}, nil
	}
	c, ok := s.clients[id]
	if !ok {
		if basic || hasFormSecret {
			_ = password.Check(s.dummySecret, secret) // as long as a wrong secret
		}
		return nil, s.clientFailed(att, basic)
	}
	if c.SecretHash == "" {
		if basic || hasFormSecret {
			return nil, badRequest("invalid_request", "a public client has no secret")
		}
		return &caller{id: id, client: c, public: true}, nil
	}
	if !basic && !hasFormSecret {
		return nil, s.clientFailed(att, false)
	}
	if err := password.Check(c.SecretHash, secret); err != nil {
		if !errors.Is(err, password.ErrMismatch) {
			s.log.ErrorContext(ctx, "issuer: client secret check", slog.String("client_id", id), slog.Any("error", err))
		}
		return nil, s.clientFailed(att, basic)
	}
	return &caller{id: id, client: c, basic: basic}, nil
}

// clientFailed counts a failed client authentication against att and
// returns the invalid_client answer.
func (s *Server) clientFailed(att *attempt, basic bool) *oauthError {
	att.fail()
	return &oauthError{status: http.StatusUnauthorized, code: "invalid_client", description: "client authentication failed", basic: basic}
}

// attempt is one login attempt reserved under a failure counter key
// before any secret is checked. It counts as a failure unless it is
// released: call fail when a secret was wrong, and release (typically
// deferred) when the request is done.
type attempt struct {
	s      *Server
	key    string
	failed bool
	done   bool
}

// reserve reserves an attempt under key, or returns the 429 answer when
// key has reached the limit of failures. A store failure fails closed.
// With throttling disabled it returns an attempt that does nothing.
func (s *Server) reserve(ctx context.Context, key string) (*attempt, *oauthError) {
	if s.maxFailures < 0 {
		return &attempt{done: true}, nil
	}
	ok, wait, err := s.store.ReserveAttempt(ctx, key, s.maxFailures, s.window)
	if err != nil {
		s.log.ErrorContext(ctx, "issuer: reserve login attempt", slog.Any("error", err))
		return nil, serverError()
	}
	if !ok {
		wait = max(wait, time.Second)
		s.log.WarnContext(ctx, "issuer: login throttled", slog.Duration("retry_after", wait))
		return nil, &oauthError{status: http.StatusTooManyRequests, code: "slow_down", description: "too many failed attempts; retry later", retryAfter: wait}
	}
	return &attempt{s: s, key: key}, nil
}

// fail keeps the attempt counted as a failure.
func (a *attempt) fail() { a.failed = true }

// release gives the attempt back unless it failed or was released
// already. It outlives a cancelled request: a right secret must not
// count as a failure because the client went away.
func (a *attempt) release(ctx context.Context) {
	if a.failed || a.done {
		return
	}
	a.done = true
	if err := a.s.store.ReleaseAttempt(context.WithoutCancel(ctx), a.key); err != nil {
		a.s.log.ErrorContext(ctx, "issuer: release login attempt", slog.Any("error", err))
	}
}

// reset forgets every failure counted under the attempt's key, its own
// included, after a right password.
func (a *attempt) reset(ctx context.Context) {
	if a.done {
		return
	}
	a.done = true
	if err := a.s.store.ResetFailures(context.WithoutCancel(ctx), a.key); err != nil {
		a.s.log.ErrorContext(ctx, "issuer: reset failure counter", slog.Any("error", err))
	}
}

// tokenResponse is the RFC 6749 §5.1 answer.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope"`
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	resp, e := s.token(w, r)
	if e != nil {
		writeError(w, e)
		return
	}
	noStore(w.Header())
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) (*tokenResponse, *oauthError) {
	ctx := r.Context()
	form, e := readForm(w, r)
	if e != nil {
		return nil, e
	}
	grant := form.Get("grant_type")
	if grant == "" {
		return nil, badRequest("invalid_request", "grant_type is missing")
	}
	// The attempt is reserved before any secret is checked, so that
	// concurrent guesses cannot all pass a look at the counter first.
	addrAttempt, e := s.reserve(ctx, "addr:"+s.clientAddress(r))
	if e != nil {
		return nil, e
	}
	defer addrAttempt.release(ctx)
	c, e := s.authenticateClient(ctx, r, form, addrAttempt)
	if e != nil {
		return nil, e
	}
	if !slices.Contains(s.grantsSupported, grant) {
		return nil, badRequest("unsupported_grant_type", "grant type not supported")
	}
	if !c.may(grant) {
		return nil, badRequest("unauthorized_client", "the client may not use this grant type")
	}
	requested, e := parseScope(form)
	if e != nil {
		return nil, e
	}
	switch grant {
	case GrantPassword:
		return s.passwordGrant(ctx, c, form, addrAttempt, requested)
	case GrantClientCredentials:
		return s.clientCredentialsGrant(ctx, c, requested)
	default:
		return s.refreshGrant(ctx, c, form, requested)
	}
}

// parseScope returns the requested scopes (RFC 6749 §3.3), without
// duplicates, or nil when none are requested.
func parseScope(form url.Values) ([]string, *oauthError) {
	raw, ok := form["scope"]
	if !ok {
		return nil, nil
	}
	var out []string
	for _, tok := range strings.Split(raw[0], " ") {
		if tok == "" {
			continue
		}
		for i := 0; i < len(tok); i++ {
			if b := tok[i]; b < 0x21 || b == 0x22 || b == 0x5c || b > 0x7e {
				return nil, badRequest("invalid_scope", "malformed scope")
			}
		}
		if !slices.Contains(out, tok) {
			out = append(out, tok)
		}
	}
	return out, nil
}

// grantScope returns the scope to grant: requested when all of it is
// allowed, allowed when nothing is requested.
func grantScope(requested, allowed []string) ([]string, *oauthError) {
	if requested == nil {
		return slices.Clone(allowed), nil
	}
	for _, sc := range requested {
		if !slices.Contains(allowed, sc) {
			return nil, badRequest("invalid_scope", "a requested scope is not granted to this user or client")
		}
	}
	return requested, nil
}

// passwordGrant checks the resource owner's password, holding an attempt
// reserved under the username as well as addrAttempt, and issues tokens.
func (s *Server) passwordGrant(ctx context.Context, c *caller, form url.Values, addrAttempt *attempt, requested []string) (*tokenResponse, *oauthError) {
	username, pw := form.Get("username"), form.Get("password")
	if username == "" {
		return nil, badRequest("invalid_request", "username is missing")
	}
	if _, ok := form["password"]; !ok {
		return nil, badRequest("invalid_request", "password is missing")
	}
	userAttempt, e := s.reserve(ctx, "user:"+username)
	if e != nil {
		return nil, e
	}
	defer userAttempt.release(ctx)
	sub, allowed, err := s.authenticate(ctx, username, pw)
	if err != nil {
		userAttempt.fail()
		addrAttempt.fail()
		if errors.Is(err, ErrInvalidCredentials) {
			if errors.Is(err, password.ErrPasswordTooLong) {
				s.log.InfoContext(ctx, "issuer: password longer than bcrypt's 72 bytes refused")
			}
			return nil, badRequest("invalid_grant", "invalid username or password")
		}
		s.log.ErrorContext(ctx, "issuer: authenticate", slog.Any("error", err))
		return nil, serverError()
	}
	if sub == "" {
		s.log.ErrorContext(ctx, "issuer: authenticate returned an empty subject")
		return nil, serverError()
	}
	userAttempt.reset(ctx)
	if c.client != nil && len(c.client.Scopes) > 0 {
		allowed = slices.DeleteFunc(slices.Clone(allowed), func(sc string) bool { return !slices.Contains(c.client.Scopes, sc) })
	}
	scopes, e := grantScope(requested, allowed)
	if e != nil {
		return nil, e
	}
	rec := RefreshRecord{Subject: sub, ClientID: c.id, Scopes: scopes}
	if c.may(GrantRefreshToken) {
		if rec.Family, err = randomString(16); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	return s.issue(ctx, rec, scopes, c.may(GrantRefreshToken), "")
}

func (s *Server) clientCredentialsGrant(ctx context.Context, c *caller, requested []string) (*tokenResponse, *oauthError) {
	scopes, e := grantScope(requested, c.client.Scopes)
	if e != nil {
		return nil, e
	}
	// RFC 6749 §4.4.3: no refresh token.
	return s.issue(ctx, RefreshRecord{Subject: c.id, ClientID: c.id}, scopes, false, "")
}

func (s *Server) refreshGrant(ctx context.Context, c *caller, form url.Values, requested []string) (*tokenResponse, *oauthError) {
	token := form.Get("refresh_token")
	if token == "" {
		return nil, badRequest("invalid_request", "refresh_token is missing")
	}
	invalid := badRequest("invalid_grant", "the refresh token is invalid, expired or revoked")
	rec, err := s.store.LookupRefresh(ctx, hashToken(token))
	if errors.Is(err, ErrNotFound) {
		return nil, invalid
	}
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if rec.ClientID != c.id || !s.now().Before(rec.ExpiresAt) {
		return nil, invalid
	}
	if rec.Revoked {
		return nil, invalid
	}
	if rec.Used && s.grace == 0 {
		// Reuse: someone holds a stolen copy. Revoke the whole family.
		// (With a grace period, RotateRefresh tells a retry from reuse.)
		if err := s.store.RevokeFamily(ctx, rec.Family, s.familyTTL()); err != nil {
			return nil, s.fail(ctx, err)
		}
		s.log.WarnContext(ctx, "issuer: refresh token reused; family revoked", slog.String("sub", rec.Subject))
		return nil, invalid
	}
	scopes, e := grantScope(requested, rec.Scopes)
	if e != nil {
		return nil, e
	}
	// RFC 6749 §6: the new refresh token has the scope of the old one.
	next := rec
	next.Used, next.Revoked = false, false
	return s.issue(ctx, next, scopes, true, token)
}

// familyTTL is how long a family revocation must last: longer than any of
// its refresh tokens and the access tokens issued from them.
func (s *Server) familyTTL() time.Duration {
	return max(s.refreshTTL, s.accessTTL) + s.leeway
}

// issue signs an access token for rec's subject with scopes and, when
// withRefresh, makes a refresh token of rec's family: a new one, or (when
// oldToken is set) the rotation of oldToken. The access token is signed
// first, so that a grace period can keep the whole pair.
func (s *Server) issue(ctx context.Context, rec RefreshRecord, scopes []string, withRefresh bool, oldToken string) (*tokenResponse, *oauthError) {
	now := s.now()
	resp := &tokenResponse{TokenType: "Bearer", ExpiresIn: int64(s.accessTTL / time.Second), Scope: strings.Join(scopes, " ")}
	if withRefresh {
		token, err := randomString(refreshTokenBytes)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		resp.RefreshToken = token
		rec.ExpiresAt = now.Add(s.refreshTTL)
	}
	jti, err := randomString(16)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	exp := now.Add(s.accessTTL).Unix()
	claims := map[string]any{
		"iss":   s.issuer,
		"sub":   rec.Subject,
		"aud":   s.audience,
		"exp":   exp,
		"iat":   now.Unix(),
		"jti":   jti,
		"scope": resp.Scope,
	}
	if len(s.audience) == 1 {
		claims["aud"] = s.audience[0]
	}
	if rec.ClientID != "" {
		claims["client_id"] = rec.ClientID
	}
	if withRefresh {
		claims["sid"] = rec.Family
	}
	if resp.AccessToken, err = s.keys.sign(claims); err != nil {
		return nil, s.fail(ctx, err)
	}
	if !withRefresh {
		return resp, nil
	}
	if oldToken == "" {
		err = s.store.SaveRefresh(ctx, hashToken(resp.RefreshToken), rec)
	} else {
		rot := Rotation{OldHash: hashToken(oldToken), NewHash: hashToken(resp.RefreshToken), Next: rec, FamilyTTL: s.familyTTL()}
		if s.grace > 0 {
			rot.Grace = s.grace
			rot.Replay, err = sealPair(oldToken, rot.OldHash, sealedPair{AccessToken: resp.AccessToken, RefreshToken: resp.RefreshToken, Scope: resp.Scope, Expires: exp})
			if err != nil {
				return nil, s.fail(ctx, err)
			}
		}
		var replay []byte
		replay, err = s.store.RotateRefresh(ctx, rot)
		if err == nil && replay != nil {
			return s.replay(ctx, rec, oldToken, rot.OldHash, replay, resp.Scope)
		}
	}
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrRevoked), errors.Is(err, ErrReused):
		if errors.Is(err, ErrReused) {
			s.log.WarnContext(ctx, "issuer: refresh token reused; family revoked", slog.String("sub", rec.Subject))
		}
		return nil, badRequest("invalid_grant", "the refresh token is invalid, expired or revoked")
	case err != nil:
		return nil, s.fail(ctx, err)
	}
	return resp, nil
}

// replay answers a refresh token presented again within the grace period
// of its rotation with the pair that rotation issued, sealed in replay.
// A presentation that asks for another scope is no retry of that
// rotation: it counts as reuse and revokes the family.
func (s *Server) replay(ctx context.Context, rec RefreshRecord, oldToken, oldHash string, replay []byte, scope string) (*tokenResponse, *oauthError) {
	invalid := badRequest("invalid_grant", "the refresh token is invalid, expired or revoked")
	p, err := openPair(oldToken, oldHash, replay)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if p.Scope != scope {
		if err := s.store.RevokeFamily(ctx, rec.Family, s.familyTTL()); err != nil {
			return nil, s.fail(ctx, err)
		}
		s.log.WarnContext(ctx, "issuer: refresh token reused with another scope within the grace period; family revoked", slog.String("sub", rec.Subject))
		return nil, invalid
	}
	left := time.Unix(p.Expires, 0).Sub(s.now())
	if left < time.Second {
		return nil, invalid
	}
	s.log.InfoContext(ctx, "issuer: refresh token presented again within the grace period; same pair answered", slog.String("sub", rec.Subject))
	return &tokenResponse{AccessToken: p.AccessToken, TokenType: "Bearer", ExpiresIn: int64(left / time.Second), RefreshToken: p.RefreshToken, Scope: p.Scope}, nil
}

// fail logs err and returns the server_error answer.
func (s *Server) fail(ctx context.Context, err error) *oauthError {
	s.log.ErrorContext(ctx, "issuer: token endpoint", slog.Any("error", err))
	return serverError()
}

// hashToken is the form in which refresh tokens are stored: hex SHA-256.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// serveRevoke is the RFC 7009 revocation endpoint. A refresh token revokes
// its family (and the access tokens issued from it); an access token is
// revoked by its jti until it expires. As RFC 7009 §2.2 asks, an unknown or
// invalid token is answered 200, and so is a token issued to another
// client, which is left alone (so that a client learns nothing of tokens
// that are not its own).
func (s *Server) serveRevoke(w http.ResponseWriter, r *http.Request) {
	if e := s.revoke(w, r); e != nil {
		writeError(w, e)
		return
	}
	noStore(w.Header())
	w.WriteHeader(http.StatusOK)
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request) *oauthError {
	ctx := r.Context()
	form, e := readForm(w, r)
	if e != nil {
		return e
	}
	token := form.Get("token")
	if token == "" {
		return badRequest("invalid_request", "token is missing")
	}
	addrAttempt, e := s.reserve(ctx, "addr:"+s.clientAddress(r))
	if e != nil {
		return e
	}
	defer addrAttempt.release(ctx)
	c, e := s.authenticateClient(ctx, r, form, addrAttempt)
	if e != nil {
		return e
	}
	rec, err := s.store.LookupRefresh(ctx, hashToken(token))
	switch {
	case err == nil:
		if rec.ClientID == c.id {
			if err := s.store.RevokeFamily(ctx, rec.Family, s.familyTTL()); err != nil {
				return s.fail(ctx, err)
			}
		}
		return nil
	case !errors.Is(err, ErrNotFound):
		return s.fail(ctx, err)
	}
	claims, err := s.parse(token)
	if err != nil || claims.clientID != c.id {
		return nil
	}
	ttl := claims.exp.Sub(s.now()) + s.leeway + time.Second
	if err := s.store.RevokeJTI(ctx, claims.jti, ttl); err != nil {
		return s.fail(ctx, err)
	}
	return nil
}

func (s *Server) serveJWKS(w http.ResponseWriter, r *http.Request) {
	body, err := s.keys.jwks()
	if err != nil {
		writeError(w, s.fail(r.Context(), err))
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

func (s *Server) serveMetadata(w http.ResponseWriter, _ *http.Request) {
	body := *s.metadata.Load()
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

// setMetadata encodes the RFC 8414 metadata document for the current
// tokenPath. The caller holds s.mu, or is New.
func (s *Server) setMetadata() error {
	body, err := s.buildMetadata()
	if err != nil {
		return err
	}
	s.metadata.Store(&body)
	return nil
}

// buildMetadata encodes the RFC 8414 metadata document. The caller holds
// s.mu, or is New.
func (s *Server) buildMetadata() ([]byte, error) {
	base := strings.TrimSuffix(s.issuer, "/")
	authMethods := []string{"client_secret_basic", "client_secret_post"}
	if s.allowPublic {
		authMethods = append(authMethods, "none")
	}
	var scopes []string
	for _, c := range s.clients {
		for _, sc := range c.Scopes {
			if !slices.Contains(scopes, sc) {
				scopes = append(scopes, sc)
			}
		}
	}
	slices.Sort(scopes)
	doc := map[string]any{
		"issuer":                                     s.issuer,
		"token_endpoint":                             base + s.tokenPath,
		"jwks_uri":                                   base + s.jwksPath,
		"revocation_endpoint":                        base + s.revocationPath,
		"grant_types_supported":                      s.grantsSupported,
		"response_types_supported":                   []string{},
		"token_endpoint_auth_methods_supported":      authMethods,
		"revocation_endpoint_auth_methods_supported": authMethods,
	}
	if len(scopes) > 0 {
		doc["scopes_supported"] = scopes
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("issuer: encode metadata: %w", err)
	}
	return body, nil
}
