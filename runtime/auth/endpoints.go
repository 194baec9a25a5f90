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
// verifier is a TokenIssuer, the generated handler mounts TokenHandler there
// and every route of Routes beside the API's operations.
type TokenIssuer interface {
	Verifier
	// TokenHandler serves the RFC 6749 token endpoint.
	TokenHandler() http.Handler
	// Routes lists the issuer's further endpoints.
	Routes() []Route
}
