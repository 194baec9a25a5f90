package model

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// goSourcePatterns are the fragments of Go source that the model must never
// write into a string: qualified identifiers of the packages generated code
// imports, pointer, slice and map type syntax, address-of, template locals,
// status comparisons, nil and shifts. They are the alternatives of the shell
// check
//
//	grep -rnE '<alternatives joined by |>' generator/model --include=*.go
//
// spelled so that this file does not match them itself: \x22 is the double
// quote and [ ] a space. (RE2's \b is the ASCII word boundary, as grep's is
// on Go source.)
var goSourcePatterns = []string{
	`\x22[^\x22]*\b(validate|json|openapi_types|time|io|auth|httpapi)\.[A-Z]`,
	`\x22\*\x22[ ]*\+`,
	`\x22\*[A-Za-z]`,
	`\x22\[\]`,
	`\x22map\[`,
	`\x22&`,
	`\x22v\.`,
	`StatusCode[ ]>=`,
	`\x22nil\x22`,
	`1[ ]<<[ ]`,
}

var goSourceRE = regexp.MustCompile(strings.Join(goSourcePatterns, "|"))

// goSourceFragments returns file:line: text for every line of the non-test
// Go files in dir that matches goSourceRE.
func goSourceFragments(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var found []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for n := 1; sc.Scan(); n++ {
			if line := sc.Text(); goSourceRE.MatchString(line) {
				found = append(found, fmt.Sprintf("%s:%d: %s", name, n, strings.TrimSpace(line)))
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return found, nil
}

// TestModelWritesNoGoSource keeps Go syntax out of the model: it is typed
// data that render lays out, never Go source text.
func TestModelWritesNoGoSource(t *testing.T) {
	found, err := goSourceFragments(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		t.Errorf("Go source in the model: %s", f)
	}
}

// TestGoSourceFragmentsFindsEachPattern proves the check can fail: every
// kind of fragment is found, a clean file and test files are not.
func TestGoSourceFragmentsFindsEachPattern(t *testing.T) {
	// Q is a double quote and ~ a space, so that this file stays clean.
	samples := []string{
		`var _ = Qvalidate.StringQ`,
		`var _ = Qx := json.MarshalQ`,
		`var _ = Qopenapi_types.DateQ`,
		`var _ = Qtime.TimeQ`,
		`var _ = Qio.ReaderQ`,
		`var _ = Qauth.NeedQ`,
		`var _ = Qhttpapi.ErrorQ`,
		`var _ = Q*Q~+~name`,
		`var _ = Q*FooQ`,
		`var _ = Q[]stringQ`,
		`var _ = Qmap[string]anyQ`,
		`var _ = Q&FooQ`,
		`var _ = Qv.NameQ`,
		`func f(r~*http.Response)~bool~{~return~r.StatusCode~>=~400~}`,
		`var _ = QnilQ`,
		`const _ = 1~<<~20`,
	}
	expand := strings.NewReplacer("Q", string(rune(34)), "~", " ")
	for i, s := range samples {
		dir := t.TempDir()
		src := "package x\n\n" + expand.Replace(s) + "\n"
		if err := os.WriteFile(filepath.Join(dir, "x.go"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		found, err := goSourceFragments(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) != 1 || !strings.HasPrefix(found[0], "x.go:3: ") {
			t.Errorf("sample %d %q: found %q, want one finding at x.go:3", i, expand.Replace(s), found)
		}
	}
	dir := t.TempDir()
	clean := expand.Replace("package x\n\nvar a = QvalidateItemQ\nvar b = QScopeQ~+~GoName(v)\nconst c = 1<<53\nvar d = QListOfQ~+~Qmap of thingsQ\n")
	dirty := expand.Replace("package x\n\nvar _ = Q*FooQ\n")
	for name, src := range map[string]string{"clean.go": clean, "dirty_test.go": dirty, "notes.txt": dirty} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if found, err := goSourceFragments(dir); err != nil || len(found) != 0 {
		t.Errorf("clean file, test file and non-Go file: found %q, err %v; want nothing", found, err)
	}
}
