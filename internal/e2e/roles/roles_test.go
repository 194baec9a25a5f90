package roles_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/securegen/securegen/internal/e2e/roles"
	"github.com/securegen/securegen/runtime/auth"
)

type server struct{ roles.Unimplemented }

func (server) AdminOnly(context.Context, roles.AdminOnlyRequest) (roles.AdminOnlyResponse, error) {
	return roles.NewAdminOnly204Response(), nil
}

func (server) Machines(_ context.Context, req roles.MachinesRequest) (roles.MachinesResponse, error) {
	return roles.NewMachines200JSONResponse(roles.Machines200ResponseBody{Subject: &req.Principal.Subject}), nil
}

var secret = []byte("0123456789abcdef0123456789abcdef")

func token(t *testing.T, roles string) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "ann", "iss": "https://issuer.test", "aud": "roles-api", "scope": roles,
		"exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func security(t *testing.T) roles.Security {
	t.Helper()
	jv, err := auth.NewJWT(auth.JWTConfig{Issuer: "https://issuer.test", Audience: []string{"roles-api"}, HMACSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	mtls := auth.NewMutualTLS(auth.MutualTLSConfig{Roles: func(leaf *x509.Certificate) []string {
		if leaf.Subject.CommonName == "robot" {
			return []string{"operator"}
		}
		return nil
	}})
	return roles.Security{JWT: jv, Client: mtls}
}

func TestRolesOnNonOAuthSchemesAreCheckedLikeScopes(t *testing.T) {
	h, err := roles.NewHandler(server{}, security(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		roles  string
		status int
	}{{"admin", 204}, {"reader admin", 204}, {"reader", 403}} {
		r := httptest.NewRequest("GET", "/admin", nil)
		r.Header.Set("Authorization", "Bearer "+token(t, tc.roles))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.status {
			t.Errorf("roles %q: %d, want %d", tc.roles, w.Code, tc.status)
		}
		if tc.status == 403 && !strings.Contains(w.Header().Get("WWW-Authenticate"), `scope="admin"`) {
			t.Errorf("403 challenge %q does not name the role", w.Header().Get("WWW-Authenticate"))
		}
	}
}

// pki makes a CA and a client certificate it signed.
func pki(t *testing.T, cn string) (*x509.CertPool, tls.Certificate) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestMutualTLSPrincipalComesFromTheVerifiedClientCertificate(t *testing.T) {
	h, err := roles.NewHandler(server{}, security(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cn     string
		status int
	}{{"robot", 200}, {"visitor", 403}} {
		pool, clientCert := pki(t, tc.cn)
		srv := httptest.NewUnstartedServer(h)
		srv.TLS = &tls.Config{ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pool}
		srv.StartTLS()
		client := srv.Client()
		client.Transport.(*http.Transport).TLSClientConfig.Certificates = []tls.Certificate{clientCert}
		resp, err := client.Get(srv.URL + "/machines")
		if err != nil {
			t.Fatal(err)
		}
		var body strings.Builder
		buf := make([]byte, 512)
		n, _ := resp.Body.Read(buf)
		body.Write(buf[:n])
		resp.Body.Close()
		srv.Close()
		if resp.StatusCode != tc.status {
			t.Fatalf("%s: %d, want %d (%s)", tc.cn, resp.StatusCode, tc.status, body.String())
		}
		if tc.status == 200 && !strings.Contains(body.String(), `"subject":"robot"`) {
			t.Fatalf("principal not from the certificate: %s", body.String())
		}
	}
	// Without a certificate, over TLS: 401.
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/machines")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("no certificate: %d, want 401", resp.StatusCode)
	}
}
