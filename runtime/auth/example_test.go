package auth_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/securegen/securegen/runtime/auth"
)

func ExampleNewJWT() {
	secret := []byte("an-hmac-secret-of-at-least-32-bytes!")
	v, err := auth.NewJWT(auth.JWTConfig{
		Issuer:     "https://issuer.example",
		Audience:   []string{"api://orders"},
		HMACSecret: secret,
	})
	if err != nil {
		log.Fatal(err)
	}

	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss":   "https://issuer.example",
		"aud":   "api://orders",
		"sub":   "alice",
		"exp":   time.Now().Add(time.Hour).Unix(),
		"scope": "orders:read orders:write",
	}).SignedString(secret)
	if err != nil {
		log.Fatal(err)
	}

	p, err := v.Verify(context.Background(), auth.Credential{Scheme: "bearerAuth", Token: token})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Subject, p.Scopes)
	// Output: alice [orders:read orders:write]
}

func ExampleNewAPIKeys() {
	// Only the hash of each key is configured; the keys themselves are
	// handed to their owners and never stored.
	v, err := auth.NewAPIKeys([]auth.APIKey{
		{Hash: auth.HashAPIKey("kX8mq2v9Lr4tZ7wB1nC5hJ0e"), Subject: "billing-service", Scopes: []string{"invoices:read"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	p, err := v.Verify(context.Background(), auth.Credential{Scheme: "apiKey", Token: "kX8mq2v9Lr4tZ7wB1nC5hJ0e"})
	fmt.Println(p.Subject, p.Scopes, err)
	_, err = v.Verify(context.Background(), auth.Credential{Scheme: "apiKey", Token: "guess"})
	fmt.Println(err)
	// Output:
	// billing-service [invoices:read] <nil>
	// auth: api key: unknown key
}
