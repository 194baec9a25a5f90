//go:build tools

// Package bench compares securegen with other generators, side by side in
// one benchmark run. It is its own module, outside go.work, so that the
// tools it measures never enter securegen's build.
package bench

import (
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
	_ "github.com/ogen-go/ogen/cmd/ogen"
)
