package model

import "github.com/securegen/securegen/runtime/auth"

// Requirements returns every operation with the security it requires, as
// runtime/auth states it. It is the one representation of a requirement
// after the model: the generated Operations table is rendered from it, and
// audit and diff read it, so the three can never disagree.
func (api *API) Requirements() []auth.Operation {
	ops := make([]auth.Operation, 0, len(api.Operations))
	for _, o := range api.Operations {
		ops = append(ops, o.Requirement())
	}
	return ops
}

// Requirement returns o with the security it requires, as runtime/auth
// states it: no alternatives for a public operation; otherwise an OR of
// alternatives, each an AND of needs, where an empty alternative admits
// anonymous callers.
func (o *Operation) Requirement() auth.Operation {
	op := auth.Operation{ID: o.ID, Method: o.Method, Path: o.Path, Pattern: o.Pattern, ObjectCheck: o.ObjectCheck}
	if o.Security.Public {
		return op
	}
	op.Alternatives = make([][]auth.Need, 0, len(o.Security.Alternatives))
	for _, alt := range o.Security.Alternatives {
		needs := make([]auth.Need, 0, len(alt))
		for _, u := range alt {
			n := auth.Need{Scheme: u.Scheme.Key}
			if len(u.Scopes) > 0 {
				n.Scopes = append([]string(nil), u.Scopes...)
			}
			needs = append(needs, n)
		}
		op.Alternatives = append(op.Alternatives, needs)
	}
	return op
}
