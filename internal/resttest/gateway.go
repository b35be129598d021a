package resttest

import (
	"context"
	"net"
	"net/http"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/lambdagrpc/lambdagrpc/internal/resttest/librarypb"
)

// Serve serves srv on a loopback port until the test ends, and returns
// its address. Register the Library on srv, and hand srv to the front ends
// under test, before.
func Serve(t testing.TB, srv *grpc.Server) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("resttest: listen: %v", err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// Gateway returns grpc-gateway's generated mux, with the default options of
// runtime.NewServeMux, dialing the gRPC server at addr: the reference that
// lambdagrpc's REST protocol is compared with. It uses the client variant
// of the generated code, because the server variant has no streaming.
func Gateway(t testing.TB, addr string) http.Handler {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("resttest: dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	mux := runtime.NewServeMux()
	if err := librarypb.RegisterLibraryHandlerClient(context.Background(), mux, librarypb.NewLibraryClient(conn)); err != nil {
		t.Fatalf("resttest: register the gateway: %v", err)
	}
	return mux
}
