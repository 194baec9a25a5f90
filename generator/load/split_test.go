package load

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v4"
)

// TestSplitParseIsWholeParse checks that the parallel parse of every
// large YAML spec of the corpus builds the very tree that go-yaml builds
// from the whole file, lines and columns included.
func TestSplitParseIsWholeParse(t *testing.T) {
	dir := corpusDir(t)
	specs, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	split := 0
	for _, spec := range specs {
		data, err := os.ReadFile(spec)
		if err != nil {
			t.Fatal(err)
		}
		pieces, heads := splitYAML(data)
		if pieces == nil {
			t.Logf("%s: not split", filepath.Base(spec))
			continue
		}
		got := parsePieces(data, pieces, heads)
		if got == nil {
			t.Logf("%s: a piece failed; parsed whole", filepath.Base(spec))
			continue
		}
		split++
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		if diff := sameTree(doc.Content[0], got, ""); diff != "" {
			t.Errorf("%s: split parse differs at %s", filepath.Base(spec), diff)
		}
		t.Logf("%s: %d pieces", filepath.Base(spec), len(pieces))
	}
	if split == 0 {
		t.Error("no corpus spec was parsed in pieces")
	}
}

// TestSplitParseFallsBack checks that a spec whose pieces are not
// documents by themselves is parsed whole, with go-yaml's result.
func TestSplitParseFallsBack(t *testing.T) {
	big := strings.Repeat("    k: v\n", minSplitBytes/9+1)
	for name, src := range map[string]string{
		"alias across pieces": "a: &x\n  y: 1\nb:\n  c:\n" + big + "  d: *x\n",
		"quoted across lines": "a: \"one\nb: two\"\nc:\n  d:\n" + big,
		"flow across lines":   "a: [1,\nb]\nc:\n  d:\n" + big,
	} {
		t.Run(name, func(t *testing.T) {
			var doc yaml.Node
			werr := yaml.Unmarshal([]byte(src), &doc)
			got, err := parseYAML([]byte(src))
			if (err != nil) != (werr != nil) {
				t.Fatalf("error %v, whole parse %v", err, werr)
			}
			if err != nil {
				return
			}
			if diff := sameTree(doc.Content[0], got, ""); diff != "" {
				t.Errorf("differs at %s", diff)
			}
		})
	}
}

func sameTree(a, b *yaml.Node, at string) string {
	if a.Kind == yaml.AliasNode && b.Kind == yaml.AliasNode {
		a, b = a.Alias, b.Alias
	}
	if a.Kind != b.Kind || a.Tag != b.Tag || a.Value != b.Value || a.Line != b.Line || a.Column != b.Column || a.Style != b.Style || len(a.Content) != len(b.Content) {
		return at + " (" + a.Value + " / " + b.Value + ")"
	}
	for i := range a.Content {
		if d := sameTree(a.Content[i], b.Content[i], at+"/"+a.Content[i].Value); d != "" {
			return d
		}
	}
	return ""
}

// FuzzSplitYAML checks the split's one promise: when every piece parses,
// the joined tree is the tree of the whole file.
func FuzzSplitYAML(f *testing.F) {
	for _, s := range []string{
		"a: 1\nb:\n  c: 2\n  d: [3,\n  4]\n",
		"a: |\n  x\nb:\n  c: 'q\n  r'\n  d: e\n",
		"a:\n- 1\nb:\n  c:\n  - 2\n  d: 3\n",
		"k: v\nm:\n  x: &a 1\n  y: *a\n",
		"a: b\n  c\nd:\n  e: f\n  g: h\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		pieces, heads := splitYAML(data)
		if pieces == nil {
			return
		}
		got := parsePieces(data, pieces, heads)
		if got == nil {
			return
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("pieces parse, the whole does not: %v", err)
		}
		if len(doc.Content) != 1 {
			t.Fatalf("pieces parse, the whole has %d documents", len(doc.Content))
		}
		if diff := sameTree(doc.Content[0], got, ""); diff != "" {
			t.Fatalf("split parse differs at %s", diff)
		}
	})
}
