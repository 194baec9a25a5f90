package model

import (
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/securegen/securegen/generator/diag"
)

// AuthorizeExtension is the extension that asks for an object-level
// authorizer: true or false on an operation, a path item or the document
// root, the nearest level winning.
const AuthorizeExtension = "x-securegen-authorize"

// objectCheck decides whether operation o gets an object-level authorizer
// (OWASP API1, Broken Object Level Authorization). The nearest
// x-securegen-authorize wins: the operation's, then the path item's, then
// the root's; without any, Options.AuthorizeObjects asks for one on every
// secured operation with a path parameter. A value that is not a boolean
// is an error, naming where: a spec that asks for a check and gets none
// would fail open.
func (b *builder) objectCheck(o *Operation, item *openapi3.PathItem, op *openapi3.Operation, ptr, pathPtr string) (bool, error) {
	levels := []struct {
		ext map[string]any
		ptr string
	}{{op.Extensions, ptr}, {item.Extensions, pathPtr}, {b.doc.Extensions, ""}}
	for _, l := range levels {
		v, ok := l.ext[AuthorizeExtension]
		if !ok {
			continue
		}
		on, isBool := v.(bool)
		if !isBool {
			return false, diag.Errorf(b.loc(l.ptr+"/"+AuthorizeExtension), "%s must be true or false, not %v", AuthorizeExtension, v)
		}
		return on, nil
	}
	if !b.authorizeObjects || o.Security.Public {
		return false, nil
	}
	for _, p := range o.Params {
		if p.In == InPath {
			return true, nil
		}
	}
	return false, nil
}
