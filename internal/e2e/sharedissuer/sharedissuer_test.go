package sharedissuer_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/securegen/securegen/internal/e2e/sharedissuer"
	"github.com/securegen/securegen/runtime/auth"
	"github.com/securegen/securegen/runtime/httpapi"
	"github.com/securegen/securegen/runtime/issuer"
	"github.com/securegen/securegen/runtime/password"
)

type server struct{ sharedissuer.Unimplemented }

func (server) ListItems(context.Context, sharedissuer.ListItemsRequest) (sharedissuer.ListItemsResponse, error) {
	return sharedissuer.NewListItems204Response(), nil
}

// TestSharedIssuerMountsWhereTheSpecSays: two schemes share one issuer
// and one tokenUrl (/oauth/token, not /token) with TokenPath left unset.
// NewHandler mounts it once, the metadata names the spec's tokenUrl, and
// that endpoint answers a password grant and a client-credentials grant;
// the refreshUrl is mounted too.
func TestSharedIssuerMountsWhereTheSpecSays(t *testing.T) {
	userHash, err := password.HashBcrypt("wonderland", 4)
	if err != nil {
		t.Fatal(err)
	}
	clientHash, err := password.HashBcrypt("s3cret", 4)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := issuer.New(issuer.Config{
		Issuer:             "http://api.test",
		Authenticate:       issuer.Users([]issuer.User{{Username: "alice", PasswordHash: userHash, Scopes: []string{"items:read"}}}),
		Clients:            []issuer.Client{{ID: "reporter", SecretHash: clientHash, Scopes: []string{"items:read"}, Grants: []string{issuer.GrantClientCredentials}}},
		AllowPublicClients: true,
		Logger:             slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	// One of the two wrapped: the issuer is still recognised as one.
	users := auth.Then(iss, func(context.Context, *auth.Principal) error { return nil })
	h, err := sharedissuer.NewHandler(server{}, sharedissuer.Security{Users: users, Services: iss},
		httpapi.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatalf("NewHandler: %v", err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()

	resp, err := http.Get(ts.URL + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		TokenEndpoint string   `json:"token_endpoint"`
		Grants        []string `json:"grant_types_supported"`
	}
	err = json.NewDecoder(resp.Body).Decode(&meta)
	resp.Body.Close()
	if err != nil || meta.TokenEndpoint != "http://api.test/oauth/token" {
		t.Fatalf("metadata token_endpoint %q (%v), want the spec's tokenUrl", meta.TokenEndpoint, err)
	}

	grant := func(path string, form url.Values, basic ...string) map[string]any {
		t.Helper()
		r, _ := http.NewRequest("POST", ts.URL+path, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if len(basic) == 2 {
			r.SetBasicAuth(basic[0], basic[1])
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s %v: status %d %v", path, form, resp.StatusCode, out)
		}
		return out
	}
	pw := grant("/oauth/token", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"wonderland"}})
	cc := grant("/oauth/token", url.Values{"grant_type": {"client_credentials"}}, "reporter", "s3cret")
	refreshed := grant("/oauth/refresh", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {pw["refresh_token"].(string)}})
	for name, tr := range map[string]map[string]any{"password": pw, "client_credentials": cc, "refreshed": refreshed} {
		r, _ := http.NewRequest("GET", ts.URL+"/items", nil)
		r.Header.Set("Authorization", "Bearer "+tr["access_token"].(string))
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Errorf("%s token on GET /items: status %d", name, resp.StatusCode)
		}
	}
}
