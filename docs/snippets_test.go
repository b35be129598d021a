// Package docs holds the project's documentation. Its test runs the shell
// snippets of the README and of every page here, so that what a reader pastes
// works as printed.
//
// Every ```sh block carries one of these words after the language:
//
//	run      the block runs from the root of a fresh copy of the checkout.
//	         A line ending in & starts a background process, stopped when
//	         the block ends; other lines must succeed, and are retried for
//	         a while as a reader would while the servers start. A comment
//	         line straight after a command is that command's output.
//	         background="CMD" starts CMD first, for a block that continues
//	         another (the README's call to the server that `make run` starts).
//	serve    each line starts a server, which must print that it is ready
//	         ("Press Ctrl-C to stop.") and stop cleanly on Ctrl-C.
//	bench    each `go test` line names benchmarks that exist.
//	norun    not run here, with the reason in reason="…" (make test itself,
//	         long benchmarks).
//
// A ```json block with file=NAME is written to NAME in the copy before the
// page's blocks run. Loopback ports in blocks and files are replaced by free
// ones, and `lambdagrpc emulate` and `bridge` commands that rely on their
// default address are given the free port that stands for it, so the test
// neither needs nor disturbs ports 9000 and 50051.
package docs_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/lambdagrpc/lambdagrpc/internal/syncbuf"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// block is one fenced block of a page.
type block struct {
	page  string
	line  int
	lang  string
	mode  string // run, serve, bench, norun, or "" for an unmarked block
	attrs map[string]string
	text  string
}

func (b block) String() string { return fmt.Sprintf("%s:%d", b.page, b.line) }

// pages lists the documents whose snippets are checked.
func pages(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{"../README.md"}, docs...)
}

var fence = regexp.MustCompile("^```(\\S*)\\s*(.*)$")

// parseBlocks returns the fenced blocks of a Markdown page.
func parseBlocks(t *testing.T, page string) []block {
	t.Helper()
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	var (
		out []block
		cur *block
		buf strings.Builder
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if cur != nil {
			if strings.TrimSpace(line) == "```" {
				cur.text = buf.String()
				out = append(out, *cur)
				cur = nil
				buf.Reset()
				continue
			}
			buf.WriteString(line + "\n")
			continue
		}
		m := fence.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		b := block{page: filepath.Base(page), line: n, lang: m[1], attrs: map[string]string{}}
		words, err := splitWords(m[2])
		if err != nil {
			t.Fatalf("%s:%d: %v", page, n, err)
		}
		for _, w := range words {
			if k, v, ok := strings.Cut(w, "="); ok {
				b.attrs[k] = v
			} else if b.mode == "" {
				b.mode = w
			} else {
				t.Fatalf("%s:%d: two modes, %q and %q", page, n, b.mode, w)
			}
		}
		cur = &b
	}
	if cur != nil {
		t.Fatalf("%s:%d: the block never ends", page, cur.line)
	}
	return out
}

// splitWords splits an info string into words; double quotes group words.
func splitWords(s string) ([]string, error) {
	var (
		out    []string
		cur    strings.Builder
		quoted bool
		any    bool
	)
	for _, r := range s {
		switch {
		case r == '"':
			quoted, any = !quoted, true
		case r == ' ' && !quoted:
			if any {
				out = append(out, cur.String())
			}
			cur.Reset()
			any = false
		default:
			cur.WriteRune(r)
			any = true
		}
	}
	if quoted {
		return nil, errors.New("an unclosed quote in the info string")
	}
	if any {
		out = append(out, cur.String())
	}
	return out, nil
}

// TestSnippetsMarked: every shell block says how it is checked, so a new
// snippet cannot go unchecked by accident.
func TestSnippetsMarked(t *testing.T) {
	t.Parallel()
	for _, page := range pages(t) {
		for _, b := range parseBlocks(t, page) {
			if b.lang != "sh" {
				continue
			}
			switch b.mode {
			case "run", "serve", "bench":
			case "norun":
				if b.attrs["reason"] == "" {
					t.Errorf("%v: a norun block needs reason=\"…\"", b)
				}
			default:
				t.Errorf("%v: a sh block must be marked run, serve, bench or norun, not %q", b, b.mode)
			}
		}
	}
}

// TestSnippetsRun runs the blocks marked run and serve, page by page, each
// page in its own copy of the checkout.
func TestSnippetsRun(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is not installed: the README's calls use it (apt-get install curl)")
	}
	grpcurl := findGrpcurl(t)
	for _, page := range pages(t) {
		blocks := parseBlocks(t, page)
		var runnable []block
		for _, b := range blocks {
			if b.mode == "run" || b.mode == "serve" {
				runnable = append(runnable, b)
			}
		}
		if len(runnable) == 0 {
			continue
		}
		t.Run(filepath.Base(page), func(t *testing.T) {
			t.Parallel()
			dir := copyCheckout(t)
			ports := portMap{}
			for _, b := range blocks {
				if name := b.attrs["file"]; name != "" {
					if err := os.WriteFile(filepath.Join(dir, name), []byte(ports.rewrite(t, b.text)), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			env := append(os.Environ(), "PATH="+filepath.Dir(grpcurl)+string(os.PathListSeparator)+os.Getenv("PATH"))
			for _, b := range runnable {
				t.Logf("%v", b)
				if b.mode == "serve" {
					serveBlock(t, b, dir, env, ports)
				} else {
					runBlock(t, b, dir, env, ports)
				}
			}
		})
	}
}

// TestMakeRunMatchesReadme: the README's runnable call starts the server as
// `make run` does, so the checked snippet is the one readers run.
func TestMakeRunMatchesReadme(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("make", "-s", "-n", "-C", "..", "run").Output()
	if err != nil {
		t.Fatalf("make -n run: %v", err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	recipe := strings.Join(lines, "\n")
	for _, b := range parseBlocks(t, "../README.md") {
		if bg := b.attrs["background"]; bg != "" && bg != recipe {
			t.Errorf("%v starts %q, but make run runs %q", b, bg, recipe)
		}
	}
}

// TestBenchSnippets: each benchmark command of the docs names benchmarks
// that exist in the package it runs.
func TestBenchSnippets(t *testing.T) {
	t.Parallel()
	benchFlag := regexp.MustCompile(`-bench '?([^' ]+)'?`)
	for _, page := range pages(t) {
		for _, b := range parseBlocks(t, page) {
			if b.mode != "bench" {
				continue
			}
			for _, line := range strings.Split(strings.TrimSpace(b.text), "\n") {
				m := benchFlag.FindStringSubmatch(line)
				if m == nil {
					t.Errorf("%v: %q has no -bench flag", b, line)
					continue
				}
				dir := ".."
				cmd := line
				if rest, ok := strings.CutPrefix(line, "cd bench && "); ok {
					dir, cmd = "../bench", rest
				}
				f := strings.Fields(cmd)
				pkg := f[len(f)-1]
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				list := exec.CommandContext(ctx, "go", "test", "-list", m[1], pkg)
				list.Dir = dir
				out, err := list.Output()
				cancel()
				if err != nil {
					t.Errorf("%v: go test -list %q %s: %v", b, m[1], pkg, err)
					continue
				}
				if !strings.Contains(string(out), "Benchmark") {
					t.Errorf("%v: %q matches no benchmark in %s", b, m[1], pkg)
				}
			}
		}
	}
}

// portMap stands a free loopback port in for each port a snippet names. The
// port is free when chosen and is bound by the snippet's server a moment
// later; should another program take it in between, the server fails with
// "address already in use" and the block fails with its output, so a call
// never silently reaches someone else's server.
type portMap map[string]string

var loopback = regexp.MustCompile(`(127\.0\.0\.1|localhost):(\d{2,5})\b`)

func (p portMap) port(t *testing.T, doc string) string {
	t.Helper()
	if got, ok := p[doc]; ok {
		return got
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, free, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	p[doc] = free
	return free
}

// rewrite replaces the loopback ports of s, and gives emulate and bridge
// commands the address their default stands for.
func (p portMap) rewrite(t *testing.T, s string) string {
	t.Helper()
	s = loopback.ReplaceAllStringFunc(s, func(m string) string {
		host, port, _ := net.SplitHostPort(m)
		return net.JoinHostPort(host, p.port(t, port))
	})
	if strings.Contains(s, "lambdagrpc emulate") && !strings.Contains(s, "--addr") && !strings.Contains(s, "--config") {
		s = strings.Replace(s, "lambdagrpc emulate", "lambdagrpc emulate --addr 127.0.0.1:"+p.port(t, "9000"), 1)
	}
	if strings.Contains(s, "lambdagrpc bridge") && !strings.Contains(s, "--listen") && !strings.Contains(s, "--config") {
		s = strings.Replace(s, "lambdagrpc bridge", "lambdagrpc bridge --listen 127.0.0.1:"+p.port(t, "50051"), 1)
	}
	return s
}

// command is one shell line of a block and the output it promises.
type command struct {
	line       string
	background bool
	want       []string
}

// commands joins continued lines and attaches comment lines to the command
// before them as its expected output.
func commands(text string) []command {
	var (
		out  []command
		cont string
	)
	for _, line := range strings.Split(text, "\n") {
		if strings.HasSuffix(line, "\\") {
			cont += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		line = strings.TrimSpace(cont + line)
		cont = ""
		switch {
		case line == "":
		case strings.HasPrefix(line, "# "):
			if len(out) > 0 {
				out[len(out)-1].want = append(out[len(out)-1].want, strings.TrimPrefix(line, "# "))
			}
		default:
			c := command{line: line}
			if code, _, _ := strings.Cut(line, " # "); strings.HasSuffix(strings.TrimSpace(code), "&") {
				c.line = strings.TrimSuffix(strings.TrimSpace(code), "&")
				c.background = true
			}
			out = append(out, c)
		}
	}
	return out
}

// proc is a background process of a block.
type proc struct {
	cmd  *exec.Cmd
	out  *syncbuf.Buffer
	done chan error
}

func start(t *testing.T, line, dir string, env []string) *proc {
	t.Helper()
	cmd := exec.Command("bash", "-c", line)
	cmd.Dir, cmd.Env = dir, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	p := &proc{cmd: cmd, out: out, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	return p
}

// stop sends Ctrl-C to the process group and waits for it to exit. The go
// command exits with status 1 whenever it is interrupted, so that status is
// clean for a line that runs `go run`; the output after Ctrl-C must hold no
// error.
func (p *proc) stop() error {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGINT)
	select {
	case err := <-p.done:
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() == 1 && strings.Contains(strings.Join(p.cmd.Args[2:], " "), "go run ") {
			err = nil
		}
		if err == nil {
			out := p.out.String()
			if i := strings.LastIndex(out, ready); i >= 0 {
				out = out[i:]
			}
			for _, bad := range []string{"level=ERROR", "ContainerError", "panic:"} {
				if strings.Contains(out, bad) {
					return fmt.Errorf("it printed %q after Ctrl-C", bad)
				}
			}
		}
		return err
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		return errors.New("did not stop within 30s of Ctrl-C")
	}
}

func runBlock(t *testing.T, b block, dir string, env []string, ports portMap) {
	t.Helper()
	var procs []*proc
	defer func() {
		for _, p := range procs {
			_ = p.stop()
		}
	}()
	logs := func() string {
		var s strings.Builder
		for _, p := range procs {
			fmt.Fprintf(&s, "\n--- %s\n%s", strings.Join(p.cmd.Args[2:], " "), p.out.String())
		}
		return s.String()
	}
	cmds := commands(b.text)
	if bg := b.attrs["background"]; bg != "" {
		cmds = append([]command{{line: bg, background: true}}, cmds...)
	}
	for _, c := range cmds {
		line := ports.rewrite(t, c.line)
		if c.background {
			procs = append(procs, start(t, line, dir, env))
			continue
		}
		// Retry while background servers start, as a reader would.
		deadline := time.Now().Add(5 * time.Minute)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			cmd := exec.CommandContext(ctx, "bash", "-c", line)
			cmd.Dir, cmd.Env = dir, env
			// Only standard output is compared: what a terminal shows of
			// standard error (curl's progress meter) differs from a pipe.
			var out, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &stderr
			err := cmd.Run()
			cancel()
			if err == nil && matches(out.String(), c.want) {
				break
			}
			exited := false
			for _, p := range procs {
				select {
				case perr := <-p.done:
					p.done <- perr
					exited = true
				default:
				}
			}
			if len(procs) == 0 || exited || time.Now().After(deadline) {
				t.Fatalf("%v: %s\n= %v, printed:\n%s%s\nwant the output %q%s", b, line, err, &out, &stderr, c.want, logs())
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	for _, p := range procs {
		if err := p.stop(); err != nil {
			t.Errorf("%v: %s did not stop cleanly on Ctrl-C: %v%s", b, strings.Join(p.cmd.Args[2:], " "), err, logs())
		}
	}
	procs = nil
}

// matches reports whether out holds every wanted line, in order.
func matches(out string, want []string) bool {
	if len(want) == 0 {
		return true
	}
	return strings.TrimSpace(out) == strings.Join(want, "\n")
}

const ready = "Press Ctrl-C to stop."

func serveBlock(t *testing.T, b block, dir string, env []string, ports portMap) {
	t.Helper()
	for _, c := range commands(b.text) {
		line := ports.rewrite(t, c.line)
		p := start(t, line, dir, env)
		deadline := time.After(5 * time.Minute)
	wait:
		for !strings.Contains(p.out.String(), ready) {
			select {
			case err := <-p.done:
				t.Fatalf("%v: %s exited before it was ready: %v\n%s", b, line, err, p.out.String())
			case <-deadline:
				_ = p.stop()
				t.Fatalf("%v: %s did not print %q within 5 minutes:\n%s", b, line, ready, p.out.String())
			case <-time.After(100 * time.Millisecond):
				continue wait
			}
		}
		if err := p.stop(); err != nil {
			t.Errorf("%v: %s did not stop cleanly on Ctrl-C: %v\n%s", b, line, err, p.out.String())
		}
	}
}

// copyCheckout copies the checkout's files, without dot folders (.git,
// .tmp), into a temporary folder, so that snippets can write files.
func copyCheckout(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// findGrpcurl finds the pinned grpcurl that `make test` installs. Outside
// CI a missing grpcurl skips the test with a reason; in CI it fails it.
func findGrpcurl(t *testing.T) string {
	t.Helper()
	if p, err := filepath.Abs("../.tmp/bin/grpcurl"); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("grpcurl"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("grpcurl is not installed: make test installs it into .tmp/bin")
	}
	t.Skip("grpcurl is not installed; `make tools` installs the pinned version into .tmp/bin")
	return ""
}
