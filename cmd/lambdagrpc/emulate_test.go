package main

import (
	"bufio"
	"context"
	"fmt"
	"github.com/lambdagrpc/lambdagrpc/internal/syncbuf"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// startEmulate runs emulate with args and returns what it printed on
// stdout up to "Press Ctrl-C to stop.", its stderr so far, and a function
// that stops it and returns its error.
func startEmulate(t *testing.T, ctx context.Context, args ...string) (stdout string, stderr *syncbuf.Buffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	stderr = &syncbuf.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"emulate"}, args...), pw, stderr)
		pw.Close()
	}()
	var out strings.Builder
	sc := bufio.NewScanner(pr)
	ready := false
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "Press Ctrl-C to stop.") {
			ready = true
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	stop = func() error {
		cancel()
		return <-done
	}
	if !ready {
		t.Fatalf("emulate did not start: %v\nstdout:\n%s\nstderr:\n%s", stop(), out.String(), stderr.String())
	}
	return out.String(), stderr, stop
}

// TestEmulateGreeter runs the README's main command: it builds the example,
// runs it as a process on the emulator, and the printed calls work: the
// curl line as printed, the bridge and grpcurl lines by their shape (the
// bridge command is checked by TestSelfCommand).
func TestEmulateGreeter(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	out, stderr, stop := startEmulate(t, ctx, "--addr", "127.0.0.1:0", "../../examples/greeter")
	curl := regexp.MustCompile(`curl -H 'Content-Type: application/json' -d '(.*)' (http://\S+)`)
	m := curl.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no ready-to-paste call printed:\n%s", out)
	}
	body, url := m[1], m[2]
	if !strings.HasSuffix(url, "/lambdagrpc.examples.greeter.v1.Greeter/SayHello") || body != `{"name":"world"}` {
		t.Fatalf("printed call %q %q", body, url)
	}
	base := strings.TrimSuffix(url, "/lambdagrpc.examples.greeter.v1.Greeter/SayHello")
	for _, want := range []string{
		" bridge --target " + base + " &\n",
		` -plaintext -d '{"name":"world"}' 127.0.0.1:50051 lambdagrpc.examples.greeter.v1.Greeter/SayHello` + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("emulate printed:\n%s\nwant a line containing %q", out, want)
		}
	}
	// The probe said that it ran, before the function's first log line.
	log := stderr.String()
	probing, start := strings.Index(log, "probing greeter through gRPC reflection"), strings.Index(log, "START RequestId")
	if probing < 0 || start < probing || !strings.Contains(log, "probe done") {
		t.Errorf("the probe's cold start is not announced before the function's log:\n%s", log)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(got) != `{"message":"Hello, world!"}` {
		t.Fatalf("the printed call answered %d %s", resp.StatusCode, got)
	}
	if err := stop(); err != nil {
		t.Fatalf("emulate: %v", err)
	}
}

// TestEmulateLazy: with --probe=false nothing runs the function before the
// first call, as on Lambda; -v shows the build's progress.
func TestEmulateLazy(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	out, stderr, stop := startEmulate(t, ctx, "--addr", "127.0.0.1:0", "--probe=false", "-v", "../../examples/greeter")
	if want := "building ../../examples/greeter for " + runtime.GOOS + "/" + runtime.GOARCH; !strings.Contains(stderr.String(), want) {
		t.Errorf("emulate -v printed:\n%s\nwant the build's progress, %q", stderr.String(), want)
	}
	if !strings.Contains(out, "/<package.Service>/<Method>") {
		t.Errorf("without a probe the call should name placeholders:\n%s", out)
	}
	if err := stop(); err != nil {
		t.Fatalf("emulate: %v", err)
	}
	if log := stderr.String(); strings.Contains(log, "cold start") || strings.Contains(log, "START RequestId") {
		t.Errorf("the function ran before any call:\n%s", log)
	}
}

func TestSelfCommand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ arg0, want string }{
		{"/tmp/go-build1234/b001/exe/lambdagrpc", "go run github.com/lambdagrpc/lambdagrpc/cmd/lambdagrpc"},
		{"lambdagrpc", "lambdagrpc"},
		{"./lambdagrpc", "./lambdagrpc"},
		{"/home/me/go/bin/lambdagrpc", "/home/me/go/bin/lambdagrpc"},
	} {
		if got := selfCommand(tc.arg0); got != tc.want {
			t.Errorf("selfCommand(%q) = %q, want %q", tc.arg0, got, tc.want)
		}
	}
}

// TestEmulateErrors checks that emulate reports what is wrong before it
// binds any port: the default address is a port the test holds throughout,
// as when `make run` holds 9000, so a case that binds first fails with
// "address already in use" instead of its own error. It changes the default
// address, so it does not run in parallel (parallel tests start after it).
func TestEmulateErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	saved := defaultAddr
	defaultAddr = busy.Addr().String()
	defer func() { defaultAddr = saved }()
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
		{"sqs setting", []string{"emulate", "--sqs-queue", "http://127.0.0.1:1/1/q?size=1", "./testdata/hello"}, `unknown setting "size"`},
		{"sqs batch", []string{"emulate", "--sqs-queue", "http://127.0.0.1:1/1/q?batchSize=11", "./testdata/hello"}, "batching window of at least 1s"},
		{"sqs with config", []string{"emulate", "--sqs-queue", "http://127.0.0.1:1/1/q", "--config", "./testdata/functions.json"}, "not with --config"},
		{"sqs endpoint without template", []string{"emulate", "--sqs-endpoint", "http://127.0.0.1:1", "./testdata/hello"}, "--sqs-endpoint goes with --template"},
		{"sqs queue missing", []string{"emulate", "--addr", "127.0.0.1:0", "--sqs-queue", "http://127.0.0.1:1/1/q", "./testdata/hello"}, "SQS queue http://127.0.0.1:1/1/q"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(ctx, tc.args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run(%q) = %v, want an error containing %q", tc.args, err, tc.want)
			}
		})
	}
}

// TestEmulateStopsQuietly is Ctrl-C after a call: the function is stopped
// by its emulator and exits cleanly, without a Runtime API error in the log.
func TestEmulateStopsQuietly(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	pr, pw := io.Pipe()
	var stderr syncbuf.Buffer
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

// TestEmulateConfigPrintsCalls: --config mode prints a ready-made call for
// every function.
func TestEmulateConfigPrintsCalls(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cfg := filepath.Join(t.TempDir(), "functions.json")
	pkg, err := filepath.Abs("../../examples/greeter")
	if err != nil {
		t.Fatal(err)
	}
	file := fmt.Sprintf(`{"invokeAddr":"127.0.0.1:0","functions":[{"name":"one","package":%q,"addr":"127.0.0.1:0"},{"name":"two","package":%q,"addr":"127.0.0.1:0","invokeMode":"RESPONSE_STREAM"}]}`, pkg, pkg)
	if err := os.WriteFile(cfg, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, stop := startEmulate(t, ctx, "--config", cfg)
	if err := stop(); err != nil {
		t.Fatalf("emulate: %v", err)
	}
	calls := regexp.MustCompile(`curl -H 'Content-Type: application/json' -d '\{"name":"world"\}' http://\S+/lambdagrpc.examples.greeter.v1.Greeter/SayHello`).FindAllString(out, -1)
	if len(calls) != 2 || calls[0] == calls[1] {
		t.Errorf("emulate --config printed:\n%s\nwant a ready-made call for each of the two functions", out)
	}
}

// TestEmulateHintForGRPCNamedService: a function whose service is named
// grpc.* (gRPC's own grpc.testing.TestService) gets a ready-made call of
// it, not the advice to register reflection it has registered; grpc-go's
// infrastructure services (reflection, health, channelz...) are passed
// over.
func TestEmulateHintForGRPCNamedService(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	out, _, stop := startEmulate(t, ctx, "--addr", "127.0.0.1:0", "./testdata/testservice")
	if err := stop(); err != nil {
		t.Fatalf("emulate: %v", err)
	}
	if !strings.Contains(out, "-d '{}' http://") || !strings.Contains(out, "/grpc.testing.TestService/EmptyCall\n") || strings.Contains(out, "register google.golang.org/grpc/reflection") {
		t.Errorf("emulate printed:\n%s\nwant a ready-made call of grpc.testing.TestService/EmptyCall", out)
	}
}

func TestInfrastructureService(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"grpc.reflection.v1.ServerReflection":                  true,
		"grpc.reflection.v1alpha.ServerReflection":             true,
		"grpc.health.v1.Health":                                true,
		"grpc.channelz.v1.Channelz":                            true,
		"envoy.service.status.v3.ClientStatusDiscoveryService": true,
		"grpc.testing.TestService":                             false,
		"grpc.examples.echo.Echo":                              false,
		"grpc.healthier.Svc":                                   false,
		"lambdagrpc.examples.greeter.v1.Greeter":               false,
	} {
		if got := infrastructure(name); got != want {
			t.Errorf("infrastructure(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestEmulateDefaultTimeout: the function timeout is Lambda's default, 3
// seconds, unless --timeout says otherwise, and emulate says which it is.
func TestEmulateDefaultTimeout(t *testing.T) {
	t.Parallel()
	var help strings.Builder
	if err := run(context.Background(), []string{"emulate", "-h"}, &help, io.Discard); err == nil || !strings.Contains(help.String(), "(default 3s)") {
		t.Errorf("emulate -h printed:\n%s\nwant a --timeout default of 3s", help.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "timeout 3s"},
		{[]string{"--timeout", "45s"}, "timeout 45s"},
	} {
		out, _, stop := startEmulate(t, ctx, append(c.args, "--addr", "127.0.0.1:0", "--probe=false", "./testdata/hello")...)
		if err := stop(); err != nil {
			t.Fatalf("emulate: %v", err)
		}
		if !strings.Contains(out, c.want) {
			t.Errorf("emulate %q printed:\n%s\nwant %q", c.args, out, c.want)
		}
	}
}

// TestEmulateDefaultPortBusy: when another program holds the default
// address, emulate says so, naming the address and the flag that chooses
// another, and fails: it prints no URL, starts no function and never
// talks to the program on that port, so nothing of it can be taken for a
// working emulator. It changes the default address, so it does not run in
// parallel.
func TestEmulateDefaultPortBusy(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := busy.Accept(); err == nil {
			c.Close()
			accepted <- struct{}{}
		}
	}()
	saved := defaultAddr
	defaultAddr = busy.Addr().String()
	defer func() { defaultAddr = saved }()
	// -v shows a build: the port is checked before the package is built,
	// so a second copy says at once that it cannot start.
	for _, args := range [][]string{
		{"emulate", "-v", "./testdata/testservice"},
		{"emulate", "-v", "--front-door", "rest", "--front-door", "alb", "./testdata/testservice"},
	} {
		var stdout, stderr syncbuf.Buffer
		err := run(ctx, args, &stdout, &stderr)
		if err == nil {
			t.Fatalf("run(%q) succeeded with the default address taken", args)
		}
		for _, want := range []string{busy.Addr().String(), "already in use", "--addr"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("run(%q) = %v, want an error naming %q", args, err, want)
			}
		}
		if stdout.String() != "" {
			t.Errorf("run(%q) printed, on a port it could not take:\n%s", args, stdout.String())
		}
		if log := stderr.String(); strings.Contains(log, "START RequestId") || strings.Contains(log, "building") || strings.Contains(log, "probing") {
			t.Errorf("run(%q) built or ran the function for a port it could not take:\n%s", args, log)
		}
	}
	select {
	case <-accepted:
		t.Error("emulate connected to the program that holds the default address")
	default:
	}

	// A program that holds the port on every address (0.0.0.0) holds the
	// default address too, whatever the system lets a more specific bind do.
	wild, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer wild.Close()
	_, port, _ := net.SplitHostPort(wild.Addr().String())
	defaultAddr = "127.0.0.1:" + port
	var stdout syncbuf.Buffer
	if err := run(ctx, []string{"emulate", "--probe=false", "./testdata/testservice"}, &stdout, io.Discard); err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Errorf("with port %s taken on 0.0.0.0: run = %v, want \"already in use\"", port, err)
	}
	if stdout.String() != "" {
		t.Errorf("with port %s taken on 0.0.0.0, emulate printed:\n%s", port, stdout.String())
	}
}
