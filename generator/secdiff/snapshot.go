// Package secdiff compares the security of two versions of an API and
// classifies every change as a weakening or a strengthening.
//
// Both sides are Snapshots: the security of every operation, as
// runtime/auth states it (auth.Operation, the table the generated code is
// rendered from), and the definitions of the schemes. A Snapshot comes
// from a model (FromModel; generator.LoadModel builds one from a spec
// exactly as generation does), or from a previously generated package
// (FromGenerated), so that regenerating over an existing package can tell
// what changed.
//
// Operations are matched by method and path, where path parameters match
// whatever their names ({id} matches {petId}); operations left unmatched
// are then matched by operation id. Alternatives are compared as sets: an
// alternative is a set of schemes, each with a set of scopes. Whether an
// object-level check runs (auth.Operation.ObjectCheck) is compared too:
// losing one weakens.
package secdiff

import (
	"slices"
	"sort"
	"strings"

	"github.com/securegen/securegen/generator/diag"
	"github.com/securegen/securegen/generator/model"
	"github.com/securegen/securegen/runtime/auth"
)

// Snapshot is the security of one version of an API.
type Snapshot struct {
	// Operations are in the order of the spec (or of the generated code).
	// An operation with no alternatives is public, as in runtime/auth.
	// Compare normalizes them (see Normalize): needs and scopes may come
	// in any order, and repeated.
	Operations []auth.Operation
	// Schemes are the declared security schemes by key; nil when the
	// snapshot does not know them.
	Schemes map[string]Scheme
	// Limits are the operations' rate limits by operation id; nil when
	// the snapshot does not know them (one read from generated code).
	Limits map[string]Limit
}

// Scheme is the definition of a security scheme, as far as it decides what
// the generated server accepts.
type Scheme struct {
	Key string
	// Type is the model's scheme type, such as model.HTTPBearer.
	Type model.SchemeType
	// SpecType is the type as the spec spells it ("http negotiate"); ""
	// when unknown.
	SpecType string
	// In and KeyName locate an apiKey; both are "" for other types.
	In      string
	KeyName string
	// Flows are the OAuth2 flows, by name order; meaningful only when
	// FlowsKnown.
	Flows      []Flow
	FlowsKnown bool
	Location   string
}

// Flow is one OAuth2 flow of a scheme.
type Flow struct {
	Name             string
	AuthorizationURL string
	TokenURL         string
	RefreshURL       string
	Scopes           []string
}

// FromModel takes the snapshot of a model: its operations are the
// model's Requirements, normalized. The model is expected to be built as
// generation builds it, without model.Options.LenientSecurity: an
// operation whose every alternative was dropped for naming an undeclared
// scheme has no alternatives, and so reads as public here, as it would in
// the runtime.
func FromModel(api *model.API) Snapshot {
	snap := Snapshot{Schemes: map[string]Scheme{}, Limits: map[string]Limit{}}
	if api == nil {
		return snap
	}
	snap.Limits = limitsOf(api)
	for _, sc := range api.Schemes {
		if sc == nil {
			continue
		}
		s := Scheme{Key: sc.Key, Type: sc.Type, SpecType: sc.SpecType, FlowsKnown: true, Location: locString(sc.Location)}
		if sc.Type == model.APIKey {
			s.In, s.KeyName = sc.In, sc.KeyName
		}
		for _, f := range sc.Flows {
			if f == nil {
				continue
			}
			s.Flows = append(s.Flows, Flow{Name: f.Name, AuthorizationURL: f.AuthorizationURL, TokenURL: f.TokenURL,
				RefreshURL: f.RefreshURL, Scopes: normScopes(f.Scopes)})
		}
		sort.Slice(s.Flows, func(i, j int) bool { return s.Flows[i].Name < s.Flows[j].Name })
		snap.Schemes[sc.Key] = s
	}
	for _, op := range api.Requirements() {
		snap.Operations = append(snap.Operations, Normalize(op))
	}
	return snap
}

func locString(l diag.Location) string {
	if l.File == "" && l.Pointer == "" {
		return ""
	}
	return l.File + "#" + l.Pointer
}

// normScopes returns the scopes sorted and unique, never nil.
func normScopes(scopes []string) []string {
	out := make([]string, 0, len(scopes))
	out = append(out, scopes...)
	sort.Strings(out)
	return slices.Compact(out)
}

// Normalize returns op in the form Compare compares: the method in upper
// case; in each alternative, one need per scheme (the scopes of repeated
// needs merged), sorted by scheme, with scopes sorted, unique and never
// nil; repeated alternatives dropped. A public operation keeps no
// alternatives. op itself is not modified.
func Normalize(op auth.Operation) auth.Operation {
	op.Method = strings.ToUpper(op.Method)
	if len(op.Alternatives) == 0 {
		op.Alternatives = nil
		return op
	}
	seen := map[string]bool{}
	alts := make([][]auth.Need, 0, len(op.Alternatives))
	for _, a := range op.Alternatives {
		a = normAlternative(a)
		sig := alternativeString(a)
		if seen[sig] {
			continue
		}
		seen[sig] = true
		alts = append(alts, a)
	}
	op.Alternatives = alts
	return op
}

// normAlternative sorts needs by scheme, merging needs of one scheme.
func normAlternative(a []auth.Need) []auth.Need {
	by := map[string][]string{}
	for _, n := range a {
		by[n.Scheme] = append(by[n.Scheme], n.Scopes...)
	}
	out := make([]auth.Need, 0, len(by))
	for k, scopes := range by {
		out = append(out, auth.Need{Scheme: k, Scopes: normScopes(scopes)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Scheme < out[j].Scheme })
	return out
}

// alternativeString renders an alternative as "a[s1 s2] + b", or
// "anonymous" when it is empty.
func alternativeString(a []auth.Need) string {
	if len(a) == 0 {
		return "anonymous"
	}
	parts := make([]string, len(a))
	for i, n := range a {
		parts[i] = needString(n)
	}
	return strings.Join(parts, " + ")
}

// needString renders a need as "scheme[scope1 scope2]", or "scheme"
// without scopes.
func needString(n auth.Need) string {
	if len(n.Scopes) == 0 {
		return n.Scheme
	}
	return n.Scheme + "[" + strings.Join(n.Scopes, " ") + "]"
}
