package lambdagrpc_test

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s", addr)
}

func TestServeTCP(t *testing.T) {
	t.Setenv("AWS_LAMBDA_RUNTIME_API", "")
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		errc <- lambdagrpc.Serve(ctx, newTestServer(t), lambdagrpc.WithAddr(addr), lambdagrpc.WithLogger(quietLogger()))
	}()
	waitListening(t, addr)

	// Native gRPC over h2c.
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := testpb.NewTestServiceClient(conn)
	cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer ccancel()
	resp, err := client.UnaryCall(cctx, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("native")}})
	if err != nil || string(resp.GetPayload().GetBody()) != "native" {
		t.Fatalf("native gRPC: %v, %v", resp, err)
	}
	stream, err := client.StreamingOutputCall(cctx, &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 1}, {Size: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := stream.Recv(); err != nil {
			t.Fatalf("stream message %d: %v", i, err)
		}
	}

	// gRPC-Web on the same port.
	_, body := do(t, "POST", "http://"+addr+unaryPath, "application/grpc-web+proto", wire.AppendFrame(nil, 0, nil), nil)
	if r := parseWeb(t, body); r.status.Code() != codes.OK {
		t.Fatalf("gRPC-Web: %v", r.status)
	}

	// A call in flight at shutdown finishes.
	slow := make(chan error, 1)
	go func() {
		sctx := metadata.AppendToOutgoingContext(cctx, testsvc.Sleep, "300")
		_, err := client.UnaryCall(sctx, &testpb.SimpleRequest{})
		slow <- err
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	if err := <-slow; err != nil {
		t.Errorf("call in flight during shutdown: %v", err)
	}
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("Serve returned %v, want nil after a clean shutdown", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
}

func TestServePortInUse(t *testing.T) {
	t.Setenv("AWS_LAMBDA_RUNTIME_API", "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = lambdagrpc.Serve(context.Background(), newTestServer(t), lambdagrpc.WithAddr(ln.Addr().String()), lambdagrpc.WithLogger(quietLogger()))
	if err == nil {
		t.Fatal("Serve on a busy port succeeded")
	}
}
