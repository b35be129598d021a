package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lambdagrpc/lambdagrpc/client"
	pb "github.com/lambdagrpc/lambdagrpc/examples/greeter/greeterpb"
)

// greeterTemplate is the deploy template of the greeter example.
const greeterTemplate = "../../examples/greeter/template.yaml"

// TestEmulateGreeterTemplate runs the greeter example's deploy template
// through emulate --template, as a reader would before `sam deploy`, and
// calls every front door it declares: the streamed Function URL (Connect
// JSON, gRPC-Web, a server stream whose messages must arrive one by one,
// CORS preflights and a cross-origin call) and the HTTP API route to the
// buffered function.
func TestEmulateGreeterTemplate(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	out, stderr, stop := startEmulate(t, ctx, "--template", greeterTemplate, "--addr", "127.0.0.1:0", "--probe=false")
	doors := templateDoors(t, out)
	url, api := doors["Greeter Function URL"], doors["GreeterApi http-api"]
	if url == "" || api == "" {
		t.Fatalf("no Function URL for Greeter or HTTP API for GreeterApi printed:\n%s", out)
	}
	for _, want := range []string{
		`function "Greeter" (resource Greeter: ../../examples/greeter, built for linux/`,
		"256 MB, timeout 1m0s, invoke mode RESPONSE_STREAM\n",
		"FunctionUrlConfig, AuthType NONE, CORS\n",
		`function "GreeterApi" (resource GreeterApi: ../../examples/greeter, built for linux/`,
		"256 MB, timeout 29s, invoke mode BUFFERED\n",
		"event Api: POST /{proxy+}, stage $default, payload 2.0\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("emulate printed:\n%s\nwant a line containing %q", out, want)
		}
	}

	// Unary calls through both doors, with Connect JSON and with gRPC-Web.
	for name, base := range map[string]string{"url": url, "api": api} {
		sayHello(t, ctx, base, name)
		conn, err := client.New(base)
		if err != nil {
			t.Fatal(err)
		}
		reply, err := pb.NewGreeterClient(conn).SayHello(ctx, &pb.HelloRequest{Name: name + "-grpc-web"})
		if err != nil || reply.GetMessage() != "Hello, "+name+"-grpc-web!" {
			t.Errorf("%s: gRPC-Web SayHello: %v, %v", base, reply, err)
		}
		conn.Close()
	}

	// A server stream through the Function URL arrives as it is sent; the
	// HTTP API, which buffers, delivers the same messages at the end.
	const count, interval = 3, 400 * time.Millisecond
	arrivals := serverStream(t, ctx, url, "stream", count, interval)
	if len(arrivals) == count {
		if spread := arrivals[count-1] - arrivals[0]; spread < interval*(count-1)*3/4 {
			t.Errorf("the Function URL delivered %d messages %v apart (first to last): buffered, not streamed", count, spread)
		}
	}
	serverStream(t, ctx, api, "buffered", count, 0)

	// The Function URL answers preflights with the template's CORS, for
	// every header Connect and gRPC-Web clients send, and only for the
	// allowed origin.
	const origin = "http://localhost:5173"
	for _, headers := range []string{
		"content-type,connect-protocol-version,connect-timeout-ms",
		"content-type,x-grpc-web,x-user-agent,grpc-timeout",
	} {
		h := preflight(t, ctx, url, origin, headers)
		allowed := strings.Split(strings.ToLower(h.Get("Access-Control-Allow-Headers")), ",")
		for _, want := range strings.Split(headers, ",") {
			if !contains(allowed, want) {
				t.Errorf("preflight for %s: header %s not allowed: %v", headers, want, h)
			}
		}
		if h.Get("Access-Control-Allow-Origin") != origin || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") || h.Get("Access-Control-Max-Age") != "600" {
			t.Errorf("preflight: %v", h)
		}
	}
	if h := preflight(t, ctx, url, "https://elsewhere.example", "content-type"); h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("a preflight from another origin was allowed: %v", h)
	}
	// A cross-origin call gets the origin and the exposed gRPC-Web headers.
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/lambdagrpc.examples.greeter.v1.Greeter/SayHello", strings.NewReader(`{"name":"browser"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", origin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != `{"message":"Hello, browser!"}` ||
		resp.Header.Get("Access-Control-Allow-Origin") != origin || !strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "grpc-status") {
		t.Errorf("cross-origin call: HTTP %d %s %v", resp.StatusCode, body, resp.Header)
	}

	if err := stop(); err != nil {
		t.Fatalf("emulate: %v", err)
	}
	log := stderr.String()
	// The template is consistent: the emulator notes nothing about it, and
	// each function runs in the mode of its front door without warning.
	if strings.Contains(log, "template.yaml:") || strings.Contains(log, "answering buffered") {
		t.Errorf("the log has a note on the template or a mode warning:\n%s", log)
	}
	if n := strings.Count(log, "lambdagrpc: building "); n != 1 {
		t.Errorf("the package was built %d times for two functions:\n%s", n, log)
	}
	if runtime.GOOS == "linux" {
		for _, want := range []string{"invokeMode=RESPONSE_STREAM", "invokeMode=BUFFERED", "Memory Size: 256 MB"} {
			if !strings.Contains(log, want) {
				t.Errorf("the log has no %q:\n%s", want, log)
			}
		}
	}
}

// serverStream calls SayHelloStream at base with gRPC-Web, checks the
// messages, and returns when each arrived, from the call's start.
func serverStream(t *testing.T, ctx context.Context, base, name string, count int, interval time.Duration) []time.Duration {
	t.Helper()
	conn, err := client.New(base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	stream, err := pb.NewGreeterClient(conn).SayHelloStream(ctx, &pb.HelloStreamRequest{Name: name, Count: int32(count), IntervalMs: int32(interval / time.Millisecond)})
	if err != nil {
		t.Errorf("%s: SayHelloStream: %v", base, err)
		return nil
	}
	var arrivals []time.Duration
	for i := 1; ; i++ {
		reply, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Errorf("%s: SayHelloStream message %d: %v", base, i, err)
			return nil
		}
		arrivals = append(arrivals, time.Since(start))
		if want := fmt.Sprintf("Hello, %s! (%d/%d)", name, i, count); reply.GetMessage() != want {
			t.Errorf("%s: message %d is %q, want %q", base, i, reply.GetMessage(), want)
		}
	}
	if len(arrivals) != count {
		t.Errorf("%s: %d messages, want %d", base, len(arrivals), count)
	}
	return arrivals
}

// preflight sends a CORS preflight for a POST with headers from origin and
// returns the answer's headers.
func preflight(t *testing.T, ctx context.Context, base, origin, headers string) http.Header {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodOptions, base+"/lambdagrpc.examples.greeter.v1.Greeter/SayHello", nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", headers)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if strings.TrimSpace(e) == s {
			return true
		}
	}
	return false
}

// TestGreeterTemplateModeMismatch: the invoke mode the greeter template
// gives each function in LAMBDAGRPC_INVOKE_MODE is the one its front door
// takes, and --template refuses the template when either is changed alone,
// the mistake docs/deploy.md warns of.
func TestGreeterTemplateModeMismatch(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(greeterTemplate)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := filepath.Abs(filepath.Dir(greeterTemplate))
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := parseTemplate(greeterTemplate, dir, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tpl.Notes) > 0 {
		t.Errorf("notes on the template: %q", tpl.Notes)
	}
	for _, fn := range tpl.Functions {
		if fn.Arch != "arm64" || fn.MemoryMB != 256 || string(fn.InvokeMode()) != fn.Env["LAMBDAGRPC_INVOKE_MODE"] {
			t.Errorf("function %s: %s, %d MB, invoke mode %s, LAMBDAGRPC_INVOKE_MODE %q", fn.LogicalID, fn.Arch, fn.MemoryMB, fn.InvokeMode(), fn.Env["LAMBDAGRPC_INVOKE_MODE"])
		}
	}
	for _, tc := range []struct{ old, new, fn string }{
		{"LAMBDAGRPC_INVOKE_MODE: RESPONSE_STREAM", "LAMBDAGRPC_INVOKE_MODE: BUFFERED", "Greeter"},
		{"InvokeMode: RESPONSE_STREAM", "InvokeMode: BUFFERED", "Greeter"},
		{"LAMBDAGRPC_INVOKE_MODE: BUFFERED", "LAMBDAGRPC_INVOKE_MODE: RESPONSE_STREAM", "GreeterApi"},
	} {
		changed := strings.Replace(string(data), tc.old, tc.new, 1)
		if changed == string(data) {
			t.Fatalf("the template has no %q", tc.old)
		}
		_, err := parseTemplate(greeterTemplate, dir, []byte(changed), nil)
		if err == nil || !strings.Contains(err.Error(), "resource "+tc.fn+", property Environment.Variables.LAMBDAGRPC_INVOKE_MODE") {
			t.Errorf("%s → %s: %v, want the mismatch reported on %s", tc.old, tc.new, err, tc.fn)
		}
	}
}
