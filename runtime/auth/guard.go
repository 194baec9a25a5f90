package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
)

// Guard evaluates security requirements against requests. The generated
// handler calls Check for every operation that is not public, before it
// reads the body or binds a parameter.
//
// A Guard is safe for concurrent use once configured.
type Guard struct {
	// Realm names the protection space in challenges.
	Realm string
	// Logger receives one record per denial. Credentials are never logged.
	// When nil, slog.Default() is used.
	Logger *slog.Logger
	// OnDeny, when set, is told of every denial, for metrics.
	OnDeny func(ctx context.Context, d *Denial)
}

// Denial is the answer to a request that satisfied no alternative of its
// operation's requirement. It is an error, so it can travel through an
// error writer.
type Denial struct {
	// Status is http.StatusUnauthorized or http.StatusForbidden.
	Status    int
	Operation string
	// Scheme is the scheme the reason concerns, when there is one.
	Scheme string
	// Reason says in a few words why, without any credential.
	Reason string
	// Challenges are the WWW-Authenticate values to send.
	Challenges []string
	// MissingScopes are the scopes a 403 lacked.
	MissingScopes []string
	// ClientAddr is the request's remote address.
	ClientAddr string
}

// Error returns a summary of the denial that never contains a credential.
func (d *Denial) Error() string {
	if d.Scheme == "" {
		return fmt.Sprintf("%s: %d: %s", d.Operation, d.Status, d.Reason)
	}
	return fmt.Sprintf("%s: %d: %s: %s", d.Operation, d.Status, d.Scheme, d.Reason)
}

// schemeResult is what one scheme's credential came to in one request.
// Each scheme is extracted and verified at most once per request, however
// many alternatives name it.
type schemeResult struct {
	scheme    *Scheme
	presented bool
	principal *Principal
	err       error
}

// evaluation is one request's security check. Its first results live in
// an array, not a slice of it, so that it stays on the caller's stack.
type evaluation struct {
	ctx    context.Context
	rq     request
	inline [6]schemeResult
	n      int
	more   []*schemeResult
}

func (ev *evaluation) result(s *Scheme) *schemeResult {
	for i := 0; i < ev.n && i < len(ev.inline); i++ {
		if ev.inline[i].scheme == s {
			return &ev.inline[i]
		}
	}
	for _, r := range ev.more {
		if r.scheme == s {
			return r
		}
	}
	var res *schemeResult
	if ev.n < len(ev.inline) {
		res = &ev.inline[ev.n]
		*res = schemeResult{scheme: s}
	} else {
		res = &schemeResult{scheme: s}
		ev.more = append(ev.more, res)
	}
	ev.n++
	c, presented, err := ev.rq.extract(s)
	res.presented = presented
	switch {
	case !presented:
	case err != nil:
		res.err = err
	case s.Type == Unsupported:
		res.err = errors.New("scheme type not supported by securegen")
	case s.Verifier == nil:
		res.err = errors.New("no verifier configured")
	default:
		p, err := s.Verifier.Verify(ev.ctx, c)
		switch {
		case err != nil:
			res.err = err
		case p == nil:
			res.err = errors.New("verifier returned no principal")
		default:
			if p.Scheme == "" {
				p.Scheme = s.Name
			}
			res.principal = p
		}
	}
	return res
}

// Check decides whether r satisfies req. On success it returns the
// principals of the first satisfied alternative, ordered by scheme name;
// they are nil when the empty alternative let an
// anonymous caller in. Otherwise it returns the denial to answer with,
// after logging it.
func (g *Guard) Check(r *http.Request, req *Requirement) (Principals, *Denial) {
	if req.Public() {
		return nil, nil
	}
	ev := evaluation{ctx: r.Context(), rq: request{r: r}}

	anonymous := false
	var scopeShort []string // missing scopes of the first alternative that failed on scopes alone
	scopeShortScheme := ""
	scopeFailed := false
	for _, alt := range req.Alternatives {
		if len(alt) == 0 {
			anonymous = true
			continue
		}
		satisfied, credentialsOK := true, true
		var missing []string
		missingScheme := ""
		for _, u := range alt {
			res := ev.result(u.Scheme)
			if res.principal == nil {
				satisfied, credentialsOK = false, false
				break
			}
			for _, s := range u.Scopes {
				if !res.principal.HasScope(s) {
					satisfied = false
					if missingScheme == "" {
						missingScheme = u.Scheme.Name
					}
					missing = append(missing, s)
				}
			}
		}
		if satisfied {
			ps := make(Principals, len(alt))
			for i, u := range alt {
				ps[i] = ev.result(u.Scheme).principal
			}
			return ps, nil
		}
		if credentialsOK && !scopeFailed {
			scopeFailed, scopeShort, scopeShortScheme = true, missing, missingScheme
		}
	}

	if anonymous {
		// {} admits the caller only if nothing it presented failed: a bad
		// credential is answered, never silently downgraded to anonymous.
		// A malformed one counts as presented, and so do several
		// Authorization lines, an empty one, or a repeated API key.
		failed := false
		for s := range req.schemes {
			if res := ev.result(s); res.presented && res.principal == nil {
				failed = true
				break
			}
		}
		if !failed {
			return nil, nil
		}
	}

	var d *Denial
	forbidden := g.forbidden(&ev, req)
	switch {
	case forbidden != nil:
		d = forbidden
	case scopeFailed:
		d = &Denial{
			Status:        http.StatusForbidden,
			Operation:     req.Operation,
			Scheme:        scopeShortScheme,
			Reason:        "insufficient scope",
			MissingScopes: scopeShort,
			Challenges: []string{fmt.Sprintf(`Bearer realm=%s, error="insufficient_scope", scope=%s`,
				quote(g.Realm), quote(strings.Join(scopeShort, " ")))},
		}
	default:
		d = g.unauthorized(&ev, req)
	}
	d.ClientAddr = r.RemoteAddr
	g.report(ev.ctx, d)
	return nil, d
}

// forbidden returns a 403 denial when a presented credential was valid but
// its principal was refused with a 403 error (see Then and Forbidden);
// nil otherwise.
func (g *Guard) forbidden(ev *evaluation, req *Requirement) *Denial {
	for s := range req.schemes {
		if res := ev.result(s); res.presented && res.err != nil && isForbidden(res.err) {
			return &Denial{Status: http.StatusForbidden, Operation: req.Operation, Scheme: s.Name,
				Reason: "principal refused: " + res.err.Error()}
		}
	}
	return nil
}

func (g *Guard) unauthorized(ev *evaluation, req *Requirement) *Denial {
	d := &Denial{Status: http.StatusUnauthorized, Operation: req.Operation, Reason: "no credential presented"}
	seen := make(map[string]bool)
	for s := range req.schemes {
		res := ev.result(s)
		if res.presented && res.err != nil && d.Scheme == "" {
			d.Scheme, d.Reason = s.Name, "invalid credential: "+res.err.Error()
		}
		if ch := g.challenge(s, res.presented); ch != "" && !seen[ch] {
			seen[ch] = true
			d.Challenges = append(d.Challenges, ch)
		}
	}
	return d
}

// challenge returns the WWW-Authenticate challenge for s, or "" when s has
// none (mutualTLS, unsupported types).
func (g *Guard) challenge(s *Scheme, presented bool) string {
	realm := quote(g.Realm)
	switch {
	case s.Type.usesBearerChallenge():
		if presented {
			return "Bearer realm=" + realm + `, error="invalid_token"`
		}
		return "Bearer realm=" + realm
	case s.Type == HTTPBasic:
		return "Basic realm=" + realm + `, charset="UTF-8"`
	case s.Type == APIKeyAuth:
		// Not a registered auth-scheme: it tells clients where the key goes.
		return "APIKey realm=" + realm + ", in=" + quote(s.In.String()) + ", name=" + quote(s.KeyName)
	}
	return ""
}

// Deny records a denial decided outside Check, such as an object-level
// authorizer's: it is logged and reported to OnDeny as Check's are.
func (g *Guard) Deny(ctx context.Context, d *Denial) { g.report(ctx, d) }

func (g *Guard) report(ctx context.Context, d *Denial) {
	logger := g.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.LogAttrs(ctx, slog.LevelWarn, "request denied",
		slog.String("operation", d.Operation),
		slog.Int("status", d.Status),
		slog.String("scheme", d.Scheme),
		slog.String("reason", d.Reason),
		slog.String("client", d.ClientAddr))
	if g.OnDeny != nil {
		g.OnDeny(ctx, d)
	}
}

// quote renders s as an RFC 7230 quoted-string.
func quote(s string) string {
	if !strings.ContainsAny(s, `"\`) {
		return `"` + s + `"`
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}
