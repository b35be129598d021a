package client_test

import (
	"fmt"
	"testing"

	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/lambdagrpc/lambdagrpc/client"
)

// BenchmarkUnary measures a unary round trip through the client and the
// in-process handler over loopback HTTP/1.1.
func BenchmarkUnary(b *testing.B) {
	for _, p := range []client.Protocol{client.GRPCWeb, client.Connect} {
		for _, size := range []int{16, 1 << 10, 256 << 10} {
			b.Run(fmt.Sprintf("%s/bytes=%d", p, size), func(b *testing.B) {
				conn, err := client.New(server(b, false), client.WithProtocol(p))
				if err != nil {
					b.Fatal(err)
				}
				c := testpb.NewTestServiceClient(conn)
				req := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: make([]byte, size)}}
				ctx := b.Context()
				if resp, err := c.UnaryCall(ctx, req); err != nil || len(resp.GetPayload().GetBody()) != size {
					b.Fatalf("check: %v %v", len(resp.GetPayload().GetBody()), err)
				}
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := c.UnaryCall(ctx, req); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
