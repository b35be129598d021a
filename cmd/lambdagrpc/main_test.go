package main

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lambdagrpc/lambdagrpc/emulator"
)

// buildTimeout bounds a test that builds a package. A cold build on a busy
// two-core machine has taken more than two minutes: the bound is there to
// catch a hang, not to time the compiler.
const buildTimeout = 8 * time.Minute

// TestBuildZip builds the greeter example as a deployable zip, then runs
// the bootstrap from the zip on the emulator and calls it, and runs it
// outside Lambda, where the lambdagrpc.notcp build says it cannot serve.
func TestBuildZip(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	dir := t.TempDir()
	out := filepath.Join(dir, "function.zip")
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"build", "-o", out, "-arch", runtime.GOARCH, "../../examples/greeter"}, &stdout, &stderr); err != nil {
		t.Fatalf("build: %v\n%s", err, stderr.String())
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" {
		t.Fatalf("zip holds %v, want just bootstrap", zr.File)
	}
	if mode := zr.File[0].Mode(); mode.Perm()&0o111 == 0 {
		t.Fatalf("bootstrap mode %v is not executable", mode)
	}
	f, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bootstrap")
	data, err := io.ReadAll(f)
	if err != nil || !bytes.HasPrefix(data, []byte("\x7fELF")) {
		t.Fatalf("bootstrap is not an ELF binary: %v", err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}

	e, err := emulator.Start(ctx, emulator.Config{Command: []string{bin}, Output: io.Discard, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.URL()+"/lambdagrpc.examples.greeter.v1.Greeter/SayHello", strings.NewReader(`{"name":"zip"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != `{"message":"Hello, zip!"}` {
		t.Fatalf("the deployed bootstrap answered %d %s", resp.StatusCode, body)
	}

	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = []string{"PORT=0"}
	msg, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(msg), "lambdagrpc.notcp") {
		t.Fatalf("outside Lambda the bootstrap should refuse to serve, naming the tag: %v\n%s", err, msg)
	}
}

func TestBuildRejects(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"build", "../../internal/wire"}, "not a main package"},
		{[]string{"build", "./testdata/nope"}, "not a Go package"},
		// Go's own message says why.
		{[]string{"build", "./testdata/nope"}, "directory not found"},
		{[]string{"build", "-arch", "sparc", "./testdata/hello"}, "unknown architecture"},
		{[]string{"frobnicate"}, "unknown command"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(ctx, tc.args, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%q) = %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}

// TestBuildProgress: with -v, build says what it builds, for which
// architecture, and when it zips; without -v and without a terminal it
// prints nothing but its result.
func TestBuildProgress(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"build", "-v", "-arch", "arm64", "-o", filepath.Join(dir, "v.zip"), "./testdata/hello"}, &stdout, &stderr); err != nil {
		t.Fatalf("build -v: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"building ./testdata/hello for linux/arm64", "built ./testdata/hello for linux/arm64 in ", "zipping"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("build -v printed:\n%s\nwant it to contain %q", stderr.String(), want)
		}
	}
	stdout.Reset()
	stderr.Reset()
	if err := run(ctx, []string{"build", "-arch", "arm64", "-o", filepath.Join(dir, "q.zip"), "./testdata/hello"}, &stdout, &stderr); err != nil {
		t.Fatalf("build: %v\n%s", err, stderr.String())
	}
	if stderr.Len() != 0 || !strings.HasPrefix(stdout.String(), "wrote ") {
		t.Errorf("build without a terminal printed %q on stderr and %q on stdout, want only the result", stderr.String(), stdout.String())
	}
}

// TestHelp: help asked for goes to stdout (so `emulate -h | less` shows
// it), a usage error to stderr, and `help COMMAND` is that command's help.
func TestHelp(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, tc := range []struct {
		args    []string
		want    string
		wantErr bool
	}{
		{[]string{"emulate", "-h"}, "usage: lambdagrpc emulate", false},
		{[]string{"emulate", "--help"}, "-invoke-mode", false},
		{[]string{"bridge", "-h"}, "usage: lambdagrpc bridge", false},
		{[]string{"build", "-help"}, "usage: lambdagrpc build", false},
		{[]string{"help", "emulate"}, "usage: lambdagrpc emulate", false},
		{[]string{"help", "bridge"}, "-listen", false},
		{[]string{"help"}, "usage: lambdagrpc <command>", false},
	} {
		var stdout, stderr bytes.Buffer
		err := run(ctx, tc.args, &stdout, &stderr)
		if err != nil && !errors.Is(err, flag.ErrHelp) {
			t.Errorf("run(%q) = %v", tc.args, err)
		}
		if !strings.Contains(stdout.String(), tc.want) || stderr.Len() != 0 {
			t.Errorf("run(%q) printed stdout %q and stderr %q, want the help on stdout only, containing %q", tc.args, stdout.String(), stderr.String(), tc.want)
		}
	}
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"emulate", "--no-such-flag"}, &stdout, &stderr); err == nil {
		t.Error("an unknown flag is not an error")
	}
	if stdout.Len() != 0 || !strings.Contains(stderr.String(), "usage: lambdagrpc emulate") {
		t.Errorf("an unknown flag printed stdout %q and stderr %q, want the usage on stderr", stdout.String(), stderr.String())
	}
	if err := run(ctx, []string{"help", "frobnicate"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("help frobnicate = %v, want an unknown command error", err)
	}
}
