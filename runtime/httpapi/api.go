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

// API is what a generated package hands NewRouter: its schemes with their
// verifiers, its operations, and one ServeFunc per operation, in the same
// order.
type API struct {
	Schemes    []*auth.Scheme
	Operations []auth.Operation
	Serve      []ServeFunc
	// TokenPaths lists, per scheme, the paths of the API itself where the
	// spec puts an OAuth2 token (or refresh) endpoint. When that scheme's
	// verifier is an auth.TokenIssuer, its endpoints are mounted.
	TokenPaths map[string][]string
}

// NewRouter routes every operation of api through the security check its
// requirement demands, then to its ServeFunc. It fails, and nothing is
// served, when a used scheme has no verifier or a route cannot be
// registered.
func NewRouter(cfg *Config, api API) (*Router, error) {
	if len(api.Serve) != len(api.Operations) {
		return nil, fmt.Errorf("httpapi: %d operations but %d serve functions", len(api.Operations), len(api.Serve))
	}
	rt := &Router{}
	var missing []string
	for i, op := range api.Operations {
		req, err := auth.Compile(op, api.Schemes)
		var mv *auth.MissingVerifierError
		if errors.As(err, &mv) {
			for _, s := range mv.Schemes {
				if !slices.Contains(missing, s) {
					missing = append(missing, s)
				}
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if api.Serve[i] == nil {
			return nil, fmt.Errorf("httpapi: operation %s has no serve function", op.ID)
		}
		if err := rt.Handle(op.Pattern, secured(cfg, req, api.Serve[i])); err != nil {
			return nil, err
		}
	}
	if len(missing) > 0 {
		var fields []string
		for _, name := range missing {
			for _, s := range api.Schemes {
				if s.Name == name {
					fields = append(fields, "Security."+s.Field+" ("+name+")")
				}
			}
		}
		return nil, fmt.Errorf("no verifier for security schemes that operations use: %s", strings.Join(fields, ", "))
	}
	for _, s := range api.Schemes {
		ti, ok := s.Verifier.(auth.TokenIssuer)
		if !ok {
			continue
		}
		for _, p := range api.TokenPaths[s.Name] {
			if err := rt.Handle("POST "+p, ti.TokenHandler()); err != nil {
				return nil, fmt.Errorf("mount token endpoint of %s: %w", s.Name, err)
			}
		}
		if len(api.TokenPaths[s.Name]) == 0 {
			continue
		}
		for _, route := range ti.Routes() {
			if err := rt.Handle(route.Pattern, route.Handler); err != nil {
				return nil, fmt.Errorf("mount endpoint of %s: %w", s.Name, err)
			}
		}
	}
	return rt, nil
}

// secured checks req before next runs: before any parameter is bound or
// any byte of the body is read.
func secured(cfg *Config, req *auth.Requirement, next ServeFunc) http.Handler {
	if req.Public() {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { next(w, r, nil) })
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		principals, denial := cfg.Guard.Check(r, req)
		if denial != nil {
			cfg.ErrorWriter(w, r, denial)
			return
		}
		next(w, r, principals)
	})
}
