package lambdagrpc_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"

	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// functionURLEvent builds a Function URL event carrying a gRPC-Web call.
func functionURLEvent(tb testing.TB, path string, msg []byte) []byte {
	tb.Helper()
	event, err := json.Marshal(map[string]any{
		"version":        "2.0",
		"routeKey":       "$default",
		"rawPath":        path,
		"rawQueryString": "",
		"headers": map[string]string{
			"content-type": "application/grpc-web+proto",
			"x-grpc-web":   "1",
			"host":         "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws",
			"user-agent":   "grpc-web-javascript/0.1",
		},
		"requestContext": map[string]any{
			"domainName": "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws",
			"requestId":  "6ad6b1d4-42cb-4e6f-ab7a-6a6b5a6e9a10",
			"http":       map[string]string{"method": "POST", "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7"},
		},
		"body":            base64.StdEncoding.EncodeToString(wire.AppendFrame(nil, 0, msg)),
		"isBase64Encoded": true,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return event
}

// BenchmarkInvokeUnary measures one buffered invocation end to end in
// process: Function URL event JSON in, response JSON out, through the
// gRPC-Web translation and a real grpc-go server.
func BenchmarkInvokeUnary(b *testing.B) {
	for _, size := range []int{16, 1 << 10, 256 << 10} {
		b.Run(fmt.Sprintf("bytes=%d", size), func(b *testing.B) {
			eh := lambdagrpc.NewEventHandler(newBenchServer(b), lambdagrpc.WithLogger(quietLogger()))
			event := functionURLEvent(b, unaryPath, mustMarshal(b, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: make([]byte, size)}}))
			ctx := context.Background()
			checkInvoke(b, eh, event, 1)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := eh.Invoke(ctx, event); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkInvokeServerStream measures a buffered 10-message server stream.
func BenchmarkInvokeServerStream(b *testing.B) {
	params := make([]*testpb.ResponseParameters, 10)
	for i := range params {
		params[i] = &testpb.ResponseParameters{Size: 1 << 10}
	}
	eh := lambdagrpc.NewEventHandler(newBenchServer(b), lambdagrpc.WithLogger(quietLogger()))
	event := functionURLEvent(b, streamPath, mustMarshal(b, &testpb.StreamingOutputCallRequest{ResponseParameters: params}))
	checkInvoke(b, eh, event, 10)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := eh.Invoke(ctx, event); err != nil {
			b.Fatal(err)
		}
	}
}

// checkInvoke makes sure the benchmarked path answers correctly, so a
// broken path cannot look fast.
func checkInvoke(b *testing.B, eh *lambdagrpc.EventHandler, event []byte, messages int) {
	b.Helper()
	r := invoke(b, eh, event)
	res := parseWeb(b, r.body(b))
	if res.status.Code() != 0 || len(res.messages) != messages {
		b.Fatalf("status %v, %d messages; want OK and %d", res.status, len(res.messages), messages)
	}
}

func newBenchServer(b *testing.B) *grpc.Server { return newTestServer(b) }
