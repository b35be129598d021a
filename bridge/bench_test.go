package bridge_test

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"
	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
)

// BenchmarkUnaryPath compares one 1 KiB unary call made with a native grpc-go
// client through bridge → emulator → function against the same service in
// TCP mode (lambdagrpc.Serve without Lambda) called directly.
func BenchmarkUnaryPath(b *testing.B) {
	req := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: make([]byte, 1024)}}
	bench := func(b *testing.B, conn *grpc.ClientConn) {
		c := testpb.NewTestServiceClient(conn)
		ctx := context.Background()
		if resp, err := c.UnaryCall(ctx, req); err != nil || len(resp.GetPayload().GetBody()) != 1024 {
			b.Fatalf("check: %v", err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.UnaryCall(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("path=bridge-emulator-function", func(b *testing.B) {
		e := emulatortest.Start(b, emulator.Config{Timeout: time.Minute})
		s := grpc.NewServer()
		testsvc.Register(s)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			_ = lambdagrpc.Serve(ctx, s, lambdagrpc.WithRuntimeAPI(e.RuntimeAPIAddr()), lambdagrpc.WithLogger(slog.New(slog.DiscardHandler)))
		}()
		bench(b, dialBridge(b, e.URL()))
	})
	b.Run("path=tcp-direct", func(b *testing.B) {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		addr := lis.Addr().String()
		lis.Close()
		s := grpc.NewServer()
		testsvc.Register(s)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			_ = lambdagrpc.Serve(ctx, s, lambdagrpc.WithAddr(addr), lambdagrpc.WithLogger(slog.New(slog.DiscardHandler)))
		}()
		var conn *grpc.ClientConn
		for range 200 {
			if c, err := net.Dial("tcp", addr); err == nil {
				c.Close()
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		conn, err = grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		bench(b, conn)
	})
}
