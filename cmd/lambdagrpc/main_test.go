package main

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBuildZip(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out := filepath.Join(t.TempDir(), "function.zip")
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"build", "-o", out, "-arch", "amd64", "./testdata/hello"}, &stdout, &stderr); err != nil {
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
	head := make([]byte, 4)
	if _, err := io.ReadFull(f, head); err != nil || string(head) != "\x7fELF" {
		t.Fatalf("bootstrap is not an ELF binary: %q %v", head, err)
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
