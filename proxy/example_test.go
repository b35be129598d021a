package proxy_test

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/reflection"

	"github.com/lambdagrpc/lambdagrpc"
	pb "github.com/lambdagrpc/lambdagrpc/examples/greeter/greeterpb"
	"github.com/lambdagrpc/lambdagrpc/examples/greeter/server"
	"github.com/lambdagrpc/lambdagrpc/proxy"
	"github.com/lambdagrpc/lambdagrpc/rest"
)

// A handler with nothing registered fronts a greeter that runs elsewhere
// (here on loopback): REST comes from the backend's reflection service.
func ExampleNewServer() {
	// The backend: an ordinary grpc-go server, with reflection.
	backend := grpc.NewServer()
	pb.RegisterGreeterServer(backend, &server.Greeter{})
	reflection.Register(backend)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	go func() { _ = backend.Serve(lis) }()
	defer backend.Stop()

	// The front: in a function, lambdagrpc.Serve(ctx, srv, opt).
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cc.Close()
	files, err := proxy.Reflect(context.Background(), cc)
	if err != nil {
		fmt.Println(err)
		return
	}
	srv, err := proxy.NewServer(cc)
	if err != nil {
		fmt.Println(err)
		return
	}
	opt := rest.Enable(rest.WithResolver(files, nil), rest.WithServices(proxy.Services(files)...))
	h := lambdagrpc.NewHandler(srv, opt)

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/v1/greet/world", nil))
	fmt.Println(w.Code, w.Body)
	// Output: 200 {"message":"Hello, world!"}
}
