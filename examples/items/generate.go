package main

//go:generate go run github.com/securegen/securegen/cmd/securegen generate -package api -o api openapi.yaml
