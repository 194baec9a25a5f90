// Package auth is the security core that securegen-generated servers import:
// credentials, principals, verifiers, the evaluation of an operation's
// security requirement, and the 401/403 answers that follow from it.
//
// A Verifier turns a Credential into a Principal, much as an http.Handler
// turns a request into a response. Verifiers know nothing of routing; the
// generated wiring knows nothing of tokens.
package auth

import (
	"context"
	"crypto/x509"
	"slices"
)

// Credential is what a request presented for one security scheme. Which
// fields are set depends on the scheme's type: Token for bearer, oauth2,
// openIdConnect and apiKey schemes, Username and Password for http basic,
// and Certificates (the verified chain, leaf first) for mutualTLS.
type Credential struct {
	// Scheme is the security scheme's key in the spec, such as "userToken".
	Scheme       string
	Token        string
	Username     string
	Password     string
	Certificates []*x509.Certificate
}

// Principal is an authenticated caller, as established by a Verifier.
type Principal struct {
	// Subject identifies the caller: a JWT's sub, a user name, a key's owner.
	Subject string
	// Scheme is the security scheme that authenticated the caller.
	Scheme string
	// Scopes are the OAuth2 scopes, or for other scheme types the roles,
	// the caller holds. Requirements are checked against them.
	Scopes []string
	// Claims holds further facts about the caller, such as a JWT's claims.
	Claims map[string]any
}

// HasScope reports whether p holds scope.
func (p *Principal) HasScope(scope string) bool {
	return p != nil && slices.Contains(p.Scopes, scope)
}

// Verifier verifies a credential. It returns the principal the credential
// stands for, or an error when the credential is not acceptable. An error
// always means "not authenticated": verifiers fail closed.
type Verifier interface {
	Verify(ctx context.Context, c Credential) (*Principal, error)
}

// VerifierFunc adapts an ordinary function to the Verifier interface.
type VerifierFunc func(ctx context.Context, c Credential) (*Principal, error)

// Verify calls f(ctx, c).
func (f VerifierFunc) Verify(ctx context.Context, c Credential) (*Principal, error) {
	return f(ctx, c)
}

// Principals are the principals established by one satisfied alternative of
// a security requirement: one per scheme, ordered by scheme name.
type Principals []*Principal

// First returns the principal of the alternative's first scheme, or nil.
func (ps Principals) First() *Principal {
	if len(ps) == 0 {
		return nil
	}
	return ps[0]
}

// ByScheme returns the principal that scheme established, or nil.
func (ps Principals) ByScheme(scheme string) *Principal {
	for _, p := range ps {
		if p != nil && p.Scheme == scheme {
			return p
		}
	}
	return nil
}
