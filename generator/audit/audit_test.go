package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/securegen/securegen/generator"
	"github.com/securegen/securegen/generator/audit"
	"github.com/securegen/securegen/generator/diag"
	"github.com/securegen/securegen/generator/model"
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

type want struct {
	sev     diag.Severity
	code    string
	pointer string
}

func TestFindings(t *testing.T) {
	const schemes = "/components/securitySchemes/"
	tests := []struct {
		spec string
		want []want
	}{
		{"clean.yaml", nil},
		{"implicit-public.yaml", []want{{diag.Warning, audit.CodeImplicitPublic, "/paths/~1open/get"}}},
		{"undeclared-scheme.yaml", []want{
			{diag.Error, audit.CodeUndeclaredScheme, "/paths/~1items/get/security/0/missing"},
			{diag.Error, audit.CodeUndeclaredScheme, "/paths/~1only/get/security/0/missing"},
		}},
		{"undeclared-scope.yaml", []want{
			{diag.Warning, audit.CodeUndeclaredScope, "/paths/~1items/get/security"},
			{diag.Warning, audit.CodeUndeclaredScope, "/security"},
		}},
		{"unused-scheme.yaml", []want{{diag.Warning, audit.CodeUnusedScheme, schemes + "spare"}}},
		{"apikey-in-query.yaml", []want{{diag.Warning, audit.CodeAPIKeyInQuery, schemes + "key"}}},
		{"http-basic.yaml", []want{{diag.Note, audit.CodeHTTPBasic, schemes + "basic"}}},
		{"cookie-apikey.yaml", []want{{diag.Note, audit.CodeCookieAPIKey, schemes + "session"}}},
		{"indistinguishable-bearer.yaml", []want{{diag.Warning, audit.CodeIndistinguishableSchemes, schemes + "second"}}},
		{"indistinguishable-bearer-oauth2.yaml", []want{{diag.Warning, audit.CodeIndistinguishableSchemes, schemes + "oauth"}}},
		{"indistinguishable-authorization-apikey.yaml", []want{{diag.Warning, audit.CodeIndistinguishableSchemes, schemes + "rawAuth"}}},
		{"indistinguishable-apikeys.yaml", []want{
			// Header names are case-insensitive; query names are not.
			{diag.Warning, audit.CodeIndistinguishableSchemes, schemes + "keyB"},
			{diag.Warning, audit.CodeAPIKeyInQuery, schemes + "queryA"},
			{diag.Warning, audit.CodeAPIKeyInQuery, schemes + "queryB"},
			{diag.Warning, audit.CodeIndistinguishableSchemes, schemes + "queryB"},
			{diag.Warning, audit.CodeAPIKeyInQuery, schemes + "queryC"},
		}},
		{"unsupported-scheme.yaml", []want{
			{diag.Error, audit.CodeUnsupportedScheme, schemes + "kerberos"},
			{diag.Warning, audit.CodeUnsupportedScheme, schemes + "spareNeg"},
			{diag.Warning, audit.CodeUnusedScheme, schemes + "spareNeg"},
		}},
		// Secured, with a path parameter, and no object check: not the
		// public one, not the one without a path parameter, not the one
		// that asks for a check; the one that opts out, yes.
		{"object-check-missing.yaml", []want{
			{diag.Note, audit.CodeObjectCheckMissing, "/paths/~1items~1{id}/get"},
			{diag.Note, audit.CodeObjectCheckMissing, "/paths/~1optout~1{id}/get"},
			{diag.Note, audit.CodeObjectCheckMissing, "/paths/~1users~1{user}~1keys~1{key}/get"},
		}},
	}
	dir := filepath.Join(repoRoot(t), "testdata", "specs", "audit")
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.spec, ".yaml"), func(t *testing.T) {
			path := filepath.Join(dir, tt.spec)
			rep, err := audit.Run(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			var got []want
			for _, f := range rep.Findings {
				if f.Location.File != path {
					t.Errorf("finding %s: file %q, want %q", f.Code, f.Location.File, path)
				}
				if f.Message == "" {
					t.Errorf("finding %s has no message", f.Code)
				}
				got = append(got, want{f.Severity, f.Code, f.Location.Pointer})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("findings:\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

// TestEveryFindingTested keeps TestFindings in step with the specs on disk.
func TestEveryFindingTested(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "testdata", "specs", "audit", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 14 {
		t.Errorf("%d audit specs, want at least 14", len(files))
	}
}

func TestUndeclaredSchemeFailsClosed(t *testing.T) {
	rep, err := audit.Run(context.Background(), filepath.Join(repoRoot(t), "testdata", "specs", "audit", "undeclared-scheme.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]audit.Operation{}
	for _, op := range rep.Operations {
		rows[op.ID] = op
	}
	// The alternative naming the undeclared scheme is dropped; the other stays.
	items := rows["listItems"]
	if items.Public() || items.Anonymous() || len(items.Alternatives) != 1 || len(items.Alternatives[0]) != 1 || items.Alternatives[0][0].Scheme != "bearer" {
		t.Errorf("listItems: %+v, want only the bearer alternative", items)
	}
	// With no alternative left, the operation is not public: it refuses
	// every request.
	only := rows["onlyMissing"]
	if only.Public() || only.Anonymous() || !only.Refused || len(only.Alternatives) != 0 {
		t.Errorf("onlyMissing: %+v, want no alternative and not public", only)
	}
	if !rep.Fails(diag.Error) {
		t.Error("report does not fail at error")
	}
}

func TestOperationsRows(t *testing.T) {
	rep, err := audit.Run(context.Background(), filepath.Join(repoRoot(t), "testdata", "specs", "security.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]audit.Operation{}
	for _, op := range rep.Operations {
		rows[op.ID] = op
	}
	tests := []struct {
		id                string
		public, anonymous bool
		alts              string
	}{
		{"inherited", false, false, "oauth(oauth2)[read]"},
		{"override", false, false, "headerKey(apiKey)[]"},
		{"public", true, false, ""},
		{"anonymous", false, true, " | oauth(oauth2)[read]"},
		{"both", false, false, "basic(http basic)[] + headerKey(apiKey)[]"},
	}
	for _, tt := range tests {
		op, ok := rows[tt.id]
		if !ok {
			t.Errorf("no row for %s", tt.id)
			continue
		}
		var alts []string
		for _, alt := range op.Alternatives {
			var uses []string
			for _, u := range alt {
				uses = append(uses, u.Scheme+"("+rep.SchemeTypes[u.Scheme]+")["+strings.Join(u.Scopes, " ")+"]")
			}
			alts = append(alts, strings.Join(uses, " + "))
		}
		if got := strings.Join(alts, " | "); op.Public() != tt.public || op.Anonymous() != tt.anonymous || got != tt.alts {
			t.Errorf("%s: public %v anonymous %v alternatives %q; want %v %v %q", tt.id, op.Public(), op.Anonymous(), got, tt.public, tt.anonymous, tt.alts)
		}
	}
}

// The documented JSON shape, decoded strictly.
type jsonReport struct {
	Operations []struct {
		Method      string `json:"method"`
		Path        string `json:"path"`
		OperationID string `json:"operationId"`
		Public      *bool  `json:"public"`
		Anonymous   *bool  `json:"anonymous"`
		ObjectCheck *bool  `json:"objectCheck"`
		RateLimit   *struct {
			Requests int    `json:"requests"`
			Period   string `json:"period"`
			Burst    int    `json:"burst"`
			By       string `json:"by"`
		} `json:"rateLimit"`
		Alternatives [][]struct {
			Scheme string   `json:"scheme"`
			Type   string   `json:"type"`
			Scopes []string `json:"scopes"`
		} `json:"alternatives"`
	} `json:"operations"`
	Findings []struct {
		Severity string `json:"severity"`
		Code     string `json:"code"`
		Location string `json:"location"`
		Message  string `json:"message"`
	} `json:"findings"`
}

// checkJSON decodes data strictly into the documented shape and checks
// that required fields are set and arrays are not null.
func checkJSON(t *testing.T, data []byte) jsonReport {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r jsonReport
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if r.Operations == nil || r.Findings == nil {
		t.Fatalf("operations or findings is null")
	}
	for i, op := range r.Operations {
		if op.Method == "" || op.Path == "" || op.OperationID == "" || op.Public == nil || op.Anonymous == nil || op.ObjectCheck == nil || op.Alternatives == nil {
			t.Fatalf("operation %d: a required field is missing: %+v", i, op)
		}
		if *op.Public && len(op.Alternatives) > 0 {
			t.Errorf("operation %d (%s) is public with alternatives", i, op.OperationID)
		}
		for _, alt := range op.Alternatives {
			if alt == nil {
				t.Fatalf("operation %s: null alternative", op.OperationID)
			}
			for _, u := range alt {
				if u.Scheme == "" || u.Type == "" || u.Scopes == nil {
					t.Fatalf("operation %s: incomplete requirement %+v", op.OperationID, u)
				}
			}
		}
	}
	for i, f := range r.Findings {
		switch f.Severity {
		case "error", "warning", "note":
		default:
			t.Errorf("finding %d: severity %q", i, f.Severity)
		}
		if f.Code == "" || f.Message == "" || !strings.Contains(f.Location, "#") {
			t.Errorf("finding %d: incomplete: %+v", i, f)
		}
	}
	return r
}

func TestJSONShape(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "testdata", "specs")
	for _, name := range []string{"security.yaml", "audit/undeclared-scheme.yaml", "audit/clean.yaml", "objects.yaml"} {
		rep, err := audit.Run(context.Background(), filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := rep.WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		checkJSON(t, buf.Bytes())
	}
}

func TestEmptyReportJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := (&audit.Report{}).WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(strings.Fields(buf.String()), ""); got != `{"operations":[],"findings":[]}` {
		t.Errorf("empty report: %s", got)
	}
	if got := audit.Audit(nil, nil); got.Operations == nil || got.Findings == nil {
		t.Errorf("Audit(nil) = %+v", got)
	}
}

func TestWriters(t *testing.T) {
	rep, err := audit.Run(context.Background(), filepath.Join(repoRoot(t), "testdata", "specs", "audit", "undeclared-scheme.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var text, md bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"GET", "/items", "listItems", "bearer", "undeclared-scheme", "every request is refused"} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("text lacks %q:\n%s", s, text.String())
		}
		if !strings.Contains(md.String(), s) {
			t.Errorf("markdown lacks %q:\n%s", s, md.String())
		}
	}
	if !strings.Contains(md.String(), "| Method | Path |") {
		t.Errorf("markdown has no operations table:\n%s", md.String())
	}
}

// TestObjectCheck checks the object check of every row, in every format,
// as the spec says and as -authorize-objects adds, and that the finding
// follows the rows.
func TestObjectCheck(t *testing.T) {
	root := filepath.Join(repoRoot(t), "testdata", "specs")
	tests := []struct {
		spec      string
		authorize bool
		// checked are the operations with an object check.
		checked []string
		// missing are the operations with the object-check-missing note.
		missing []string
	}{
		// The extension at root, path item and operation, false opting out.
		{"objects.yaml", false, []string{"createItem", "getItem", "deleteItem"}, []string{"getUser"}},
		{"audit/object-check-missing.yaml", false, []string{"deleteItem"}, []string{"getItem", "optedOut", "getKey"}},
		// The option adds a check where the spec says nothing; an
		// explicit false still wins.
		{"audit/object-check-missing.yaml", true, []string{"getItem", "deleteItem", "getKey"}, []string{"optedOut"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s authorize=%v", tt.spec, tt.authorize), func(t *testing.T) {
			rep, err := audit.RunWith(context.Background(), filepath.Join(root, tt.spec), audit.Options{AuthorizeObjects: tt.authorize})
			if err != nil {
				t.Fatal(err)
			}
			var checked, missing []string
			for _, op := range rep.Operations {
				if op.ObjectCheck {
					checked = append(checked, op.ID)
				}
			}
			for _, f := range rep.Findings {
				if f.Code != audit.CodeObjectCheckMissing {
					continue
				}
				if f.Severity != diag.Note {
					t.Errorf("%s is a %s, want a note", f.Code, f.Severity)
				}
				for _, op := range rep.Operations {
					if strings.Contains(f.Message, "("+op.ID+")") {
						missing = append(missing, op.ID)
					}
				}
			}
			if !slices.Equal(checked, tt.checked) {
				t.Errorf("object checks on %v, want %v", checked, tt.checked)
			}
			if !slices.Equal(missing, tt.missing) {
				t.Errorf("%s for %v, want %v", audit.CodeObjectCheckMissing, missing, tt.missing)
			}

			// Every format shows it.
			var js, text, md bytes.Buffer
			if err := rep.WriteJSON(&js); err != nil {
				t.Fatal(err)
			}
			r := checkJSON(t, js.Bytes())
			for i, op := range r.Operations {
				if *op.ObjectCheck != rep.Operations[i].ObjectCheck {
					t.Errorf("json: %s objectCheck %v, want %v", op.OperationID, *op.ObjectCheck, rep.Operations[i].ObjectCheck)
				}
			}
			if err := rep.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if err := rep.WriteMarkdown(&md); err != nil {
				t.Fatal(err)
			}
			for _, op := range rep.Operations {
				want := "no"
				if op.ObjectCheck {
					want = "yes"
				}
				if !textRowHas(text.String(), op.Method, op.Path, op.ID, 3, want) {
					t.Errorf("text: the OBJECT CHECK column of %s is not %q:\n%s", op.ID, want, text.String())
				}
				if !strings.Contains(md.String(), fmt.Sprintf("| %s | `%s` | %s | %s | %s | %s |", op.Method, op.Path, op.ID,
					yesNo(op.Public()), yesNo(op.Anonymous()), want)) {
					t.Errorf("markdown: the Object check column of %s is not %q:\n%s", op.ID, want, md.String())
				}
			}
			if !strings.Contains(text.String(), "OBJECT CHECK") || !strings.Contains(md.String(), "| Object check |") {
				t.Errorf("no object check column:\n%s\n%s", text.String(), md.String())
			}
		})
	}
}

// textRowHas reports whether the text report has a row for method, path
// and id whose column col, counted after the operation's, is want.
func textRowHas(text, method, path, id string, col int, want string) bool {
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) > 3+col-1 && f[0] == method && f[1] == path && f[2] == id {
			return f[3+col-1] == want
		}
	}
	return false
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// corpusSpecs lists the corpus's entry files, or skips (fails under CI)
// when the corpus is absent.
func corpusSpecs(t *testing.T) []string {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "..", "shared", "corpus", "specs")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("corpus %s is missing, and CI is set: %v", dir, err)
		}
		t.Skipf("corpus %s is missing (%v); skipping", dir, err)
	}
	var specs []string
	for _, pat := range []string{"*.json", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			t.Fatal(err)
		}
		specs = append(specs, m...)
	}
	specs = append(specs,
		filepath.Join(dir, "digitalocean-multifile", "specification", "DigitalOcean-public.v2.yaml"),
		filepath.Join(dir, "polaris-multifile", "spec", "polaris-catalog-service.yaml"))
	return specs
}

func TestCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("the corpus takes seconds; skipped under -short")
	}
	for _, path := range corpusSpecs(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			rep, err := audit.Run(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := rep.WriteJSON(&buf); err != nil {
				t.Fatal(err)
			}
			r := checkJSON(t, buf.Bytes())
			if len(r.Operations) == 0 {
				t.Errorf("no operations")
			}
		})
	}
}

// TestDatadogAND checks that an operation inheriting Datadog's root
// requirement, apiKeyAuth AND appKeyAuth, shows both in one alternative.
func TestDatadogAND(t *testing.T) {
	if testing.Short() {
		t.Skip("the corpus takes seconds; skipped under -short")
	}
	var path string
	for _, p := range corpusSpecs(t) {
		if filepath.Base(p) == "datadog-v1.yaml" {
			path = p
		}
	}
	if path == "" {
		t.Fatal("datadog-v1.yaml is not in the corpus")
	}
	rep, err := audit.Run(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	// GET /api/v1/api_key (ListAPIKeys) declares no security of its own:
	// it inherits the root.
	var found bool
	for _, op := range rep.Operations {
		if op.Method != "GET" || op.Path != "/api/v1/api_key" {
			continue
		}
		found = true
		want := [][]auth.Need{{{Scheme: "apiKeyAuth"}, {Scheme: "appKeyAuth"}}}
		if op.Public() || op.Anonymous() || !equalAlts(op.Alternatives, want) ||
			rep.SchemeTypes["apiKeyAuth"] != "apiKey" || rep.SchemeTypes["appKeyAuth"] != "apiKey" {
			t.Errorf("GET /api/v1/api_key: %+v, want exactly one alternative apiKeyAuth AND appKeyAuth", op)
		}
	}
	if !found {
		t.Fatal("no row for GET /api/v1/api_key")
	}
}

func equalAlts(a, b [][]auth.Need) bool {
	return slices.EqualFunc(a, b, func(x, y []auth.Need) bool {
		return slices.EqualFunc(x, y, func(u, v auth.Need) bool {
			return u.Scheme == v.Scheme && slices.Equal(u.Scopes, v.Scopes)
		})
	})
}

// TestGenerationFailsClosedOnUndeclaredScheme checks the two readings
// of a requirement that names an undeclared scheme. Generation's (without
// LenientSecurity) warns at the requirement and keeps the alternative,
// which admits nobody; the audit's (with it) records an error at every
// such requirement and drops the alternative. Neither stops the model.
func TestGenerationFailsClosedOnUndeclaredScheme(t *testing.T) {
	path := filepath.Join(repoRoot(t), "testdata", "specs", "audit", "undeclared-scheme.yaml")
	ctx := context.Background()
	at := func(diags []diag.Diagnostic, sev diag.Severity) int {
		n := 0
		for _, d := range diags {
			if d.Severity == sev && strings.HasSuffix(d.Location.Pointer, "/security/0/missing") {
				n++
			}
		}
		return n
	}
	var gen diag.Sink
	api, err := generator.LoadModel(ctx, path, model.Options{}, &gen)
	if err != nil {
		t.Fatalf("LoadModel as generation: %v", err)
	}
	if n := at(gen.All(), diag.Warning); n == 0 {
		t.Errorf("no warning at an undeclared requirement: %v", gen.All())
	}
	for _, op := range api.Requirements() {
		if op.Public() || op.Anonymous() {
			t.Errorf("%s: public %v, anonymous %v; an undeclared scheme must admit nobody", op.ID, op.Public(), op.Anonymous())
		}
	}
	var lenient diag.Sink
	if _, err := generator.LoadModel(ctx, path, model.Options{LenientSecurity: true}, &lenient); err != nil {
		t.Fatalf("lenient LoadModel: %v", err)
	}
	if n := at(lenient.All(), diag.Error); n != 2 {
		t.Errorf("%d error diagnostics at undeclared requirements, want 2: %v", n, lenient.All())
	}
}

// TestRateLimitShown shows each operation's x-securegen-rate-limit in
// every format.
func TestRateLimitShown(t *testing.T) {
	path := filepath.Join(repoRoot(t), "testdata", "specs", "ratelimits.yaml")
	rep, err := audit.Run(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	limits := map[string]string{}
	for _, op := range rep.Operations {
		if op.RateLimit != nil {
			limits[op.ID] = op.RateLimit.String()
		}
	}
	want := map[string]string{
		"listReports":  "2 requests per 1m per principal",
		"createReport": "1 request per 1h per principal",
		"createExport": "3 requests per 10s per address",
	}
	if len(limits) != len(want) {
		t.Fatalf("limits %v, want %v", limits, want)
	}
	for id, w := range want {
		if limits[id] != w {
			t.Errorf("%s: %q, want %q", id, limits[id], w)
		}
	}
	var text, md strings.Builder
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for format, out := range map[string]string{"text": text.String(), "markdown": md.String()} {
		if !strings.Contains(out, "3 requests per 10s per address") {
			t.Errorf("%s lacks the limit:\n%s", format, out)
		}
	}
	if !strings.Contains(string(raw), `"rateLimit":{"requests":3,"period":"10s","burst":3,"by":"address"}`) ||
		!strings.Contains(string(raw), `"rateLimit":null`) {
		t.Errorf("JSON: %s", raw)
	}
}
