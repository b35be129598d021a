package lambdagrpc_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"
	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// startFunction starts an emulator and the test service as its function,
// in process, through the emulator's real Runtime API. It returns the
// Function URL.
func startFunction(t *testing.T, cfg emulator.Config, opts ...lambdagrpc.Option) string {
	t.Helper()
	e := emulatortest.Start(t, cfg)
	mode := lambdagrpc.Buffered
	if cfg.InvokeMode == emulator.ResponseStream {
		mode = lambdagrpc.ResponseStream
	}
	opts = append([]lambdagrpc.Option{lambdagrpc.WithInvokeMode(mode), lambdagrpc.WithMaxConcurrency(cfg.MaxConcurrency)}, opts...)
	serveLambda(t, e.RuntimeAPIAddr(), opts...)
	return e.URL()
}

var modes = []emulator.InvokeMode{emulator.Buffered, emulator.ResponseStream}

func TestE2EProtocols(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			url := startFunction(t, emulator.Config{InvokeMode: mode, MaxConcurrency: 4})
			unary := mustMarshal(t, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("e2e")}})
			stream := mustMarshal(t, &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 3}, {Size: 5}}})
			var input []byte
			for _, n := range []int{1, 2, 3} {
				input = wire.AppendFrame(input, 0, mustMarshal(t, &testpb.StreamingInputCallRequest{Payload: &testpb.Payload{Body: make([]byte, n)}}))
			}
			for _, web := range []struct{ name, ct string }{{"grpc-web", "application/grpc-web+proto"}, {"grpc-web-text", "application/grpc-web-text"}} {
				post := func(path string, body []byte, hdr map[string]string) webResult {
					if web.ct == "application/grpc-web-text" {
						body = []byte(base64.StdEncoding.EncodeToString(body))
					}
					resp, out := do(t, "POST", url+path, web.ct, body, hdr)
					if resp.StatusCode != http.StatusOK {
						t.Fatalf("%s %s: HTTP %d %s", web.name, path, resp.StatusCode, out)
					}
					if web.ct == "application/grpc-web-text" {
						var err error
						if out, err = wire.DecodeText(nil, out); err != nil {
							t.Fatal(err)
						}
					}
					return parseWeb(t, out)
				}
				r := post(unaryPath, wire.AppendFrame(nil, 0, unary), map[string]string{testsvc.EchoTrailer: "tt", testsvc.EchoBin: wire.EncodeBinary([]byte{0, 255})})
				var out testpb.SimpleResponse
				if r.status.Code() != codes.OK || len(r.messages) != 1 || proto.Unmarshal(r.messages[0], &out) != nil || string(out.GetPayload().GetBody()) != "e2e" {
					t.Fatalf("%s unary: %v %d", web.name, r.status, len(r.messages))
				}
				if r.trailer.Get(testsvc.EchoTrailer) != "tt" {
					t.Errorf("%s unary: trailers %v", web.name, r.trailer)
				}
				if b, err := wire.DecodeBinary(r.trailer.Get(testsvc.EchoBin)); err != nil || !bytes.Equal(b, []byte{0, 255}) {
					t.Errorf("%s unary: binary trailer %q", web.name, r.trailer.Get(testsvc.EchoBin))
				}
				if r := post(streamPath, wire.AppendFrame(nil, 0, stream), nil); r.status.Code() != codes.OK || len(r.messages) != 2 {
					t.Fatalf("%s server stream: %v %d", web.name, r.status, len(r.messages))
				}
				if r := post(inputPath, input, nil); r.status.Code() != codes.OK || len(r.messages) != 1 {
					t.Fatalf("%s client stream: %v %d", web.name, r.status, len(r.messages))
				}
			}
			// Connect unary, JSON.
			j, _ := protojson.Marshal(&testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("json")}})
			resp, body := do(t, "POST", url+unaryPath, "application/json", j, nil)
			var out testpb.SimpleResponse
			if resp.StatusCode != 200 || protojson.Unmarshal(body, &out) != nil || string(out.GetPayload().GetBody()) != "json" {
				t.Fatalf("Connect JSON: %d %s", resp.StatusCode, body)
			}
			// Connect errors keep their HTTP status and details through the
			// front door.
			failing := mustMarshal(t, &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.FailedPrecondition), Message: "not yet"}})
			resp, body = do(t, "POST", url+unaryPath, "application/proto", failing, map[string]string{testsvc.ErrorDetail: "WAIT"})
			var ce wire.ConnectError
			if resp.StatusCode != 400 || json.Unmarshal(body, &ce) != nil || ce.Code != "failed_precondition" || len(ce.Details) != 1 {
				t.Fatalf("Connect error: %d %s", resp.StatusCode, body)
			}
			// Connect streaming.
			resp, body = do(t, "POST", url+streamPath, "application/connect+proto", wire.AppendFrame(nil, 0, stream), nil)
			if resp.StatusCode != 200 || !bytes.Contains(body, []byte{wire.FlagConnectEndStream}) {
				t.Fatalf("Connect stream: %d %q", resp.StatusCode, body)
			}
		})
	}
}

func TestE2EPanicKeepsServing(t *testing.T) {
	t.Parallel()
	url := startFunction(t, emulator.Config{})
	req := wire.AppendFrame(nil, 0, mustMarshal(t, &testpb.SimpleRequest{}))
	_, body := do(t, "POST", url+unaryPath, "application/grpc-web", req, map[string]string{testsvc.Panic: "1"})
	if r := parseWeb(t, body); r.status.Code() != codes.Internal {
		t.Fatalf("panic: %v", r.status)
	}
	_, body = do(t, "POST", url+unaryPath, "application/grpc-web", req, nil)
	if r := parseWeb(t, body); r.status.Code() != codes.OK {
		t.Fatalf("after the panic: %v", r.status)
	}
}

func TestE2EDeadlineBeforeTimeout(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			// A 4s function timeout; the handler ignores its context and
			// sleeps 8s. The caller gets DEADLINE_EXCEEDED, not Lambda's
			// timeout error. The 2s margin leaves a loaded machine time to
			// answer before the emulator times the function out.
			url := startFunction(t, emulator.Config{InvokeMode: mode, Timeout: 4 * time.Second}, lambdagrpc.WithDeadlineMargin(2*time.Second))
			req := wire.AppendFrame(nil, 0, mustMarshal(t, &testpb.SimpleRequest{}))
			resp, body := do(t, "POST", url+unaryPath, "application/grpc-web", req, map[string]string{testsvc.Sleep: "8000"})
			if resp.StatusCode != 200 {
				t.Fatalf("HTTP %d %s: Lambda timed the function out", resp.StatusCode, body)
			}
			if r := parseWeb(t, body); r.status.Code() != codes.DeadlineExceeded {
				t.Fatalf("status %v, want DEADLINE_EXCEEDED", r.status)
			}
		})
	}
}

func TestE2EOversizedResponse(t *testing.T) {
	t.Parallel()
	url := startFunction(t, emulator.Config{Timeout: 10 * time.Second})
	req := wire.AppendFrame(nil, 0, mustMarshal(t, &testpb.SimpleRequest{ResponseSize: 5 << 20}))
	resp, body := do(t, "POST", url+unaryPath, "application/grpc-web", req, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("HTTP %d %s", resp.StatusCode, body)
	}
	r := parseWeb(t, body)
	if r.status.Code() != codes.ResourceExhausted || !strings.Contains(r.status.Message(), "RESPONSE_STREAM") {
		t.Fatalf("status %v, want RESOURCE_EXHAUSTED pointing at streaming", r.status)
	}
	// Streamed, the same response goes through.
	url = startFunction(t, emulator.Config{Timeout: 10 * time.Second, InvokeMode: emulator.ResponseStream})
	_, body = do(t, "POST", url+unaryPath, "application/grpc-web", req, nil)
	if r := parseWeb(t, body); r.status.Code() != codes.OK || len(r.messages) != 1 || len(r.messages[0]) < 5<<20 {
		t.Fatalf("streamed: status %v, %d messages", r.status, len(r.messages))
	}
}

// TestE2EStreamFirstMessageEarly proves a streamed response reaches the
// caller while the handler still runs: the handler holds its second message
// until the test, having read the first, opens the gate.
func TestE2EStreamFirstMessageEarly(t *testing.T) {
	t.Parallel()
	url := startFunction(t, emulator.Config{InvokeMode: emulator.ResponseStream, Timeout: 10 * time.Second})
	gate, open := testsvc.NewGate()
	defer open()
	req := wire.AppendFrame(nil, 0, mustMarshal(t, &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 4}, {Size: 4}}}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	hreq, _ := http.NewRequestWithContext(ctx, "POST", url+streamPath, bytes.NewReader(req))
	hreq.Header.Set("Content-Type", "application/grpc-web+proto")
	hreq.Header.Set(testsvc.Gate, gate)
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first := make([]byte, wire.HeaderLen+6)
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatalf("the first message did not arrive while the handler waited: %v", err)
	}
	open()
	rest, _ := io.ReadAll(resp.Body)
	if r := parseWeb(t, append(first, rest...)); r.status.Code() != codes.OK || len(r.messages) != 2 {
		t.Fatalf("status %v, %d messages", r.status, len(r.messages))
	}
}

// TestE2EManagedInstancesConcurrency makes 64 calls with concurrency 8; the
// first 8 wait at a barrier that only 8 calls in flight together can pass.
func TestE2EManagedInstancesConcurrency(t *testing.T) {
	t.Parallel()
	url := startFunction(t, emulator.Config{MaxConcurrency: 8, Timeout: 20 * time.Second})
	const n, concurrency = 64, 8
	barrier := testsvc.NewBarrier(concurrency)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			body := wire.AppendFrame(nil, 0, mustMarshal(t, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte(fmt.Sprint(i))}}))
			hdr := map[string]string{testsvc.Sleep: "10"}
			if i < concurrency {
				hdr = map[string]string{testsvc.Barrier: barrier}
			}
			resp, out := do(t, "POST", url+unaryPath, "application/grpc-web", body, hdr)
			if resp.StatusCode != 200 {
				errs <- fmt.Errorf("call %d: HTTP %d", i, resp.StatusCode)
				return
			}
			r := parseWeb(t, out)
			var m testpb.SimpleResponse
			if r.status.Code() != codes.OK || len(r.messages) != 1 || proto.Unmarshal(r.messages[0], &m) != nil || string(m.GetPayload().GetBody()) != fmt.Sprint(i) {
				errs <- fmt.Errorf("call %d: %v (a barrier call that times out means fewer than %d ran at once)", i, r.status, concurrency)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestE2EFrontDoors(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			rest := emulator.REST
			if mode == emulator.ResponseStream {
				rest = emulator.RESTStream
			}
			cfg := emulator.Config{InvokeMode: mode, MaxConcurrency: 4, FrontDoors: []emulator.FrontDoor{
				{Kind: emulator.HTTPAPI}, {Kind: emulator.HTTPAPIv1}, {Kind: rest}, {Kind: emulator.ALB}, {Kind: emulator.ALBMultiValue},
			}}
			e := emulatortest.Start(t, cfg)
			lmode := lambdagrpc.Buffered
			if mode == emulator.ResponseStream {
				lmode = lambdagrpc.ResponseStream
			}
			// Every door takes a call below a custom prefix too; the REST
			// door's URL holds its stage.
			serveLambda(t, e.RuntimeAPIAddr(), lambdagrpc.WithInvokeMode(lmode), lambdagrpc.WithMaxConcurrency(4), lambdagrpc.WithPathPrefix("/custom/prefix"))
			for _, kind := range []emulator.FrontDoorKind{emulator.FunctionURL, emulator.HTTPAPI, emulator.HTTPAPIv1, rest, emulator.ALB, emulator.ALBMultiValue} {
				url := e.FrontDoorURL(kind)
				if url == "" {
					t.Fatalf("no %s front door", kind)
				}
				stream := mustMarshal(t, &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 3}, {Size: 5}}})
				resp, body := do(t, "POST", url+"/custom/prefix"+streamPath, "application/grpc-web+proto", wire.AppendFrame(nil, 0, stream),
					map[string]string{testsvc.EchoHeader: "v1", testsvc.EchoTrailer: "t, with comma"})
				if resp.StatusCode != 200 {
					t.Fatalf("%s: HTTP %d %s", kind, resp.StatusCode, body)
				}
				r := parseWeb(t, body)
				if r.status.Code() != codes.OK || len(r.messages) != 2 || r.trailer.Get(testsvc.EchoTrailer) != "t, with comma" || resp.Header.Get(testsvc.EchoHeader) != "v1" {
					t.Fatalf("%s: status %v, %d messages, trailer %v, header %v", kind, r.status, len(r.messages), r.trailer, resp.Header)
				}
				j, _ := protojson.Marshal(&testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("door")}})
				resp, body = do(t, "POST", url+"/custom/prefix"+unaryPath, "application/json", j, nil)
				var out testpb.SimpleResponse
				if resp.StatusCode != 200 || protojson.Unmarshal(body, &out) != nil || string(out.GetPayload().GetBody()) != "door" {
					t.Fatalf("%s Connect JSON: %d %s", kind, resp.StatusCode, body)
				}
				// Outside the prefix, or with segments before it, no door
				// reaches a method.
				for _, p := range []string{unaryPath, "/public/custom/prefix" + unaryPath, "/custom/prefix/x" + unaryPath} {
					if resp, body := do(t, "POST", url+p, "application/json", j, nil); resp.StatusCode != http.StatusNotFound {
						t.Fatalf("%s %s: HTTP %d %s, want 404", kind, p, resp.StatusCode, body)
					}
				}
			}
			// A GET of a method with side effects is refused through any door.
			resp, body := do(t, "GET", e.FrontDoorURL(emulator.ALBMultiValue)+"/custom/prefix"+unaryPath+"?connect=v1&encoding=json&message=%7B%7D", "", nil, nil)
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Fatalf("GET of a method with side effects: %d %s", resp.StatusCode, body)
			}
		})
	}
}

// TestE2EFrontDoorsRouteExactly sends the bypass paths through every
// emulator door, each delivering the path as its AWS counterpart does, and
// checks that none reaches the method. The exception is what an HTTP API
// decodes into the method's own path ("%2F" into "/"): API Gateway hands
// the function that path, indistinguishable from the method's, so there
// protection is API Gateway's own route matching (see the README's "Paths,
// stages and prefixes").
func TestE2EFrontDoorsRouteExactly(t *testing.T) {
	t.Parallel()
	kinds := []emulator.FrontDoorKind{emulator.FunctionURL, emulator.HTTPAPI, emulator.HTTPAPIv1, emulator.REST, emulator.ALB, emulator.ALBMultiValue}
	e := emulatortest.Start(t, emulator.Config{MaxConcurrency: 4, FrontDoors: []emulator.FrontDoor{
		{Kind: emulator.HTTPAPI}, {Kind: emulator.HTTPAPIv1}, {Kind: emulator.REST}, {Kind: emulator.ALB}, {Kind: emulator.ALBMultiValue},
	}})
	serveLambda(t, e.RuntimeAPIAddr(), lambdagrpc.WithMaxConcurrency(4))
	msg := wire.AppendFrame(nil, 0, mustMarshal(t, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("hi")}}))
	for _, kind := range kinds {
		base := e.FrontDoorURL(kind)
		decodes := kind == emulator.HTTPAPI || kind == emulator.HTTPAPIv1
		for _, p := range append([]string{unaryPath}, bypassPaths...) {
			want := codes.Unimplemented
			if p == unaryPath || decodes && decodePath(p) == unaryPath {
				want = codes.OK
			}
			resp, body := rawPost(t, base, p, "application/grpc-web+proto", msg)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s %q: HTTP %d %q, want 200 and %v", kind, p, resp.StatusCode, body, want)
				continue
			}
			if r := parseWeb(t, body); r.status.Code() != want {
				t.Errorf("%s %q: %v, want %v", kind, p, r.status, want)
			}
		}
	}
}
