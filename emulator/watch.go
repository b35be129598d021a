package emulator

import (
	"context"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/lambdagrpc/lambdagrpc/internal/gotool"
)

// watchInterval is how often a watched package's files are checked.
const watchInterval = 500 * time.Millisecond

// fingerprint hashes the names, sizes and times of the Go sources and
// module files under dir.
func fingerprint(dir string) uint64 {
	h := fnv.New64a()
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil //nolint:nilerr // a file that vanished mid-walk is a change the next tick sees
		}
		if d.IsDir() {
			if name := d.Name(); path != dir && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		name := d.Name()
		if !strings.HasSuffix(name, ".go") && name != "go.mod" && name != "go.sum" {
			return nil
		}
		if info, err := d.Info(); err == nil {
			fmt.Fprintf(h, "%s %d %d\n", path, info.Size(), info.ModTime().UnixNano())
		}
		return nil
	})
	return h.Sum64()
}

// watchStart finds the watched package's folder and fingerprints its
// sources.
func (p *process) watchStart(ctx context.Context) (dir string, last uint64, ok bool) {
	dir = p.cfg.Package
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		// An import path: ask go where it lives.
		out, err := exec.CommandContext(ctx, "go", "list", "-f", "{{.Dir}}", dir).Output()
		if err != nil {
			p.cfg.Logger.Error("emulator: cannot watch the package", "package", dir, "error", err)
			return "", 0, false
		}
		dir = strings.TrimSpace(string(out))
	}
	return dir, fingerprint(dir), true
}

// watch rebuilds the package when its sources change and swaps the new
// binary in: the running process gets SIGTERM and finishes what it is
// doing, while invocations that arrive meanwhile wait in the queue for the
// new one.
func (p *process) watch(ctx context.Context, dir string, last uint64) {
	t := time.NewTicker(watchInterval)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-p.done:
			return
		case <-t.C:
		}
		fp := fingerprint(dir)
		if fp == last {
			continue
		}
		last = fp
		bin := filepath.Join(p.dir, fmt.Sprintf("bootstrap-%d", n))
		start := time.Now()
		if err := (gotool.Build{Package: p.cfg.Package, Output: bin}).Run(ctx); err != nil {
			if be, ok := gotool.IsError(err); ok {
				// The compiler's messages go out as it printed them: one
				// per line, with file:line:col first, which editors and
				// terminals link, rather than escaped into one log field.
				p.cfg.Logger.Error("emulator: rebuild failed; the previous build keeps running (the compiler's messages follow)", "package", p.cfg.Package, "error", be.Err)
				p.rt.logs.raw(be.Output)
			} else {
				p.cfg.Logger.Error("emulator: rebuild failed; the previous build keeps running", "package", p.cfg.Package, "error", err)
			}
			continue
		}
		p.cfg.Logger.Info("emulator: rebuilt; restarting the function", "package", p.cfg.Package, "build", time.Since(start).Round(time.Millisecond))
		p.swap(bin)
	}
}

// swap makes bin the function's binary and stops the running process
// gracefully: it is given no new invocation, finishes those it has (each
// ends with its answer or its timeout), and then gets SIGTERM. Invocations
// that arrive meanwhile wait for the new process, which starts when the old
// one has exited.
func (p *process) swap(bin string) {
	p.mu.Lock()
	old := p.argv[0]
	p.argv = append([]string{bin}, p.argv[1:]...)
	cmd, exited := p.cmd, p.exited
	p.restarting = cmd != nil
	// A new build may start where the previous one failed to.
	p.failures, p.notBefore = 0, time.Time{}
	p.mu.Unlock()
	if cmd != nil {
		p.rt.holdDeliveries()
		for p.rt.inFlight() > 0 && !closed(exited) && !closed(p.done) {
			time.Sleep(10 * time.Millisecond)
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-p.done:
		case <-time.After(stopGrace):
			_ = cmd.Process.Kill()
		}
	}
	if filepath.Dir(old) == p.dir && cmd == nil {
		_ = os.Remove(old)
	}
}

// closed reports whether c is closed.
func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
