// Package validate checks decoded JSON values against the constraints of
// their schemas. securegen generates one small function per schema that
// calls these checks; nothing walks the spec at run time.
//
// Values are what encoding/json produces with UseNumber: map[string]any,
// []any, string, json.Number, bool and nil.
package validate

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Path is a location in the request, built as validation descends and
// rendered as a JSON pointer only when a violation is reported, so that
// valid input costs no string building.
type Path struct {
	parent *Path
	key    string
	index  int // used when key is ""
	root   string
}

// Root returns the path of a request part: "/body", "/query/limit".
func Root(p string) Path { return Path{root: p, index: -1} }

// Key returns the path of property key under p.
func (p *Path) Key(key string) Path { return Path{parent: p, key: key, index: -1} }

// Index returns the path of item i under p.
func (p *Path) Index(i int) Path { return Path{parent: p, index: i} }

// String renders the path as a JSON pointer.
func (p *Path) String() string {
	var b strings.Builder
	p.write(&b)
	return b.String()
}

// write renders the path root first. It copies what it reads, so that a
// Path, which generated code keeps on the stack, never escapes to the heap.
func (p *Path) write(b *strings.Builder) {
	if p == nil {
		return
	}
	p.parent.write(b)
	switch {
	case p.root != "":
		b.WriteString(p.root)
	case p.key != "" || p.index < 0:
		b.WriteByte('/')
		writeToken(b, p.key)
	default:
		b.WriteByte('/')
		b.WriteString(strconv.Itoa(p.index))
	}
}

// Violation is one broken rule.
type Violation struct {
	// Location is a JSON pointer into the request: /body/items/3/price.
	Location string `json:"location"`
	// Rule is the schema keyword broken: required, maxLength, format...
	Rule   string `json:"rule"`
	Detail string `json:"detail"`
}

// Format checks a string against a named format; it returns nil when the
// string conforms.
type Format func(s string) error

// Report collects violations, up to a limit.
type Report struct {
	// Max caps the violations kept; 0 means DefaultMax.
	Max int
	// Strict rejects unknown properties everywhere, not only where the
	// schema says additionalProperties: false.
	Strict bool
	// Formats are checkers for formats beyond the built-in ones.
	Formats map[string]Format
	// ReadOnlyForbidden rejects readOnly properties: set for requests.
	ReadOnlyForbidden bool
	// WriteOnlyForbidden rejects writeOnly properties: set for responses.
	WriteOnlyForbidden bool
	// MaxDepth bounds how deeply the JSON a Decoder reads may nest; 0
	// means DefaultMaxDepth.
	MaxDepth int
	// MaxNumberLength bounds the bytes of one number literal; 0 means
	// DefaultMaxNumberLength.
	MaxNumberLength int
	// MaxProbes bounds how many times one request's values are tried
	// against an alternative of a oneOf or anyOf; 0 means
	// DefaultMaxProbes.
	MaxProbes int

	violations []Violation
	dropped    int
	// allOfAt is the value whose allOf parts are being checked: their
	// unknown-property checks defer to the whole schema's.
	allOfAt *Path
	// quiet counts violations without describing them: a probe of a
	// oneOf or anyOf alternative needs only to know whether one occurred.
	quiet bool
	// scratch is reused by every probe of one request.
	scratch *Report
	// top is the request's report, which counts the probes of all its
	// nested probe reports; nil in the request's report itself.
	top       *Report
	probes    int
	exhausted bool
}

// DefaultMax is the number of violations a Report keeps by default.
const DefaultMax = 20

// DefaultMaxDepth is how deeply request JSON may nest by default: far
// more than any API's documents, far less than what could exhaust a
// goroutine's stack.
const DefaultMaxDepth = 64

// DefaultMaxNumberLength is the longest number literal accepted by
// default, in bytes: room for every float64 and int64 written in full.
const DefaultMaxNumberLength = 128

// DefaultMaxProbes is how many alternatives of oneOf and anyOf one
// request may be tried against by default: ample for a 1 MiB body of
// unions, small enough to bound a recursive schema's alternatives.
const DefaultMaxProbes = 1 << 18

// LimitMaxDepth is the deepest nesting a Report may allow, whatever its
// MaxDepth says: decoding recurses once per level.
const LimitMaxDepth = 10000

func (r *Report) maxDepth() int {
	switch {
	case r == nil || r.MaxDepth <= 0:
		return DefaultMaxDepth
	case r.MaxDepth > LimitMaxDepth:
		return LimitMaxDepth
	}
	return r.MaxDepth
}

func (r *Report) maxNumberLength() int {
	if r == nil || r.MaxNumberLength <= 0 {
		return DefaultMaxNumberLength
	}
	return r.MaxNumberLength
}

// count is how many violations were recorded, kept or not.
func (r *Report) count() int { return len(r.violations) + r.dropped }

// maxEcho bounds how much of a value a detail repeats.
const maxEcho = 24

// Add records a violation at p.
func (r *Report) Add(p *Path, rule, format string, args ...any) {
	max := r.Max
	if max <= 0 {
		max = DefaultMax
	}
	if r.quiet || len(r.violations) >= max {
		r.dropped++
		return
	}
	r.violations = append(r.violations, Violation{Location: p.String(), Rule: rule, Detail: fmt.Sprintf(format, args...)})
}

// OK reports whether nothing was recorded.
func (r *Report) OK() bool { return len(r.violations) == 0 && r.dropped == 0 }

// Violations returns what was recorded.
func (r *Report) Violations() []Violation { return r.violations }

// Dropped is how many violations were past the limit.
func (r *Report) Dropped() int { return r.dropped }

// probe returns a report for trying a value against one alternative of a
// oneOf or anyOf at p: same settings, own violations. It is valid until
// the next probe. It returns nil when the request has used up its
// budget of probes: then the alternative is taken as failed, untried,
// and a maxWork violation says why. Without the budget, alternatives
// that both descend into a recursive schema would cost time exponential
// in the input's depth.
func (r *Report) probe(p *Path) *Report {
	top := r
	if r.top != nil {
		top = r.top
	}
	top.probes++
	if top.probes > top.maxProbes() {
		if !top.exhausted {
			top.exhausted = true
			top.Add(p, "maxWork", "the value needs more than %d checks of alternatives", top.maxProbes())
		}
		if r != top {
			// The alternative being probed fails too.
			r.dropped++
		}
		return nil
	}
	if r.scratch == nil {
		r.scratch = new(Report)
	}
	*r.scratch = Report{Max: 1, Strict: r.Strict, Formats: r.Formats, ReadOnlyForbidden: r.ReadOnlyForbidden,
		WriteOnlyForbidden: r.WriteOnlyForbidden, MaxDepth: r.MaxDepth, MaxNumberLength: r.MaxNumberLength,
		MaxProbes: r.MaxProbes, quiet: true, scratch: r.scratch.scratch, top: top}
	return r.scratch
}

func (r *Report) maxProbes() int {
	if r.MaxProbes <= 0 {
		return DefaultMaxProbes
	}
	return r.MaxProbes
}

// echo renders v for a detail, cut short so that the body never repeats
// more than a prefix of what the client sent.
func echo(v any) string {
	var s string
	switch x := v.(type) {
	case string:
		s = strconv.Quote(x)
	case json.Number:
		s = x.String()
	default:
		s = fmt.Sprint(x)
	}
	if len(s) > maxEcho {
		s = s[:maxEcho] + "…"
	}
	return s
}

// typeName names the JSON type of v.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// writeToken writes a JSON pointer reference token (RFC 6901).
func writeToken(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '~':
			b.WriteString("~0")
		case '/':
			b.WriteString("~1")
		default:
			b.WriteByte(s[i])
		}
	}
}
