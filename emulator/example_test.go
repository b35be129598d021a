package emulator_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/emulator"
	pb "github.com/lambdagrpc/lambdagrpc/examples/greeter/greeterpb"
	greeter "github.com/lambdagrpc/lambdagrpc/examples/greeter/server"
)

// The emulator builds a function's package with go build, runs it as Lambda
// would on the first invocation, and serves its Function URL on a free
// loopback port. Here the function is the greeter example, and the call is
// a Connect unary call with a JSON body, as curl would make it.
func Example() {
	e, err := emulator.Start(context.Background(), emulator.Config{
		Package: "github.com/lambdagrpc/lambdagrpc/examples/greeter",
		Output:  io.Discard, // the function's log; by default it goes to stderr
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()

	resp, err := http.Post(e.URL()+"/lambdagrpc.examples.greeter.v1.Greeter/SayHello", "application/json", strings.NewReader(`{"name":"Ada"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Status, string(body))
	// Output: 200 OK {"message":"Hello, Ada!"}
}

// Without Package or Command, the emulator runs no process: the function
// is served in this process by lambdagrpc.Serve against the emulator's
// Runtime API, as a test does. Every front door of Config.FrontDoors
// delivers its own event format to the same function; FrontDoorURL finds
// each door's URL (a REST door's ends in its stage, "/prod").
func Example_frontDoors() {
	e, err := emulator.Start(context.Background(), emulator.Config{
		FrontDoors: []emulator.FrontDoor{{Kind: emulator.REST}, {Kind: emulator.HTTPAPI}, {Kind: emulator.ALB}},
	})
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

	for _, kind := range []emulator.FrontDoorKind{emulator.FunctionURL, emulator.REST, emulator.HTTPAPI, emulator.ALB} {
		resp, err := http.Post(e.FrontDoorURL(kind)+"/lambdagrpc.examples.greeter.v1.Greeter/SayHello", "application/json", strings.NewReader(`{"name":"`+string(kind)+`"}`))
		if err != nil {
			fmt.Println(err)
			return
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(resp.StatusCode, string(body))
	}
	// Output:
	// 200 {"message":"Hello, function-url!"}
	// 200 {"message":"Hello, rest!"}
	// 200 {"message":"Hello, http-api!"}
	// 200 {"message":"Hello, alb!"}
}

// An SQS mapping polls a queue and invokes the function with batches of its
// messages, as Lambda's event-source mapping does. Start checks the
// mapping before it binds an address or reaches the queue: a batch above
// ten messages needs a batching window, as on Lambda.
func ExampleSQSMapping() {
	cfg := emulator.Config{SQS: []emulator.SQSMapping{{
		QueueURL:                "http://127.0.0.1:5000/123456789012/orders",
		BatchSize:               100,
		ReportBatchItemFailures: true,
	}}}
	fmt.Println(cfg.Check(context.Background()))
	cfg.SQS[0].BatchingWindow = 2 * time.Second
	fmt.Println(cfg.Check(context.Background()))
	// Output:
	// emulator: SQS queue http://127.0.0.1:5000/123456789012/orders: a batch size of 100 needs a batching window of at least 1s, as Lambda requires
	// <nil>
}
