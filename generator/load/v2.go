package load

import (
	"bytes"
	"encoding/json"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/getkin/kin-openapi/openapi2"
	yaml "go.yaml.in/yaml/v4"

	"github.com/securegen/securegen/generator/diag"
)

// decodeV2 decodes a Swagger 2.0 document into kin-openapi's model.
//
// kin-openapi decodes Swagger 2.0 only from JSON, through UnmarshalJSON
// methods that each validate and decode their bytes twice (once for the
// fields, once for the extensions), level after level: on
// kubernetes.swagger2.json that is about 270 ms on one core, most of its
// load. The large maps (paths, definitions, parameters, responses) are
// decoded here entry by entry on all cores, each entry from its own text,
// which is what encoding/json hands each entry's UnmarshalJSON when it
// decodes the whole document; the rest of the document is decoded as one.
// A JSON file the loader left alone is cut at the places its parse
// recorded; anything else is written out from the tree.
func decodeV2(f *file) (*openapi2.T, error) {
	text := func(n *yaml.Node) ([]byte, error) {
		if !f.changed && f.spans != nil {
			if sp, ok := f.spans[n]; ok {
				return f.data[sp.start:sp.end], nil
			}
		}
		return jsonBytes(n)
	}
	type entry struct {
		m    string // the map
		key  *yaml.Node
		val  *yaml.Node
		dst  any
		err  error
		null bool
	}
	var entries []entry
	var top bytes.Buffer
	top.WriteByte('{')
	for i := 0; i+1 < len(f.root.Content); i += 2 {
		k, v := f.root.Content[i], f.root.Content[i+1]
		switch k.Value {
		case "paths", "definitions", "parameters", "responses":
			if v.Kind == yaml.MappingNode && len(f.data) >= minSplitBytes {
				for j := 0; j+1 < len(v.Content); j += 2 {
					e := entry{m: k.Value, key: v.Content[j], val: v.Content[j+1]}
					switch k.Value {
					case "paths":
						e.dst = new(openapi2.PathItem)
					case "definitions":
						e.dst = new(openapi2.SchemaRef)
					case "parameters":
						e.dst = new(openapi2.Parameter)
					case "responses":
						e.dst = new(openapi2.Response)
					}
					e.null = e.val.Kind == yaml.ScalarNode && e.val.ShortTag() == "!!null"
					entries = append(entries, e)
				}
				continue
			}
		}
		b, err := text(v)
		if err != nil {
			return nil, err
		}
		if top.Len() > 1 {
			top.WriteByte(',')
		}
		writeString(&top, k.Value)
		top.WriteByte(':')
		top.Write(b)
	}
	top.WriteByte('}')

	var doc openapi2.T
	var topErr error
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() { topErr = json.Unmarshal(top.Bytes(), &doc) })
	for range min(runtime.GOMAXPROCS(0), len(entries)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(entries) {
					return
				}
				e := &entries[i]
				if e.null {
					continue
				}
				b, err := text(e.val)
				if err == nil {
					err = json.Unmarshal(b, e.dst)
				}
				e.err = err
			}
		})
	}
	wg.Wait()
	if topErr != nil {
		return nil, diag.Errorf(diag.Location{File: f.path}, "%v", topErr)
	}
	for _, e := range entries {
		if e.err != nil {
			return nil, diag.Errorf(diag.Location{File: f.path, Pointer: pointer(e.m, e.key.Value), Line: e.key.Line}, "%v", e.err)
		}
		switch d := e.dst.(type) {
		case *openapi2.PathItem:
			if doc.Paths == nil {
				doc.Paths = make(map[string]*openapi2.PathItem)
			}
			doc.Paths[e.key.Value] = nilIf(d, e.null)
		case *openapi2.SchemaRef:
			if doc.Definitions == nil {
				doc.Definitions = make(map[string]*openapi2.SchemaRef)
			}
			doc.Definitions[e.key.Value] = nilIf(d, e.null)
		case *openapi2.Parameter:
			if doc.Parameters == nil {
				doc.Parameters = make(map[string]*openapi2.Parameter)
			}
			doc.Parameters[e.key.Value] = nilIf(d, e.null)
		case *openapi2.Response:
			if doc.Responses == nil {
				doc.Responses = make(map[string]*openapi2.Response)
			}
			doc.Responses[e.key.Value] = nilIf(d, e.null)
		}
	}
	// An empty map decodes to an empty map, not to none.
	for i := 0; i+1 < len(f.root.Content); i += 2 {
		if v := f.root.Content[i+1]; v.Kind == yaml.MappingNode && len(v.Content) == 0 && len(f.data) >= minSplitBytes {
			switch f.root.Content[i].Value {
			case "paths":
				doc.Paths = map[string]*openapi2.PathItem{}
			case "definitions":
				doc.Definitions = map[string]*openapi2.SchemaRef{}
			case "parameters":
				doc.Parameters = map[string]*openapi2.Parameter{}
			case "responses":
				doc.Responses = map[string]*openapi2.Response{}
			}
		}
	}
	return &doc, nil
}

func nilIf[T any](p *T, null bool) *T {
	if null {
		return nil
	}
	return p
}
