package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestEmulateGreeter runs the README's main command: it builds the example,
// runs it as a process on the emulator, and the printed call works.
func TestEmulateGreeter(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"emulate", "--addr", "127.0.0.1:0", "../../examples/greeter"}, pw, io.Discard)
		pw.Close()
	}()
	curl := regexp.MustCompile(`curl -H 'Content-Type: application/json' -d '(.*)' (http://\S+)`)
	var body, url string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if m := curl.FindStringSubmatch(sc.Text()); m != nil {
			body, url = m[1], m[2]
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if url == "" {
		t.Fatalf("no ready-to-paste call printed (emulate: %v)", <-done)
	}
	if !strings.HasSuffix(url, "/lambdagrpc.examples.greeter.v1.Greeter/SayHello") || body != `{"name":"world"}` {
		t.Fatalf("printed call %q %q", body, url)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(out) != `{"message":"Hello, world!"}` {
		t.Fatalf("the printed call answered %d %s", resp.StatusCode, out)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("emulate: %v", err)
	}
}

// TestEmulateErrors checks that emulate reports what is wrong before it
// binds any port: the default address, 127.0.0.1:9000, is held by the test
// (or by something else) throughout, so a case that binds first fails with
// "address already in use" instead of its own error.
func TestEmulateErrors(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if l, err := net.Listen("tcp", "127.0.0.1:9000"); err == nil {
		defer l.Close()
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing package", []string{"emulate", "./testdata/does-not-exist"}, "not a Go package"},
		{"busy address", []string{"emulate", "--addr", busy.Addr().String(), "./testdata/hello"}, "choose another with --addr"},
		{"not executable", []string{"emulate", "main.go"}, "not executable"},
		{"invoke mode", []string{"emulate", "--invoke-mode", "SOMETIMES", "./testdata/hello"}, "unknown invoke mode"},
		{"missing config", []string{"emulate", "--config", "./testdata/nope.json"}, "no such file"},
		{"config and package", []string{"emulate", "--config", "x.json", "./testdata/hello"}, "not both"},
		{"front door kind", []string{"emulate", "--front-door", "carrier-pigeon", "./testdata/hello"}, "unknown front door kind"},
		{"auth type", []string{"emulate", "--auth-type", "MAGIC", "./testdata/hello"}, "unknown auth type"},
		{"concurrency", []string{"emulate", "--concurrency", "0", "./testdata/hello"}, "--concurrency"},
		{"reserved concurrency", []string{"emulate", "--reserved-concurrency", "-1", "./testdata/hello"}, "--reserved-concurrency"},
		{"library package", []string{"emulate", "../../internal/wire"}, "not a main package"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(ctx, tc.args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run(%q) = %v, want an error containing %q", tc.args, err, tc.want)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer that the emulator's goroutines may write
// while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestEmulateStopsQuietly is Ctrl-C after a call: the function is stopped
// by its emulator and exits cleanly, without a Runtime API error in the log.
func TestEmulateStopsQuietly(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	pr, pw := io.Pipe()
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"emulate", "--addr", "127.0.0.1:0", "../../examples/greeter"}, pw, &stderr)
		pw.Close()
	}()
	url := regexp.MustCompile(`Function URL\s+(http://\S+)`)
	var base string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if m := url.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if base == "" {
		t.Fatalf("no Function URL printed (emulate: %v)\n%s", <-done, stderr.String())
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/lambdagrpc.examples.greeter.v1.Greeter/SayHello", strings.NewReader(`{"name":"stop"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("call: HTTP %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("emulate: %v", err)
	}
	log := stderr.String()
	for _, bad := range []string{"ContainerError", "Non-recoverable", "level=ERROR", "level=WARN", "exit status"} {
		if strings.Contains(log, bad) {
			t.Errorf("stopping the emulator logged %q:\n%s", bad, log)
		}
	}
}
