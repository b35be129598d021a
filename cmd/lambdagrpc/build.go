package main

import (
	"archive/zip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

func build(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "function.zip", "the zip file to write")
	arch := fs.String("arch", "arm64", "the function's architecture: arm64 or amd64 (x86_64)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: lambdagrpc build [-o function.zip] [-arch arm64|amd64] PACKAGE")
		fmt.Fprintln(stderr, "\nBuilds PACKAGE as a static, stripped Linux binary named bootstrap and zips it for the provided.al2023 runtime.")
		fmt.Fprintln(stderr, "The binary is built with the lambdagrpc.notcp tag: it serves on Lambda only, and leaves the TCP server out.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
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
	name, err := exec.CommandContext(ctx, "go", "list", "-f", "{{.Name}}", fs.Arg(0)).Output()
	if err != nil {
		return fmt.Errorf("%s is not a Go package this module can build: %w", fs.Arg(0), err)
	}
	if strings.TrimSpace(string(name)) != "main" {
		return fmt.Errorf("%s is package %s, not a main package: build the package whose main calls lambdagrpc.Serve", fs.Arg(0), strings.TrimSpace(string(name)))
	}
	dir, err := os.MkdirTemp("", "lambdagrpc-build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "bootstrap")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-tags", "lambda.norpc,lambdagrpc.notcp", "-ldflags", "-s -w", "-o", bin, fs.Arg(0))
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+*arch, "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building %s: %w", fs.Arg(0), err)
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
