package peer

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3filter"
	nethttpmiddleware "github.com/oapi-codegen/nethttp-middleware"
	"github.com/ogen-go/ogen/ogenerrors"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/securegen/securegen/bench/peer/oapigen"
	"github.com/securegen/securegen/bench/peer/ogengen"
	"github.com/securegen/securegen/bench/peer/ogenlite"
	"github.com/securegen/securegen/bench/peer/sggen"
	"github.com/securegen/securegen/runtime/auth"
	"github.com/securegen/securegen/runtime/httpapi"
)

// Impl is one server of the benchmark.
type Impl struct {
	// Name names it in benchmark results (impl=Name).
	Name string
	// New builds the server for tokens signed with a, around v, the
	// shared verifier for a.
	New func(a Alg, v *Verifier) (http.Handler, error)
}

// Impls are the servers of the benchmark, in the order results list them.
var Impls = []Impl{
	{"handwritten", func(_ Alg, v *Verifier) (http.Handler, error) { return NewHandwritten(v), nil }},
	{"oapi-codegen", func(_ Alg, v *Verifier) (http.Handler, error) { return NewOapiCodegen(v) }},
	{"ogen", func(_ Alg, v *Verifier) (http.Handler, error) { return NewOgen(v) }},
	{"ogen-noop", func(_ Alg, v *Verifier) (http.Handler, error) { return NewOgenNoop(v) }},
	{"ogen-nootel", func(_ Alg, v *Verifier) (http.Handler, error) { return NewOgenNoOtel(v) }},
	{"securegen", func(_ Alg, v *Verifier) (http.Handler, error) { return NewSecuregen(v) }},
	{"securegen-jwt", func(a Alg, _ *Verifier) (http.Handler, error) { return NewSecuregenJWT(a, false) }},
	{"securegen-jwt-cache", func(a Alg, _ *Verifier) (http.Handler, error) { return NewSecuregenJWT(a, true) }},
}

// --- hand-written -----------------------------------------------------

// NewHandwritten returns the server written by hand the way a careful
// engineer would: a ServeMux, the shared verifier, the scope check, the
// minimal decoding and validation, and JSON answers.
func NewHandwritten(v *Verifier) http.Handler {
	h := &handwritten{v: v}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", h.health)
	mux.HandleFunc("GET /items/{id}", h.getItem)
	mux.HandleFunc("POST /items", h.createItem)
	return mux
}

type handwritten struct{ v *Verifier }

type itemJSON struct {
	ID    int64    `json:"id"`
	Name  string   `json:"name"`
	Price float64  `json:"price"`
	Tags  []string `json:"tags,omitempty"`
}

type errorJSON struct {
	Message string `json:"message"`
}

// authorize answers the request and returns false unless it carries a
// valid token with scope.
func (h *handwritten) authorize(w http.ResponseWriter, r *http.Request, scope string) (*Claims, bool) {
	tok, ok := BearerToken(r.Header)
	if !ok {
		WriteUnauthorized(w, ErrNoToken)
		return nil, false
	}
	c, err := h.v.Verify(tok)
	if err != nil {
		WriteUnauthorized(w, err)
		return nil, false
	}
	if !c.HasScope(scope) {
		WriteForbidden(w, scope)
		return nil, false
	}
	return c, true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func (h *handwritten) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, struct {
		Status string `json:"status"`
	}{"ok"})
}

func (h *handwritten) getItem(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.authorize(w, r, ScopeRead); !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		writeJSON(w, http.StatusBadRequest, errorJSON{"id must be a positive integer"})
		return
	}
	if id != Item.ID {
		writeJSON(w, http.StatusNotFound, errorJSON{"no such item"})
		return
	}
	writeJSON(w, http.StatusOK, itemJSON{ID: id, Name: Item.Name, Price: Item.Price})
}

func (h *handwritten) createItem(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.authorize(w, r, ScopeWrite); !ok {
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, errorJSON{"want application/json"})
		return
	}
	var in struct {
		Name  *string  `json:"name"`
		Price *float64 `json:"price"`
		Tags  []string `json:"tags"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || dec.More() {
		writeJSON(w, http.StatusBadRequest, errorJSON{"body is not a NewItem"})
		return
	}
	if msg := checkNewItem(in.Name, in.Price, in.Tags); msg != "" {
		writeJSON(w, http.StatusBadRequest, errorJSON{msg})
		return
	}
	writeJSON(w, http.StatusCreated, itemJSON{ID: NewItemID, Name: *in.Name, Price: *in.Price, Tags: in.Tags})
}

// checkNewItem returns what is wrong with a NewItem, or "".
func checkNewItem(name *string, price *float64, tags []string) string {
	switch {
	case name == nil:
		return "name is required"
	case utf8.RuneCountInString(*name) < 1 || utf8.RuneCountInString(*name) > 100:
		return "name must have 1 to 100 characters"
	case price == nil:
		return "price is required"
	case *price < 0:
		return "price must not be negative"
	case len(tags) > 10:
		return "at most 10 tags"
	}
	for _, t := range tags {
		if n := utf8.RuneCountInString(t); n < 1 || n > 32 {
			return "a tag must have 1 to 32 characters"
		}
	}
	return ""
}

// --- oapi-codegen -----------------------------------------------------

// NewOapiCodegen returns oapi-codegen's strict server on a ServeMux,
// behind nethttp-middleware's request validator, whose
// AuthenticationFunc calls v and checks the scopes.
func NewOapiCodegen(v *Verifier) (http.Handler, error) {
	spec, err := oapigen.GetSwagger()
	if err != nil {
		return nil, err
	}
	spec.Servers = nil // no Host matching
	mux := http.NewServeMux()
	h := oapigen.HandlerFromMux(oapigen.NewStrictHandler(oapiServer{}, nil), mux)
	validator := nethttpmiddleware.OapiRequestValidatorWithOptions(spec, &nethttpmiddleware.Options{
		Options: openapi3filter.Options{
			AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
				tok, ok := BearerToken(in.RequestValidationInput.Request.Header)
				if !ok {
					return ErrNoToken
				}
				c, err := v.Verify(tok)
				if err != nil {
					return err
				}
				for _, s := range in.Scopes {
					if !c.HasScope(s) {
						return &ScopeError{Scope: s}
					}
				}
				return nil
			},
		},
		ErrorHandlerWithOpts: func(_ context.Context, err error, w http.ResponseWriter, _ *http.Request, opts nethttpmiddleware.ErrorHandlerOpts) {
			var sre *openapi3filter.SecurityRequirementsError
			if errors.As(err, &sre) {
				WriteSecurityError(w, sre)
				return
			}
			writeJSON(w, opts.StatusCode, errorJSON{err.Error()})
		},
	})
	return validator(h), nil
}

type oapiServer struct{}

func (oapiServer) GetHealth(context.Context, oapigen.GetHealthRequestObject) (oapigen.GetHealthResponseObject, error) {
	return oapigen.GetHealth200JSONResponse{Status: "ok"}, nil
}

func (oapiServer) GetItem(_ context.Context, req oapigen.GetItemRequestObject) (oapigen.GetItemResponseObject, error) {
	if req.Id != Item.ID {
		return oapigen.GetItem404JSONResponse{Message: "no such item"}, nil
	}
	return oapigen.GetItem200JSONResponse{Id: req.Id, Name: Item.Name, Price: Item.Price}, nil
}

func (oapiServer) CreateItem(_ context.Context, req oapigen.CreateItemRequestObject) (oapigen.CreateItemResponseObject, error) {
	b := req.Body
	return oapigen.CreateItem201JSONResponse{Id: NewItemID, Name: b.Name, Price: b.Price, Tags: b.Tags}, nil
}

// --- ogen -------------------------------------------------------------

type claimsKey struct{}

// ogenVerify is what both ogen servers' security handlers do: verify the
// token, check the operation's scopes, and put the claims in the context
// for the handlers, as ogen's security handlers are meant to.
func ogenVerify(ctx context.Context, v *Verifier, token string, scopes []string) (context.Context, error) {
	c, err := v.Verify(token)
	if err != nil {
		return ctx, err
	}
	for _, s := range scopes {
		if !c.HasScope(s) {
			return ctx, &ScopeError{Scope: s}
		}
	}
	return context.WithValue(ctx, claimsKey{}, c), nil
}

// ogenErrors answers security errors as the other servers do and leaves
// the rest to ogen's default error handler.
func ogenErrors(ctx context.Context, w http.ResponseWriter, r *http.Request, err error) {
	var se *ogenerrors.SecurityError
	if errors.As(err, &se) {
		if errors.Is(err, ogenerrors.ErrSecurityRequirementIsNotSatisfied) {
			err = ErrNoToken
		}
		WriteSecurityError(w, err)
		return
	}
	ogenerrors.DefaultErrorHandler(ctx, w, r, err)
}

// NewOgen returns ogen's server with its default features and options:
// OpenTelemetry through the global tracer and meter providers (which,
// never set, are OpenTelemetry's no-op delegates).
func NewOgen(v *Verifier) (http.Handler, error) {
	return ogengen.NewServer(ogenFull{}, ogenFullSec{v}, ogengen.WithErrorHandler(ogenErrors))
}

// NewOgenNoop returns ogen's default server given no-op tracer and meter
// providers, the cheapest OpenTelemetry configuration its options allow.
func NewOgenNoop(v *Verifier) (http.Handler, error) {
	return ogengen.NewServer(ogenFull{}, ogenFullSec{v}, ogengen.WithErrorHandler(ogenErrors),
		ogengen.WithTracerProvider(tracenoop.NewTracerProvider()),
		ogengen.WithMeterProvider(metricnoop.NewMeterProvider()))
}

// NewOgenNoOtel returns ogen's server generated without the "ogen/otel"
// feature: no OpenTelemetry code at all, the cheapest ogen there is.
func NewOgenNoOtel(v *Verifier) (http.Handler, error) {
	return ogenlite.NewServer(ogenLite{}, ogenLiteSec{v}, ogenlite.WithErrorHandler(ogenErrors))
}

type ogenFullSec struct{ v *Verifier }

func (s ogenFullSec) HandleOAuth(ctx context.Context, _ ogengen.OperationName, t ogengen.OAuth) (context.Context, error) {
	return ogenVerify(ctx, s.v, t.Token, t.Scopes)
}

type ogenFull struct{}

func (ogenFull) GetHealth(context.Context) (*ogengen.Health, error) {
	return &ogengen.Health{Status: "ok"}, nil
}

func (ogenFull) GetItem(_ context.Context, p ogengen.GetItemParams) (ogengen.GetItemRes, error) {
	if p.ID != Item.ID {
		return &ogengen.Error{Message: "no such item"}, nil
	}
	return &ogengen.Item{ID: p.ID, Name: Item.Name, Price: Item.Price}, nil
}

func (ogenFull) CreateItem(_ context.Context, req *ogengen.NewItem) (*ogengen.Item, error) {
	return &ogengen.Item{ID: NewItemID, Name: req.Name, Price: req.Price, Tags: req.Tags}, nil
}

type ogenLiteSec struct{ v *Verifier }

func (s ogenLiteSec) HandleOAuth(ctx context.Context, _ ogenlite.OperationName, t ogenlite.OAuth) (context.Context, error) {
	return ogenVerify(ctx, s.v, t.Token, t.Scopes)
}

type ogenLite struct{}

func (ogenLite) GetHealth(context.Context) (*ogenlite.Health, error) {
	return &ogenlite.Health{Status: "ok"}, nil
}

func (ogenLite) GetItem(_ context.Context, p ogenlite.GetItemParams) (ogenlite.GetItemRes, error) {
	if p.ID != Item.ID {
		return &ogenlite.Error{Message: "no such item"}, nil
	}
	return &ogenlite.Item{ID: p.ID, Name: Item.Name, Price: Item.Price}, nil
}

func (ogenLite) CreateItem(_ context.Context, req *ogenlite.NewItem) (*ogenlite.Item, error) {
	return &ogenlite.Item{ID: NewItemID, Name: req.Name, Price: req.Price, Tags: req.Tags}, nil
}

// --- securegen --------------------------------------------------------

// securegenOptions are the options both securegen servers are built with:
// the defaults, but denials are logged to a handler that discards them
// (by default they go to slog.Default(), which would write every denied
// request of the benchmark to stderr; the other servers log nothing).
func securegenOptions() []sggen.Option {
	return []sggen.Option{httpapi.WithLogger(slog.New(slog.DiscardHandler))}
}

// NewSecuregen returns securegen's server with the shared verifier behind
// an auth.VerifierFunc.
func NewSecuregen(v *Verifier) (http.Handler, error) {
	verify := auth.VerifierFunc(func(_ context.Context, c auth.Credential) (*auth.Principal, error) {
		cl, err := v.Verify(c.Token)
		if err != nil {
			return nil, err
		}
		return &auth.Principal{Subject: cl.Subject, Scopes: cl.Scopes()}, nil
	})
	return sggen.NewHandler(sgServer{}, sggen.Security{Oauth: verify}, securegenOptions()...)
}

// NewSecuregenJWT returns securegen's server with its own verifier,
// auth.NewJWT, configured with a's key, the issuer and the audience. With
// cache false its cache of verified tokens is off, so that every request
// verifies its token as the other servers do; with cache true it has its
// default cache, which serves the benchmark's one token from memory
// after the first request.
func NewSecuregenJWT(a Alg, cache bool) (http.Handler, error) {
	cfg := auth.JWTConfig{Issuer: Issuer, Audience: []string{Audience}, Algorithms: []string{a.Name}}
	if !cache {
		cfg.CacheSize = -1
	}
	if a.Public == nil {
		cfg.HMACSecret = a.Verify.([]byte)
	} else {
		cfg.PublicKeys = map[string]crypto.PublicKey{KeyID: a.Public}
	}
	v, err := auth.NewJWT(cfg)
	if err != nil {
		return nil, err
	}
	return sggen.NewHandler(sgServer{}, sggen.Security{Oauth: v}, securegenOptions()...)
}

type sgServer struct{}

func (sgServer) GetHealth(context.Context, sggen.GetHealthRequest) (sggen.GetHealthResponse, error) {
	return sggen.NewGetHealth200JSONResponse(sggen.Health{Status: "ok"}), nil
}

func (sgServer) GetItem(_ context.Context, req sggen.GetItemRequest) (sggen.GetItemResponse, error) {
	if req.ID != Item.ID {
		return sggen.NewGetItem404JSONResponse(sggen.Error{Message: "no such item"}), nil
	}
	return sggen.NewGetItem200JSONResponse(sggen.Item{ID: req.ID, Name: Item.Name, Price: Item.Price}), nil
}

func (sgServer) CreateItem(_ context.Context, req sggen.CreateItemRequest) (sggen.CreateItemResponse, error) {
	b := req.Body
	return sggen.NewCreateItem201JSONResponse(sggen.Item{ID: NewItemID, Name: b.Name, Price: b.Price, Tags: b.Tags}), nil
}
