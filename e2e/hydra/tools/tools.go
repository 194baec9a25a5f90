//go:build tools

// Package tools pins ORY Hydra, which the end-to-end suite builds and runs.
// It is its own module (not in go.work) and is built with GOWORK=off by
// ../build-hydra.sh.
package tools

import _ "github.com/ory/hydra/v2"
