package client_test

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/client"
	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/internal/testfn"
	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
)

func TestThroughTheEmulator(t *testing.T) {
	t.Parallel()
	for _, mode := range []emulator.InvokeMode{emulator.Buffered, emulator.ResponseStream} {
		rest := emulator.REST
		if mode == emulator.ResponseStream {
			rest = emulator.RESTStream
		}
		// The target's path prefixes every method's path: the function
		// serves below it, and the REST door's URL holds its stage too.
		e := testfn.Start(t, emulator.Config{InvokeMode: mode, MaxConcurrency: 4, Timeout: 10 * time.Second,
			FrontDoors: []emulator.FrontDoor{{Kind: rest}, {Kind: emulator.HTTPAPI}}}, lambdagrpc.WithPathPrefix("/stage"))
		for _, door := range []emulator.FrontDoorKind{emulator.FunctionURL, rest, emulator.HTTPAPI} {
			for _, proto := range []client.Protocol{client.GRPCWeb, client.GRPCWebText, client.Connect} {
				t.Run(string(mode)+"/"+string(door)+"/"+proto.String(), func(t *testing.T) {
					conn, err := client.New(e.FrontDoorURL(door)+"/stage", client.WithProtocol(proto))
					if err != nil {
						t.Fatal(err)
					}
					defer conn.Close()
					c := testpb.NewTestServiceClient(conn)
					var trl metadata.MD
					resp, err := c.UnaryCall(metadata.AppendToOutgoingContext(ctx(t), testsvc.EchoTrailer, "a, b"), &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("lambda")}}, grpc.Trailer(&trl))
					if err != nil || string(resp.GetPayload().GetBody()) != "lambda" || strings.Join(trl.Get(testsvc.EchoTrailer), "|") != "a, b" {
						t.Fatalf("unary: %v %v, trailer %v", resp, err, trl)
					}
					stream, err := c.StreamingOutputCall(ctx(t), &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 1}, {Size: 2}}})
					if err != nil {
						t.Fatal(err)
					}
					n := 0
					for {
						if _, err := stream.Recv(); err != nil {
							if !errors.Is(err, io.EOF) {
								t.Fatal(err)
							}
							break
						}
						n++
					}
					if n != 2 {
						t.Fatalf("%d stream messages", n)
					}
				})
			}
		}
	}
}

func TestStreamingThroughLambdaIsIncremental(t *testing.T) {
	t.Parallel()
	e := testfn.Start(t, emulator.Config{InvokeMode: emulator.ResponseStream, Timeout: 10 * time.Second})
	conn, _ := client.New(e.URL())
	gate, open := testsvc.NewGate()
	defer open()
	stream, err := testpb.NewTestServiceClient(conn).StreamingOutputCall(metadata.AppendToOutgoingContext(ctx(t), testsvc.Gate, gate),
		&testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 1}, {Size: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatalf("the first message did not arrive through a streaming Function URL while the handler waited: %v", err)
	}
	open()
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
}

func TestLambdaErrors(t *testing.T) {
	t.Parallel()
	e := testfn.Start(t, emulator.Config{Timeout: 300 * time.Millisecond})
	conn, _ := client.New(e.URL())
	c := testpb.NewTestServiceClient(conn)
	// lambdagrpc ends the call itself before the Lambda timeout.
	_, err := c.UnaryCall(metadata.AppendToOutgoingContext(ctx(t), testsvc.Sleep, "1000"), &testpb.SimpleRequest{})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("slow handler: %v", err)
	}
	// Throttled: hold the one slot with a slow call and make another.
	e = testfn.Start(t, emulator.Config{Timeout: 5 * time.Second, ReservedConcurrency: 1})
	conn, _ = client.New(e.URL())
	c = testpb.NewTestServiceClient(conn)
	slow := make(chan error, 1)
	go func() {
		_, err := c.UnaryCall(metadata.AppendToOutgoingContext(ctx(t), testsvc.Sleep, "500"), &testpb.SimpleRequest{})
		slow <- err
	}()
	time.Sleep(150 * time.Millisecond)
	_, err = c.UnaryCall(ctx(t), &testpb.SimpleRequest{})
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), "Lambda") {
		t.Fatalf("throttled: %v", st)
	}
	if err := <-slow; err != nil {
		t.Fatalf("the admitted call: %v", err)
	}
}
