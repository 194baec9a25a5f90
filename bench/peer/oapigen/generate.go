// Package oapigen is the peer benchmark's server as oapi-codegen v2.8.2
// generates it (std-http-server, strict-server, models, embedded spec),
// from ../../testdata/peer.yaml. The generated file is committed; run go
// generate here (with GOWORK=off) to rewrite it.
package oapigen

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config oapi-codegen.yaml ../../testdata/peer.yaml
