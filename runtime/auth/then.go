package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Then returns a Verifier that runs check on every principal v accepts:
// checks stacked on the principal, like FastAPI's get_current_active_user
// on get_current_user. A valid token of a disabled user is still refused.
//
// An error from check makes the credential invalid: the request is
// answered 401 as for a bad token, unless the error has a StatusCode()
// method returning 403 (see Forbidden), in which case it is answered 403,
// without a challenge to present a new token, since a new token of the
// same principal would not help.
//
// When v is a TokenIssuer, so is the result, and its endpoints stay
// mounted.
func Then(v Verifier, check func(ctx context.Context, p *Principal) error) Verifier {
	t := then{v: v, check: check}
	if ti, ok := v.(TokenIssuer); ok {
		return thenIssuer{then: t, ti: ti}
	}
	return t
}

type then struct {
	v     Verifier
	check func(ctx context.Context, p *Principal) error
}

// Verify verifies c with the wrapped verifier, then checks its principal.
func (t then) Verify(ctx context.Context, c Credential) (*Principal, error) {
	if t.v == nil {
		return nil, errors.New("no verifier")
	}
	p, err := t.v.Verify(ctx, c)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errors.New("verifier accepted no principal")
	}
	if t.check == nil {
		return p, nil
	}
	if err := t.check(ctx, p); err != nil {
		return nil, fmt.Errorf("principal refused: %w", err)
	}
	return p, nil
}

type thenIssuer struct {
	then
	ti TokenIssuer
}

// MountKey is the wrapped issuer's key: a scheme verified by the issuer and
// one verified by a check stacked on it share the issuer's endpoints.
func (t thenIssuer) MountKey() string { return t.ti.MountKey() }

// Mount mounts the wrapped issuer.
func (t thenIssuer) Mount(tokenPaths []string) ([]Route, error) { return t.ti.Mount(tokenPaths) }

// ForbiddenError refuses a principal whose credential is valid but who may
// not use the API at all, such as a disabled user: the request is answered
// 403, with no challenge to present another token.
type ForbiddenError struct {
	// Reason says why, without any credential; it is logged, never sent.
	Reason string
}

// Forbidden returns a *ForbiddenError with reason.
func Forbidden(reason string) error { return &ForbiddenError{Reason: reason} }

// Error returns the reason.
func (e *ForbiddenError) Error() string { return "forbidden: " + e.Reason }

// StatusCode returns 403.
func (e *ForbiddenError) StatusCode() int { return http.StatusForbidden }

// isForbidden reports whether err asks for 403 through a StatusCode method.
func isForbidden(err error) bool {
	var sc interface{ StatusCode() int }
	return errors.As(err, &sc) && sc.StatusCode() == http.StatusForbidden
}
