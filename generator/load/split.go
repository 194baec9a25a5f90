package load

import (
	"bytes"
	"runtime"
	"sync"
	"sync/atomic"

	yaml "go.yaml.in/yaml/v4"
)

// Parsing YAML is the largest single cost of loading a big spec (go-yaml
// reads okta-management.yaml's 3.4 MB in about 130 ms, a third of the
// whole load before this change), and go-yaml parses on one core. A spec
// in block style splits at its top-level keys, and its large top-level
// values at their own keys, into pieces that are YAML documents by
// themselves; parseYAML parses those pieces on all cores and joins the
// trees.
//
// A split can only be wrong where a piece boundary falls inside a
// construct that spans lines: a quoted or flow scalar, a flow collection,
// an alias to an anchor in another piece. Each of those leaves a piece
// that go-yaml refuses (an unterminated quote or bracket, an unknown
// anchor), and then the whole file is parsed again in one piece, so the
// result and any error are exactly go-yaml's. Block scalars and plain
// scalars cannot straddle a boundary: their lines are indented deeper
// than the key that holds them.

// minSplitBytes is the size below which a file is parsed in one piece:
// the split costs more than it saves.
const minSplitBytes = 256 << 10

// piece is a run of lines of a YAML file that is a document by itself: a
// top-level key with its value, or some keys of a large top-level value.
type piece struct {
	start, end int // byte offsets
	line       int // 1-based line of start
	// parent is the index, in the joined root, of the top-level key whose
	// value this piece holds part of; -1 for top-level keys.
	parent int
	root   *yaml.Node
	err    error
}

// parseYAML parses a YAML document, in parallel when it splits.
func parseYAML(data []byte) (*yaml.Node, error) {
	if len(data) >= minSplitBytes && runtime.GOMAXPROCS(0) > 1 {
		if pieces, heads := splitYAML(data); pieces != nil {
			if root := parsePieces(data, pieces, heads); root != nil {
				return root, nil
			}
		}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		return doc.Content[0], nil
	}
	if doc.Kind == 0 {
		return nil, nil
	}
	return &doc, nil
}

// head is a top-level key whose value was split into pieces.
type head struct {
	start, end int // the key's line
	line       int
}

// splitYAML cuts data into pieces, or returns nil when it cannot tell that
// the cut is safe: flow style at the top, directives, several documents,
// tabs or a byte order mark.
func splitYAML(data []byte) ([]piece, []head) {
	if data[0] == 0xEF || data[0] == '%' || data[0] == '{' || data[0] == '[' || otherBreaks(data) {
		return nil, nil
	}
	type line struct {
		start, end int // end excludes the newline
		no         int
	}
	// Top-level keys: lines starting in column 0 that are neither
	// comments nor sequence items.
	var tops []line
	no := 1
	for pos := 0; pos < len(data); no++ {
		end := bytes.IndexByte(data[pos:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += pos
		}
		if pos < end {
			switch c := data[pos]; c {
			case '#', '\r':
			case ' ':
				// Content before the first key is not a layout this split
				// knows; after it, it belongs to the key above.
				if len(tops) == 0 && len(bytes.TrimSpace(data[pos:end])) > 0 && bytes.TrimSpace(data[pos:end])[0] != '#' {
					return nil, nil
				}
			case '-':
				// A sequence written in column 0 belongs to the key above;
				// a document marker is not a layout this split knows.
				if len(tops) == 0 || bytes.HasPrefix(data[pos:end], []byte("---")) {
					return nil, nil
				}
			case '\t', '.', '%', '{', '[', '?', ':':
				// Tabs, document markers, directives, flow collections and
				// complex keys at the top: not a layout this split knows.
				return nil, nil
			default:
				tops = append(tops, line{pos, end, no})
			}
		}
		pos = end + 1
	}
	if len(tops) < 2 {
		return nil, nil
	}
	var pieces []piece
	var heads []head
	big := len(data) / 8
	for i, t := range tops {
		end := len(data)
		if i+1 < len(tops) {
			end = tops[i+1].start
		}
		if end-t.start < big {
			pieces = append(pieces, piece{start: t.start, end: end, line: t.no, parent: -1})
			continue
		}
		sub := splitValue(data, t.end, end, t.no)
		if sub == nil {
			pieces = append(pieces, piece{start: t.start, end: end, line: t.no, parent: -1})
			continue
		}
		for j := range sub {
			sub[j].parent = len(heads)
		}
		heads = append(heads, head{start: t.start, end: t.end, line: t.no})
		pieces = append(pieces, sub...)
	}
	if len(heads) == 0 {
		return nil, nil
	}
	return pieces, heads
}

// otherBreaks reports whether data breaks lines otherwise than with "\n"
// or "\r\n": a lone "\r", or NEL, LS or PS, which go-yaml also reads as
// line breaks and the split does not.
func otherBreaks(data []byte) bool {
	for i := bytes.IndexByte(data, '\r'); i >= 0; {
		if i+1 >= len(data) || data[i+1] != '\n' {
			return true
		}
		j := bytes.IndexByte(data[i+1:], '\r')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return bytes.Contains(data, []byte("\u0085")) || bytes.Contains(data, []byte("\u2028")) || bytes.Contains(data, []byte("\u2029"))
}

// splitValue cuts the block mapping that follows a top-level key line
// (ending at keyEnd, on line keyLine) up to end into pieces of whole
// entries, or returns nil when the value is not a plain block mapping.
func splitValue(data []byte, keyEnd, end, keyLine int) []piece {
	// The key line must be "key:" with at most a comment after it: an
	// anchor, a tag or an inline value would be lost by the split.
	keyLineText := data[:keyEnd]
	if i := bytes.LastIndexByte(keyLineText, '\n'); i >= 0 {
		keyLineText = keyLineText[i+1:]
	}
	if c := bytes.IndexByte(keyLineText, '#'); c >= 0 {
		keyLineText = keyLineText[:c]
	}
	keyLineText = bytes.TrimRight(keyLineText, " \r")
	if len(keyLineText) == 0 || keyLineText[len(keyLineText)-1] != ':' || bytes.ContainsAny(keyLineText, `"'&*!|>{}[]`) {
		return nil
	}
	// The entries' indentation is that of the first line with content.
	indent := -1
	var cuts []int
	var lines []int
	no := keyLine + 1
	for pos := keyEnd + 1; pos < end; no++ {
		e := bytes.IndexByte(data[pos:end], '\n')
		if e < 0 {
			e = end
		} else {
			e += pos
		}
		n := 0
		for pos+n < e && data[pos+n] == ' ' {
			n++
		}
		if pos+n < e && data[pos+n] != '#' && data[pos+n] != '\r' {
			if pos+n < e && data[pos+n] == '\t' {
				return nil
			}
			if indent < 0 {
				indent = n
				if n == 0 || data[pos+n] == '-' {
					return nil
				}
			}
			if n == indent {
				switch data[pos+n] {
				case '-':
					// A sequence written at its key's indentation belongs
					// to the entry above.
				case '?', '{', '[', ':':
					return nil
				default:
					cuts = append(cuts, pos)
					lines = append(lines, no)
				}
			}
		}
		pos = e + 1
	}
	if len(cuts) < 2 {
		return nil
	}
	// Group entries into pieces of about 64 KiB: enough work per piece to
	// pay for its goroutine hand-off, enough pieces to balance the cores.
	const target = 64 << 10
	var out []piece
	for i := 0; i < len(cuts); {
		j := i + 1
		for j < len(cuts) && cuts[j]-cuts[i] < target {
			j++
		}
		pend := end
		if j < len(cuts) {
			pend = cuts[j]
		}
		out = append(out, piece{start: cuts[i], end: pend, line: lines[i]})
		i = j
	}
	return out
}

// parsePieces parses the pieces on all cores and joins them into one
// tree, or returns nil if any piece fails, for the caller to parse the
// whole file instead.
func parsePieces(data []byte, pieces []piece, heads []head) *yaml.Node {
	var next atomic.Int64
	var wg sync.WaitGroup
	workers := min(runtime.GOMAXPROCS(0), len(pieces))
	var failed atomic.Bool
	for range workers {
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= len(pieces) {
					return
				}
				p := &pieces[i]
				var doc yaml.Node
				if err := yaml.Unmarshal(data[p.start:p.end], &doc); err != nil || doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
					failed.Store(true)
					return
				}
				p.root = doc.Content[0]
				shiftLines(p.root, p.line-1)
			}
		})
	}
	wg.Wait()
	if failed.Load() {
		return nil
	}
	// Parse the keys of the split values, each alone.
	values := make([]*yaml.Node, len(heads))
	keys := make([]*yaml.Node, len(heads))
	for i, h := range heads {
		var doc yaml.Node
		if err := yaml.Unmarshal(data[h.start:h.end], &doc); err != nil || len(doc.Content) != 1 || len(doc.Content[0].Content) != 2 {
			return nil
		}
		keys[i] = doc.Content[0].Content[0]
		shiftLines(keys[i], h.line-1)
		values[i] = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	root := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: 1, Column: 1}
	lastHead := -1
	for _, p := range pieces {
		if p.parent < 0 {
			root.Content = append(root.Content, p.root.Content...)
			continue
		}
		v := values[p.parent]
		if p.parent != lastHead {
			root.Content = append(root.Content, keys[p.parent], v)
			v.Line, v.Column = p.root.Line, p.root.Column
			lastHead = p.parent
		}
		v.Content = append(v.Content, p.root.Content...)
	}
	if len(root.Content) > 0 {
		root.Line, root.Column = root.Content[0].Line, root.Content[0].Column
	}
	return root
}

// shiftLines adds off to the line of every node under n.
func shiftLines(n *yaml.Node, off int) {
	if off == 0 {
		return
	}
	n.Line += off
	for _, c := range n.Content {
		shiftLines(c, off)
	}
}
