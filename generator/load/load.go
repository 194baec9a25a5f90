// Package load reads an OpenAPI document (3.0, 3.1, or Swagger 2.0, in YAML
// or JSON, over one file or several) into kin-openapi's model. It tolerates,
// with a warning, the non-standard shapes common in real specs: $ref on an
// operation object, $ref in place of a tag's description, and a response
// header that refers to a parameter.
package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	yaml "go.yaml.in/yaml/v4"

	"github.com/securegen/securegen/generator/diag"
)

// Spec is a loaded document.
type Spec struct {
	Doc *openapi3.T
	// File is the path of the root document, as given.
	File string
	// Version is the document's openapi or swagger version.
	Version string
}

// maxFileBytes bounds each file of a spec, so that a hostile $ref cannot
// make the generator read without end.
const maxFileBytes = 64 << 20

// operationRef finds what looks like an operation object that is itself a
// $ref to another file, in YAML or JSON. Such specs need the normalizing
// read; others load as they are. A match only chooses the slower read,
// which is correct for every spec; a $ref to "#/..." is left out because
// schemas and examples keyed "get" or "delete" make those common.
var operationRef = regexp.MustCompile(`(?m)(^\s*|")(get|put|post|delete|options|head|patch|trace)"?\s*:\s*\{?\s*"?\$ref"?\s*:\s*['"]?[^#'"\s]`)

// Load reads the spec at path. Diagnostics about tolerated shapes go to
// sink; an error names the file and, where known, the location in it.
func Load(ctx context.Context, path string, sink *diag.Sink) (*Spec, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	if v := swaggerVersion(data); v != "" {
		doc, err := loadV2(ctx, path, data, sink)
		if err != nil {
			return nil, err
		}
		return &Spec{Doc: doc, File: path, Version: v}, nil
	}
	var doc *openapi3.T
	if !operationRef.Match(data) {
		doc, err = loadV3(ctx, path, data, nil)
	}
	if doc == nil {
		// Either the spec has shapes only the normalizing read takes, or the
		// plain read failed: try once more, normalizing every file.
		n := &normalizer{sink: sink}
		var nerr error
		doc, nerr = loadV3(ctx, path, data, n)
		if nerr != nil {
			if err == nil {
				err = nerr
			}
			return nil, fmt.Errorf("load %s: %w", path, err)
		}
	}
	if doc.OpenAPI == "" {
		return nil, diag.Errorf(diag.Location{File: path}, "not an OpenAPI document: no openapi or swagger version field")
	}
	return &Spec{Doc: doc, File: path, Version: doc.OpenAPI}, nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, maxFileBytes+1)); err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	if buf.Len() > maxFileBytes {
		return nil, fmt.Errorf("load %s: file exceeds %d bytes", path, maxFileBytes)
	}
	return buf.Bytes(), nil
}

// swaggerVersion returns the value of a top-level swagger key, or "".
func swaggerVersion(data []byte) string {
	head := data
	if len(head) > 4096 {
		head = head[:4096]
	}
	m := swaggerKey.FindSubmatch(head)
	if m == nil {
		// The key may come late in a big JSON document; decode just it.
		if bytes.Contains(data, []byte(`"swagger"`)) && mayBeJSON(data) {
			var probe struct {
				Swagger string `json:"swagger"`
			}
			if json.Unmarshal(data, &probe) == nil {
				return probe.Swagger
			}
		}
		return ""
	}
	return string(m[2])
}

var swaggerKey = regexp.MustCompile(`(?m)(^|[{,]\s*)"?swagger"?\s*:\s*["']?(2\.0)`)

func mayBeJSON(data []byte) bool {
	data = bytes.TrimLeft(data, " \t\r\n\ufeff")
	return len(data) > 0 && data[0] == '{'
}

func loadV2(ctx context.Context, path string, data []byte, sink *diag.Sink) (*openapi3.T, error) {
	var doc2 openapi2.T
	if !mayBeJSON(data) || json.Unmarshal(data, &doc2) != nil {
		// Decode generically, repair what Swagger 2.0 does not allow but
		// real specs write, and decode again.
		var tree any
		if err := yaml.Unmarshal(data, &tree); err != nil {
			return nil, fmt.Errorf("load %s: %w", path, err)
		}
		tree = jsonable(tree)
		tupleItems(sink, path, tree, nil)
		j, err := json.Marshal(tree)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", path, err)
		}
		doc2 = openapi2.T{}
		if err := json.Unmarshal(j, &doc2); err != nil {
			return nil, fmt.Errorf("load %s: %w", path, err)
		}
	}
	loader := newLoader(ctx, nil)
	doc, err := openapi2conv.ToV3WithLoader(&doc2, loader, fileURL(path))
	if err != nil {
		return nil, fmt.Errorf("load %s: convert Swagger 2.0: %w", path, err)
	}
	return doc, nil
}

func loadV3(ctx context.Context, path string, data []byte, n *normalizer) (*openapi3.T, error) {
	loader := newLoader(ctx, n)
	loc := fileURL(path)
	if n != nil {
		var err error
		if data, err = n.normalize(path, data); err != nil {
			return nil, err
		}
	}
	if mayBeJSON(data) {
		// kin-openapi parses JSON as YAML, which is slow on big specs;
		// decode it as JSON and let the loader resolve references.
		doc := &openapi3.T{}
		if err := json.Unmarshal(data, doc); err == nil {
			if err := loader.ResolveRefsIn(doc, loc); err != nil {
				return nil, err
			}
			return doc, nil
		}
	}
	doc, err := loader.LoadFromDataWithPath(data, loc)
	if err != nil {
		return nil, err
	}
	return doc, nil
}

func newLoader(ctx context.Context, n *normalizer) *openapi3.Loader {
	loader := openapi3.NewLoader()
	loader.Context = ctx
	loader.IsExternalRefsAllowed = true
	loader.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// Only local files: a spec must not make the generator fetch URLs.
		if u.Scheme != "" && u.Scheme != "file" || u.Host != "" {
			return nil, fmt.Errorf("remote $ref %q: only files next to the spec are read", u.String())
		}
		p := filepath.FromSlash(u.Path)
		data, err := readFile(p)
		if err != nil {
			return nil, err
		}
		if n != nil {
			return n.normalize(p, data)
		}
		return data, nil
	}
	return loader
}

func fileURL(path string) *url.URL {
	return &url.URL{Path: filepath.ToSlash(path)}
}
