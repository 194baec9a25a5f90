package auth

import "net/http"

// Route is an HTTP endpoint that a verifier serves besides verifying, such
// as a JWKS document or a token revocation endpoint. Pattern is a
// net/http.ServeMux pattern, such as "POST /oauth2/revoke".
type Route struct {
	Pattern string
	Handler http.Handler
}

// TokenIssuer is implemented by verifiers that are also the API's own
// OAuth2 authorization server (see runtime/issuer). When a scheme's oauth2
// flow has a tokenUrl or refreshUrl on the API itself and the scheme's
// verifier is a TokenIssuer, the generated handler mounts the issuer there:
// it groups the schemes by MountKey, calls Mount once per issuer with the
// token paths of all of its schemes, and registers every route Mount
// returns, so that schemes sharing an issuer and a tokenUrl mount it once.
type TokenIssuer interface {
	Verifier

	// MountKey identifies the issuer behind the verifier: every
	// TokenIssuer that serves one issuer's endpoints (the issuer itself,
	// and the verifiers Then wraps around it) returns the same key, and
	// different issuers return different keys. A router mounts each key
	// once.
	MountKey() string

	// Mount tells the issuer that a router serves its token endpoint at
	// tokenPaths: the tokenUrl and refreshUrl paths of every scheme with
	// this MountKey, without duplicates, in the order of the schemes
	// (tokenPaths[0] is the path the metadata names, unless the issuer
	// is configured with another of them). It returns the routes to
	// register: "POST p" for each of tokenPaths, then the issuer's further
	// endpoints. It fails, and the router must not start, when the issuer
	// cannot serve there, such as when it is configured for a token path
	// the spec does not name; the error names both. Mount may be called
	// by every router built with the issuer; calls with the same paths
	// return the same routes.
	Mount(tokenPaths []string) ([]Route, error)
}
