package main

import (
	"archive/zip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/lambdagrpc/lambdagrpc/internal/gotool"
)

func build(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "function.zip", "the zip file to write")
	arch := fs.String("arch", "arm64", "the function's architecture: arm64 or amd64 (x86_64)")
	verbose := fs.Bool("v", false, "show progress (the packages as they compile, elapsed time, zipping) even when stdout is not a terminal")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: lambdagrpc build [-o function.zip] [-arch arm64|amd64] PACKAGE")
		fmt.Fprintln(fs.Output(), "\nBuilds PACKAGE as a static, stripped Linux binary named bootstrap and zips it for the provided.al2023 runtime.")
		fmt.Fprintln(fs.Output(), "The binary is built with the lambdagrpc.notcp tag: it serves on Lambda only, and leaves the TCP server out.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("build takes one package")
	}
	switch *arch {
	case "arm64", "amd64":
	case "x86_64":
		*arch = "amd64"
	default:
		return fmt.Errorf("unknown architecture %q: use arm64 or amd64", *arch)
	}
	if err := gotool.CheckMain(ctx, fs.Arg(0)); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "lambdagrpc-build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "bootstrap")
	b := functionBuild(fs.Arg(0), bin, "linux", *arch)
	progress := *verbose || isTerminal(stdout)
	if progress {
		b.Progress = stderr
	}
	if err := b.Run(ctx); err != nil {
		return err
	}
	if progress {
		fmt.Fprintf(stderr, "zipping bootstrap into %s\n", *out)
	}
	if err := zipBootstrap(*out, bin); err != nil {
		return err
	}
	fi, err := os.Stat(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes, linux/%s): deploy it with runtime provided.al2023 and handler bootstrap\n", *out, fi.Size(), *arch)
	return nil
}

// functionBuild is how a function package is built for Lambda: a static,
// stripped binary with the lambdagrpc.notcp tag. emulate --template builds
// a template's CodeUri the same way.
func functionBuild(pkg, out, goos, goarch string) gotool.Build {
	return gotool.Build{
		Package: pkg,
		Output:  out,
		Flags:   []string{"-trimpath", "-tags", "lambda.norpc,lambdagrpc.notcp", "-ldflags", "-s -w"},
		Env:     []string{"GOOS=" + goos, "GOARCH=" + goarch, "CGO_ENABLED=0"},
		Target:  goos + "/" + goarch,
	}
}

// isTerminal reports whether w is a terminal: progress is for people
// watching, not for logs and pipes.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// zipBootstrap writes a zip holding bin as an executable named bootstrap:
// Lambda runs it only if the zip entry carries the execute bits.
func zipBootstrap(out, bin string) (err error) {
	src, err := os.Open(bin)
	if err != nil {
		return err
	}
	defer src.Close()
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	zw := zip.NewWriter(f)
	hdr := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: time.Unix(0, 0).UTC()}
	hdr.SetMode(0o755)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, src); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	return zw.Close()
}
