// Package templates holds the text/template files that lay a securegen
// model out as Go source, embedded so that the securegen binary is
// self-contained. Templates make no decisions about the spec: every
// choice is a field of the model.
package templates

import "embed"

// FS holds the templates; each *.go.tmpl becomes the *.gen.go file of
// the same base name, and each *_test.go.tmpl, written only on request,
// a *.gen_test.go file.
//
//go:embed *.go.tmpl
var FS embed.FS
