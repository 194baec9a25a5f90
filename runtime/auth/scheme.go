package auth

import "fmt"

// SchemeType is the kind of a security scheme, as the spec declares it.
type SchemeType uint8

// The scheme types securegen verifies. Unsupported stands for a scheme the
// generated server cannot verify (such as http negotiate): every request
// that can only be satisfied by it is refused.
const (
	Unsupported SchemeType = iota
	HTTPBearer
	HTTPBasic
	APIKeyAuth
	OAuth2
	OpenIDConnect
	MutualTLS
)

var schemeTypeNames = [...]string{"unsupported", "http bearer", "http basic", "apiKey", "oauth2", "openIdConnect", "mutualTLS"}

// String returns the type as the spec spells it.
func (t SchemeType) String() string {
	if int(t) < len(schemeTypeNames) {
		return schemeTypeNames[t]
	}
	return fmt.Sprintf("SchemeType(%d)", t)
}

// usesBearerChallenge reports whether a 401 for t carries a Bearer challenge.
func (t SchemeType) usesBearerChallenge() bool {
	return t == HTTPBearer || t == OAuth2 || t == OpenIDConnect
}

// KeyLocation is where an apiKey scheme's key travels.
type KeyLocation uint8

// The locations an apiKey may be declared in.
const (
	InHeader KeyLocation = iota
	InQuery
	InCookie
)

// String returns the location as the spec spells it.
func (l KeyLocation) String() string {
	switch l {
	case InHeader:
		return "header"
	case InQuery:
		return "query"
	case InCookie:
		return "cookie"
	}
	return fmt.Sprintf("KeyLocation(%d)", l)
}

// Scheme describes one security scheme of the spec: what kind it is and
// where its credential travels. Generated code declares one per scheme.
type Scheme struct {
	// Name is the scheme's key under components.securitySchemes.
	Name string
	// Field is the generated Security struct's field for the scheme.
	Field string
	Type  SchemeType
	// In and KeyName locate an apiKey: the header, query parameter or
	// cookie that carries it.
	In      KeyLocation
	KeyName string
	// Verifier verifies the scheme's credentials. The generated handler
	// refuses to start when a scheme an operation uses has none.
	Verifier Verifier
}

// Use is one scheme within an alternative of a security requirement, with
// the scopes (or, for non-OAuth2 schemes, roles) the caller must hold.
type Use struct {
	Scheme *Scheme
	Scopes []string
}

// Requirement is an operation's effective security requirement: an OR over
// Alternatives, an AND over the Uses inside each. An empty alternative
// admits anonymous callers. A Requirement with no alternatives is public.
type Requirement struct {
	// Operation names the operation in logs and denial events.
	Operation    string
	Alternatives [][]Use
}

// Public reports whether the requirement admits every request without
// looking at credentials, as `security: []` does.
func (req *Requirement) Public() bool { return len(req.Alternatives) == 0 }

// schemes calls yield for every distinct scheme the requirement offers, in
// the order the spec lists them.
func (req *Requirement) schemes(yield func(*Scheme) bool) {
	for i, alt := range req.Alternatives {
	uses:
		for _, u := range alt {
			for _, prev := range req.Alternatives[:i] {
				for _, pu := range prev {
					if pu.Scheme == u.Scheme {
						continue uses
					}
				}
			}
			if !yield(u.Scheme) {
				return
			}
		}
	}
}
