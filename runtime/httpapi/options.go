package httpapi

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/securegen/securegen/runtime/auth"
	"github.com/securegen/securegen/runtime/validate"
)

// DefaultMaxBodyBytes bounds request bodies unless WithMaxBodyBytes says
// otherwise.
const DefaultMaxBodyBytes = 1 << 20

// Config is what Options set. Generated handlers build one with
// NewConfig and read it; users change it only through Options.
type Config struct {
	MaxBodyBytes int64
	// ErrorWriter writes the answer to an error. NewConfig wraps the
	// writer that options chose, so that an error of no kind WriteError
	// knows, answered 500, is logged on Logger first, whichever writer
	// answers it.
	ErrorWriter ErrorWriter
	Guard       auth.Guard
	// Logger records what the handler logs: denials (through Guard),
	// errors of handlers, answers that break the spec, and answers that
	// failed to be written. NewConfig sets it to slog.Default() unless
	// WithLogger says otherwise.
	Logger *slog.Logger

	// ValidationStatus answers requests that break their schema: 400 by
	// default, 422 with WithValidationStatus.
	ValidationStatus int
	// MaxViolations caps the violations listed in one answer.
	MaxViolations int
	// StrictFields rejects unknown properties everywhere, not only where
	// the schema says additionalProperties: false.
	StrictFields bool
	// Formats are checkers for formats beyond the built-in ones.
	Formats map[string]validate.Format
	// ValidateResponses checks every answer against the spec.
	ValidateResponses bool
	// NoSniff sends X-Content-Type-Options: nosniff with every answer
	// (default on).
	NoSniff bool
	// NoStore sends Cache-Control: no-store with every answer to an
	// authenticated request whose handler sets no Cache-Control (default
	// on), following the OWASP REST Security Cheat Sheet: a shared cache
	// must never keep one caller's data for another.
	NoStore bool
	// MaxDepth bounds the nesting of request JSON; 0 means
	// validate.DefaultMaxDepth.
	MaxDepth int
	// MaxNumberLength bounds the bytes of a number literal in request
	// JSON; 0 means validate.DefaultMaxNumberLength.
	MaxNumberLength int
	// MaxProbes bounds how many times one request is tried against an
	// alternative of a oneOf or anyOf; 0 means validate.DefaultMaxProbes.
	MaxProbes int

	// Rate limits (see ratelimit.go).

	// Limiter keeps the state of operations' rate limits; nil means a
	// MemoryLimiter per router. See WithLimiter.
	Limiter Limiter
	// LimiterFailure says how requests are answered when Limiter fails:
	// FailClosed (the zero value) or FailOpen. See WithLimiterFailure.
	LimiterFailure LimiterFailure
	// ClientAddress returns the address a request is counted under by
	// rate limits; nil means RemoteHost. See WithClientAddress.
	ClientAddress func(r *http.Request) string
}

// Option configures a generated handler.
type Option func(*Config)

// NewConfig applies opts over the defaults. realm is the default
// protection space named in challenges.
func NewConfig(realm string, opts ...Option) *Config {
	c := &Config{MaxBodyBytes: DefaultMaxBodyBytes, ErrorWriter: WriteError, Guard: auth.Guard{Realm: realm},
		Logger: slog.Default(), ValidationStatus: http.StatusBadRequest, MaxViolations: validate.DefaultMax,
		NoSniff: true, NoStore: true}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	if c.Guard.Logger == nil {
		c.Guard.Logger = c.Logger
	}
	c.ErrorWriter = c.logUnknown(c.ErrorWriter)
	return c
}

// logUnknown returns ew preceded by a log, on c's logger, of each error
// of no kind WriteError knows: handlers' own errors, whose text is never
// shown to the client.
func (c *Config) logUnknown(ew ErrorWriter) ErrorWriter {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		if unknownError(err) {
			c.logError(r, "handler failed", err)
		}
		ew(w, r, err)
	}
}

// logger returns the logger c records on: slog.Default() for a Config
// that NewConfig did not make.
func (c *Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

// logError records err, which stopped the request r, at level error.
func (c *Config) logError(r *http.Request, msg string, err error) {
	c.logger().LogAttrs(r.Context(), slog.LevelError, msg,
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("error", err.Error()))
}

// WithMaxBodyBytes bounds request bodies to n bytes; larger bodies are
// answered 413.
func WithMaxBodyBytes(n int64) Option {
	return func(c *Config) {
		if n > 0 {
			c.MaxBodyBytes = n
		}
	}
}

// WithErrorWriter replaces the writer of error answers (401, 403, 400, 500
// and the rest).
func WithErrorWriter(ew ErrorWriter) Option {
	return func(c *Config) {
		if ew != nil {
			c.ErrorWriter = ew
		}
	}
}

// WithLogger sets the logger that everything the handler logs is
// recorded on: denials, errors of handlers, answers that break the spec
// and answers that could not be written. A nil l leaves the default,
// slog.Default() as it is when the handler is built.
func WithLogger(l *slog.Logger) Option {
	return func(c *Config) {
		if l != nil {
			c.Logger = l
			c.Guard.Logger = l
		}
	}
}

// WithDenyHook sets a function told of every denial, for metrics.
func WithDenyHook(f func(ctx context.Context, d *auth.Denial)) Option {
	return func(c *Config) { c.Guard.OnDeny = f }
}

// WithValidationStatus answers requests that break their schema with
// status, which must be 400 or 422.
func WithValidationStatus(status int) Option {
	return func(c *Config) {
		if status == http.StatusBadRequest || status == http.StatusUnprocessableEntity {
			c.ValidationStatus = status
		}
	}
}

// WithMaxViolations caps the violations listed in one answer.
func WithMaxViolations(n int) Option {
	return func(c *Config) {
		if n > 0 {
			c.MaxViolations = n
		}
	}
}

// WithStrictFields rejects unknown properties in every object of a
// request, not only where the schema says additionalProperties: false.
func WithStrictFields() Option {
	return func(c *Config) { c.StrictFields = true }
}

// WithFormat registers a checker for a string format the spec uses, such
// as "iban". It replaces a built-in checker of the same name.
func WithFormat(name string, check func(s string) error) Option {
	return func(c *Config) {
		if name == "" || check == nil {
			return
		}
		formats := make(map[string]validate.Format, len(c.Formats)+1)
		for k, v := range c.Formats {
			formats[k] = v
		}
		formats[name] = check
		c.Formats = formats
	}
}

// WithResponseValidation checks every answer against the spec before it
// is written; one that breaks it is logged and answered 500. It is meant
// for development and tests.
func WithResponseValidation() Option {
	return func(c *Config) { c.ValidateResponses = true }
}

// WithRealm sets the realm named in WWW-Authenticate challenges.
func WithRealm(realm string) Option {
	return func(c *Config) { c.Guard.Realm = realm }
}

// WithMaxDepth bounds how deeply request JSON may nest (default
// validate.DefaultMaxDepth, 64; at most validate.LimitMaxDepth). Deeper
// bodies are answered 400 with a maxDepth violation, before any more of
// them is read.
func WithMaxDepth(n int) Option {
	return func(c *Config) {
		if n > 0 {
			c.MaxDepth = min(n, validate.LimitMaxDepth)
		}
	}
}

// WithMaxNumberLength bounds the bytes of one number literal in request
// JSON (default validate.DefaultMaxNumberLength, 128). Longer literals
// are answered 400 with a maxNumberLength violation.
func WithMaxNumberLength(n int) Option {
	return func(c *Config) {
		if n > 0 {
			c.MaxNumberLength = n
		}
	}
}

// WithMaxProbes bounds how many times the values of one request are
// tried against an alternative of a oneOf or anyOf (default
// validate.DefaultMaxProbes). Past it the request is answered 400 with a
// maxWork violation: alternatives that descend into a recursive schema
// would otherwise cost time exponential in the input's depth.
func WithMaxProbes(n int) Option {
	return func(c *Config) {
		if n > 0 {
			c.MaxProbes = n
		}
	}
}

// WithNoSniff turns X-Content-Type-Options: nosniff on every answer on
// (the default) or off.
func WithNoSniff(on bool) Option {
	return func(c *Config) { c.NoSniff = on }
}

// WithNoStore turns Cache-Control: no-store on answers to authenticated
// requests on (the default) or off. A handler that sets Cache-Control on
// its answer keeps its own either way.
func WithNoStore(on bool) Option {
	return func(c *Config) { c.NoStore = on }
}
