package secdiff_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/securegen/securegen/generator"
	"github.com/securegen/securegen/generator/model"
	"github.com/securegen/securegen/generator/secdiff"
	"github.com/securegen/securegen/runtime/auth"
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

// fromSpec takes the snapshot of the spec at path, modeled as generation
// models it.
func fromSpec(t *testing.T, path string) secdiff.Snapshot {
	t.Helper()
	api, err := generator.LoadModel(context.Background(), path, model.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return secdiff.FromModel(api)
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
	// The object-level check: the root's x-securegen-authorize removed,
	// or the operation opted out.
	{"object-check-removed", []kc{{W, secdiff.CodeObjectCheckRemoved}}},
	{"object-check-opted-out", []kc{{W, secdiff.CodeObjectCheckRemoved}}},
	// Rate limits: removed, a higher rate, counting by principal.
	{"rate-limit-removed", []kc{{W, secdiff.CodeRateLimitRemoved}}},
	{"rate-limit-loosened", []kc{{W, secdiff.CodeRateLimitLoosened}}},
	{"rate-limit-by-principal", []kc{{W, secdiff.CodeRateLimitLoosened}}},
	{"rate-limit-added", []kc{{S, secdiff.CodeRateLimitAdded}}},
	{"rate-limit-tightened", []kc{{S, secdiff.CodeRateLimitTightened}}},
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
	{"object-check-added", []kc{{S, secdiff.CodeObjectCheckAdded}}},
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
	for _, tt := range diffCases {
		t.Run(tt.name, func(t *testing.T) {
			old := fromSpec(t, filepath.Join(root, tt.name, "old.yaml"))
			cur := fromSpec(t, filepath.Join(root, tt.name, "new.yaml"))
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
	alt := func(needs ...auth.Need) []auth.Need { return needs }
	need := func(scheme string, scopes ...string) auth.Need {
		return auth.Need{Scheme: scheme, Scopes: scopes}
	}
	op := func(alts ...[]auth.Need) secdiff.Snapshot {
		return secdiff.Snapshot{Operations: []auth.Operation{{ID: "op", Method: "GET", Path: "/x/{a}", Alternatives: alts}}}
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
		// Compare normalizes: order of needs and scopes, repeats.
		{"unnormalized",
			op(alt(need("b"), need("a", "y", "x")), alt(need("k"))),
			op(alt(need("k")), alt(need("a", "x"), need("a", "y", "x"), need("b")), alt(need("k"))),
			nil},
		{"public to protected", op(), op(alt(need("a"))), []kc{{S, secdiff.CodeBecameProtected}}},
		{"public to anonymous allowed", op(), op(alt(), alt(need("a"))), []kc{{S, secdiff.CodeBecameProtected}}},
		{"protected to public", op(alt(need("a"))), op(), []kc{{W, secdiff.CodeBecamePublic}}},
		// The empty alternative is not the absence of alternatives.
		{"anonymous allowed", op(alt(need("a"))), op(alt(need("a")), alt()), []kc{{W, secdiff.CodeAnonymousAllowed}}},
	}
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

// TestObjectCheck checks that the object-level check is compared on its
// own axis, beside who is admitted.
func TestObjectCheck(t *testing.T) {
	op := func(check bool, alts ...[]auth.Need) secdiff.Snapshot {
		return secdiff.Snapshot{Operations: []auth.Operation{{ID: "op", Method: "GET", Path: "/x/{a}", ObjectCheck: check, Alternatives: alts}}}
	}
	a := []auth.Need{{Scheme: "a"}}
	b := []auth.Need{{Scheme: "b"}}
	tests := []struct {
		name     string
		old, new secdiff.Snapshot
		want     []kc
	}{
		{"kept", op(true, a), op(true, a), nil},
		{"lost", op(true, a), op(false, a), []kc{{W, secdiff.CodeObjectCheckRemoved}}},
		{"gained", op(false, a), op(true, a), []kc{{S, secdiff.CodeObjectCheckAdded}}},
		{"lost while another way in was added", op(true, a), op(false, a, b),
			[]kc{{W, secdiff.CodeAlternativeAdded}, {W, secdiff.CodeObjectCheckRemoved}}},
		{"lost as the operation became public", op(true, a), op(false),
			[]kc{{W, secdiff.CodeBecamePublic}, {W, secdiff.CodeObjectCheckRemoved}}},
		{"lost on a public operation", op(true), op(false), []kc{{W, secdiff.CodeObjectCheckRemoved}}},
		{"gained as the operation became protected", op(false), op(true, a),
			[]kc{{S, secdiff.CodeBecameProtected}, {S, secdiff.CodeObjectCheckAdded}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := secdiff.Compare(tt.old, tt.new)
			var got []kc
			for _, c := range rep.Changes {
				got = append(got, kc{c.Kind, c.Code})
				if c.OperationID != "op" || c.Message == "" {
					t.Errorf("change %+v: want the operation named and a message", c)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("changes:\n got %v\nwant %v\n%s", got, tt.want, rep.Text())
			}
		})
	}
}

// TestNormalize checks the form Compare compares, and that Normalize
// leaves its argument alone.
func TestNormalize(t *testing.T) {
	in := auth.Operation{ID: "op", Method: "get", Path: "/x", Alternatives: [][]auth.Need{
		{{Scheme: "b"}, {Scheme: "a", Scopes: []string{"y", "x", "y"}}},
		{},
		{{Scheme: "a", Scopes: []string{"x"}}, {Scheme: "a", Scopes: []string{"y"}}, {Scheme: "b"}},
	}}
	got := secdiff.Normalize(in)
	want := auth.Operation{ID: "op", Method: "GET", Path: "/x", Alternatives: [][]auth.Need{
		{{Scheme: "a", Scopes: []string{"x", "y"}}, {Scheme: "b", Scopes: []string{}}},
		{},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Normalize:\n got %+v\nwant %+v", got, want)
	}
	if in.Method != "get" || in.Alternatives[0][0].Scheme != "b" || len(in.Alternatives) != 3 {
		t.Errorf("Normalize modified its argument: %+v", in)
	}
	if pub := secdiff.Normalize(auth.Operation{Alternatives: [][]auth.Need{}}); pub.Alternatives != nil || !pub.Public() {
		t.Errorf("public operation normalized to %+v", pub)
	}
}

func TestJSON(t *testing.T) {
	root := filepath.Join(repoRoot(t), "testdata", "specs", "diff", "scope-removed")
	old := fromSpec(t, filepath.Join(root, "old.yaml"))
	cur := fromSpec(t, filepath.Join(root, "new.yaml"))
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
		// Object-level authorization: ObjectCheck reads back too.
		filepath.Join(root, "testdata", "specs", "objects.yaml"),
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
			fromModel := secdiff.FromModel(res.API)
			if len(snap.Operations) != len(fromModel.Operations) {
				t.Fatalf("%d operations read back, model has %d", len(snap.Operations), len(fromModel.Operations))
			}
			for i := range snap.Operations {
				if g, m := snap.Operations[i], fromModel.Operations[i]; !reflect.DeepEqual(g, m) {
					t.Errorf("operation %d: read back %+v, model %+v", i, g, m)
				}
			}
			if rep := secdiff.Compare(snap, fromModel); len(rep.Changes) != 0 {
				t.Errorf("generated code and model differ:\n%s", rep.Text())
			}
		})
	}
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
		// ObjectCheck is read back from operations.gen.go.
		{"object-check-removed", []string{"weakening", "object-check-removed", "GET /items/{id} (getItem)"}},
		{"object-check-added", []string{"strengthening", "object-check-added"}},
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
		{"unknown variable", "package api\nfunc operations() []auth.Operation { return []auth.Operation{opX} }\n"},
		{"variable not a literal", "package api\nvar opX = makeOp()\nfunc operations() []auth.Operation { return []auth.Operation{opX} }\n"},
		{"bad object check", "package api\nfunc operations() []auth.Operation { return []auth.Operation{{ID: \"x\", ObjectCheck: 1}} }\n"},
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

// TestFromGeneratedForms reads operations written in place and as
// variables of the file, as securegen has written them.
func TestFromGeneratedForms(t *testing.T) {
	const want = "op GET /x/{id} GET /x/{id} object=true: k[a b] | anonymous; pub GET /p  object=false: public"
	tests := []struct{ name, src string }{
		{"in place", `package api
const ScopeA = "a"
func operations() []auth.Operation {
	return []auth.Operation{
		{ID: "op", Method: "get", Path: "/x/{id}", Pattern: "GET /x/{id}", ObjectCheck: true, Alternatives: [][]auth.Need{{{Scheme: "k", Scopes: []string{"b", ScopeA}}}, {}}},
		{ID: "pub", Method: "GET", Path: "/p", Alternatives: nil},
	}
}
`},
		{"variables", `package api
const ScopeA = "a"
func operations() []auth.Operation {
	return []auth.Operation{
		opOp,
		opPub,
	}
}
// opOp is operation op.
var opOp = auth.Operation{ID: "op", Method: "GET", Path: "/x/{id}", Pattern: "GET /x/{id}", Alternatives: [][]auth.Need{
	{{Scheme: "k", Scopes: []string{ScopeA, "b"}}},
	{},
}, ObjectCheck: (true)}
var opPub = &auth.Operation{ID: "pub", Method: "GET", Path: "/p"}
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, secdiff.OperationsFile), []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
			snap, ok, err := secdiff.FromGenerated(dir)
			if err != nil || !ok {
				t.Fatalf("ok %v, err %v", ok, err)
			}
			var ops []string
			for _, op := range snap.Operations {
				var alts []string
				for _, alt := range op.Alternatives {
					var needs []string
					for _, n := range alt {
						needs = append(needs, n.Scheme+"["+strings.Join(n.Scopes, " ")+"]")
					}
					if len(needs) == 0 {
						needs = []string{"anonymous"}
					}
					alts = append(alts, strings.Join(needs, " + "))
				}
				if op.Public() {
					alts = []string{"public"}
				}
				ops = append(ops, fmt.Sprintf("%s %s %s %s object=%v: %s", op.ID, op.Method, op.Path, op.Pattern, op.ObjectCheck, strings.Join(alts, " | ")))
			}
			if got := strings.Join(ops, "; "); got != want {
				t.Errorf("read\n %s\nwant\n %s", got, want)
			}
		})
	}
}

// FuzzFromGenerated checks that no operations.gen.go makes the parser
// panic.
func FuzzFromGenerated(f *testing.F) {
	f.Add([]byte("package api\nconst ScopeA = \"a\"\nfunc operations() []auth.Operation { return []auth.Operation{{ID: \"x\", Method: \"GET\", Path: \"/x\", Alternatives: [][]auth.Need{{{Scheme: \"k\", Scopes: []string{ScopeA, \"b\"}}}, {}}}} }\n"))
	f.Add([]byte("package api\nfunc operations() []auth.Operation { return []auth.Operation{&auth.Operation{ID: (\"x\")}} }\n"))
	f.Add([]byte("package api\nvar opX = auth.Operation{ID: \"x\", Method: \"GET\", Path: \"/x\", ObjectCheck: true}\nfunc operations() []auth.Operation { return []auth.Operation{opX} }\n"))
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
