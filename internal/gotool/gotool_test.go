package gotool

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBuildProgress: a build with Progress says what it builds and, past
// each tick, how long it has taken so far.
func TestBuildProgress(t *testing.T) {
	old := tick
	tick = time.Millisecond
	defer func() { tick = old }()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	b := Build{Package: "../../cmd/lambdagrpc/testdata/hello", Output: filepath.Join(t.TempDir(), "hello"), Target: "linux/arm64", Progress: &out}
	if err := b.Run(ctx); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"building ../../cmd/lambdagrpc/testdata/hello for linux/arm64", "still building", "so far", "built ../../cmd/lambdagrpc/testdata/hello for linux/arm64 in "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("progress:\n%s\nwant it to contain %q", out.String(), want)
		}
	}
}

// TestCheckMain: Go's own message is kept, and a library is named as one.
func TestCheckMain(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, tc := range []struct{ pkg, want string }{
		{"../../cmd/lambdagrpc/testdata/hello", ""},
		{"./does/not/exist", "directory not found"},
		{"../wire", "is package wire, not a main package"},
	} {
		err := CheckMain(ctx, tc.pkg)
		if (tc.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckMain(%q) = %v, want %q", tc.pkg, err, tc.want)
		}
	}
}

// TestBuildErrorOnce: the compiler's messages are in the error, or, when
// they were streamed to Progress, there only.
func TestBuildErrorOnce(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/broken\n\ngo 1.22\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() { notDefined() }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const msg = "undefined: notDefined"
	err := Build{Package: dir, Output: filepath.Join(dir, "bin")}.Run(ctx)
	if be, ok := IsError(err); !ok || !strings.Contains(err.Error(), msg) || !strings.Contains(be.Output, msg) {
		t.Errorf("quiet build: %v, want an *Error with the compiler's message", err)
	}
	var progress bytes.Buffer
	err = Build{Package: dir, Output: filepath.Join(dir, "bin"), Progress: &progress}.Run(ctx)
	if be, ok := IsError(err); !ok || strings.Contains(err.Error(), msg) || !strings.Contains(be.Output, msg) || !strings.Contains(progress.String(), msg) {
		t.Errorf("build with progress: %v (progress %q), want the compiler's message in the progress and Output, not in the error text", err, progress.String())
	}
}

// TestBuildRelativeOutput: a relative Output is relative to the caller's
// directory, though go builds a directory from inside it.
func TestBuildRelativeOutput(t *testing.T) {
	pkg, err := filepath.Abs("../../cmd/lambdagrpc/testdata/hello")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Chdir(dir)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := (Build{Package: pkg, Output: "hello"}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "hello")); err != nil {
		t.Errorf("the binary is not where Output says: %v", err)
	}
}
