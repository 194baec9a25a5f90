// Package ogenlite is the peer benchmark's server as ogen v1.24.0
// generates it with the fewest features: the server paths and nothing
// else, so no OpenTelemetry instrumentation (the "ogen/otel" feature) at
// all. It is generated from ../../testdata/peer.yaml; the generated files
// are committed; run go generate here (with GOWORK=off) to rewrite them.
package ogenlite

//go:generate go run github.com/ogen-go/ogen/cmd/ogen -config ogen.yml -target . -package ogenlite -clean ../../testdata/peer.yaml
