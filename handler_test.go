package lambdagrpc_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

const (
	unaryPath  = "/grpc.testing.TestService/UnaryCall"
	streamPath = "/grpc.testing.TestService/StreamingOutputCall"
	inputPath  = "/grpc.testing.TestService/StreamingInputCall"
	duplexPath = "/grpc.testing.TestService/FullDuplexCall"
)

func newTestServer(t testing.TB, opts ...grpc.ServerOption) *grpc.Server {
	t.Helper()
	s := grpc.NewServer(opts...)
	testsvc.Register(s)
	return s
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func startHandler(t *testing.T, s *grpc.Server, opts ...lambdagrpc.Option) string {
	t.Helper()
	opts = append([]lambdagrpc.Option{lambdagrpc.WithLogger(quietLogger())}, opts...)
	ts := httptest.NewServer(lambdagrpc.NewHandler(s, opts...))
	t.Cleanup(ts.Close)
	return ts.URL
}

func mustMarshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func do(t *testing.T, method, url, ct string, body []byte, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	// A bound against a hung call, not a measure of speed: under the race
	// detector on a loaded machine a 5 MB answer through the emulator
	// takes more than 10s.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for k, v := range hdr {
		req.Header.Add(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// webResult is a decoded gRPC-Web response body.
type webResult struct {
	messages [][]byte
	trailer  http.Header
	status   *status.Status
}

func parseWeb(t testing.TB, body []byte) webResult {
	t.Helper()
	msgs, trailer, err := wire.SplitWeb(body)
	if err != nil {
		t.Fatalf("bad gRPC-Web body: %v", err)
	}
	if trailer == nil {
		t.Fatal("no trailer frame")
	}
	st, ok, err := wire.StatusFromHeader(trailer)
	if !ok || err != nil {
		t.Fatalf("trailer without a valid grpc-status: %v %v", trailer, err)
	}
	return webResult{messages: msgs, trailer: trailer, status: st}
}

func TestGRPCWebUnary(t *testing.T) {
	t.Parallel()
	url := startHandler(t, newTestServer(t))
	req := mustMarshal(t, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("hello")}})
	for _, ct := range []string{"application/grpc-web", "application/grpc-web+proto"} {
		resp, body := do(t, "POST", url+unaryPath, ct, wire.AppendFrame(nil, 0, req), map[string]string{
			testsvc.EchoHeader:  "h1",
			testsvc.EchoTrailer: "t1",
		})
		if resp.StatusCode != 200 {
			t.Fatalf("%s: status = %d, want 200", ct, resp.StatusCode)
		}
		if got := resp.Header.Get("Content-Type"); got != "application/grpc-web+proto" {
			t.Errorf("Content-Type = %q, want application/grpc-web+proto", got)
		}
		if got := resp.Header.Get(testsvc.EchoHeader); got != "h1" {
			t.Errorf("echoed header = %q, want h1", got)
		}
		r := parseWeb(t, body)
		if r.status.Code() != codes.OK || len(r.messages) != 1 {
			t.Fatalf("status %v, %d messages; want OK and 1", r.status, len(r.messages))
		}
		var out testpb.SimpleResponse
		if err := proto.Unmarshal(r.messages[0], &out); err != nil || string(out.GetPayload().GetBody()) != "hello" {
			t.Errorf("response = %v (%v), want hello", &out, err)
		}
		if got := r.trailer.Get(testsvc.EchoTrailer); got != "t1" {
			t.Errorf("echoed trailer = %q, want t1", got)
		}
	}
}

func TestGRPCWebTextSplitQuanta(t *testing.T) {
	t.Parallel()
	url := startHandler(t, newTestServer(t))
	req := mustMarshal(t, &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 3}, {Size: 7}}})
	frame := wire.AppendFrame(nil, 0, req)
	// Encode in two separately padded pieces, as a browser sending a body in
	// parts may.
	text := base64.StdEncoding.EncodeToString(frame[:4]) + base64.StdEncoding.EncodeToString(frame[4:])
	if !strings.Contains(text[:len(text)-4], "=") {
		t.Fatal("test setup: expected padding inside the body")
	}
	resp, body := do(t, "POST", url+streamPath, "application/grpc-web-text", []byte(text), nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/grpc-web-text+proto" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	dec, err := wire.DecodeText(nil, body)
	if err != nil {
		t.Fatalf("response is not gRPC-Web text: %v", err)
	}
	r := parseWeb(t, dec)
	if r.status.Code() != codes.OK || len(r.messages) != 2 {
		t.Fatalf("status %v, %d messages; want OK and 2", r.status, len(r.messages))
	}
}

func TestGRPCWebErrorDetails(t *testing.T) {
	t.Parallel()
	url := startHandler(t, newTestServer(t))
	req := mustMarshal(t, &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.NotFound), Message: "no such thing: 100%"}})
	_, body := do(t, "POST", url+unaryPath, "application/grpc-web+proto", wire.AppendFrame(nil, 0, req), map[string]string{testsvc.ErrorDetail: "WHY"})
	r := parseWeb(t, body)
	if r.status.Code() != codes.NotFound || r.status.Message() != "no such thing: 100%" {
		t.Fatalf("status = %v, want NotFound with the message intact", r.status)
	}
	if len(r.messages) != 0 {
		t.Errorf("%d messages with an error, want 0", len(r.messages))
	}
	details := r.status.Details()
	if len(details) != 1 {
		t.Fatalf("details = %v, want one ErrorInfo", details)
	}
	if info, ok := details[0].(*errdetails.ErrorInfo); !ok || info.GetReason() != "WHY" {
		t.Errorf("detail = %v, want ErrorInfo WHY", details[0])
	}
}

func TestConnectUnary(t *testing.T) {
	t.Parallel()
	url := startHandler(t, newTestServer(t))
	in := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("hi")}}
	t.Run("proto", func(t *testing.T) {
		resp, body := do(t, "POST", url+unaryPath, "application/proto", mustMarshal(t, in), map[string]string{testsvc.EchoTrailer: "tv"})
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/proto" {
			t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		var out testpb.SimpleResponse
		if err := proto.Unmarshal(body, &out); err != nil || string(out.GetPayload().GetBody()) != "hi" {
			t.Fatalf("response %v, %v", &out, err)
		}
		if got := resp.Header.Get("Trailer-" + testsvc.EchoTrailer); got != "tv" {
			t.Errorf("trailer header = %q, want tv", got)
		}
	})
	t.Run("json", func(t *testing.T) {
		j, _ := protojson.Marshal(in)
		resp, body := do(t, "POST", url+unaryPath, "application/json", j, nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("status %d, content type %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		var out testpb.SimpleResponse
		if err := protojson.Unmarshal(body, &out); err != nil || string(out.GetPayload().GetBody()) != "hi" {
			t.Fatalf("response %s: %v", body, err)
		}
	})
	t.Run("error", func(t *testing.T) {
		req := mustMarshal(t, &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.PermissionDenied), Message: "nope"}})
		resp, body := do(t, "POST", url+unaryPath, "application/proto", req, map[string]string{testsvc.ErrorDetail: "R"})
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("status %d, content type %q, want 403 application/json", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		var ce wire.ConnectError
		if err := json.Unmarshal(body, &ce); err != nil {
			t.Fatal(err)
		}
		if ce.Code != "permission_denied" || ce.Message != "nope" || len(ce.Details) != 1 || ce.Details[0].Type != "google.rpc.ErrorInfo" {
			t.Errorf("error = %+v", ce)
		}
	})
	t.Run("gzip", func(t *testing.T) {
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		zw.Write(mustMarshal(t, in))
		zw.Close()
		resp, body := do(t, "POST", url+unaryPath, "application/proto", zb.Bytes(), map[string]string{"Content-Encoding": "gzip", "Accept-Encoding": "gzip"})
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		// Go's client undoes gzip only for its own Accept-Encoding; here the
		// test asked, so the body is still compressed.
		if resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("Content-Encoding = %q, want gzip", resp.Header.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := io.ReadAll(zr)
		var out testpb.SimpleResponse
		if err := proto.Unmarshal(plain, &out); err != nil || string(out.GetPayload().GetBody()) != "hi" {
			t.Fatalf("response %v, %v", &out, err)
		}
	})
}

func TestConnectServerStream(t *testing.T) {
	t.Parallel()
	url := startHandler(t, newTestServer(t))
	req := mustMarshal(t, &testpb.StreamingOutputCallRequest{
		ResponseParameters: []*testpb.ResponseParameters{{Size: 1}, {Size: 2}},
		ResponseStatus:     &testpb.EchoStatus{Code: int32(codes.Aborted), Message: "stop"},
	})
	resp, body := do(t, "POST", url+streamPath, "application/connect+proto", wire.AppendFrame(nil, 0, req), map[string]string{testsvc.EchoTrailer: "x"})
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/connect+proto" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var msgs int
	var end *wire.EndStream
	for len(body) > 0 {
		flags, payload, rest, ok, err := wire.NextFrame(body, 0)
		if !ok || err != nil {
			t.Fatalf("bad envelope: %v", err)
		}
		body = rest
		if flags&wire.FlagConnectEndStream != 0 {
			end = new(wire.EndStream)
			if err := json.Unmarshal(payload, end); err != nil {
				t.Fatal(err)
			}
			continue
		}
		msgs++
	}
	if msgs != 2 || end == nil || end.Error == nil || end.Error.Code != "aborted" || end.Metadata[testsvc.EchoTrailer][0] != "x" {
		t.Fatalf("messages %d, end %+v", msgs, end)
	}
}

func TestClientStreamHalfDuplex(t *testing.T) {
	t.Parallel()
	url := startHandler(t, newTestServer(t))
	var body []byte
	for _, n := range []int{3, 4, 5} {
		body = wire.AppendFrame(body, 0, mustMarshal(t, &testpb.StreamingInputCallRequest{Payload: &testpb.Payload{Body: make([]byte, n)}}))
	}
	_, out := do(t, "POST", url+inputPath, "application/grpc-web+proto", body, nil)
	r := parseWeb(t, out)
	var resp testpb.StreamingInputCallResponse
	if len(r.messages) != 1 || proto.Unmarshal(r.messages[0], &resp) != nil || resp.GetAggregatedPayloadSize() != 12 {
		t.Fatalf("status %v, response %v; want 12", r.status, &resp)
	}
}

func TestPanicBecomesInternal(t *testing.T) {
	t.Parallel()
	url := startHandler(t, newTestServer(t))
	req := wire.AppendFrame(nil, 0, mustMarshal(t, &testpb.SimpleRequest{}))
	for _, path := range []string{unaryPath, streamPath} {
		_, body := do(t, "POST", url+path, "application/grpc-web+proto", req, map[string]string{testsvc.Panic: "1"})
		r := parseWeb(t, body)
		if r.status.Code() != codes.Internal || strings.Contains(r.status.Message(), "testsvc") {
			t.Fatalf("%s: status %v, want INTERNAL without the panic value", path, r.status)
		}
	}
	// And the server keeps serving.
	_, body := do(t, "POST", url+unaryPath, "application/grpc-web+proto", req, nil)
	if r := parseWeb(t, body); r.status.Code() != codes.OK {
		t.Fatalf("after a panic: %v", r.status)
	}
}

func TestPanicInInterceptor(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		panic("interceptor")
	}))
	url := startHandler(t, s)
	_, body := do(t, "POST", url+unaryPath, "application/grpc-web+proto", wire.AppendFrame(nil, 0, nil), nil)
	if r := parseWeb(t, body); r.status.Code() != codes.Internal {
		t.Fatalf("status %v, want INTERNAL", r.status)
	}
}

func TestDeadlineEnforced(t *testing.T) {
	t.Parallel()
	url := startHandler(t, newTestServer(t))
	req := wire.AppendFrame(nil, 0, mustMarshal(t, &testpb.SimpleRequest{}))
	// The handler sleeps 3s ignoring its context, then succeeds; the call
	// must end with DEADLINE_EXCEEDED at its 200ms deadline instead.
	_, body := do(t, "POST", url+unaryPath, "application/grpc-web+proto", req, map[string]string{"grpc-timeout": "200m", testsvc.Sleep: "3000"})
	if r := parseWeb(t, body); r.status.Code() != codes.DeadlineExceeded {
		t.Fatalf("status %v, want DEADLINE_EXCEEDED", r.status)
	}
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	url := startHandler(t, newTestServer(t))
	cases := []struct {
		name, method, path, ct string
		body                   []byte
		hdr                    map[string]string
		wantHTTP               int
		wantCode               codes.Code // for gRPC-Web answers
	}{
		{name: "unknown content type", method: "POST", path: unaryPath, ct: "text/plain", wantHTTP: 415},
		{name: "PUT", method: "PUT", path: unaryPath, ct: "application/grpc-web", wantHTTP: 405},
		{name: "unknown method", method: "POST", path: "/grpc.testing.TestService/Nope", ct: "application/grpc-web", body: wire.AppendFrame(nil, 0, nil), wantHTTP: 200, wantCode: codes.Unimplemented},
		{name: "bad timeout", method: "POST", path: unaryPath, ct: "application/grpc-web", hdr: map[string]string{"grpc-timeout": "soon"}, wantHTTP: 200, wantCode: codes.InvalidArgument},
		{name: "lying frame length", method: "POST", path: unaryPath, ct: "application/grpc-web", body: []byte{0, 0, 0, 1, 0, 1, 2}, wantHTTP: 200, wantCode: codes.Internal},
		{name: "bad text", method: "POST", path: unaryPath, ct: "application/grpc-web-text", body: []byte("!!!!"), wantHTTP: 200, wantCode: codes.InvalidArgument},
		{name: "GET on a method with side effects", method: "GET", path: unaryPath + "?connect=v1&encoding=proto&message=", wantHTTP: 405},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, tc.method, url+tc.path, tc.ct, tc.body, tc.hdr)
			if resp.StatusCode != tc.wantHTTP {
				t.Fatalf("HTTP %d, want %d: %s", resp.StatusCode, tc.wantHTTP, body)
			}
			if tc.wantHTTP == 200 {
				if tc.ct == "application/grpc-web-text" {
					var err error
					if body, err = wire.DecodeText(nil, body); err != nil {
						t.Fatal(err)
					}
				}
				if r := parseWeb(t, body); r.status.Code() != tc.wantCode {
					t.Fatalf("status %v, want %v", r.status, tc.wantCode)
				}
			}
		})
	}
}

func TestServerOptionsApply(t *testing.T) {
	t.Parallel()
	sh := &recordingStats{}
	var seen atomic.Int32
	s := newTestServer(t,
		grpc.StatsHandler(sh),
		grpc.MaxRecvMsgSize(100),
		grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			seen.Add(1)
			return h(ctx, req)
		}),
	)
	url := startHandler(t, s)
	small := wire.AppendFrame(nil, 0, mustMarshal(t, &testpb.SimpleRequest{}))
	if r := parseWeb(t, second(do(t, "POST", url+unaryPath, "application/grpc-web", small, nil))); r.status.Code() != codes.OK {
		t.Fatalf("status %v", r.status)
	}
	big := wire.AppendFrame(nil, 0, mustMarshal(t, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: make([]byte, 200)}}))
	if r := parseWeb(t, second(do(t, "POST", url+unaryPath, "application/grpc-web", big, nil))); r.status.Code() != codes.ResourceExhausted {
		t.Fatalf("over MaxRecvMsgSize: status %v, want RESOURCE_EXHAUSTED", r.status)
	}
	if seen.Load() != 1 {
		t.Errorf("interceptor ran %d times, want 1", seen.Load())
	}
	if ends := sh.waitCount("End", 2); ends != 2 {
		t.Errorf("stats handler saw %d RPCs end, want 2", ends)
	}
}

func second[A, B any](_ A, b B) B { return b }

func TestCORS(t *testing.T) {
	t.Parallel()
	url := startHandler(t, newTestServer(t), lambdagrpc.WithCORS(lambdagrpc.CORS{AllowedOrigins: []string{"https://app.example"}}))
	resp, _ := do(t, "OPTIONS", url+unaryPath, "", nil, map[string]string{
		"Origin": "https://app.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-grpc-web,x-custom",
	})
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		resp.Header.Get("Access-Control-Allow-Headers") != "content-type,x-grpc-web,x-custom" {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = do(t, "OPTIONS", url+unaryPath, "", nil, map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
	if resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from a foreign origin: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = do(t, "POST", url+unaryPath, "application/grpc-web", wire.AppendFrame(nil, 0, nil), map[string]string{"Origin": "https://app.example"})
	if !strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "Grpc-Status") {
		t.Fatalf("expose headers = %q", resp.Header.Get("Access-Control-Expose-Headers"))
	}
}

// TestGETOfNonMethods sends Connect GETs whose paths name a service, a
// message or nothing: each gets an answer, none crashes the handler.
func TestGETOfNonMethods(t *testing.T) {
	t.Parallel()
	url := startHandler(t, newTestServer(t))
	for _, path := range []string{"/grpc.testing/TestService", "/grpc.testing/SimpleRequest", "/a/b", "/x"} {
		resp, _ := do(t, "GET", url+path+"?connect=v1&encoding=json&message=%7B%7D", "", nil, nil)
		if resp.StatusCode < 400 {
			t.Errorf("GET %s: %d, want an error status", path, resp.StatusCode)
		}
	}
}

// TestGETWithoutMethodOptions: in a binary without descriptorpb a Connect
// GET cannot be checked against the method's idempotency_level; the
// answer says so and how to fix it. (Not parallel: it swaps a global.)
func TestGETWithoutMethodOptions(t *testing.T) {
	saved := wire.OptionsReadable
	wire.OptionsReadable = func() bool { return false }
	t.Cleanup(func() { wire.OptionsReadable = saved })
	url := startHandler(t, newTestServer(t))
	resp, body := do(t, "GET", url+"/grpc.testing.TestService/EmptyCall?connect=v1&encoding=json&message=%7B%7D", "", nil, nil)
	if resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(string(body), "descriptorpb") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}
