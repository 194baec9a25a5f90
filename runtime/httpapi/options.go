package httpapi

import (
	"context"
	"log/slog"

	"github.com/securegen/securegen/runtime/auth"
)

// DefaultMaxBodyBytes bounds request bodies unless WithMaxBodyBytes says
// otherwise.
const DefaultMaxBodyBytes = 1 << 20

// Config is what Options set. Generated handlers build one with
// NewConfig and read it; users change it only through Options.
type Config struct {
	MaxBodyBytes int64
	ErrorWriter  ErrorWriter
	Guard        auth.Guard
}

// Option configures a generated handler.
type Option func(*Config)

// NewConfig applies opts over the defaults. realm is the default
// protection space named in challenges.
func NewConfig(realm string, opts ...Option) *Config {
	c := &Config{MaxBodyBytes: DefaultMaxBodyBytes, ErrorWriter: WriteError, Guard: auth.Guard{Realm: realm}}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
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

// WithLogger sets the logger that denials are recorded on.
func WithLogger(l *slog.Logger) Option {
	return func(c *Config) { c.Guard.Logger = l }
}

// WithDenyHook sets a function told of every denial, for metrics.
func WithDenyHook(f func(ctx context.Context, d *auth.Denial)) Option {
	return func(c *Config) { c.Guard.OnDeny = f }
}

// WithRealm sets the realm named in WWW-Authenticate challenges.
func WithRealm(realm string) Option {
	return func(c *Config) { c.Guard.Realm = realm }
}
