package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/securegen/securegen/runtime/auth"
)

// ServeFunc serves one operation once its security is satisfied. The
// principals are those of the satisfied alternative; nil for public
// operations and anonymous callers.
type ServeFunc func(w http.ResponseWriter, r *http.Request, principals auth.Principals)

// Route pairs an operation with the function that serves it.
type Route struct {
	Op    auth.Operation
	Serve ServeFunc
	// Limit is the operation's rate limit; nil for none. NewRouter
	// enforces it (see RateLimit).
	Limit *RateLimit
}

// API is what a generated package hands NewRouter: its schemes with their
// verifiers and its routes.
type API struct {
	Schemes []*auth.Scheme
	// Routes lists the operations, each with its ServeFunc.
	Routes []Route
	// TokenPaths lists, per scheme, the paths of the API itself where the
	// spec puts an OAuth2 token (or refresh) endpoint. When that scheme's
	// verifier is an auth.TokenIssuer, its endpoints are mounted.
	TokenPaths map[string][]string
}

// NewRouter routes every operation of api through the security check its
// requirement demands, then to its ServeFunc. It fails, and nothing is
// served, when a used scheme has no verifier or a route cannot be
// registered. Schemes without a verifier are all named in one
// *auth.MissingVerifierError, which callers can match with errors.As.
func NewRouter(cfg *Config, api API) (*Router, error) {
	routes := api.Routes
	rt := &Router{noSniff: cfg.NoSniff}
	var missing *auth.MissingVerifierError
	var limits *limiting // shared by the limited routes, made for the first
	for _, route := range routes {
		op := route.Op
		req, err := auth.Compile(op, api.Schemes)
		var mv *auth.MissingVerifierError
		if errors.As(err, &mv) {
			missing = mergeMissing(missing, mv)
			continue
		}
		if err != nil {
			return nil, err
		}
		if route.Serve == nil {
			return nil, fmt.Errorf("httpapi: operation %s has no serve function", op.ID)
		}
		limit, err := newRouteLimit(cfg, &limits, op, route.Limit)
		if err != nil {
			return nil, err
		}
		if err := rt.Handle(op.Pattern, secured(cfg, req, limit, route.Serve)); err != nil {
			return nil, err
		}
	}
	if missing != nil {
		return nil, missing
	}
	if err := mountIssuers(rt, api); err != nil {
		return nil, err
	}
	return rt, nil
}

// mountIssuers mounts each auth.TokenIssuer once, at the token paths of
// every scheme it verifies: schemes that share an issuer and a tokenUrl
// (a password and a client-credentials flow, say) mount it once, and the
// issuer learns where it is mounted, so that its metadata names the
// spec's tokenUrl. Issuers are grouped by MountKey because a wrapped
// verifier (auth.Then) cannot be compared.
func mountIssuers(rt *Router, api API) error {
	type issuerMount struct {
		ti      auth.TokenIssuer
		schemes []string
		paths   []string
	}
	var mounts []*issuerMount
	byKey := map[string]*issuerMount{}
	for _, s := range api.Schemes {
		ti, ok := s.Verifier.(auth.TokenIssuer)
		paths := api.TokenPaths[s.Name]
		if !ok || len(paths) == 0 {
			continue
		}
		m := byKey[ti.MountKey()]
		if m == nil {
			m = &issuerMount{ti: ti}
			byKey[ti.MountKey()] = m
			mounts = append(mounts, m)
		}
		m.schemes = append(m.schemes, s.Name)
		for _, p := range paths {
			if !slices.Contains(m.paths, p) {
				m.paths = append(m.paths, p)
			}
		}
	}
	for _, m := range mounts {
		names := strings.Join(m.schemes, ", ")
		routes, err := m.ti.Mount(m.paths)
		if err != nil {
			return fmt.Errorf("mount the issuer of %s: %w", names, err)
		}
		for _, r := range routes {
			if err := rt.Handle(r.Pattern, r.Handler); err != nil {
				return fmt.Errorf("mount endpoint of %s: %w", names, err)
			}
		}
	}
	return nil
}

// mergeMissing adds to all, which may be nil, the schemes of mv that it
// does not name yet, in the order operations first use them.
func mergeMissing(all, mv *auth.MissingVerifierError) *auth.MissingVerifierError {
	if all == nil {
		all = &auth.MissingVerifierError{}
	}
	for i, name := range mv.Schemes {
		if slices.Contains(all.Schemes, name) {
			continue
		}
		field := ""
		if i < len(mv.Fields) {
			field = mv.Fields[i]
		}
		all.Schemes = append(all.Schemes, name)
		all.Fields = append(all.Fields, field)
	}
	return all
}

// secured checks req before next runs: before any parameter is bound or
// any byte of the body is read. A limit by address is checked before req,
// one by principal right after; limit is nil for none.
func secured(cfg *Config, req *auth.Requirement, limit *routeLimit, next ServeFunc) http.Handler {
	if req.Public() && limit == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { next(w, r, nil) })
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !limit.before(w, r, cfg.ErrorWriter) {
			return
		}
		principals, denial := cfg.Guard.Check(r, req)
		if denial != nil {
			cfg.ErrorWriter(w, r, denial)
			return
		}
		if !limit.after(w, r, cfg.ErrorWriter, principals) {
			return
		}
		if cfg.NoStore && principals != nil {
			// An authenticated answer is this caller's alone. A generated
			// answer that sets Cache-Control replaces this one.
			w.Header()["Cache-Control"] = noStore
		}
		next(w, r, principals)
	})
}
