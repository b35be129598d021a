package bench

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"connectrpc.com/vanguard/vanguardgrpc"
	"github.com/akrylysov/algnhsa"
	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/improbable-eng/grpc-web/go/grpcweb"
	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/protobuf/proto"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// invoker turns one event's JSON into the response's JSON, the whole
// per-invocation work of a function.
type invoker func(ctx context.Context, event []byte) ([]byte, error)

func newServer() *grpc.Server {
	s := grpc.NewServer(grpc.MaxRecvMsgSize(16<<20), grpc.MaxSendMsgSize(16<<20))
	testsvc.Register(s)
	return s
}

// floor does the least work an invocation can: decode the event with
// encoding/json, the body from base64, the frame; call the method
// directly; encode the answer the same way.
func floor() invoker {
	svc := &testsvc.Service{}
	return func(ctx context.Context, event []byte) ([]byte, error) {
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(event, &ev); err != nil {
			return nil, err
		}
		body, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return nil, err
		}
		_, payload, _, ok, err := wire.NextFrame(body, 0)
		if !ok || err != nil {
			return nil, fmt.Errorf("bad frame: %v", err)
		}
		var req testpb.SimpleRequest
		if err := proto.Unmarshal(payload, &req); err != nil {
			return nil, err
		}
		resp, err := svc.UnaryCall(ctx, &req)
		if err != nil {
			return nil, err
		}
		out, err := proto.Marshal(resp)
		if err != nil {
			return nil, err
		}
		frames := wire.AppendFrame(nil, 0, out)
		frames = wire.AppendFrame(frames, wire.FlagWebTrailer, []byte("grpc-status: 0\r\ngrpc-message: \r\n"))
		return json.Marshal(events.APIGatewayV2HTTPResponse{
			StatusCode: 200, Headers: map[string]string{"content-type": "application/grpc-web+proto"},
			Body: base64.StdEncoding.EncodeToString(frames), IsBase64Encoded: true,
		})
	}
}

func lambdagrpcBuffered() invoker {
	eh := lambdagrpc.NewEventHandler(newServer(), lambdagrpc.WithLogger(slog.New(slog.DiscardHandler)))
	return eh.Invoke
}

// improbable is improbable-eng's grpc-web wrapper behind
// aws-lambda-go-api-proxy's payload 2.0 adapter.
func improbable() invoker {
	h := grpcweb.WrapServer(newServer(), grpcweb.WithOriginFunc(func(string) bool { return true }))
	adapter := httpadapter.NewV2(h)
	return func(ctx context.Context, event []byte) ([]byte, error) {
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(event, &ev); err != nil {
			return nil, err
		}
		resp, err := adapter.ProxyWithContext(ctx, ev)
		if err != nil {
			return nil, err
		}
		return json.Marshal(resp)
	}
}

// vanguardAlgnhsa is connectrpc's vanguard transcoder behind algnhsa.
func vanguardAlgnhsa() invoker {
	t, err := vanguardgrpc.NewTranscoder(newServer())
	if err != nil {
		panic(err)
	}
	h := algnhsa.New(t, &algnhsa.Options{BinaryContentTypes: []string{"*/*"}})
	return h.Invoke
}

var paths = []struct {
	name string
	new  func() invoker
}{
	{"floor", floor},
	{"lambdagrpc", lambdagrpcBuffered},
	{"improbable+api-proxy", improbable},
	{"vanguard+algnhsa", vanguardAlgnhsa},
}

// event builds a Function URL event carrying one gRPC-Web message.
func event(tb testing.TB, path string, msg proto.Message) []byte {
	tb.Helper()
	b, err := proto.Marshal(msg)
	if err != nil {
		tb.Fatal(err)
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "$default", RawPath: path,
		Headers: map[string]string{"content-type": "application/grpc-web+proto", "x-grpc-web": "1", "host": "abc.lambda-url.eu-west-1.on.aws"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			DomainName: "abc.lambda-url.eu-west-1.on.aws", RequestID: "r", Stage: "$default",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: http.MethodPost, Path: path, Protocol: "HTTP/1.1", SourceIP: "203.0.113.7"},
		},
		Body: base64.StdEncoding.EncodeToString(wire.AppendFrame(nil, 0, b)), IsBase64Encoded: true,
	}
	out, err := json.Marshal(ev)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// check decodes a response document and counts its messages, failing on
// anything but grpc-status 0.
func check(tb testing.TB, out []byte, wantMessages, wantSize int) {
	tb.Helper()
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode != 200 {
		tb.Fatalf("response %d: %v", resp.StatusCode, err)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			tb.Fatal(err)
		}
	}
	msgs, trailer, err := wire.SplitWeb(body)
	if err != nil || trailer.Get("Grpc-Status") != "0" {
		tb.Fatalf("bad body (%v) or trailers %v", err, trailer)
	}
	for _, m := range msgs {
		if wantSize > 0 && len(m) < wantSize {
			tb.Fatalf("message of %d bytes, want at least %d", len(m), wantSize)
		}
	}
	messages := len(msgs)
	if messages != wantMessages {
		tb.Fatalf("%d messages, want %d", messages, wantMessages)
	}
}

func runInvoke(b *testing.B, inv invoker, ev []byte, messages, size int) {
	ctx := context.Background()
	out, err := inv(ctx, ev)
	if err != nil {
		b.Fatal(err)
	}
	check(b, out, messages, size)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := inv(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInvoke measures one unary invocation per path and payload:
// event JSON in, response JSON out.
func BenchmarkInvoke(b *testing.B) {
	for _, size := range []int{16, 1 << 10, 256 << 10, 4 << 20} {
		req := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: make([]byte, size)}}
		for _, p := range paths {
			b.Run(fmt.Sprintf("bytes=%d/path=%s", size, p.name), func(b *testing.B) {
				b.SetBytes(int64(size))
				runInvoke(b, p.new(), event(b, "/grpc.testing.TestService/UnaryCall", req), 1, size)
			})
		}
	}
}

// BenchmarkInvokeStream measures a buffered server stream of 10 and of
// 1,000 messages of 1 KiB. The floor has no stream path.
func BenchmarkInvokeStream(b *testing.B) {
	for _, n := range []int{10, 1000} {
		params := make([]*testpb.ResponseParameters, n)
		for i := range params {
			params[i] = &testpb.ResponseParameters{Size: 1024}
		}
		ev := event(b, "/grpc.testing.TestService/StreamingOutputCall", &testpb.StreamingOutputCallRequest{ResponseParameters: params})
		for _, p := range paths[1:] {
			b.Run(fmt.Sprintf("messages=%d/path=%s", n, p.name), func(b *testing.B) {
				runInvoke(b, p.new(), ev, n, 1024)
			})
		}
	}
}
