package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/url"
	"slices"
	"testing"
	"time"
)

func testCert(t *testing.T, tmpl *x509.Certificate) *x509.Certificate {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func TestMutualTLSSubjectAndClaims(t *testing.T) {
	spiffe, _ := url.Parse("spiffe://example.org/billing")
	tests := []struct {
		name    string
		tmpl    *x509.Certificate
		subject string
	}{
		{"common name", &x509.Certificate{SerialNumber: big.NewInt(4242), Subject: pkix.Name{CommonName: "billing-svc", Organization: []string{"Example"}}, DNSNames: []string{"billing.internal"}}, "billing-svc"},
		{"DNS name when no CN", &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{Organization: []string{"Example"}}, DNSNames: []string{"billing.internal", "other"}, URIs: []*url.URL{spiffe}}, "billing.internal"},
		{"URI when no CN or DNS", &x509.Certificate{SerialNumber: big.NewInt(8), URIs: []*url.URL{spiffe}}, "spiffe://example.org/billing"},
	}
	v := NewMutualTLS(MutualTLSConfig{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leaf := testCert(t, tt.tmpl)
			p, err := v.Verify(context.Background(), Credential{Scheme: "mtls", Certificates: []*x509.Certificate{leaf}})
			if err != nil {
				t.Fatal(err)
			}
			if p.Subject != tt.subject || p.Scheme != "mtls" {
				t.Errorf("principal %+v, want subject %q", p, tt.subject)
			}
			if p.Claims["subject_dn"] != leaf.Subject.String() {
				t.Errorf("subject_dn = %v, want %q", p.Claims["subject_dn"], leaf.Subject.String())
			}
			if p.Claims["serial"] != tt.tmpl.SerialNumber.String() {
				t.Errorf("serial = %v, want %s", p.Claims["serial"], tt.tmpl.SerialNumber)
			}
		})
	}
}

func TestMutualTLSRoles(t *testing.T) {
	v := NewMutualTLS(MutualTLSConfig{Roles: func(leaf *x509.Certificate) []string {
		if slices.Contains(leaf.Subject.OrganizationalUnit, "ops") {
			return []string{"admin"}
		}
		return nil
	}})
	ops := testCert(t, &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "a", OrganizationalUnit: []string{"ops"}}})
	dev := testCert(t, &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "b"}})
	p, err := v.Verify(context.Background(), Credential{Certificates: []*x509.Certificate{ops}})
	if err != nil || !p.HasScope("admin") {
		t.Fatalf("ops principal %+v, %v: want role admin", p, err)
	}
	p, err = v.Verify(context.Background(), Credential{Certificates: []*x509.Certificate{dev}})
	if err != nil || len(p.Scopes) != 0 {
		t.Fatalf("dev principal %+v, %v: want no roles", p, err)
	}
}

func TestMutualTLSRejectsMissingCertificate(t *testing.T) {
	v := NewMutualTLS(MutualTLSConfig{})
	nameless := testCert(t, &x509.Certificate{SerialNumber: big.NewInt(3)})
	for name, certs := range map[string][]*x509.Certificate{
		"none":     nil,
		"empty":    {},
		"nil leaf": {nil},
		"no name":  {nameless},
	} {
		if p, err := v.Verify(context.Background(), Credential{Certificates: certs}); err == nil {
			t.Errorf("%s: accepted as %+v", name, p)
		}
	}
}
