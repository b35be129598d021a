package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/client"
	"github.com/lambdagrpc/lambdagrpc/emulator"
	pb "github.com/lambdagrpc/lambdagrpc/examples/greeter/greeterpb"
	greeter "github.com/lambdagrpc/lambdagrpc/examples/greeter/server"
)

// A *client.Conn is what a generated client needs: here the greeter
// example's, calling its unary SayHello through a Function URL. The local
// emulator, with the greeter served in this process, stands in for the
// deployed function; against Lambda, the target is the function's URL,
// such as https://abc.lambda-url.eu-west-1.on.aws.
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

	conn, err := client.New(e.URL())
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

// Server-streamed messages arrive as the function sends them when the
// Function URL streams (InvokeMode RESPONSE_STREAM, and the function serves
// in lambdagrpc.ResponseStream mode); a buffered URL delivers them all at
// the end. The client is the same either way.
func Example_serverStream() {
	e, err := emulator.Start(context.Background(), emulator.Config{InvokeMode: emulator.ResponseStream})
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
		served <- lambdagrpc.Serve(ctx, s, lambdagrpc.WithRuntimeAPI(e.RuntimeAPIAddr()),
			lambdagrpc.WithInvokeMode(lambdagrpc.ResponseStream), lambdagrpc.WithLogger(slog.New(slog.DiscardHandler)))
	}()
	defer func() {
		stop()
		if err := <-served; err != nil {
			fmt.Println("Serve:", err)
		}
	}()

	conn, err := client.New(e.URL())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	callCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := pb.NewGreeterClient(conn).SayHelloStream(callCtx, &pb.HelloStreamRequest{Name: "Ada", Count: 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	for {
		reply, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(reply.GetMessage())
	}
	// Output:
	// Hello, Ada! (1/3)
	// Hello, Ada! (2/3)
	// Hello, Ada! (3/3)
}
