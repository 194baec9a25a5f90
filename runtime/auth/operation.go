package auth

import (
	"fmt"
	"slices"
	"strings"
)

// Need names a scheme within an alternative of an operation's security,
// with the scopes (or roles) it must grant.
type Need struct {
	Scheme string
	Scopes []string
}

// Operation describes one operation of a generated API and the security
// it requires, as the spec says after normalization: Alternatives is an
// OR, each alternative an AND; an empty alternative admits anonymous
// callers; no alternatives at all means the operation is public.
type Operation struct {
	ID      string
	Method  string
	Path    string // as the spec writes it
	Pattern string // the net/http.ServeMux pattern that routes it
	// Alternatives of the effective requirement.
	Alternatives [][]Need
	// ObjectCheck says an object-level authorizer runs after security and
	// validation, before the operation (x-securegen-authorize).
	ObjectCheck bool
}

// Public reports whether the operation requires nothing.
func (op Operation) Public() bool { return len(op.Alternatives) == 0 }

// Anonymous reports whether some alternative admits anonymous callers.
func (op Operation) Anonymous() bool {
	for _, alt := range op.Alternatives {
		if len(alt) == 0 {
			return true
		}
	}
	return false
}

// Compile binds op's needs to schemes, by name, and returns the
// requirement the Guard checks. It fails when a needed scheme is unknown,
// or has no verifier although its type is one securegen verifies: a
// server so configured would refuse or, worse, mishandle requests, so it
// must not start.
func Compile(op Operation, schemes []*Scheme) (*Requirement, error) {
	req := &Requirement{Operation: op.ID, Alternatives: make([][]Use, len(op.Alternatives))}
	var missing *MissingVerifierError
	for i, alt := range op.Alternatives {
		uses := make([]Use, len(alt))
		for j, n := range alt {
			var s *Scheme
			for _, c := range schemes {
				if c.Name == n.Scheme {
					s = c
					break
				}
			}
			if s == nil {
				return nil, fmt.Errorf("operation %s: unknown security scheme %q", op.ID, n.Scheme)
			}
			if s.Verifier == nil && s.Type != Unsupported {
				if missing == nil {
					missing = &MissingVerifierError{}
				}
				missing.add(s.Name, s.Field)
			}
			uses[j] = Use{Scheme: s, Scopes: n.Scopes}
		}
		req.Alternatives[i] = uses
	}
	if missing != nil {
		return nil, missing
	}
	return req, nil
}

// MissingVerifierError reports security schemes that operations use but
// that have no verifier.
type MissingVerifierError struct {
	// Schemes names each scheme once, as the spec does.
	Schemes []string
	// Fields names, for each of Schemes in the same order, the field of
	// the generated Security struct that holds its verifier; "" when not
	// known.
	Fields []string
}

// add records the scheme name, whose verifier goes in the Security
// field field, unless it is recorded already.
func (e *MissingVerifierError) add(name, field string) {
	if slices.Contains(e.Schemes, name) {
		return
	}
	e.Schemes = append(e.Schemes, name)
	e.Fields = append(e.Fields, field)
}

// Error names the schemes, each with the Security field to set when it is
// known: "Security.UserToken (userToken)".
func (e *MissingVerifierError) Error() string {
	var b strings.Builder
	b.WriteString("no verifier for security schemes that operations use: ")
	for i, name := range e.Schemes {
		if i > 0 {
			b.WriteString(", ")
		}
		if i < len(e.Fields) && e.Fields[i] != "" {
			b.WriteString("Security." + e.Fields[i] + " (" + name + ")")
		} else {
			b.WriteString(name)
		}
	}
	return b.String()
}
