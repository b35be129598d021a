package lambdagrpc_test

import (
	"context"
	"fmt"
	"log/slog"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/lambdagrpc/lambdagrpc"
	pb "github.com/lambdagrpc/lambdagrpc/examples/greeter/greeterpb"
	"github.com/lambdagrpc/lambdagrpc/examples/greeter/server"
)

// An SQS batch: each message is a call to the method its grpc-method
// attribute names, or the one routed for its queue, with its body as the
// request in protojson. A message whose call fails with a retryable code is
// reported in batchItemFailures, so SQS delivers it again; the second
// message here names a method the server lacks, and UNIMPLEMENTED is not
// retryable, so it is logged and dropped.
func ExampleWithAsyncRoute() {
	s := grpc.NewServer()
	pb.RegisterGreeterServer(s, &server.Greeter{})
	h := lambdagrpc.NewEventHandler(s,
		lambdagrpc.WithAsyncRoute("arn:aws:sqs:us-east-1:123456789012:greetings", "/lambdagrpc.examples.greeter.v1.Greeter/SayHello"),
		lambdagrpc.WithLogger(slog.New(slog.DiscardHandler)))

	event := `{"Records":[` +
		`{"messageId":"m1","body":"{\"name\":\"Ada\"}","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:123456789012:greetings"},` +
		`{"messageId":"m2","body":"{\"name\":\"Grace\"}","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:123456789012:greetings",` +
		`"messageAttributes":{"grpc-method":{"stringValue":"/lambdagrpc.examples.greeter.v1.Greeter/NoSuchMethod","dataType":"String"}}}]}`
	out, err := h.Invoke(context.Background(), []byte(event))
	fmt.Println(string(out), err)
	// Output: {"batchItemFailures":[]} <nil>
}

// The handler learns which message it is serving, for instance to notice a
// second delivery of the same message.
func ExampleRecordFromContext() {
	s := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if r, ok := lambdagrpc.RecordFromContext(ctx); ok {
			fmt.Println(r.Source, r.ID, r.ReceiveCount, r.Method)
		}
		return handler(ctx, req)
	}))
	pb.RegisterGreeterServer(s, &server.Greeter{})
	h := lambdagrpc.NewEventHandler(s)

	event := `{"Records":[{"messageId":"m1","body":"{\"name\":\"Ada\"}","attributes":{"ApproximateReceiveCount":"2"},"eventSource":"aws:sqs",` +
		`"messageAttributes":{"grpc-method":{"stringValue":"/lambdagrpc.examples.greeter.v1.Greeter/SayHello","dataType":"String"}}}]}`
	if _, err := h.Invoke(context.Background(), []byte(event)); err != nil {
		panic(err)
	}
	// Output: aws:sqs m1 2 /lambdagrpc.examples.greeter.v1.Greeter/SayHello
}

// Records that failed with a code no retry can fix go to a dead-letter
// target instead of being dropped.
func ExampleWithDeadLetter() {
	s := grpc.NewServer()
	pb.RegisterGreeterServer(s, &server.Greeter{})
	h := lambdagrpc.NewEventHandler(s,
		lambdagrpc.WithLogger(slog.New(slog.DiscardHandler)),
		lambdagrpc.WithRetryableCodes(codes.Unavailable),
		lambdagrpc.WithDeadLetter(func(_ context.Context, f *lambdagrpc.FailedRecord) error {
			fmt.Println("dead letter:", f.Record.ID, f.Status.Code())
			return nil // in a real program: send f.Event to a queue
		}))

	event := `{"Records":[{"messageId":"m1","body":"{}","eventSource":"aws:sqs",` +
		`"messageAttributes":{"grpc-method":{"stringValue":"/no.Such/Method","dataType":"String"}}}]}`
	out, err := h.Invoke(context.Background(), []byte(event))
	fmt.Println(string(out), err)
	// Output:
	// dead letter: m1 Unimplemented
	// {"batchItemFailures":[]} <nil>
}
