package awssdk

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/client"
	"github.com/lambdagrpc/lambdagrpc/client/awsclient"
	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/internal/testfn"
	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
)

// TestCallByName calls a function with no URL through the Invoke APIs,
// buffered and streamed, with the SDK's client pointed at the emulator.
func TestCallByName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		mode   lambdagrpc.InvokeMode
		stream bool
	}{
		{"Invoke", lambdagrpc.Buffered, false},
		{"InvokeWithResponseStream", lambdagrpc.ResponseStream, true},
		{"InvokeWithResponseStream to a buffered function", lambdagrpc.Buffered, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mode := emulator.Buffered
			if tc.mode == lambdagrpc.ResponseStream {
				mode = emulator.ResponseStream
			}
			e := testfn.Start(t, emulator.Config{Name: "svc", MaxConcurrency: 4, Timeout: 10 * time.Second, InvokeMode: mode})
			conn, err := awsclient.New(sdkClient(e), "svc", tc.stream)
			if err != nil {
				t.Fatal(err)
			}
			c := testpb.NewTestServiceClient(conn)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var trl metadata.MD
			resp, err := c.UnaryCall(metadata.AppendToOutgoingContext(ctx, testsvc.EchoTrailer, "x"), &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("by name")}}, grpc.Trailer(&trl))
			if err != nil || string(resp.GetPayload().GetBody()) != "by name" || trl.Get(testsvc.EchoTrailer)[0] != "x" {
				t.Fatalf("unary: %v %v %v", resp, err, trl)
			}
			stream, err := c.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 1}, {Size: 2}}})
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
				t.Fatalf("%d messages", n)
			}
			_, err = c.UnaryCall(ctx, &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.NotFound), Message: "nope"}})
			if st := status.Convert(err); st.Code() != codes.NotFound || st.Message() != "nope" {
				t.Fatalf("error: %v", st)
			}
			// An unknown function is Lambda's error, said so.
			bad, _ := awsclient.New(sdkClient(e), "missing", tc.stream)
			_, err = testpb.NewTestServiceClient(bad).UnaryCall(ctx, &testpb.SimpleRequest{})
			if err == nil || !strings.Contains(err.Error(), "ResourceNotFound") {
				t.Fatalf("unknown function: %v", err)
			}
		})
	}
}

// TestSigV4Option calls an AWS_IAM Function URL with the client's SigV4
// option.
func TestSigV4Option(t *testing.T) {
	t.Parallel()
	e := testfn.Start(t, emulator.Config{AuthType: "AWS_IAM", Region: "eu-west-1", Credentials: map[string]string{"AKIDEXAMPLE": "secret"}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	signed, err := client.New(e.URL(), awsclient.SigV4(credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""), "eu-west-1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := testpb.NewTestServiceClient(signed).UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
		t.Fatalf("signed call: %v", err)
	}
	unsigned, _ := client.New(e.URL())
	_, err = testpb.NewTestServiceClient(unsigned).UnaryCall(ctx, &testpb.SimpleRequest{})
	if st := status.Convert(err); st.Code() != codes.PermissionDenied || !strings.Contains(st.Message(), "Lambda") {
		t.Fatalf("unsigned call: %v", st)
	}
}
