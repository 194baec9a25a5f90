// Package sggen is the peer benchmark's server as securegen generates it,
// from ../../testdata/peer.yaml, with the securegen of this checkout (built
// in its workspace, ../../../go.work). The generated files are committed;
// TestSecuregenUpToDate fails when they are stale, and go generate here
// rewrites them.
package sggen

//go:generate sh -c "cd ../../.. && GOWORK=\"$(pwd)/go.work\" go run ./cmd/securegen generate -package sggen -o bench/peer/sggen bench/testdata/peer.yaml"
