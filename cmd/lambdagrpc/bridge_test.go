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

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"
	"github.com/lambdagrpc/lambdagrpc/internal/syncbuf"
	"github.com/lambdagrpc/lambdagrpc/internal/testfn"
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
	e := emulatortest.Start(t, emulator.Config{Package: "../../examples/greeter", InvokeMode: emulator.ResponseStream,
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
	addr := bannerAddr(pr)
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

// startCLIBridge runs `lambdagrpc bridge` with args, listening on a port
// of its own choosing, until the test ends, and returns a native gRPC
// connection to it and the bridge's log.
func startCLIBridge(t *testing.T, args ...string) (*grpc.ClientConn, *syncbuf.Buffer) {
	t.Helper()
	log := &syncbuf.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	pr, pw := io.Pipe()
	go func() {
		done <- run(ctx, append([]string{"bridge", "--listen", "127.0.0.1:0"}, args...), pw, log)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("bridge: %v", err)
		}
	})
	addr := bannerAddr(pr)
	if addr == "" {
		cancel()
		err := <-done
		done <- err // for the cleanup
		t.Fatalf("the bridge printed no address: %v\n%s", err, log)
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, log
}

// bannerAddr reads the address the bridge bound from its banner on out
// ("" if out ends first), and discards the rest of out.
func bannerAddr(out io.Reader) string {
	banner := regexp.MustCompile(`native gRPC \(h2c\) on (\S+)`)
	var addr string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := banner.FindStringSubmatch(sc.Text()); m != nil {
			addr = m[1]
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return addr
}

// callCtx is a call's context: megabytes through base64 and JSON are slow
// under the race detector on a busy machine, so it allows a minute.
func callCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// TestBridgeLargeResponses sends a 4.3 MB response (over grpc-go's 4 MiB
// default, within what Lambda delivers buffered) through the CLI's bridge
// to a Function URL and to a function called through the Invoke APIs, each
// in both invoke modes. It sets AWS credentials in the environment for
// the Invoke API, so it does not run in parallel.
func TestBridgeLargeResponses(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, mode := range []emulator.InvokeMode{emulator.Buffered, emulator.ResponseStream} {
		e := testfn.Start(t, emulator.Config{InvokeMode: mode, Timeout: time.Minute})
		invoke := []string{"--target", e.Config().Name, "--endpoint", e.InvokeEndpoint()}
		if mode == emulator.ResponseStream {
			invoke = append(invoke, "--stream")
		}
		for name, args := range map[string][]string{
			"url":      {"--target", e.URL()},
			"function": invoke,
		} {
			t.Run(string(mode)+"/"+name, func(t *testing.T) {
				conn, log := startCLIBridge(t, args...)
				resp, err := testpb.NewTestServiceClient(conn).UnaryCall(callCtx(t), &testpb.SimpleRequest{ResponseSize: 4_300_000}, grpc.MaxCallRecvMsgSize(16<<20))
				if err != nil || len(resp.GetPayload().GetBody()) != 4_300_000 {
					t.Fatalf("UnaryCall(4.3 MB) = %d bytes, %v; want 4300000 bytes\n%s", len(resp.GetPayload().GetBody()), err, log)
				}
			})
		}
	}
}

// TestBridgeResponseOverLimit checks that a response over the bridge's
// limit names the flag that raises it.
func TestBridgeResponseOverLimit(t *testing.T) {
	t.Parallel()
	e := testfn.Start(t, emulator.Config{InvokeMode: emulator.ResponseStream, Timeout: time.Minute})
	conn, _ := startCLIBridge(t, "--target", e.URL(), "--max-response-bytes", "1000000")
	_, err := testpb.NewTestServiceClient(conn).UnaryCall(callCtx(t), &testpb.SimpleRequest{ResponseSize: 2_000_000}, grpc.MaxCallRecvMsgSize(16<<20))
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), "--max-response-bytes") || !strings.Contains(st.Message(), "1000000") {
		t.Fatalf("over --max-response-bytes: %v, want ResourceExhausted naming the flag and the limit", st)
	}
}

// TestBridgeResponseLimitByTarget checks the default limit for each kind of
// upstream: what Lambda can deliver there.
func TestBridgeResponseLimitByTarget(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		t    target
		flag int
		want int
	}{
		{target{Target: "my-function"}, 0, 6_291_556},
		{target{Target: "arn:aws:lambda:eu-west-1:123456789012:function:f"}, 0, 6_291_556},
		{target{Target: "my-function", Stream: true}, 0, 200 << 20},
		{target{Target: "https://abc.lambda-url.eu-west-1.on.aws"}, 0, 200 << 20},
		{target{Target: "https://abc.lambda-url.eu-west-1.on.aws", SigV4: true}, 0, 200 << 20},
		{target{Target: "my-function"}, 10 << 20, 10 << 20},
		{target{Target: "https://x"}, 1000, 1000},
	} {
		if got := responseLimit(tc.t, tc.flag); got != tc.want {
			t.Errorf("responseLimit(%+v, %d) = %d, want %d", tc.t, tc.flag, got, tc.want)
		}
	}
	if err := run(context.Background(), []string{"bridge", "--target", "http://x", "--max-response-bytes", "-1"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "--max-response-bytes") {
		t.Errorf("bridge --max-response-bytes -1 = %v, want an error naming the flag", err)
	}
}

// TestBridgeHidesUpstream checks that a caller of the CLI's bridge learns
// neither the upstream's URL nor its address when it cannot be reached,
// and that the bridge's log names it with the cause.
func TestBridgeHidesUpstream(t *testing.T) {
	t.Parallel()
	// Port 1 is outside the ephemeral range, so no test's listener takes
	// it: nothing answers there.
	addr := "127.0.0.1:1"
	down := "http://" + addr + "/internal-stage"
	conn, log := startCLIBridge(t, "--target", down)
	_, err := testpb.NewTestServiceClient(conn).UnaryCall(callCtx(t), &testpb.SimpleRequest{})
	st := status.Convert(err)
	if st.Code() != codes.Unavailable {
		t.Fatalf("upstream down: %v, want Unavailable", st)
	}
	for _, secret := range []string{down, addr, "internal-stage"} {
		if strings.Contains(st.Message(), secret) {
			t.Errorf("the caller's status %q reveals %q", st.Message(), secret)
		}
	}
	if l := log.String(); !strings.Contains(l, down) || !strings.Contains(l, "connection refused") {
		t.Errorf("the bridge's log lacks the upstream or the cause:\n%s", l)
	}
}

// TestBridgeUnroutedService checks that with a configuration of services
// and no default upstream, another service is UNIMPLEMENTED with a message
// that says how to serve it.
func TestBridgeUnroutedService(t *testing.T) {
	t.Parallel()
	e := testfn.Start(t, emulator.Config{Timeout: 10 * time.Second})
	cfg := filepath.Join(t.TempDir(), "bridge.json")
	if err := os.WriteFile(cfg, []byte(`{"services": {"grpc.health.v1.Health": {"target": "`+e.URL()+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	conn, _ := startCLIBridge(t, "--config", cfg)
	_, err := testpb.NewTestServiceClient(conn).UnaryCall(callCtx(t), &testpb.SimpleRequest{})
	st := status.Convert(err)
	if st.Code() != codes.Unimplemented || !strings.Contains(st.Message(), "grpc.testing.TestService") || !strings.Contains(st.Message(), "configuration") {
		t.Fatalf("unrouted service: %v, want Unimplemented naming the service and the configuration", st)
	}
}
