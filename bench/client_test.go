package bench

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/client"
	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
)

func handlerServer(b *testing.B) string {
	s := grpc.NewServer()
	testsvc.Register(s)
	ts := httptest.NewServer(lambdagrpc.NewHandler(s, lambdagrpc.WithLogger(slog.New(slog.DiscardHandler))))
	b.Cleanup(ts.Close)
	return ts.URL
}

var sizes = []int{16, 1 << 10, 256 << 10}

// BenchmarkClientUnary compares unary gRPC-Web round trips through
// lambdagrpc's client and connect-go's gRPC-Web client, against the same
// in-process lambdagrpc handler over loopback HTTP/1.1.
func BenchmarkClientUnary(b *testing.B) {
	for _, size := range sizes {
		req := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: make([]byte, size)}}
		b.Run(fmt.Sprintf("client=lambdagrpc/bytes=%d", size), func(b *testing.B) {
			conn, err := client.New(handlerServer(b))
			if err != nil {
				b.Fatal(err)
			}
			c := testpb.NewTestServiceClient(conn)
			call := func(ctx context.Context) (int, error) {
				resp, err := c.UnaryCall(ctx, req)
				return len(resp.GetPayload().GetBody()), err
			}
			run(b, size, call)
		})
		b.Run(fmt.Sprintf("client=connect-go/bytes=%d", size), func(b *testing.B) {
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8, DisableCompression: true}}
			c := connect.NewClient[testpb.SimpleRequest, testpb.SimpleResponse](hc, handlerServer(b)+"/grpc.testing.TestService/UnaryCall", connect.WithGRPCWeb())
			call := func(ctx context.Context) (int, error) {
				resp, err := c.CallUnary(ctx, connect.NewRequest(req))
				if err != nil {
					return 0, err
				}
				return len(resp.Msg.GetPayload().GetBody()), nil
			}
			run(b, size, call)
		})
	}
}

func run(b *testing.B, size int, call func(context.Context) (int, error)) {
	ctx := b.Context()
	if n, err := call(ctx); err != nil || n != size {
		b.Fatalf("check: %d bytes, %v", n, err)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := call(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
