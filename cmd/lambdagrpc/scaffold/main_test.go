package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/client"
	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"

	hellov1 "github.com/lambdagrpc/lambdagrpc/cmd/lambdagrpc/scaffold/gen/hello/v1"
)

// serve runs the service in this process on a local Lambda emulator whose
// Function URL streams, as template.yaml deploys it, and returns a client
// of it that calls through the Function URL.
func serve(t *testing.T) hellov1.HelloServiceClient {
	t.Helper()
	e := emulatortest.Start(t, emulator.Config{InvokeMode: emulator.ResponseStream, Timeout: 10 * time.Second})
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- lambdagrpc.Serve(ctx, newServer(),
			lambdagrpc.WithRuntimeAPI(e.RuntimeAPIAddr()),
			lambdagrpc.WithInvokeMode(lambdagrpc.ResponseStream),
			lambdagrpc.WithLogger(slog.New(slog.DiscardHandler)))
	}()
	conn, err := client.New(e.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		stop()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return hellov1.NewHelloServiceClient(conn)
}

func TestSayHello(t *testing.T) {
	c := serve(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reply, err := c.SayHello(ctx, &hellov1.SayHelloRequest{Name: "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := reply.GetMessage(), "Hello, Ada!"; got != want {
		t.Errorf("SayHello: %q, want %q", got, want)
	}
	_, err = c.SayHello(ctx, &hellov1.SayHelloRequest{})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("SayHello without a name: %v, want InvalidArgument", err)
	}
}

func TestSayHelloStream(t *testing.T) {
	c := serve(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream, err := c.SayHelloStream(ctx, &hellov1.SayHelloStreamRequest{Name: "Ada", Count: 3, IntervalMs: 10})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		reply, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, reply.GetMessage())
	}
	want := []string{"Hello, Ada! (1/3)", "Hello, Ada! (2/3)", "Hello, Ada! (3/3)"}
	if len(got) != len(want) {
		t.Fatalf("SayHelloStream: %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("SayHelloStream message %d: %q, want %q", i, got[i], want[i])
		}
	}
}
