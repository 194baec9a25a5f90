package issuer_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/securegen/securegen/runtime/auth"
	"github.com/securegen/securegen/runtime/issuer"
)

// TestRefreshGracePeriodReturnsTheSamePair: within the grace period, the
// just-rotated refresh token gets the same pair again, and the family
// lives on; once the family rotates again, the grace period of the rotation
// before is closed and presenting that token is reuse.
func TestRefreshGracePeriodReturnsTheSamePair(t *testing.T) {
	e := newEnv(t, func(c *issuer.Config) { c.RefreshGracePeriod = time.Minute })
	r0 := mustOK(t, e.login("alice", alicePW, ""))
	r1 := mustOK(t, e.refresh(r0.str("refresh_token")))
	e.clock.Advance(10 * time.Second)
	retry := mustOK(t, e.refresh(r0.str("refresh_token")))
	if retry.str("access_token") != r1.str("access_token") || retry.str("refresh_token") != r1.str("refresh_token") || retry.str("scope") != r1.str("scope") {
		t.Fatalf("retry within the grace period got %s, want the pair %s", retry.raw, r1.raw)
	}
	if got, want := retry.body["expires_in"], float64(issuer.DefaultAccessTokenTTL/time.Second-10); got != want {
		t.Errorf("expires_in %v, want the remaining %v", got, want)
	}
	mustOK(t, e.refresh(r0.str("refresh_token"))) // as often as it is retried
	if _, err := e.verify(r1.str("access_token")); err != nil {
		t.Fatalf("the pair's access token: %v", err)
	}

	// Another client, or another scope, is no retry.
	wantError(t, e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r0.str("refresh_token")}}, "app2", appSecret), http.StatusBadRequest, "invalid_grant")
	mustOK(t, e.refresh(r0.str("refresh_token")))

	// The successor rotates: the grace period of r0 is over.
	r2 := mustOK(t, e.refresh(r1.str("refresh_token")))
	wantError(t, e.refresh(r0.str("refresh_token")), http.StatusBadRequest, "invalid_grant")
	wantError(t, e.refresh(r2.str("refresh_token")), http.StatusBadRequest, "invalid_grant")
	if _, err := e.verify(r2.str("access_token")); err == nil {
		t.Error("the family survived the reuse of a token whose grace period was closed")
	}
}

// TestRefreshGracePeriodEnds: after the grace period, presenting the
// rotated token again is reuse, and revokes the family as without one.
func TestRefreshGracePeriodEnds(t *testing.T) {
	e := newEnv(t, func(c *issuer.Config) { c.RefreshGracePeriod = 100 * time.Millisecond })
	r0 := mustOK(t, e.login("alice", alicePW, ""))
	r1 := mustOK(t, e.refresh(r0.str("refresh_token")))
	time.Sleep(300 * time.Millisecond) // the MemoryStore keeps the grace period by the wall clock
	wantError(t, e.refresh(r0.str("refresh_token")), http.StatusBadRequest, "invalid_grant")
	wantError(t, e.refresh(r1.str("refresh_token")), http.StatusBadRequest, "invalid_grant")
	if _, err := e.verify(r1.str("access_token")); err == nil {
		t.Error("access token of the revoked family still verifies")
	}
}

// TestRefreshGracePeriodAnotherScopeIsReuse: a retry asks what the
// rotation asked; a presentation with another scope revokes the family.
func TestRefreshGracePeriodAnotherScopeIsReuse(t *testing.T) {
	e := newEnv(t, func(c *issuer.Config) { c.RefreshGracePeriod = time.Minute })
	r0 := mustOK(t, e.login("alice", alicePW, ""))
	r1 := mustOK(t, e.refresh(r0.str("refresh_token")))
	wantError(t, e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r0.str("refresh_token")}, "scope": {"read"}}, "app", appSecret), http.StatusBadRequest, "invalid_grant")
	wantError(t, e.refresh(r1.str("refresh_token")), http.StatusBadRequest, "invalid_grant")
}

func TestRefreshGracePeriodIsBounded(t *testing.T) {
	for _, d := range []time.Duration{-time.Second, issuer.DefaultAccessTokenTTL + time.Second} {
		cfg := baseConfig()
		cfg.RefreshGracePeriod = d
		if _, err := issuer.New(cfg); err == nil {
			t.Errorf("RefreshGracePeriod %v accepted", d)
		}
	}
}

// TestMemoryStoreGracePeriod exercises RotateRefresh's grace period on the
// MemoryStore directly.
func TestMemoryStoreGracePeriod(t *testing.T) {
	ctx := context.Background()
	s := issuer.NewMemoryStore()
	rec := issuer.RefreshRecord{Family: "fam", Subject: "alice", ExpiresAt: time.Now().Add(time.Hour)}
	if err := s.SaveRefresh(ctx, "h0", rec); err != nil {
		t.Fatal(err)
	}
	rot := func(oldHash, newHash string, grace time.Duration, replay string) issuer.Rotation {
		return issuer.Rotation{OldHash: oldHash, NewHash: newHash, Next: rec, FamilyTTL: time.Hour, Grace: grace, Replay: []byte(replay)}
	}
	if replay, err := s.RotateRefresh(ctx, rot("h0", "h1", time.Minute, "pair1")); err != nil || replay != nil {
		t.Fatalf("rotation = %q, %v", replay, err)
	}
	for range 2 {
		if replay, err := s.RotateRefresh(ctx, rot("h0", "hx", time.Minute, "other")); err != nil || string(replay) != "pair1" {
			t.Fatalf("redemption within the grace period = %q, %v; want pair1", replay, err)
		}
	}
	if _, err := s.LookupRefresh(ctx, "hx"); !errors.Is(err, issuer.ErrNotFound) {
		t.Errorf("a replayed redemption stored a token: %v", err)
	}
	// Rotating the successor without a grace period closes h0's.
	if _, err := s.RotateRefresh(ctx, rot("h1", "h2", 0, "")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RotateRefresh(ctx, rot("h0", "hy", time.Minute, "")); !errors.Is(err, issuer.ErrReused) {
		t.Errorf("redemption after the grace period closed: %v, want ErrReused", err)
	}
	if revoked, err := s.Revoked(ctx, "jti", "fam"); err != nil || !revoked {
		t.Errorf("family not revoked: %v, %v", revoked, err)
	}

	// The window ends.
	rec.Family = "fam2"
	if err := s.SaveRefresh(ctx, "k0", rec); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RotateRefresh(ctx, rot("k0", "k1", 50*time.Millisecond, "pair")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond)
	if _, err := s.RotateRefresh(ctx, rot("k0", "k2", 0, "")); !errors.Is(err, issuer.ErrReused) {
		t.Errorf("redemption after the window: %v, want ErrReused", err)
	}
}

// TestJWKSVerifierSeesRevocationThroughTheStore: a service that verifies
// the issuer's tokens from its key set, with the issuer's store as
// JWTConfig.Revocation, refuses the tokens the issuer revoked, by jti and
// by family.
func TestJWKSVerifierSeesRevocationThroughTheStore(t *testing.T) {
	store := issuer.NewMemoryStore()
	e := newEnv(t, func(c *issuer.Config) { c.Store = store; c.Now = nil })
	v, err := auth.NewJWT(auth.JWTConfig{
		JWKSURL:    e.ts.URL + "/.well-known/jwks.json",
		Issuer:     testIssuer,
		Audience:   []string{testAudience},
		Revocation: store,
	})
	if err != nil {
		t.Fatal(err)
	}
	verify := func(token string) error {
		_, err := v.Verify(context.Background(), auth.Credential{Scheme: "oauth", Token: token})
		return err
	}
	revoke := func(token string) {
		t.Helper()
		r := post(t, e.ts.URL, "/oauth2/revoke", url.Values{"token": {token}}, []string{"app", appSecret}, "1")
		if r.status != http.StatusOK {
			t.Fatalf("revoke: %d %s", r.status, r.raw)
		}
	}
	a := mustOK(t, e.login("alice", alicePW, ""))
	b := mustOK(t, e.login("alice", alicePW, ""))
	for _, r := range []reply{a, b} {
		if err := verify(r.str("access_token")); err != nil {
			t.Fatalf("before revocation: %v", err)
		}
	}
	revoke(a.str("access_token"))
	if err := verify(a.str("access_token")); !errors.Is(err, auth.ErrTokenRevoked) {
		t.Errorf("access token revoked by jti: %v, want ErrTokenRevoked", err)
	}
	revoke(b.str("refresh_token"))
	if err := verify(b.str("access_token")); !errors.Is(err, auth.ErrTokenRevoked) {
		t.Errorf("access token of a revoked family: %v, want ErrTokenRevoked", err)
	}
	c := mustOK(t, e.login("alice", alicePW, ""))
	if err := verify(c.str("access_token")); err != nil {
		t.Errorf("an unrevoked token: %v", err)
	}
}
