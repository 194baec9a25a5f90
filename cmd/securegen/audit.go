package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/securegen/securegen/generator"
	"github.com/securegen/securegen/generator/audit"
	"github.com/securegen/securegen/generator/diag"
	"github.com/securegen/securegen/generator/model"
	"github.com/securegen/securegen/generator/secdiff"
)

// runAudit implements securegen audit: it prints the security of every
// operation and the findings, and fails when a finding reaches -fail-on.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("audit", stderr)
	format := fs.String("format", "text", "output format: text, markdown or json")
	failOn := fs.String("fail-on", "error", "exit with status 1 when a finding is at least this severe: error, warning or never")
	authorize := fs.Bool("authorize-objects", false, "audit the spec as securegen generate -authorize-objects generates it")
	if err := fs.Parse(args); err != nil {
		return parseStatus(err)
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "securegen audit: want one SPEC, got", fs.NArg())
		return 2
	}
	var min diag.Severity
	never := false
	switch *failOn {
	case "error":
		min = diag.Error
	case "warning":
		min = diag.Warning
	case "never":
		never = true
	default:
		fmt.Fprintf(stderr, "securegen audit: -fail-on %q: want error, warning or never\n", *failOn)
		return 2
	}
	var write func(*audit.Report, io.Writer) error
	switch *format {
	case "text":
		write = (*audit.Report).WriteText
	case "markdown":
		write = (*audit.Report).WriteMarkdown
	case "json":
		write = (*audit.Report).WriteJSON
	default:
		fmt.Fprintf(stderr, "securegen audit: -format %q: want text, markdown or json\n", *format)
		return 2
	}
	rep, err := audit.RunWith(ctx, fs.Arg(0), audit.Options{AuthorizeObjects: *authorize})
	if err != nil {
		fmt.Fprintln(stderr, "securegen:", err)
		return 1
	}
	if err := write(rep, stdout); err != nil {
		fmt.Fprintln(stderr, "securegen:", err)
		return 1
	}
	if !never && rep.Fails(min) {
		return 1
	}
	return 0
}

// runDiff implements securegen diff: it prints how the security of every
// operation changed from OLD to NEW, and fails when something weakened
// unless -allow-weakening is given.
func runDiff(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("diff", stderr)
	format := fs.String("format", "text", "output format: text or json")
	allow := fs.Bool("allow-weakening", false, "exit with status 0 even when the security of some operation weakened")
	authorize := fs.Bool("authorize-objects", false, "model both specs as securegen generate -authorize-objects generates them")
	if err := fs.Parse(args); err != nil {
		return parseStatus(err)
	}
	if fs.NArg() != 2 {
		fmt.Fprintln(stderr, "securegen diff: want OLD and NEW, got", fs.NArg(), "arguments")
		return 2
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "securegen diff: -format %q: want text or json\n", *format)
		return 2
	}
	opts := model.Options{AuthorizeObjects: *authorize}
	old, err := specSnapshot(ctx, fs.Arg(0), opts)
	if err != nil {
		fmt.Fprintln(stderr, "securegen:", err)
		return 1
	}
	cur, err := specSnapshot(ctx, fs.Arg(1), opts)
	if err != nil {
		fmt.Fprintln(stderr, "securegen:", err)
		return 1
	}
	rep := secdiff.Compare(old, cur)
	if *format == "json" {
		err = rep.WriteJSON(stdout)
	} else if len(rep.Changes) == 0 {
		_, err = fmt.Fprintln(stdout, "no security changes")
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "securegen:", err)
		return 1
	}
	if rep.Weakens() && !*allow {
		fmt.Fprintln(stderr, "securegen diff: the security of some operation weakened (use -allow-weakening to accept)")
		return 1
	}
	return 0
}

// specSnapshot loads the spec at path, models it exactly as generation
// with opts does, and takes the snapshot of its security.
func specSnapshot(ctx context.Context, path string, opts model.Options) (secdiff.Snapshot, error) {
	api, err := generator.LoadModel(ctx, path, opts, nil)
	if err != nil {
		if _, ok := errors.AsType[*generator.ModelError](err); ok {
			return secdiff.Snapshot{}, fmt.Errorf("secdiff: model of %s: %w", path, err)
		}
		return secdiff.Snapshot{}, fmt.Errorf("secdiff: %w", err)
	}
	return secdiff.FromModel(api), nil
}

// newFlagSet returns a flag set that reports errors instead of exiting,
// and writes its usage to stderr.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseStatus is the exit status after a failed flag parse: 0 when help
// was asked for, else 2.
func parseStatus(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}
