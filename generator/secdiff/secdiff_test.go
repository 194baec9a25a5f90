package secdiff_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/securegen/securegen/generator"
	"github.com/securegen/securegen/generator/secdiff"
)

// repoRoot walks up from the test's directory to the one holding go.work.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.work above the test's directory")
		}
		dir = parent
	}
}

// kc is a change's kind and code.
type kc struct {
	kind secdiff.Kind
	code string
}

var (
	W = secdiff.Weakening
	S = secdiff.Strengthening
	N = secdiff.Neutral
)

// diffCases are the spec pairs under testdata/specs/diff with the changes
// expected from old to new, in order.
var diffCases = []struct {
	name string
	want []kc
}{
	// Weakening.
	{"became-public", []kc{{W, secdiff.CodeBecamePublic}}},
	{"became-implicitly-public", []kc{{W, secdiff.CodeBecamePublic}}},
	{"anonymous-allowed", []kc{{W, secdiff.CodeAnonymousAllowed}}},
	{"alternative-added", []kc{{W, secdiff.CodeAlternativeAdded}}},
	{"scheme-removed", []kc{{W, secdiff.CodeSchemeRemoved}}},
	{"scope-removed", []kc{{W, secdiff.CodeScopeRemoved}}},
	{"operation-added-public", []kc{{W, secdiff.CodeOperationAddedPublic}}},
	{"operation-added-anonymous", []kc{{W, secdiff.CodeOperationAddedAnonymous}}},
	{"scheme-type-weaker", []kc{{W, secdiff.CodeSchemeTypeChanged}}},
	{"apikey-moved-to-query", []kc{{W, secdiff.CodeSchemeLocationChanged}}},
	{"apikey-moved-to-cookie", []kc{{W, secdiff.CodeSchemeLocationChanged}}},
	{"flow-added", []kc{{W, secdiff.CodeFlowAdded}}},
	{"scheme-replaced-in-alternative", []kc{{W, secdiff.CodeSchemeRemoved}, {S, secdiff.CodeSchemeAdded}}},
	// Matched by operation id after the path changed.
	{"moved-matched-by-id", []kc{{W, secdiff.CodeScopeRemoved}}},
	// Strengthening.
	{"became-protected", []kc{{S, secdiff.CodeBecameProtected}}},
	{"became-protected-from-implicit", []kc{{S, secdiff.CodeBecameProtected}}},
	{"anonymous-removed", []kc{{S, secdiff.CodeAnonymousRemoved}}},
	{"alternative-removed", []kc{{S, secdiff.CodeAlternativeRemoved}}},
	{"scheme-added", []kc{{S, secdiff.CodeSchemeAdded}}},
	{"scope-added", []kc{{S, secdiff.CodeScopeAdded}}},
	{"operation-removed", []kc{{S, secdiff.CodeOperationRemoved}}},
	{"scheme-type-stronger", []kc{{S, secdiff.CodeSchemeTypeChanged}}},
	{"apikey-moved-to-header", []kc{{S, secdiff.CodeSchemeLocationChanged}}},
	{"flow-removed", []kc{{S, secdiff.CodeFlowRemoved}}},
	// Neither.
	{"operation-added-protected", []kc{{N, secdiff.CodeOperationAdded}}},
	{"apikey-renamed", []kc{{N, secdiff.CodeSchemeKeyRenamed}}},
	{"unused-scheme-relaxed", []kc{{N, secdiff.CodeSchemeLocationChanged}}},
	// No change at all.
	{"path-param-renamed", nil},
	{"inherited-to-explicit", nil},
	{"alternatives-reordered", nil},
}

func TestDiffCases(t *testing.T) {
	root := filepath.Join(repoRoot(t), "testdata", "specs", "diff")
	ctx := context.Background()
	for _, tt := range diffCases {
		t.Run(tt.name, func(t *testing.T) {
			old, err := secdiff.FromSpec(ctx, filepath.Join(root, tt.name, "old.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			cur, err := secdiff.FromSpec(ctx, filepath.Join(root, tt.name, "new.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			rep := secdiff.Compare(old, cur)
			var got []kc
			for _, c := range rep.Changes {
				got = append(got, kc{c.Kind, c.Code})
				if c.Message == "" {
					t.Errorf("change %s has no message", c.Code)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("changes:\n got %v\nwant %v\n%s", got, tt.want, rep.Text())
			}
			weak := slices.ContainsFunc(tt.want, func(k kc) bool { return k.kind == W })
			if rep.Weakens() != weak {
				t.Errorf("Weakens() = %v, want %v", rep.Weakens(), weak)
			}
			// Nothing changes between a spec and itself.
			if same := secdiff.Compare(cur, cur); len(same.Changes) != 0 {
				t.Errorf("new against itself: %s", same.Text())
			}
		})
	}
}

// TestEveryDiffCaseTested keeps diffCases in step with the directories.
func TestEveryDiffCaseTested(t *testing.T) {
	dirs, err := os.ReadDir(filepath.Join(repoRoot(t), "testdata", "specs", "diff"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !slices.ContainsFunc(diffCases, func(c struct {
			name string
			want []kc
		}) bool {
			return c.name == d.Name()
		}) {
			t.Errorf("testdata/specs/diff/%s has no entry in diffCases", d.Name())
		}
	}
}

// TestAlternativeSets checks the comparison of alternatives as sets on
// snapshots built by hand.
func TestAlternativeSets(t *testing.T) {
	alt := func(needs ...secdiff.Need) secdiff.Alternative { return needs }
	need := func(scheme string, scopes ...string) secdiff.Need {
		if scopes == nil {
			scopes = []string{}
		}
		return secdiff.Need{Scheme: scheme, Scopes: scopes}
	}
	op := func(alts ...secdiff.Alternative) secdiff.Snapshot {
		return secdiff.Snapshot{Operations: []secdiff.Operation{{ID: "op", Method: "GET", Path: "/x/{a}", Alternatives: alts}}}
	}
	tests := []struct {
		name     string
		old, new secdiff.Snapshot
		want     []kc
	}{
		{"same", op(alt(need("a", "r"))), op(alt(need("a", "r"))), nil},
		{"one alternative loses a scope, another gains one",
			op(alt(need("o", "r", "w")), alt(need("k"))),
			op(alt(need("o", "r")), alt(need("k"), need("b"))),
			[]kc{{W, secdiff.CodeScopeRemoved}, {S, secdiff.CodeSchemeAdded}}},
		{"scope moved between schemes of one alternative",
			op(alt(need("a", "x"), need("b"))),
			op(alt(need("a"), need("b", "x"))),
			[]kc{{W, secdiff.CodeScopeRemoved}, {S, secdiff.CodeScopeAdded}}},
		{"unrelated alternative replaces another",
			op(alt(need("a"))),
			op(alt(need("b"))),
			[]kc{{W, secdiff.CodeAlternativeAdded}, {S, secdiff.CodeAlternativeRemoved}}},
		{"public to refusing everything", op(), secdiff.Snapshot{Operations: []secdiff.Operation{{ID: "op", Method: "GET", Path: "/x/{a}"}}}, nil},
	}
	// Snapshots built by hand say Public themselves.
	for i := range tests {
		for _, s := range []*secdiff.Snapshot{&tests[i].old, &tests[i].new} {
			for j := range s.Operations {
				s.Operations[j].Public = len(s.Operations[j].Alternatives) == 0
			}
		}
	}
	tests[len(tests)-1].new.Operations[0].Public = false
	tests[len(tests)-1].want = []kc{{S, secdiff.CodeBecameProtected}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := secdiff.Compare(tt.old, tt.new)
			var got []kc
			for _, c := range rep.Changes {
				got = append(got, kc{c.Kind, c.Code})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("changes:\n got %v\nwant %v\n%s", got, tt.want, rep.Text())
			}
		})
	}
}

func TestJSON(t *testing.T) {
	root := filepath.Join(repoRoot(t), "testdata", "specs", "diff", "scope-removed")
	old, err := secdiff.FromSpec(context.Background(), filepath.Join(root, "old.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cur, err := secdiff.FromSpec(context.Background(), filepath.Join(root, "new.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := secdiff.Compare(old, cur).WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var got secdiff.JSONReport
	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := secdiff.JSONReport{Weakening: true, Changes: []secdiff.JSONChange{{Kind: "weakening", Code: "scope-removed",
		Method: "GET", Path: "/items/{id}", OperationID: "getItem", Scheme: "oauth", Scope: "write"}}}
	if len(got.Changes) == 1 {
		got.Changes[0].Message = ""
	}
	if !got.Weakening || !slices.Equal(got.Changes, want.Changes) {
		t.Errorf("json: %+v, want %+v", got, want)
	}
	buf.Reset()
	if err := (secdiff.Report{}).WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	if s := strings.Join(strings.Fields(buf.String()), ""); s != `{"weakening":false,"changes":[]}` {
		t.Errorf("empty report: %s", s)
	}
}

// TestFromGeneratedRoundTrip generates packages and checks that reading
// the generated code back gives the snapshot of the model.
func TestFromGeneratedRoundTrip(t *testing.T) {
	root := repoRoot(t)
	specs := []string{
		filepath.Join(root, "testdata", "specs", "security.yaml"),
		filepath.Join(root, "testdata", "specs", "roles.v31.yaml"),
		filepath.Join(root, "testdata", "specs", "diff", "apikey-moved-to-query", "new.yaml"),
	}
	for _, spec := range specs {
		t.Run(filepath.Base(filepath.Dir(spec))+"/"+filepath.Base(spec), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "api")
			if _, ok, err := secdiff.FromGenerated(dir); ok || err != nil {
				t.Fatalf("FromGenerated of a missing package: ok %v, err %v", ok, err)
			}
			res, err := generator.Generate(context.Background(), generator.Config{Spec: spec, Output: dir})
			if err != nil {
				t.Fatal(err)
			}
			if res.SecurityChanges != "" {
				t.Errorf("first generation reports changes: %s", res.SecurityChanges)
			}
			snap, ok, err := secdiff.FromGenerated(dir)
			if err != nil || !ok {
				t.Fatalf("FromGenerated: ok %v, err %v", ok, err)
			}
			if snap.Schemes == nil {
				t.Error("schemes not read from the generated code")
			}
			model := secdiff.FromModel(res.API)
			if len(snap.Operations) != len(model.Operations) {
				t.Fatalf("%d operations read back, model has %d", len(snap.Operations), len(model.Operations))
			}
			for i := range snap.Operations {
				g, m := snap.Operations[i], model.Operations[i]
				if g.ID != m.ID || g.Method != m.Method || g.Path != m.Path || g.Public != m.Public ||
					describe(g.Alternatives) != describe(m.Alternatives) {
					t.Errorf("operation %d: read back %+v, model %+v", i, g, m)
				}
			}
			if rep := secdiff.Compare(snap, model); len(rep.Changes) != 0 {
				t.Errorf("generated code and model differ:\n%s", rep.Text())
			}
		})
	}
}

func describe(alts []secdiff.Alternative) string {
	var parts []string
	for _, a := range alts {
		parts = append(parts, a.String())
	}
	return strings.Join(parts, " | ")
}

// TestRegenerateReportsWeakening generates a package, then generates over
// it from a spec whose security is weaker.
func TestRegenerateReportsWeakening(t *testing.T) {
	cases := filepath.Join(repoRoot(t), "testdata", "specs", "diff")
	tests := []struct {
		name  string
		codes []string
	}{
		{"scope-removed", []string{"weakening", "scope-removed", `scope "write" of "oauth"`, "GET /items/{id} (getItem)"}},
		{"became-public", []string{"weakening", "became-public"}},
		{"apikey-moved-to-query", []string{"weakening", "scheme-location-changed", "header", "query"}},
		{"scope-added", []string{"strengthening", "scope-added"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "api")
			ctx := context.Background()
			if _, err := generator.Generate(ctx, generator.Config{Spec: filepath.Join(cases, tt.name, "old.yaml"), Output: dir}); err != nil {
				t.Fatal(err)
			}
			res, err := generator.Generate(ctx, generator.Config{Spec: filepath.Join(cases, tt.name, "new.yaml"), Output: dir})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.codes {
				if !strings.Contains(res.SecurityChanges, s) {
					t.Errorf("SecurityChanges lacks %q:\n%s", s, res.SecurityChanges)
				}
			}
			// Regenerating the same spec reports nothing.
			res, err = generator.Generate(ctx, generator.Config{Spec: filepath.Join(cases, tt.name, "new.yaml"), Output: dir})
			if err != nil {
				t.Fatal(err)
			}
			if res.SecurityChanges != "" {
				t.Errorf("regenerating the same spec reports:\n%s", res.SecurityChanges)
			}
		})
	}
}

func TestFromGeneratedErrors(t *testing.T) {
	tests := []struct{ name, src string }{
		{"not go", "this is not Go"},
		{"no operations func", "package api\n"},
		{"bad alternatives", "package api\nfunc operations() []auth.Operation { return []auth.Operation{{ID: \"x\", Alternatives: 3}} }\n"},
		{"unknown scope const", "package api\nfunc operations() []auth.Operation { return []auth.Operation{{ID: \"x\", Alternatives: [][]auth.Need{{{Scheme: \"a\", Scopes: []string{ScopeX}}}}}} }\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, secdiff.OperationsFile), []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, ok, err := secdiff.FromGenerated(dir); err == nil || ok {
				t.Errorf("ok %v, err %v; want an error", ok, err)
			}
		})
	}
}

// FuzzFromGenerated checks that no operations.gen.go makes the parser
// panic.
func FuzzFromGenerated(f *testing.F) {
	f.Add([]byte("package api\nconst ScopeA = \"a\"\nfunc operations() []auth.Operation { return []auth.Operation{{ID: \"x\", Method: \"GET\", Path: \"/x\", Alternatives: [][]auth.Need{{{Scheme: \"k\", Scopes: []string{ScopeA, \"b\"}}}, {}}}} }\n"))
	f.Add([]byte("package api\nfunc operations() []auth.Operation { return []auth.Operation{&auth.Operation{ID: (\"x\")}} }\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, secdiff.OperationsFile), src, 0o644); err != nil {
			t.Fatal(err)
		}
		snap, ok, err := secdiff.FromGenerated(dir)
		if err == nil && ok {
			secdiff.Compare(snap, snap)
		}
	})
}
