// Command securegen generates a Go server package from an OpenAPI
// document, in which every operation requires and verifies exactly what
// the spec's security says.
//
// Usage:
//
//	securegen generate [-config securegen.yaml] [-package NAME] [-o DIR] [-authtest] [-authorize-objects] [-check] [-strict] SPEC
//	securegen audit [-format text|markdown|json] [-fail-on error|warning|never] [-authorize-objects] SPEC
//	securegen diff [-format text|json] [-allow-weakening] [-authorize-objects] OLD NEW
//	securegen version
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "v0.1.0-dev"

func main() {
	// A generator run is short and keeps its model to the end, so most
	// garbage collections find little to free: run them less often.
	// GOGC, when set, still decides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit status: 0 on
// success, 1 when the command failed, 2 on a usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "generate":
		return runGenerate(ctx, args[1:], stdout, stderr)
	case "audit":
		return runAudit(ctx, args[1:], stdout, stderr)
	case "diff":
		return runDiff(ctx, args[1:], stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "securegen", version)
		return 0
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "securegen: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  securegen generate [-config securegen.yaml] [-package NAME] [-o DIR] [-authtest] [-authorize-objects] [-check] [-strict] SPEC
  securegen audit [-format text|markdown|json] [-fail-on error|warning|never] [-authorize-objects] SPEC
  securegen diff [-format text|json] [-allow-weakening] [-authorize-objects] OLD NEW
  securegen version
`)
}
