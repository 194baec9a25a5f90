package main

import (
	"context"
	"fmt"
	"io"
)

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "securegen audit: not built yet")
	return 1
}

func runDiff(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "securegen diff: not built yet")
	return 1
}
