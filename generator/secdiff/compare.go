package secdiff

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/securegen/securegen/generator/model"
	"github.com/securegen/securegen/runtime/auth"
)

// Kind classifies a change.
type Kind uint8

// The kinds of change. Neutral changes neither widen nor narrow who is
// admitted, as far as the generated code decides.
const (
	Neutral Kind = iota
	Strengthening
	Weakening
)

// String returns the kind's lower-case name.
func (k Kind) String() string {
	switch k {
	case Strengthening:
		return "strengthening"
	case Weakening:
		return "weakening"
	}
	return "neutral"
}

// MarshalText renders the kind as its name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Codes name what changed. Each comes with a fixed Kind, except where
// noted.
const (
	// CodeOperationAdded: a new operation that requires credentials (neutral).
	CodeOperationAdded = "operation-added"
	// CodeOperationAddedPublic: a new operation that is public (weakening).
	CodeOperationAddedPublic = "operation-added-public"
	// CodeOperationAddedAnonymous: a new operation that admits anonymous
	// callers (weakening).
	CodeOperationAddedAnonymous = "operation-added-anonymous"
	// CodeOperationRemoved: an operation is gone (strengthening).
	CodeOperationRemoved = "operation-removed"
	// CodeBecamePublic: a protected operation became public (weakening).
	CodeBecamePublic = "became-public"
	// CodeBecameProtected: a public operation now requires credentials
	// (strengthening).
	CodeBecameProtected = "became-protected"
	// CodeAnonymousAllowed: an empty alternative was added (weakening).
	CodeAnonymousAllowed = "anonymous-allowed"
	// CodeAnonymousRemoved: the empty alternative was removed (strengthening).
	CodeAnonymousRemoved = "anonymous-removed"
	// CodeAlternativeAdded: a new way in (weakening).
	CodeAlternativeAdded = "alternative-added"
	// CodeAlternativeRemoved: a way in is gone (strengthening).
	CodeAlternativeRemoved = "alternative-removed"
	// CodeSchemeRemoved: an alternative no longer requires a scheme
	// (weakening).
	CodeSchemeRemoved = "scheme-removed"
	// CodeSchemeAdded: an alternative also requires a scheme (strengthening).
	CodeSchemeAdded = "scheme-added"
	// CodeScopeRemoved: an alternative no longer requires a scope
	// (weakening).
	CodeScopeRemoved = "scope-removed"
	// CodeScopeAdded: an alternative also requires a scope (strengthening).
	CodeScopeAdded = "scope-added"
	// CodeSchemeTypeChanged: a scheme's type changed; weakening when the new
	// type ranks lower or the same (see typeRank), else strengthening.
	CodeSchemeTypeChanged = "scheme-type-changed"
	// CodeSchemeLocationChanged: an apiKey moved between header, cookie and
	// query; weakening towards cookie (CSRF) or query (logged), else
	// strengthening.
	CodeSchemeLocationChanged = "scheme-location-changed"
	// CodeSchemeKeyRenamed: an apiKey travels under another name (neutral).
	CodeSchemeKeyRenamed = "scheme-key-renamed"
	// CodeFlowAdded: an OAuth2 scheme gained a flow, a new way to obtain
	// tokens (weakening).
	CodeFlowAdded = "flow-added"
	// CodeFlowRemoved: an OAuth2 scheme lost a flow (strengthening).
	CodeFlowRemoved = "flow-removed"
	// CodeFlowURLChanged: a flow's authorization, token or refresh URL
	// changed (neutral).
	CodeFlowURLChanged = "flow-url-changed"
	// CodeObjectCheckRemoved: the object-level check (the Server's
	// Authorize method, asked for by x-securegen-authorize or
	// -authorize-objects) no longer runs before the operation (weakening).
	CodeObjectCheckRemoved = "object-check-removed"
	// CodeObjectCheckAdded: an object-level check now runs before the
	// operation (strengthening).
	CodeObjectCheckAdded = "object-check-added"
)

// Change is one classified difference. Operation changes name the
// operation; scheme definition changes name only the Scheme.
type Change struct {
	Kind        Kind
	Code        string
	Method      string
	Path        string
	OperationID string
	// Scheme is the scheme the change is about, if any.
	Scheme string
	// Scope is the scope the change is about, if any.
	Scope   string
	Message string
}

// Report is the result of comparing two snapshots.
type Report struct {
	// Changes are scheme changes first, then the operations' in the order
	// of the new snapshot, then removed operations.
	Changes []Change
}

// Weakens reports whether some change is a weakening.
func (r Report) Weakens() bool { return r.count(Weakening) > 0 }

func (r Report) count(k Kind) int {
	n := 0
	for _, c := range r.Changes {
		if c.Kind == k {
			n++
		}
	}
	return n
}

// Compare classifies every difference between the security of old and
// new. It normalizes the operations of both first (see Normalize).
func Compare(old, new Snapshot) Report {
	old, new = normalized(old), normalized(new)
	var r Report
	r.Changes = append(r.Changes, compareSchemes(old, new)...)

	pathKey := func(o auth.Operation) string { return o.Method + " " + normPath(o.Path) }
	oldByKey := map[string]int{}
	for i, o := range old.Operations {
		if _, dup := oldByKey[pathKey(o)]; !dup {
			oldByKey[pathKey(o)] = i
		}
	}
	matchedOld := make([]bool, len(old.Operations))
	matchOf := make([]int, len(new.Operations))
	for j, n := range new.Operations {
		matchOf[j] = -1
		if i, ok := oldByKey[pathKey(n)]; ok && !matchedOld[i] {
			matchOf[j], matchedOld[i] = i, true
		}
	}
	// Fallback: the operation id.
	for j, n := range new.Operations {
		if matchOf[j] >= 0 || n.ID == "" {
			continue
		}
		for i, o := range old.Operations {
			if !matchedOld[i] && o.ID == n.ID {
				matchOf[j], matchedOld[i] = i, true
				break
			}
		}
	}
	for j, n := range new.Operations {
		if matchOf[j] < 0 {
			r.Changes = append(r.Changes, added(n))
			continue
		}
		r.Changes = append(r.Changes, compareOperation(old.Operations[matchOf[j]], n)...)
		r.Changes = append(r.Changes, compareLimits(old.Operations[matchOf[j]], n, old, new)...)
	}
	for i, o := range old.Operations {
		if !matchedOld[i] {
			r.Changes = append(r.Changes, opChange(o, Strengthening, CodeOperationRemoved, "", "", "operation removed"))
		}
	}
	return r
}

var paramPattern = regexp.MustCompile(`\{[^{}]*\}`)

// normPath makes path parameters anonymous, so that renaming one still
// matches.
func normPath(p string) string { return paramPattern.ReplaceAllString(p, "{}") }

// normalized returns s with its operations normalized; s's own are not
// modified.
func normalized(s Snapshot) Snapshot {
	ops := make([]auth.Operation, len(s.Operations))
	for i, o := range s.Operations {
		ops[i] = Normalize(o)
	}
	s.Operations = ops
	return s
}

func opChange(o auth.Operation, k Kind, code, scheme, scope, msg string) Change {
	return Change{Kind: k, Code: code, Method: o.Method, Path: o.Path, OperationID: o.ID, Scheme: scheme, Scope: scope, Message: msg}
}

func added(n auth.Operation) Change {
	switch {
	case n.Public():
		return opChange(n, Weakening, CodeOperationAddedPublic, "", "", "new operation is public")
	case n.Anonymous():
		return opChange(n, Weakening, CodeOperationAddedAnonymous, "", "", "new operation admits anonymous callers: "+describe(n))
	}
	return opChange(n, Neutral, CodeOperationAdded, "", "", "new operation requires "+describe(n))
}

// describe renders an operation's requirement.
func describe(o auth.Operation) string {
	if o.Public() {
		return "nothing (public)"
	}
	parts := make([]string, len(o.Alternatives))
	for i, a := range o.Alternatives {
		parts[i] = alternativeString(a)
	}
	return strings.Join(parts, " | ")
}

// compareOperation lists how the security of operation o became n's:
// who is admitted, then whether an object-level check runs.
func compareOperation(o, n auth.Operation) []Change {
	out := compareRequirement(o, n)
	switch {
	case o.ObjectCheck && !n.ObjectCheck:
		out = append(out, opChange(n, Weakening, CodeObjectCheckRemoved, "", "", "no object-level check runs before it any more: whether the caller may act on the object it names is left to the handler"))
	case !o.ObjectCheck && n.ObjectCheck:
		out = append(out, opChange(n, Strengthening, CodeObjectCheckAdded, "", "", "an object-level check now runs before it"))
	}
	return out
}

// compareRequirement lists how the alternatives of o became n's.
func compareRequirement(o, n auth.Operation) []Change {
	switch {
	case o.Public() && n.Public():
		return nil
	case !o.Public() && n.Public():
		return []Change{opChange(n, Weakening, CodeBecamePublic, "", "", "became public; it required "+describe(o))}
	case o.Public() && !n.Public():
		return []Change{opChange(n, Strengthening, CodeBecameProtected, "", "", "now requires "+describe(n)+"; it was public")}
	}
	var out []Change
	switch oa, na := o.Anonymous(), n.Anonymous(); {
	case !oa && na:
		out = append(out, opChange(n, Weakening, CodeAnonymousAllowed, "", "", "now admits anonymous callers"))
	case oa && !na:
		out = append(out, opChange(n, Strengthening, CodeAnonymousRemoved, "", "", "no longer admits anonymous callers"))
	}

	// Alternatives as sets: drop those on both sides, then pair the rest.
	oldSet := map[string]bool{}
	for _, a := range o.Alternatives {
		oldSet[alternativeString(a)] = true
	}
	newSet := map[string]bool{}
	for _, a := range n.Alternatives {
		newSet[alternativeString(a)] = true
	}
	var oldRest, newRest [][]auth.Need
	for _, a := range o.Alternatives {
		if len(a) > 0 && !newSet[alternativeString(a)] {
			oldRest = append(oldRest, a)
		}
	}
	for _, a := range n.Alternatives {
		if len(a) > 0 && !oldSet[alternativeString(a)] {
			newRest = append(newRest, a)
		}
	}
	type pair struct{ i, j, score int }
	var pairs []pair
	for i, a := range oldRest {
		for j, b := range newRest {
			if s := similarity(a, b); s > 0 {
				pairs = append(pairs, pair{i, j, s})
			}
		}
	}
	sort.SliceStable(pairs, func(x, y int) bool { return pairs[x].score > pairs[y].score })
	oldPaired := make([]int, len(oldRest))
	for i := range oldPaired {
		oldPaired[i] = -1
	}
	newPaired := make([]int, len(newRest))
	for j := range newPaired {
		newPaired[j] = -1
	}
	for _, p := range pairs {
		if oldPaired[p.i] < 0 && newPaired[p.j] < 0 {
			oldPaired[p.i], newPaired[p.j] = p.j, p.i
		}
	}
	for j, b := range newRest {
		if newPaired[j] < 0 {
			out = append(out, opChange(n, Weakening, CodeAlternativeAdded, "", "", "alternative added: "+alternativeString(b)))
			continue
		}
		out = append(out, compareAlternative(n, oldRest[newPaired[j]], b)...)
	}
	for i, a := range oldRest {
		if oldPaired[i] < 0 {
			out = append(out, opChange(n, Strengthening, CodeAlternativeRemoved, "", "", "alternative removed: "+alternativeString(a)))
		}
	}
	return out
}

// similarity scores how alike two alternatives are: 0 when they share no
// scheme, else more for more shared schemes, then more shared scopes.
func similarity(a, b []auth.Need) int {
	schemes, scopes := 0, 0
	for _, x := range a {
		for _, y := range b {
			if x.Scheme != y.Scheme {
				continue
			}
			schemes++
			for _, s := range x.Scopes {
				if slices.Contains(y.Scopes, s) {
					scopes++
				}
			}
		}
	}
	if schemes == 0 {
		return 0
	}
	return schemes*1_000_000 + scopes + 1
}

// compareAlternative lists how alternative a became b: what b no longer
// requires weakens, what it requires in addition strengthens.
func compareAlternative(op auth.Operation, a, b []auth.Need) []Change {
	var out []Change
	where := fmt.Sprintf("alternative %s, now %s: ", alternativeString(a), alternativeString(b))
	find := func(alt []auth.Need, scheme string) (auth.Need, bool) {
		for _, n := range alt {
			if n.Scheme == scheme {
				return n, true
			}
		}
		return auth.Need{}, false
	}
	for _, x := range a {
		y, ok := find(b, x.Scheme)
		if !ok {
			out = append(out, opChange(op, Weakening, CodeSchemeRemoved, x.Scheme, "", where+fmt.Sprintf("scheme %q no longer required", x.Scheme)))
			continue
		}
		for _, s := range x.Scopes {
			if !slices.Contains(y.Scopes, s) {
				out = append(out, opChange(op, Weakening, CodeScopeRemoved, x.Scheme, s, where+fmt.Sprintf("scope %q of %q no longer required", s, x.Scheme)))
			}
		}
		for _, s := range y.Scopes {
			if !slices.Contains(x.Scopes, s) {
				out = append(out, opChange(op, Strengthening, CodeScopeAdded, x.Scheme, s, where+fmt.Sprintf("scope %q of %q now required", s, x.Scheme)))
			}
		}
	}
	for _, y := range b {
		if _, ok := find(a, y.Scheme); !ok {
			out = append(out, opChange(op, Strengthening, CodeSchemeAdded, y.Scheme, "", where+fmt.Sprintf("scheme %q now required", y.Scheme)))
		}
	}
	return out
}

// typeRank orders scheme types by how much they ask of a caller. A scheme
// securegen cannot verify refuses every request, so it ranks highest.
func typeRank(t model.SchemeType) int {
	switch t {
	case model.Unsupported:
		return 6
	case model.MutualTLS:
		return 5
	case model.OAuth2, model.OpenIDConnect:
		return 4
	case model.HTTPBearer:
		return 3
	case model.APIKey:
		return 2
	case model.HTTPBasic:
		return 1
	}
	return 0
}

// inRank orders apiKey locations: a header is safest, a cookie invites
// CSRF, a query string ends up in logs.
func inRank(in string) int {
	switch in {
	case "header":
		return 3
	case "cookie":
		return 2
	case "query":
		return 1
	}
	return 0
}

// compareSchemes lists changes to the definitions of schemes that both
// snapshots declare. A relaxed definition weakens only when some operation
// of new uses the scheme; otherwise it is neutral.
func compareSchemes(old, new Snapshot) []Change {
	if old.Schemes == nil || new.Schemes == nil {
		return nil
	}
	usedBy := map[string][]string{}
	for _, op := range new.Operations {
		seen := map[string]bool{}
		for _, a := range op.Alternatives {
			for _, n := range a {
				if !seen[n.Scheme] {
					seen[n.Scheme] = true
					usedBy[n.Scheme] = append(usedBy[n.Scheme], op.Method+" "+op.Path)
				}
			}
		}
	}
	keys := make([]string, 0, len(new.Schemes))
	for k := range new.Schemes {
		if _, ok := old.Schemes[k]; ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []Change
	for _, k := range keys {
		o, n := old.Schemes[k], new.Schemes[k]
		weak := Weakening
		note := " (no operation uses it)"
		if ops := usedBy[k]; len(ops) > 0 {
			note = "; affects " + strings.Join(ops[:min(len(ops), 3)], ", ")
			if len(ops) > 3 {
				note += fmt.Sprintf(" and %d more operations", len(ops)-3)
			}
		} else {
			weak = Neutral
		}
		add := func(kind Kind, code, msg string) {
			if kind == Weakening {
				kind = weak
			}
			msg += note
			out = append(out, Change{Kind: kind, Code: code, Scheme: k, Message: msg})
		}
		if o.Type != n.Type {
			kind := Weakening
			if typeRank(n.Type) > typeRank(o.Type) {
				kind = Strengthening
			}
			add(kind, CodeSchemeTypeChanged, fmt.Sprintf("type changed from %s to %s", typeName(o), typeName(n)))
			continue
		}
		if o.Type == model.Unsupported && o.SpecType != "" && n.SpecType != "" && !strings.EqualFold(o.SpecType, n.SpecType) {
			add(Neutral, CodeSchemeTypeChanged, fmt.Sprintf("type changed from %s to %s; securegen verifies neither", o.SpecType, n.SpecType))
		}
		if o.Type == model.APIKey {
			if o.In != n.In {
				kind := Weakening
				if inRank(n.In) > inRank(o.In) {
					kind = Strengthening
				}
				add(kind, CodeSchemeLocationChanged, fmt.Sprintf("apiKey moved from %s %q to %s %q", o.In, o.KeyName, n.In, n.KeyName))
			} else if o.KeyName != n.KeyName {
				add(Neutral, CodeSchemeKeyRenamed, fmt.Sprintf("apiKey in %s renamed from %q to %q", n.In, o.KeyName, n.KeyName))
			}
		}
		if o.FlowsKnown && n.FlowsKnown {
			compareFlows(o.Flows, n.Flows, add)
		}
	}
	return out
}

// compareFlows reports through add how the flows of a scheme changed.
func compareFlows(old, new []Flow, add func(Kind, string, string)) {
	find := func(fs []Flow, name string) (Flow, bool) {
		for _, f := range fs {
			if f.Name == name {
				return f, true
			}
		}
		return Flow{}, false
	}
	for _, f := range new {
		o, ok := find(old, f.Name)
		if !ok {
			add(Weakening, CodeFlowAdded, fmt.Sprintf("OAuth2 flow %s added", f.Name))
			continue
		}
		for _, u := range []struct{ name, o, n string }{
			{"authorizationUrl", o.AuthorizationURL, f.AuthorizationURL},
			{"tokenUrl", o.TokenURL, f.TokenURL},
			{"refreshUrl", o.RefreshURL, f.RefreshURL},
		} {
			if u.o != u.n {
				add(Neutral, CodeFlowURLChanged, fmt.Sprintf("OAuth2 flow %s: %s changed from %q to %q", f.Name, u.name, u.o, u.n))
			}
		}
	}
	for _, f := range old {
		if _, ok := find(new, f.Name); !ok {
			add(Strengthening, CodeFlowRemoved, fmt.Sprintf("OAuth2 flow %s removed", f.Name))
		}
	}
}

func typeName(s Scheme) string {
	if s.SpecType != "" {
		return s.SpecType
	}
	return string(s.Type)
}

// WriteText writes the report for a terminal: one block per operation or
// scheme, one line per change. It writes nothing when there are no
// changes.
func (r Report) WriteText(w io.Writer) error {
	_, err := io.WriteString(w, r.Text())
	if err != nil {
		return fmt.Errorf("secdiff: write: %w", err)
	}
	return nil
}

// Text returns what WriteText writes; "" when there are no changes.
func (r Report) Text() string {
	if len(r.Changes) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "security changes: %d weakening, %d strengthening, %d neutral\n",
		r.count(Weakening), r.count(Strengthening), r.count(Neutral))
	last := ""
	for _, c := range r.Changes {
		head := "scheme " + c.Scheme
		if c.Method != "" {
			head = c.Method + " " + c.Path
			if c.OperationID != "" {
				head += " (" + c.OperationID + ")"
			}
		}
		if head != last {
			b.WriteString(head + ":\n")
			last = head
		}
		fmt.Fprintf(&b, "  %-13s %-25s %s\n", c.Kind, c.Code, c.Message)
	}
	return b.String()
}

// JSONReport is the JSON form of a Report:
//
//	{"weakening": bool, "changes": [{"kind", "code", "method", "path",
//	  "operationId", "scheme", "scope", "message"}]}
//
// kind is "weakening", "strengthening" or "neutral"; method, path,
// operationId, scheme and scope are "" when they do not apply; changes is
// never null.
type JSONReport struct {
	Weakening bool         `json:"weakening"`
	Changes   []JSONChange `json:"changes"`
}

// JSONChange is one change in a JSONReport.
type JSONChange struct {
	Kind        string `json:"kind"`
	Code        string `json:"code"`
	Method      string `json:"method"`
	Path        string `json:"path"`
	OperationID string `json:"operationId"`
	Scheme      string `json:"scheme"`
	Scope       string `json:"scope"`
	Message     string `json:"message"`
}

// JSON returns the report in its documented JSON shape.
func (r Report) JSON() JSONReport {
	out := JSONReport{Weakening: r.Weakens(), Changes: make([]JSONChange, 0, len(r.Changes))}
	for _, c := range r.Changes {
		out.Changes = append(out.Changes, JSONChange{Kind: c.Kind.String(), Code: c.Code, Method: c.Method, Path: c.Path,
			OperationID: c.OperationID, Scheme: c.Scheme, Scope: c.Scope, Message: c.Message})
	}
	return out
}

// WriteJSON writes the report as indented JSON.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r.JSON()); err != nil {
		return fmt.Errorf("secdiff: write json: %w", err)
	}
	return nil
}
