// Package diag reports problems found in a spec, each located by file and
// JSON pointer, so that users can find what to fix.
package diag

import (
	"fmt"
	"strings"
)

// Severity ranks a diagnostic.
type Severity uint8

// Severities, from mildest to worst.
const (
	Note Severity = iota
	Warning
	Error
)

// String returns the severity's lower-case name.
func (s Severity) String() string {
	switch s {
	case Note:
		return "note"
	case Warning:
		return "warning"
	}
	return "error"
}

// Location points into a spec.
type Location struct {
	File    string
	Pointer string // a JSON pointer, such as /paths/~1items/get
	Line    int    // 0 when unknown
}

// String renders the location as file#pointer:line.
func (l Location) String() string {
	var b strings.Builder
	b.WriteString(l.File)
	if l.Pointer != "" {
		b.WriteString("#")
		b.WriteString(l.Pointer)
	}
	if l.Line > 0 {
		fmt.Fprintf(&b, " (line %d)", l.Line)
	}
	return b.String()
}

// Diagnostic is one finding about a spec.
type Diagnostic struct {
	Severity Severity
	Location Location
	Message  string
}

// String renders the diagnostic for a terminal.
func (d Diagnostic) String() string {
	return fmt.Sprintf("%s: %s: %s", d.Location, d.Severity, d.Message)
}

// SpecError is a Diagnostic of severity Error that stops generation.
type SpecError struct{ Diagnostic }

// Error renders the diagnostic.
func (e *SpecError) Error() string { return e.Diagnostic.String() }

// Errorf returns a *SpecError at loc.
func Errorf(loc Location, format string, args ...any) *SpecError {
	return &SpecError{Diagnostic{Severity: Error, Location: loc, Message: fmt.Sprintf(format, args...)}}
}

// Sink collects diagnostics. The zero value is ready to use.
type Sink struct {
	list []Diagnostic
}

// Add records d.
func (s *Sink) Add(d Diagnostic) { s.list = append(s.list, d) }

// Warnf records a warning at loc.
func (s *Sink) Warnf(loc Location, format string, args ...any) {
	s.Add(Diagnostic{Severity: Warning, Location: loc, Message: fmt.Sprintf(format, args...)})
}

// All returns what was recorded, in order.
func (s *Sink) All() []Diagnostic { return s.list }

// Pointer builds a JSON pointer from reference tokens, escaping each.
func Pointer(tokens ...string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	return b.String()
}
