package auth

import (
	"context"
	"crypto/x509"
	"errors"
	"slices"
)

var (
	errMTLSNoCertificate = errors.New("auth: mutual TLS: no client certificate")
	errMTLSNoName        = errors.New("auth: mutual TLS: client certificate names no subject (no common name, DNS or URI name)")
)

// MutualTLSConfig configures the verifier NewMutualTLS returns.
type MutualTLSConfig struct {
	// Roles, when set, maps the verified leaf certificate to the roles the
	// caller holds; they become Principal.Scopes.
	Roles func(leaf *x509.Certificate) []string
}

// mtlsVerifier is the Verifier NewMutualTLS returns.
type mtlsVerifier struct {
	roles func(leaf *x509.Certificate) []string
}

// NewMutualTLS returns a Verifier of client certificates. It trusts
// Credential.Certificates to be a chain the TLS stack has verified, leaf
// first (as Extract takes it from tls.ConnectionState.VerifiedChains); it
// does no chain verification of its own. The principal's Subject is the
// leaf's subject common name or, when that is empty, its first DNS name or
// else its first URI; its Claims hold "subject_dn", "issuer_dn" and
// "serial" (decimal), and "dns_names" and "uris" when present.
func NewMutualTLS(cfg MutualTLSConfig) Verifier {
	return &mtlsVerifier{roles: cfg.Roles}
}

// Verify implements Verifier.
func (v *mtlsVerifier) Verify(_ context.Context, c Credential) (*Principal, error) {
	if len(c.Certificates) == 0 || c.Certificates[0] == nil {
		return nil, errMTLSNoCertificate
	}
	leaf := c.Certificates[0]
	subject := leaf.Subject.CommonName
	if subject == "" && len(leaf.DNSNames) > 0 {
		subject = leaf.DNSNames[0]
	}
	if subject == "" {
		for _, u := range leaf.URIs {
			if u != nil {
				subject = u.String()
				break
			}
		}
	}
	if subject == "" {
		return nil, errMTLSNoName
	}
	claims := map[string]any{
		"subject_dn": leaf.Subject.String(),
		"issuer_dn":  leaf.Issuer.String(),
	}
	if leaf.SerialNumber != nil {
		claims["serial"] = leaf.SerialNumber.String()
	}
	if len(leaf.DNSNames) > 0 {
		claims["dns_names"] = slices.Clone(leaf.DNSNames)
	}
	if len(leaf.URIs) > 0 {
		uris := make([]string, 0, len(leaf.URIs))
		for _, u := range leaf.URIs {
			if u != nil {
				uris = append(uris, u.String())
			}
		}
		claims["uris"] = uris
	}
	var scopes []string
	if v.roles != nil {
		scopes = slices.Clone(v.roles(leaf))
	}
	return &Principal{Subject: subject, Scheme: c.Scheme, Scopes: scopes, Claims: claims}, nil
}
