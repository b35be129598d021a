package awsclient_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
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
	return connWith(t, e, nil, function, stream, opts...)
}

// connWith is conn with the AWS SDK's HTTP client hc (nil: the SDK's
// default).
func connWith(t *testing.T, e *emulator.Emulator, hc lambda.HTTPClient, function string, stream bool, opts ...client.Option) testpb.TestServiceClient {
	t.Helper()
	lc := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.InvokeEndpoint()), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""), HTTPClient: hc})
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
// message, with the rest of the answer waiting, and never reads again: the
// transport's goroutine and the SDK's event stream must end anyway
// (TestMain finds any left).
func TestAbandonedStreamIsReleased(t *testing.T) {
	t.Parallel()
	e := testfn.Start(t, emulator.Config{InvokeMode: emulator.ResponseStream, Timeout: time.Minute})
	gate, open := testsvc.NewGate()
	defer open()
	// The SDK has read the whole answer once it has read InvokeComplete,
	// the event stream's last event.
	tr := &watchTransport{base: http.DefaultTransport.(*http.Transport).Clone(), want: []byte("InvokeComplete"), seen: make(chan struct{})}
	t.Cleanup(tr.base.CloseIdleConnections)
	ctx, cancel := context.WithCancel(callCtx(t))
	stream, err := connWith(t, e, &http.Client{Transport: tr}, e.Config().Name, true).StreamingOutputCall(metadata.AppendToOutgoingContext(ctx, testsvc.Gate, gate),
		&testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 1}, {Size: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	// The rest of the answer arrives: the SDK has read it, and its events
	// wait for a reader that never comes.
	open()
	select {
	case <-tr.seen:
	case <-ctx.Done():
		t.Fatal("the SDK never read the end of the answer")
	}
	cancel()
}

// watchTransport closes seen once a response body has yielded want.
type watchTransport struct {
	base *http.Transport
	want []byte
	seen chan struct{}
	once sync.Once
}

func (w *watchTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := w.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &watchedBody{ReadCloser: resp.Body, w: w}
	return resp, nil
}

type watchedBody struct {
	io.ReadCloser
	w    *watchTransport
	read []byte
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.read = append(b.read, p[:n]...)
	if bytes.Contains(b.read, b.w.want) {
		b.w.once.Do(func() { close(b.w.seen) })
	}
	return n, err
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
