// Package ogengen is the peer benchmark's server as ogen v1.24.0 generates
// it with its default features (OpenTelemetry included), from
// ../../testdata/peer.yaml. The generated files are committed; run go
// generate here (with GOWORK=off) to rewrite them.
package ogengen

//go:generate go run github.com/ogen-go/ogen/cmd/ogen -config ogen.yml -target . -package ogengen -clean ../../testdata/peer.yaml
