package awsclient_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/client"
	"github.com/lambdagrpc/lambdagrpc/client/awsclient"
	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/internal/testfn"
	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
)

func conn(t *testing.T, e *emulator.Emulator, function string, stream bool, opts ...client.Option) testpb.TestServiceClient {
	t.Helper()
	lc := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.InvokeEndpoint()), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")})
	c, err := awsclient.New(lc, function, stream, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return testpb.NewTestServiceClient(c)
}

func callCtx(t *testing.T) context.Context {
	// Megabytes through base64 and JSON are slow under the race detector
	// on a busy machine: allow a minute.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// TestInvokeAPIRefusals checks that the Invoke API's own refusals (413 for
// a request over the payload limit, 429 under reserved concurrency, 404
// for a missing function) become the same statuses a Function URL's
// answers do, on every protocol, through Invoke and
// InvokeWithResponseStream.
func TestInvokeAPIRefusals(t *testing.T) {
	t.Parallel()
	e := testfn.Start(t, emulator.Config{InvokeMode: emulator.ResponseStream, Timeout: time.Minute, ReservedConcurrency: 1})
	// Hold the one slot: the first message has arrived while the handler
	// waits at the gate.
	gate, open := testsvc.NewGate()
	defer open()
	held, err := conn(t, e, e.Config().Name, true).StreamingOutputCall(metadata.AppendToOutgoingContext(callCtx(t), testsvc.Gate, gate),
		&testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 1}, {Size: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := held.Recv(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []client.Protocol{client.GRPCWeb, client.GRPCWebText, client.Connect} {
		for _, stream := range []bool{false, true} {
			c := conn(t, e, e.Config().Name, stream, client.WithProtocol(p))
			_, err := c.UnaryCall(callCtx(t), &testpb.SimpleRequest{})
			check(t, p.String()+" throttled", err, codes.ResourceExhausted, "Lambda answered HTTP 429", "throttled", "TooManyRequestsException")
			if p == client.Connect { // megabytes are slow under the race detector: once per invoke API
				_, err = c.UnaryCall(callCtx(t), &testpb.SimpleRequest{Payload: &testpb.Payload{Body: make([]byte, 5_000_000)}})
				check(t, p.String()+" too large", err, codes.ResourceExhausted, "Lambda answered HTTP 413", "RequestTooLargeException")
			}
			_, err = conn(t, e, "missing", stream, client.WithProtocol(p)).UnaryCall(callCtx(t), &testpb.SimpleRequest{})
			check(t, p.String()+" missing function", err, codes.NotFound, "Lambda answered HTTP 404", "ResourceNotFoundException")
		}
	}
	open()
	if _, err := held.Recv(); err != nil {
		t.Fatalf("the call that held the slot: %v", err)
	}
	if _, err := held.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("the end of the call that held the slot: %v", err)
	}
}

// TestAbandonedStreamIsReleased cancels a streamed call after its first
// message, with the rest of the answer waiting, and never reads again: the transport's goroutine and the SDK's
// event stream must end anyway (TestMain finds any left).
func TestAbandonedStreamIsReleased(t *testing.T) {
	t.Parallel()
	e := testfn.Start(t, emulator.Config{InvokeMode: emulator.ResponseStream, Timeout: time.Minute})
	gate, open := testsvc.NewGate()
	defer open()
	ctx, cancel := context.WithCancel(callCtx(t))
	stream, err := conn(t, e, e.Config().Name, true).StreamingOutputCall(metadata.AppendToOutgoingContext(ctx, testsvc.Gate, gate),
		&testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 1}, {Size: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	// The rest of the answer arrives and waits for a reader that never
	// comes.
	open()
	time.Sleep(200 * time.Millisecond)
	cancel()
}

func check(t *testing.T, what string, err error, code codes.Code, msgs ...string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != code {
		t.Errorf("%s: %v %q, want %v", what, st.Code(), st.Message(), code)
		return
	}
	for _, m := range msgs {
		if !strings.Contains(st.Message(), m) {
			t.Errorf("%s: message %q, want it to contain %q", what, st.Message(), m)
		}
	}
}
