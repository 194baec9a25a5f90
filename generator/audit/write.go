package audit

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/securegen/securegen/generator/diag"
)

// jsonFinding is the JSON shape of a Finding.
type jsonFinding struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Location string `json:"location"`
	Message  string `json:"message"`
}

// MarshalJSON renders the finding in the documented shape: severity as
// its name and location as "file#pointer".
func (f Finding) MarshalJSON() ([]byte, error) {
	return json.Marshal(jsonFinding{Severity: f.Severity.String(), Code: f.Code, Location: LocationString(f.Location), Message: f.Message})
}

// LocationString renders a location as "file#pointer".
func LocationString(l diag.Location) string {
	return l.File + "#" + l.Pointer
}

// String renders the finding for a terminal.
func (f Finding) String() string {
	return fmt.Sprintf("%s: %s: %s: %s", LocationString(f.Location), f.Severity, f.Code, f.Message)
}

// jsonReport is the JSON shape of a Report.
type jsonReport struct {
	Operations []jsonOperation `json:"operations"`
	Findings   []Finding       `json:"findings"`
}

// jsonOperation is the JSON shape of an Operation.
type jsonOperation struct {
	Method       string       `json:"method"`
	Path         string       `json:"path"`
	OperationID  string       `json:"operationId"`
	Public       bool         `json:"public"`
	Anonymous    bool         `json:"anonymous"`
	ObjectCheck  bool         `json:"objectCheck"`
	RateLimit    *jsonLimit   `json:"rateLimit"`
	Alternatives [][]jsonNeed `json:"alternatives"`
}

// jsonLimit is the JSON shape of a rate limit.
type jsonLimit struct {
	Requests int    `json:"requests"`
	Period   string `json:"period"`
	Burst    int    `json:"burst"`
	By       string `json:"by"`
}

// jsonNeed is the JSON shape of an auth.Need, with its scheme's type.
type jsonNeed struct {
	Scheme string `json:"scheme"`
	// Type is the scheme's type as the spec spells it.
	Type   string   `json:"type"`
	Scopes []string `json:"scopes"`
}

// MarshalJSON renders the report in the documented shape (see the package
// documentation): operations, findings, alternatives and scopes are
// arrays, never null, and every need carries its scheme's type.
func (r Report) MarshalJSON() ([]byte, error) {
	out := jsonReport{Operations: make([]jsonOperation, 0, len(r.Operations)), Findings: r.Findings}
	if out.Findings == nil {
		out.Findings = []Finding{}
	}
	for _, op := range r.Operations {
		row := jsonOperation{Method: op.Method, Path: op.Path, OperationID: op.ID, Public: op.Public(),
			Anonymous: op.Anonymous(), ObjectCheck: op.ObjectCheck, Alternatives: make([][]jsonNeed, 0, len(op.Alternatives))}
		if rl := op.RateLimit; rl != nil {
			row.RateLimit = &jsonLimit{Requests: rl.Requests, Period: rl.Period.String(), Burst: rl.Burst, By: string(rl.By)}
		}
		for _, alt := range op.Alternatives {
			needs := make([]jsonNeed, 0, len(alt))
			for _, n := range alt {
				needs = append(needs, jsonNeed{Scheme: n.Scheme, Type: r.SchemeTypes[n.Scheme], Scopes: append([]string{}, n.Scopes...)})
			}
			row.Alternatives = append(row.Alternatives, needs)
		}
		out.Operations = append(out.Operations, row)
	}
	return json.Marshal(out)
}

// WriteJSON writes the report in the documented JSON shape.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("audit: write json: %w", err)
	}
	return nil
}

// alternatives renders an operation's requirement in one line: "public",
// or alternatives separated by " | ", each an AND joined by " + ".
func (op Operation) alternatives() string {
	if op.Public() {
		return "public"
	}
	if len(op.Alternatives) == 0 {
		return "(none: every request is refused)"
	}
	parts := make([]string, len(op.Alternatives))
	for i, alt := range op.Alternatives {
		if len(alt) == 0 {
			parts[i] = "anonymous"
			continue
		}
		needs := make([]string, len(alt))
		for j, n := range alt {
			needs[j] = n.Scheme
			if len(n.Scopes) > 0 {
				needs[j] += "[" + strings.Join(n.Scopes, " ") + "]"
			}
		}
		parts[i] = strings.Join(needs, " + ")
	}
	return strings.Join(parts, " | ")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// summary counts the findings by severity.
func (r *Report) summary() string {
	var n [3]int
	for _, f := range r.Findings {
		if int(f.Severity) < len(n) {
			n[f.Severity]++
		}
	}
	return fmt.Sprintf("%d operations; %d errors, %d warnings, %d notes", len(r.Operations), n[diag.Error], n[diag.Warning], n[diag.Note])
}

// WriteText writes the report as aligned columns for a terminal.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "METHOD\tPATH\tOPERATION\tPUBLIC\tANONYMOUS\tOBJECT CHECK\tRATE LIMIT\tALTERNATIVES")
	for _, op := range r.Operations {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", op.Method, op.Path, op.ID, yesNo(op.Public()), yesNo(op.Anonymous()),
			yesNo(op.ObjectCheck), op.limit(), op.alternatives())
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("audit: write: %w", err)
	}
	var b strings.Builder
	if len(r.Findings) > 0 {
		b.WriteString("\nFINDINGS\n")
		for _, f := range r.Findings {
			fmt.Fprintf(&b, "%-7s %s %s: %s\n", f.Severity, f.Code, LocationString(f.Location), f.Message)
		}
	}
	b.WriteString("\n" + r.summary() + "\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("audit: write: %w", err)
	}
	return nil
}

// mdCell escapes text for a Markdown table cell.
func mdCell(s string) string {
	s = strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(s)
	return s
}

// WriteMarkdown writes the report as two Markdown tables.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("## Operations\n\n")
	b.WriteString("| Method | Path | Operation | Public | Anonymous | Object check | Rate limit | Alternatives |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, op := range r.Operations {
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s | %s | %s | %s |\n", mdCell(op.Method), mdCell(op.Path), mdCell(op.ID),
			yesNo(op.Public()), yesNo(op.Anonymous()), yesNo(op.ObjectCheck), mdCell(op.limit()), mdCell(op.alternatives()))
	}
	b.WriteString("\n## Findings\n\n")
	if len(r.Findings) == 0 {
		b.WriteString("None.\n")
	} else {
		b.WriteString("| Severity | Code | Location | Message |\n")
		b.WriteString("|---|---|---|---|\n")
		for _, f := range r.Findings {
			fmt.Fprintf(&b, "| %s | %s | `%s` | %s |\n", f.Severity, f.Code, mdCell(LocationString(f.Location)), mdCell(f.Message))
		}
	}
	b.WriteString("\n" + r.summary() + "\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("audit: write: %w", err)
	}
	return nil
}

// limit says the operation's rate limit in words, "-" for none.
func (o Operation) limit() string {
	if o.RateLimit == nil {
		return "-"
	}
	return o.RateLimit.String()
}
