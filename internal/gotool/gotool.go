// Package gotool runs the go command for the CLI's build and the emulator:
// it checks that a package is a main package and builds it, with Go's own
// messages kept and, when asked, progress as it goes.
package gotool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// command returns a go command for pkg. A directory is used from inside
// it, so it may belong to another module than the current directory's.
func command(ctx context.Context, pkg string, args ...string) *exec.Cmd {
	if fi, err := os.Stat(pkg); err == nil && fi.IsDir() {
		cmd := exec.CommandContext(ctx, "go", append(args, ".")...)
		cmd.Dir = pkg
		return cmd
	}
	return exec.CommandContext(ctx, "go", append(args, pkg)...)
}

// CheckMain reports, in a sentence that says how to fix it, why pkg (a
// directory or an import path) cannot be built as a function: go cannot
// find or load it (Go's own message is kept), or it is not a main package.
func CheckMain(ctx context.Context, pkg string) error {
	var stderr bytes.Buffer
	cmd := command(ctx, pkg, "list", "-f", "{{.Name}}")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return fmt.Errorf("%s is not a Go package this module can build:\n%s", pkg, msg)
		}
		return fmt.Errorf("%s is not a Go package this module can build: %w", pkg, err)
	}
	if name := strings.TrimSpace(string(out)); name != "main" {
		return fmt.Errorf("%s is package %s, not a main package: give the package whose main calls lambdagrpc.Serve", pkg, name)
	}
	return nil
}

// Build describes one go build of a main package.
type Build struct {
	// Package is a directory or an import path.
	Package string
	// Output is the binary to write; a relative path is relative to the
	// current directory, wherever the go command runs.
	Output string
	// Flags go before -o (for example -trimpath, -tags, -ldflags).
	Flags []string
	// Env is added to the go command's environment (GOOS, GOARCH, ...).
	Env []string
	// Target names the platform in progress lines, for example
	// "linux/arm64". Default: the host's.
	Target string
	// Progress, when set, receives a line when the build starts, the
	// packages as go build -v compiles them, the elapsed time every few
	// seconds of a long build, and a last line with the total. Nil: quiet.
	Progress io.Writer
}

// Error is a failed build with the go command's output.
type Error struct {
	Package string
	Err     error
	// Output is what the go command printed: the compiler's messages.
	Output string
	// streamed: Output went to Progress already, so Error leaves it out.
	streamed bool
}

// Error names the package and the cause, followed by the compiler's
// messages unless they were already shown as progress.
func (e *Error) Error() string {
	s := fmt.Sprintf("building %s: %v", e.Package, e.Err)
	if out := strings.TrimSpace(e.Output); out != "" && !e.streamed {
		s += "\n" + out
	}
	return s
}

// Unwrap returns the go command's own error, such as its exit status.
func (e *Error) Unwrap() error { return e.Err }

// tick is how often a long build reports its elapsed time.
var tick = 5 * time.Second

// Run builds the package. A failure is an *Error.
func (b Build) Run(ctx context.Context) error {
	args := append([]string{"build"}, b.Flags...)
	if b.Progress != nil {
		args = append(args, "-v")
	}
	// The go command may run in the package's directory: a relative
	// output path means the caller's directory all the same.
	output, err := filepath.Abs(b.Output)
	if err != nil {
		return &Error{Package: b.Package, Err: err}
	}
	args = append(args, "-o", output)
	cmd := command(ctx, b.Package, args...)
	if len(b.Env) > 0 {
		cmd.Env = append(os.Environ(), b.Env...)
	}
	var out bytes.Buffer
	if b.Progress == nil {
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return &Error{Package: b.Package, Err: err, Output: out.String()}
		}
		return nil
	}
	target := b.Target
	if target == "" {
		target = "this machine"
	}
	start := time.Now()
	p := &progress{w: b.Progress}
	p.printf("building %s for %s (go build -v lists packages as they compile)\n", b.Package, target)
	lw := &lineWriter{p: p}
	// The compiler's messages are kept for the error too; go build -v's
	// package lines go with them, which does no harm.
	w := io.MultiWriter(&out, lw) // one writer for both: exec copies it on one goroutine
	cmd.Stdout, cmd.Stderr = w, w
	stop := make(chan struct{})
	var ticker sync.WaitGroup
	ticker.Go(func() {
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				p.printf("  … still building %s, %s so far\n", b.Package, time.Since(start).Round(time.Second))
			}
		}
	})
	err = cmd.Run()
	close(stop)
	ticker.Wait()
	lw.flush()
	if err != nil {
		return &Error{Package: b.Package, Err: err, Output: out.String(), streamed: true}
	}
	p.printf("built %s for %s in %s\n", b.Package, target, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// progress serialises the lines of the build and of its ticker.
type progress struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *progress) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, _ = fmt.Fprintf(p.w, format, args...)
}

// lineWriter indents the go command's output line by line.
type lineWriter struct {
	p   *progress
	buf []byte
}

func (l *lineWriter) Write(b []byte) (int, error) {
	l.buf = append(l.buf, b...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		l.p.printf("  %s\n", l.buf[:i])
		l.buf = l.buf[i+1:]
	}
	return len(b), nil
}

func (l *lineWriter) flush() {
	if len(l.buf) > 0 {
		l.p.printf("  %s\n", l.buf)
		l.buf = nil
	}
}

// IsError reports whether err is a failed build and returns it.
func IsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
