package load

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi3"
)

// TestParallelDecodeIsSerialDecode checks, on the large YAML specs of the
// corpus, that decoding a document's parts on all cores gives the model
// that decoding it whole gives.
func TestParallelDecodeIsSerialDecode(t *testing.T) {
	dir := corpusDir(t)
	for _, spec := range []string{"okta-management.yaml", "openai.yaml", "datadog-v1.yaml"} {
		t.Run(spec, func(t *testing.T) {
			s := newSource(context.Background(), nil)
			f := s.open(filepath.Join(dir, spec))
			if f.err != nil {
				t.Fatal(f.err)
			}
			if err := prepare(f.root); err != nil {
				t.Fatal(err)
			}
			par, ok := decodeParallel(f.root)
			if !ok {
				t.Fatal("parallel decode failed")
			}
			var ser openapi3.T
			if err := f.root.Decode(&ser); err != nil {
				t.Fatal(err)
			}
			a, _ := json.Marshal(par)
			b, _ := json.Marshal(&ser)
			if !bytes.Equal(a, b) {
				t.Error("the parallel decode differs from the serial one")
			}
		})
	}
}

// TestDecodeV2IsWholeDecode checks, on the Swagger 2.0 specs of the
// corpus, that decoding the large maps entry by entry gives the model
// that encoding/json gives for the whole document.
func TestDecodeV2IsWholeDecode(t *testing.T) {
	dir := corpusDir(t)
	for _, spec := range []string{"kubernetes.swagger2.json", "slack-web.swagger2.json"} {
		t.Run(spec, func(t *testing.T) {
			s := newSource(context.Background(), nil)
			f := s.open(filepath.Join(dir, spec))
			if f.err != nil {
				t.Fatal(f.err)
			}
			whole := f.data
			if tupleItems(s.sink, f.path, f.root, nil) {
				f.changed = true
				var err error
				if whole, err = jsonBytes(f.root); err != nil {
					t.Fatal(err)
				}
			}
			got, err := decodeV2(f)
			if err != nil {
				t.Fatal(err)
			}
			var want openapi2.T
			if err := json.Unmarshal(whole, &want); err != nil {
				t.Fatal(err)
			}
			a, _ := json.Marshal(got)
			b, _ := json.Marshal(&want)
			if !bytes.Equal(a, b) {
				t.Error("the entry-by-entry decode differs from the whole one")
			}
			// Written out from the tree, as for YAML or a rewritten file.
			f.changed = true
			got, err = decodeV2(f)
			if err != nil {
				t.Fatal(err)
			}
			if a, _ := json.Marshal(got); !bytes.Equal(a, b) {
				t.Error("the decode of the tree written out differs from the whole one")
			}
		})
	}
}
