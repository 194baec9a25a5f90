// Package secdiff compares the security of two versions of an API and
// classifies every change as a weakening or a strengthening.
//
// Both sides are Snapshots: the normalized security of every operation and
// the definitions of the schemes. A Snapshot comes from the model of a spec
// (FromModel, FromSpec), the same model the generated code is rendered
// from, or from a previously generated package (FromGenerated), so that
// regenerating over an existing package can tell what changed.
//
// Operations are matched by method and path, where path parameters match
// whatever their names ({id} matches {petId}); operations left unmatched
// are then matched by operation id. Alternatives are compared as sets: an
// alternative is a set of schemes, each with a set of scopes.
package secdiff

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/securegen/securegen/generator/diag"
	"github.com/securegen/securegen/generator/load"
	"github.com/securegen/securegen/generator/model"
)

// Snapshot is the security of one version of an API.
type Snapshot struct {
	// Operations are in the order of the spec (or of the generated code).
	Operations []Operation
	// Schemes are the declared security schemes by key; nil when the
	// snapshot does not know them.
	Schemes map[string]Scheme
}

// Operation is the normalized security of one operation.
type Operation struct {
	ID     string
	Method string // upper case
	Path   string // as the spec writes it
	// Public is set when the operation requires nothing.
	Public bool
	// Alternatives is an OR of ANDs. An empty alternative admits anonymous
	// callers. An operation that is not Public but has no alternatives
	// refuses every request.
	Alternatives []Alternative
	// Location is where the operation is declared, file#pointer; "" when
	// unknown.
	Location string
}

// Alternative is one alternative of a requirement: every Need must hold.
// Needs are sorted by scheme, with sorted scopes and no duplicates.
type Alternative []Need

// Need is a scheme within an alternative, with the scopes it must grant.
type Need struct {
	Scheme string
	// Scopes are sorted and unique; never nil.
	Scopes []string
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

// FromModel takes the snapshot of a model.
func FromModel(api *model.API) Snapshot {
	snap := Snapshot{Schemes: map[string]Scheme{}}
	if api == nil {
		return snap
	}
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
	for _, op := range api.Operations {
		if op == nil {
			continue
		}
		o := Operation{ID: op.ID, Method: strings.ToUpper(op.Method), Path: op.Path,
			Public: op.Security.Public, Location: locString(op.Location)}
		var alts []Alternative
		for _, alt := range op.Security.Alternatives {
			var a Alternative
			for _, u := range alt {
				if u.Scheme == nil {
					continue
				}
				a = append(a, Need{Scheme: u.Scheme.Key, Scopes: u.Scopes})
			}
			alts = append(alts, a)
		}
		o.Alternatives = normAlternatives(alts)
		snap.Operations = append(snap.Operations, o)
	}
	return snap
}

// FromSpec loads the spec at path and takes the snapshot of its model,
// built exactly as generation builds it.
func FromSpec(ctx context.Context, path string) (Snapshot, error) {
	var sink diag.Sink
	spec, err := load.Load(ctx, path, &sink)
	if err != nil {
		return Snapshot{}, fmt.Errorf("secdiff: %w", err)
	}
	api, err := model.Build(spec, model.Options{}, &sink)
	if err != nil {
		return Snapshot{}, fmt.Errorf("secdiff: model of %s: %w", path, err)
	}
	return FromModel(api), nil
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

// normAlternative sorts needs by scheme, merging needs of one scheme.
func normAlternative(a Alternative) Alternative {
	by := map[string][]string{}
	for _, n := range a {
		by[n.Scheme] = append(by[n.Scheme], n.Scopes...)
	}
	out := make(Alternative, 0, len(by))
	for k, scopes := range by {
		out = append(out, Need{Scheme: k, Scopes: normScopes(scopes)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Scheme < out[j].Scheme })
	return out
}

// normAlternatives normalizes each alternative and drops duplicates.
func normAlternatives(alts []Alternative) []Alternative {
	seen := map[string]bool{}
	var out []Alternative
	for _, a := range alts {
		a = normAlternative(a)
		sig := a.String()
		if seen[sig] {
			continue
		}
		seen[sig] = true
		out = append(out, a)
	}
	return out
}

// String renders the alternative as "a[s1 s2] + b", or "anonymous" when it
// is empty.
func (a Alternative) String() string {
	if len(a) == 0 {
		return "anonymous"
	}
	parts := make([]string, len(a))
	for i, n := range a {
		parts[i] = n.String()
	}
	return strings.Join(parts, " + ")
}

// String renders the need as "scheme[scope1 scope2]", or "scheme" without
// scopes.
func (n Need) String() string {
	if len(n.Scopes) == 0 {
		return n.Scheme
	}
	return n.Scheme + "[" + strings.Join(n.Scopes, " ") + "]"
}

// Anonymous reports whether some alternative admits anonymous callers.
func (o Operation) Anonymous() bool {
	for _, a := range o.Alternatives {
		if len(a) == 0 {
			return true
		}
	}
	return false
}
