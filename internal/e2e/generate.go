// Package e2e holds packages generated from the specs in testdata/specs,
// checked in as golden output, with end-to-end tests that drive each one
// through net/http/httptest. generator's golden test fails when they are
// stale; `go test ./generator -update` (or go generate here) rewrites them.
package e2e

//go:generate go run ../../cmd/securegen generate -package security -o security ../../testdata/specs/security.yaml
//go:generate go run ../../cmd/securegen generate -package roles -o roles ../../testdata/specs/roles.v31.yaml
//go:generate go run ../../cmd/securegen generate -package types -o types ../../testdata/specs/types.yaml
//go:generate go run ../../cmd/securegen generate -package params -o params ../../testdata/specs/params.yaml
//go:generate go run ../../cmd/securegen generate -package swagger2 -o swagger2 ../../testdata/specs/swagger2.json
//go:generate go run ../../cmd/securegen generate -package multifile -o multifile ../../testdata/specs/multifile/api.yaml
//go:generate go run ../../cmd/securegen generate -package issuer -o issuer ../../testdata/specs/issuer.yaml
//go:generate go run ../../cmd/securegen generate -package validation -o validation ../../testdata/specs/validation.yaml
//go:generate go run ../../cmd/securegen generate -package validation31 -o validation31 ../../testdata/specs/validation.v31.yaml
