// Package load reads an OpenAPI document (3.0, 3.1, or Swagger 2.0, in YAML
// or JSON, over one file or several) into kin-openapi's model.
//
// Every file is parsed once into a node tree (go-yaml for YAML, a fast
// parser of its own for JSON). On those trees the loader checks every
// $ref, so that an error names where the reference is written as well as
// what it names, and follows pointers that run through other references;
// it tolerates, with a warning, the non-standard shapes common in real
// specs ($ref on an operation object, $ref in place of a tag's description
// or of a "properties" map, a response header that refers to a
// parameter); and it hands the root's tree to kin-openapi's decoder, which
// then resolves the references. Only local files are read.
package load

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"

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

// Load reads the spec at path. Diagnostics about tolerated shapes go to
// sink. An error names the file and, where known, the location in it; a
// reference that does not resolve is a *RefError, which names where the
// reference is written and what it names.
func Load(ctx context.Context, path string, sink *diag.Sink) (*Spec, error) {
	s := newSource(ctx, sink)
	root := s.open(path)
	if root.err != nil {
		return nil, fmt.Errorf("load %s: %w", path, root.err)
	}
	if root.root == nil || root.root.Kind != yaml.MappingNode {
		return nil, diag.Errorf(diag.Location{File: path}, "not an OpenAPI document: not an object")
	}
	if v := member(root.root, "swagger"); v != nil && v.Kind == yaml.ScalarNode {
		s.swagger = true
		doc, err := loadV2(ctx, s, root)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", path, err)
		}
		return &Spec{Doc: doc, File: path, Version: v.Value}, nil
	}
	doc, err := loadV3(ctx, s, root)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	if doc.OpenAPI == "" {
		return nil, diag.Errorf(diag.Location{File: path}, "not an OpenAPI document: no openapi or swagger version field")
	}
	return &Spec{Doc: doc, File: path, Version: doc.OpenAPI}, nil
}

func loadV3(ctx context.Context, s *source, root *file) (*openapi3.T, error) {
	sites, err := s.checkRefs()
	if err != nil {
		return nil, err
	}
	s.normalize(root)
	doc, err := decodeV3(root)
	if err != nil {
		return nil, err
	}
	if err := newLoader(ctx, s).ResolveRefsIn(doc, fileURL(root.path)); err != nil {
		return nil, locate(err, sites)
	}
	return doc, nil
}

func loadV2(ctx context.Context, s *source, root *file) (*openapi3.T, error) {
	sites, err := s.checkRefs()
	if err != nil {
		return nil, err
	}
	if tupleItems(s.sink, root.path, root.root, nil) {
		root.changed = true
	}
	doc2, err := decodeV2(root)
	if err != nil {
		return nil, err
	}
	doc, err := openapi2conv.ToV3WithLoader(doc2, newLoader(ctx, s), fileURL(root.path))
	if err != nil {
		return nil, fmt.Errorf("convert Swagger 2.0: %w", locate(err, sites))
	}
	return doc, nil
}

// newLoader returns a kin-openapi loader that reads the files of s: each
// as the loader left it, from memory, and only local files.
func newLoader(ctx context.Context, s *source) *openapi3.Loader {
	loader := openapi3.NewLoader()
	loader.Context = ctx
	loader.IsExternalRefsAllowed = true
	loader.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// Only local files: a spec must not make the generator fetch URLs.
		if u.Scheme != "" && u.Scheme != "file" || u.Host != "" {
			return nil, fmt.Errorf("$ref %q: %w", u.String(), ErrRemoteRef)
		}
		f := s.open(filepath.FromSlash(u.Path))
		if f.err != nil {
			return nil, f.err
		}
		if !s.swagger {
			s.normalize(f)
		}
		return f.bytes()
	}
	return loader
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, maxFileBytes+1)); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if buf.Len() > maxFileBytes {
		return nil, fmt.Errorf("%s: file exceeds %d bytes", path, maxFileBytes)
	}
	return buf.Bytes(), nil
}

func mayBeJSON(data []byte) bool {
	data = bytes.TrimLeft(data, " \t\r\n\ufeff")
	return len(data) > 0 && data[0] == '{'
}

func fileURL(path string) *url.URL {
	return &url.URL{Path: filepath.ToSlash(path)}
}
