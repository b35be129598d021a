// Command greeter-client calls the example greeter through its Function URL
// with the generated grpc-go stubs and lambdagrpc's client:
//
//	go run ./cmd/lambdagrpc emulate ./examples/greeter     # in one terminal
//	go run ./examples/greeter-client -url http://127.0.0.1:9000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/lambdagrpc/lambdagrpc/client"
	pb "github.com/lambdagrpc/lambdagrpc/examples/greeter/greeterpb"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:9000", "the greeter's Function URL")
	name := flag.String("name", "world", "who to greet")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err := run(ctx, *url, *name, os.Stdout)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "greeter-client:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, url, name string, out io.Writer) error {
	conn, err := client.New(url)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	greeter := pb.NewGreeterClient(conn)

	reply, err := greeter.SayHello(ctx, &pb.HelloRequest{Name: name})
	if err != nil {
		return fmt.Errorf("SayHello: %w", err)
	}
	fmt.Fprintln(out, reply.GetMessage())

	stream, err := greeter.SayHelloStream(ctx, &pb.HelloStreamRequest{Name: name, Count: 3, IntervalMs: 100})
	if err != nil {
		return fmt.Errorf("SayHelloStream: %w", err)
	}
	for {
		reply, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("SayHelloStream: %w", err)
		}
		fmt.Fprintln(out, reply.GetMessage())
	}
}
