package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lambdagrpc/lambdagrpc/emulator"
)

// grpcurl finds the pinned grpcurl that `make test` installs. Outside CI a
// missing grpcurl skips the test with a reason; in CI it fails it.
func grpcurl(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("grpcurl"); err == nil {
		return p
	}
	if p, err := filepath.Abs("../../.tmp/bin/grpcurl"); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("grpcurl is not installed: make test installs it into .tmp/bin")
	}
	t.Skip("grpcurl is not installed; `make tools` installs the pinned version")
	return ""
}

// TestBridgeWithGrpcurl runs the README's "Call it with grpcurl" steps:
// grpcurl against the bridge, in front of the emulator running the example
// greeter as a process.
func TestBridgeWithGrpcurl(t *testing.T) {
	t.Parallel()
	bin := grpcurl(t)
	e := emulator.StartForTest(t, emulator.Config{Package: "../../examples/greeter", InvokeMode: emulator.ResponseStream,
		Env: []string{"LAMBDAGRPC_INVOKE_MODE=RESPONSE_STREAM"}, Timeout: 10 * time.Second, Output: io.Discard})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	pr, pw := io.Pipe()
	go func() {
		done <- run(ctx, []string{"bridge", "--listen", "127.0.0.1:0", "--target", e.URL()}, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("bridge: %v", err)
		}
	})
	// The banner names the address the bridge bound.
	banner := regexp.MustCompile(`native gRPC \(h2c\) on (\S+)`)
	var addr string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if m := banner.FindStringSubmatch(sc.Text()); m != nil {
			addr = m[1]
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if addr == "" {
		t.Fatal("the bridge printed no address")
	}
	// grpcurl [flags] address [verb or method] [symbol]
	call := func(flags, pos []string) (string, error) {
		cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer ccancel()
		args := append(append(append([]string{"-plaintext"}, flags...), addr), pos...)
		out, err := exec.CommandContext(cctx, bin, args...).CombinedOutput()
		return string(out), err
	}
	svc := "lambdagrpc.examples.greeter.v1.Greeter"
	for _, tc := range []struct {
		flags, pos []string
		want       []string
		wantErr    bool
	}{
		{pos: []string{"list"}, want: []string{svc, "grpc.health.v1.Health"}},
		{pos: []string{"describe", svc}, want: []string{"rpc SayHello", "rpc SayHelloStream", "stream"}},
		{flags: []string{"-d", `{"name":"grpcurl"}`}, pos: []string{svc + "/SayHello"}, want: []string{`"message": "Hello, grpcurl!"`}},
		{flags: []string{"-d", `{"name":"s","count":3}`}, pos: []string{svc + "/SayHelloStream"}, want: []string{"(1/3)", "(2/3)", "(3/3)"}},
		{flags: []string{"-d", `{}`}, pos: []string{svc + "/SayHello"}, want: []string{"InvalidArgument", "name must not be empty", "google.rpc.BadRequest"}, wantErr: true},
	} {
		out, err := call(tc.flags, tc.pos)
		if (err != nil) != tc.wantErr {
			t.Fatalf("grpcurl %q %q: %v\n%s", tc.flags, tc.pos, err, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("grpcurl %q %q printed %s\nwant it to contain %q", tc.flags, tc.pos, out, w)
			}
		}
	}
}

// TestBridgeBusyListen: a busy --listen address is reported as such, with
// the flag that chooses another.
func TestBridgeBusyListen(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = run(ctx, []string{"bridge", "--listen", busy.Addr().String(), "--target", "http://127.0.0.1:1"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "choose another with --listen") {
		t.Fatalf("bridge on a busy port = %v, want an error that says to choose another with --listen", err)
	}
}

// TestBridgeBannerRoutes: the banner shows where each service goes, not
// only the default upstream.
func TestBridgeBannerRoutes(t *testing.T) {
	t.Parallel()
	cfg := filepath.Join(t.TempDir(), "bridge.json")
	if err := os.WriteFile(cfg, []byte(`{"listen":"127.0.0.1:0","default":{"target":"http://127.0.0.1:1"},
		"services":{"b.v1.Beta":{"target":"http://127.0.0.1:3"},"a.v1.Alpha":{"target":"http://127.0.0.1:2","protocol":"connect"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"bridge", "--config", cfg}, pw, io.Discard)
		pw.Close()
	}()
	var banner strings.Builder
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		banner.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "grpcurl") {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("bridge: %v", err)
	}
	got := banner.String()
	a, b := strings.Index(got, "a.v1.Alpha → http://127.0.0.1:2 (connect)"), strings.Index(got, "b.v1.Beta → http://127.0.0.1:3")
	if !strings.Contains(got, "→ http://127.0.0.1:1") || a < 0 || b < a {
		t.Errorf("banner:\n%s\nwant the default upstream and every service's, sorted by name", got)
	}
}
