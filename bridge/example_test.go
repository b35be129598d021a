package bridge_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/bridge"
	"github.com/lambdagrpc/lambdagrpc/client"
	"github.com/lambdagrpc/lambdagrpc/emulator"
	pb "github.com/lambdagrpc/lambdagrpc/examples/greeter/greeterpb"
	greeter "github.com/lambdagrpc/lambdagrpc/examples/greeter/server"
)

// The bridge serves native gRPC and forwards every call to a function's
// URL through a client.Conn, so an ordinary gRPC client (grpcurl, another
// language's stubs, here grpc-go's own ClientConn) can call the function.
// The local emulator, with the greeter example served in this process,
// stands in for the deployed function.
func Example() {
	e, err := emulator.Start(context.Background(), emulator.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()
	s := grpc.NewServer()
	pb.RegisterGreeterServer(s, &greeter.Greeter{})
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- lambdagrpc.Serve(ctx, s, lambdagrpc.WithRuntimeAPI(e.RuntimeAPIAddr()), lambdagrpc.WithLogger(slog.New(slog.DiscardHandler)))
	}()
	defer func() {
		stop()
		if err := <-served; err != nil {
			fmt.Println("Serve:", err)
		}
	}()

	upstream, err := client.New(e.URL())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer upstream.Close()
	b, err := bridge.New(upstream, bridge.WithName(e.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	go func() { _ = b.Serve(lis) }()
	defer b.Stop()

	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	callCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reply, err := pb.NewGreeterClient(conn).SayHello(callCtx, &pb.HelloRequest{Name: "Ada"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(reply.GetMessage())
	// Output: Hello, Ada!
}

// Any grpc.ClientConnInterface can be an upstream, a grpc-go ClientConn to
// an ordinary gRPC server too: with WithService, one bridge address can
// serve services of Lambda functions beside services of a server. Here the
// only upstream is a ClientConn to the greeter served natively; the bridge
// forwards the call without knowing the service.
func Example_clientConn() {
	backend := grpc.NewServer()
	pb.RegisterGreeterServer(backend, &greeter.Greeter{})
	backendLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	go func() { _ = backend.Serve(backendLis) }()
	defer backend.Stop()
	upstream, err := grpc.NewClient(backendLis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer upstream.Close()

	b, err := bridge.New(upstream, bridge.WithName("greeter server"))
	if err != nil {
		fmt.Println(err)
		return
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	go func() { _ = b.Serve(lis) }()
	defer b.Stop()

	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reply, err := pb.NewGreeterClient(conn).SayHello(ctx, &pb.HelloRequest{Name: "Grace"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(reply.GetMessage())
	// Output: Hello, Grace!
}
