package main

import (
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestNoTestingInBinary: the command links neither package testing (whose
// flags and init a test helper would drag in) nor the module's test
// helpers. It reads the import graph of the command as go build sees it and
// names the package that brings a forbidden one in.
func TestNoTestingInBinary(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "list", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	importers := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if _, ok := importers[fields[0]]; !ok {
			importers[fields[0]] = nil
		}
		for _, imp := range fields[1:] {
			importers[imp] = append(importers[imp], fields[0])
		}
	}
	if _, ok := importers["github.com/lambdagrpc/lambdagrpc/emulator"]; !ok {
		t.Fatalf("go list printed no emulator package: the test reads the graph wrongly\n%s", out)
	}
	forbidden := func(pkg string) bool {
		if pkg == "testing" || strings.HasPrefix(pkg, "testing/") || pkg == "go.uber.org/goleak" {
			return true
		}
		mod, ok := strings.CutPrefix(pkg, "github.com/lambdagrpc/lambdagrpc/")
		return ok && slices.ContainsFunc(strings.Split(mod, "/"), func(elem string) bool {
			return strings.HasPrefix(elem, "test") || strings.HasSuffix(elem, "test")
		})
	}
	for pkg, by := range importers {
		if forbidden(pkg) {
			t.Errorf("the command links %s, imported by %s", pkg, strings.Join(by, ", "))
		}
	}
}
