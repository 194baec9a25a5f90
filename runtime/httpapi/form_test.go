package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oapi-codegen/runtime/types"

	"github.com/securegen/securegen/runtime/validate"
)

// testForm has a field of each kind the reader tells apart.
var testForm = &Form{
	MediaType: MediaURLEncoded,
	Fields: map[string]FormField{
		"n":     {Type: validate.TypeInteger},
		"x":     {Type: validate.TypeNumber},
		"b":     {Type: validate.TypeBoolean},
		"s":     {Type: validate.TypeString},
		"any":   {},
		"nb":    {Type: validate.TypeInteger | validate.TypeBoolean},
		"tags":  {Type: validate.TypeArray, Items: &FormValue{Type: validate.TypeInteger}, Explode: true},
		"csv":   {Type: validate.TypeArray, Items: &FormValue{Type: validate.TypeBoolean}},
		"ssv":   {Type: validate.TypeArray, Style: StyleSpaceDelimited},
		"psv":   {Type: validate.TypeArray, Style: StylePipeDelimited},
		"color": {Type: validate.TypeObject, Props: map[string]*FormValue{"r": {Type: validate.TypeInteger}}},
		"deep": {Type: validate.TypeObject, Style: StyleDeepObject, Explode: true, Props: map[string]*FormValue{
			"list": {Type: validate.TypeArray, Items: &FormValue{Type: validate.TypeObject, Props: map[string]*FormValue{"q": {Type: validate.TypeInteger}}}},
			"on":   {Type: validate.TypeBoolean},
		}, Additional: &FormValue{Type: validate.TypeNumber}},
		"either": {Type: validate.TypeArray | validate.TypeString, Style: StyleDeepObject, Explode: true},
		"j":      {Type: validate.TypeObject, JSON: true},
		"f":      {Type: validate.TypeString, File: true, MaxBytes: 4},
		"fs":     {Type: validate.TypeArray, File: true},
		"a[b]":   {Type: validate.TypeInteger},
	},
}

// readTestForm reads body as testForm and returns its JSON value and the
// violations, as "location rule" strings.
func readTestForm(t *testing.T, body string, maxDepth int) (string, []string) {
	t.Helper()
	vr := validate.Report{MaxDepth: maxDepth}
	fr := newFormReader(testForm, &vr)
	if err := fr.urlEncoded(body); err != nil {
		t.Fatalf("%q: %v", body, err)
	}
	var got []string
	if !fr.stopped {
		fr.finish(nil, fr.root)
	}
	for _, v := range vr.Violations() {
		got = append(got, v.Location+" "+v.Rule)
	}
	raw, err := json.Marshal(fr.root)
	if err != nil {
		t.Fatalf("%q: %v", body, err)
	}
	return string(raw), got
}

func TestFormReaderValues(t *testing.T) {
	tests := []struct {
		body, want string
		violations []string
	}{
		{"n=42&x=-1.5e3&b=true&s=7&any=8&nb=false", `{"any":"8","b":true,"n":42,"nb":false,"s":"7","x":-1.5e3}`, nil},
		// Text that is not of the type stays text, for the check to report.
		{"n=4x&x=1.&b=TRUE&nb=yes", `{"b":"TRUE","n":"4x","nb":"yes","x":"1."}`, nil},
		{"n=" + strings.Repeat("9", 129), `{"n":"` + strings.Repeat("9", 129) + `"}`, []string{"/body/n maxNumberLength"}},
		{"tags=1&tags=2&tags=x", `{"tags":[1,2,"x"]}`, nil},
		{"tags[]=1&tags=2", `{"tags":[1,2]}`, nil},
		{"csv=true,false&ssv=a+b&psv=c|d", `{"csv":[true,false],"psv":["c","d"],"ssv":["a","b"]}`, nil},
		{"csv=", `{"csv":[]}`, nil},
		{"color=r,100,g,200", `{"color":{"g":"200","r":100}}`, nil},
		{"color=r,100,g", `{"color":"r,100,g"}`, nil},
		{"color=r,1,r,2", `{"color":{"r":1}}`, []string{"/body/color/r duplicateKey"}},
		{"deep[list][1][q]=2&deep[list][0][q]=1&deep[on]=true&deep[k]=1.5&deep[list][0][z]=3",
			`{"deep":{"k":1.5,"list":[{"q":1,"z":"3"},{"q":2}],"on":true}}`, nil},
		{"deep[list][][q]=1&deep[list][][q]=2", `{"deep":{"list":[{"q":1},{"q":2}]}}`, nil},
		// An index that is not one makes an object of an array, which
		// the check reports as a type violation.
		{"deep[list][01]=x&deep[list][x]=y", `{"deep":{"list":{"01":"x","x":"y"}}}`, nil},
		{"deep[list][1][q]=1", `{"deep":{"list":null}}`, []string{"/body/deep/list type"}},
		{"either=", `{"either":""}`, nil},
		{"either[]=a&either[]=b", `{"either":["a","b"]}`, nil},
		{"j=" + `{"a":[1,{"b":null}]}`, `{"j":{"a":[1,{"b":null}]}}`, nil},
		{"j=" + `{"a":1,"a":2}`, `{}`, []string{"/body/j/a duplicateKey"}},
		{"j={", `{}`, []string{"/body/j type"}},
		{"j=null&j[a]=1", `{"j":null}`, []string{"/body/j duplicateKey"}},
		{"a[b]=1", `{"a[b]":1}`, nil},
		{"zz[y]=1&zz=2", `{"zz":"2","zz[y]":"1"}`, nil},
		{"deep[on=1&deep]x=2&deep[a]b=3", `{"deep[a]b":"3","deep[on":"1","deep]x":"2"}`, nil},
		{"n=1&n=2", `{"n":1}`, []string{"/body/n duplicateKey"}},
		{"deep[on]=true&deep[on]=false", `{"deep":{"on":true}}`, []string{"/body/deep/on duplicateKey"}},
		{"deep=1&deep[on]=true", `{"deep":"1"}`, []string{"/body/deep duplicateKey"}},
		{"deep[list][]=1&deep[list][x]=2", `{"deep":{"list":["1"]}}`, []string{"/body/deep/list duplicateKey"}},
		{"deep[k]=1&deep[]=2", `{"deep":{"k":1}}`, []string{"/body/deep duplicateKey"}},
		{"csv=true&csv=false", `{"csv":[true]}`, []string{"/body/csv duplicateKey"}},
		{"f=abc&fs=1&fs[]=2", `{"f":"","fs":["",""]}`, nil},
		{"f=abcde", `{"f":""}`, []string{"/body/f maxLength"}},
		{"f[x]=1&fs[0]=1", `{}`, []string{"/body/f type", "/body/fs type"}},
		{"s=%FF", "{\"s\":\"\uFFFD\"}", nil},
		{"%FF=1", "{\"\uFFFD\":\"1\"}", nil},
	}
	for _, tt := range tests {
		got, violations := readTestForm(t, tt.body, 0)
		if got != tt.want || strings.Join(violations, ", ") != strings.Join(tt.violations, ", ") {
			t.Errorf("%.60q:\n got %s %q\nwant %s %q", tt.body, got, violations, tt.want, tt.violations)
		}
	}
}

func TestFormReaderDepth(t *testing.T) {
	// The body, deep, a and b nest four levels.
	if _, v := readTestForm(t, "deep[a][b][c]=1", 4); len(v) != 0 {
		t.Errorf("within the budget: %q", v)
	}
	if _, v := readTestForm(t, "deep[a][b][c][d]=1&n=x&n=y", 4); strings.Join(v, ", ") != "/body/deep/a/b/c maxDepth" {
		t.Errorf("past the budget: %q; want one maxDepth, and reading stopped", v)
	}
	// A key far past the budget is read no further than it.
	if _, v := readTestForm(t, "deep"+strings.Repeat("[a]", 1<<20)+"=1", 0); len(v) != 1 || !strings.HasSuffix(v[0], " maxDepth") {
		t.Errorf("deep key: %q", v)
	}
}

func TestIsJSONNumber(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "-0": true, "12": true, "1.5": true, "-1.5e10": true, "1E+2": true, "2e-3": true,
		"": false, "-": false, "01": false, "1.": false, ".5": false, "+1": false, "1e": false, "0x10": false,
		"NaN": false, "Infinity": false, " 1": false, "1 ": false, "1_000": false,
	} {
		if got := isJSONNumber(s); got != want {
			t.Errorf("isJSONNumber(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestArrayIndex(t *testing.T) {
	for seg, want := range map[string]int{"": 7, "0": 0, "12": 12, "9999": 9999, "10000": -1, "01": -1, "-1": -1, "x": -1, "1x": -1, "123456789012": -1} {
		got, ok := arrayIndex(seg, 7)
		if (want >= 0) != ok || ok && got != want {
			t.Errorf("arrayIndex(%q) = %d, %v; want %d", seg, got, ok, want)
		}
	}
}

func formRequest(body string) *http.Request {
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	r.Header.Set("Content-Type", MediaURLEncoded)
	return r
}

// TestReadBodyFormsWithoutAReport: violations are returned as a
// ValidationError when the caller keeps no report.
func TestReadBodyFormsWithoutAReport(t *testing.T) {
	cfg := NewConfig("t", quiet())
	var dst map[string]any
	_, err := ReadBodyForms(httptest.NewRecorder(), formRequest("n=1&n=2"), cfg, BodySpec{Accept: MediaURLEncoded}, &dst, nil, nil, testForm)
	var invalid *ValidationError
	if !errors.As(err, &invalid) || invalid.Violations[0].Rule != "duplicateKey" {
		t.Fatalf("err %v, want a duplicateKey ValidationError", err)
	}
	body, err := ReadBodyForms(httptest.NewRecorder(), formRequest("n=1&deep[k]=2.5"), cfg, BodySpec{Accept: MediaURLEncoded}, &dst, nil, nil, testForm)
	if err != nil || body.MediaType != MediaURLEncoded || body.Raw != nil {
		t.Fatalf("body %+v, err %v", body, err)
	}
	if raw, _ := json.Marshal(dst); string(raw) != `{"deep":{"k":2.5},"n":1}` {
		t.Errorf("free-form body %s", raw)
	}
}

// TestReadBodyFormsKeepsEarlierViolations: a form is checked even when
// the report already holds violations of parameters, and each is kept.
func TestReadBodyFormsKeepsEarlierViolations(t *testing.T) {
	cfg := NewConfig("t", quiet())
	vr := cfg.NewReport()
	p := validate.Root("/query/q")
	vr.Add(&p, "type", "earlier")
	check := func(vr *validate.Report, p *validate.Path, v any) {
		q := p.Key("n")
		vr.CheckType(&q, v.(map[string]any)["n"], validate.TypeInteger)
	}
	form := &Form{MediaType: MediaURLEncoded, Check: check, Fields: testForm.Fields}
	var dst map[string]any
	if _, err := ReadBodyForms(httptest.NewRecorder(), formRequest("n=x"), cfg, BodySpec{Accept: MediaURLEncoded}, &dst, nil, &vr, form); err != nil {
		t.Fatal(err)
	}
	if v := vr.Violations(); len(v) != 2 || v[1].Location != "/body/n" || dst != nil {
		t.Errorf("violations %v, body %v", v, dst)
	}
}

func TestSetFiles(t *testing.T) {
	var dst struct {
		One  types.File   `json:"one"`
		Opt  *types.File  `json:"opt,omitempty"`
		Many []types.File `json:"many"`
		Bad  string       `json:"bad"`
	}
	files := map[string][]formFile{"one": {{data: "1"}}, "opt": {{data: "2"}}, "many": {{data: "3"}, {data: "4"}}}
	if err := setFiles(&dst, files); err != nil {
		t.Fatal(err)
	}
	read := func(f types.File) string { b, _ := f.Bytes(); return string(b) }
	if read(dst.One) != "1" || dst.Opt == nil || read(*dst.Opt) != "2" || len(dst.Many) != 2 || read(dst.Many[1]) != "4" {
		t.Errorf("files %+v", dst)
	}
	// A table that does not match the body's type is a bug: an error,
	// answered 500, never a silent drop.
	for _, name := range []string{"bad", "missing"} {
		if err := setFiles(&dst, map[string][]formFile{name: {{data: "x"}}}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// FuzzURLEncodedForm: no input panics, a budget stops a deep key, and a
// form read without violations is a JSON value.
func FuzzURLEncodedForm(f *testing.F) {
	for _, seed := range []string{
		"n=1&x=2.5&b=true&tags=1&tags=2&csv=true,false&color=r,1",
		"deep[list][0][q]=1&deep[list][][q]=2&deep[k]=3&either[]=a",
		"j={\"a\":[1,2]}&f=abc&fs[]=x&a[b]=1",
		"deep[a][b][c][d][e]=1&n=1&n=2&%zz", "deep[[x]]=1&deep[x]]=1&[x]=1&=1&&",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		vr := validate.Report{MaxDepth: 6}
		fr := newFormReader(testForm, &vr)
		if err := fr.urlEncoded(body); err != nil {
			return
		}
		if fr.stopped {
			if vr.OK() {
				t.Fatal("stopped without a violation")
			}
			return
		}
		fr.finish(nil, fr.root)
		if vr.OK() {
			if _, err := json.Marshal(fr.root); err != nil {
				t.Fatalf("%q: %v", body, err)
			}
		}
	})
}

// BenchmarkURLEncodedForm reads a Stripe-style form of about 1 KB.
func BenchmarkURLEncodedForm(b *testing.B) {
	body := "n=2000&x=0.25&b=true&s=Order+%236735&tags=1&tags=2&tags=3&csv=true,false,true&color=r,100,g,200" +
		strings.Repeat("&deep[list][][q]=2", 20) + strings.Repeat("&deep[k]=1.5", 1) + "&deep[on]=true&either[]=txr_1&either[]=txr_2"
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		vr := validate.Report{}
		fr := newFormReader(testForm, &vr)
		if err := fr.urlEncoded(body); err != nil {
			b.Fatal(err)
		}
		fr.finish(nil, fr.root)
		if !vr.OK() {
			b.Fatal(vr.Violations())
		}
	}
}
