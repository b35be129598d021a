package bridge_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/bridge"
	"github.com/lambdagrpc/lambdagrpc/client"
	"github.com/lambdagrpc/lambdagrpc/client/awsclient"
	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/internal/syncbuf"
	"github.com/lambdagrpc/lambdagrpc/internal/testfn"
	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
)

// function starts the test service, with health and reflection, as a
// function on the emulator and returns its Function URL.
func function(t *testing.T, mode emulator.InvokeMode) string {
	t.Helper()
	return testfn.Start(t, emulator.Config{InvokeMode: mode, MaxConcurrency: 8, Timeout: 10 * time.Second}).URL()
}

// startBridge serves a bridge to url and returns a native gRPC connection
// to it.
func startBridge(t *testing.T, url string, opts ...bridge.Option) *grpc.ClientConn {
	return dialBridge(t, url, opts...)
}

func dialBridge(t testing.TB, url string, opts ...bridge.Option) *grpc.ClientConn {
	t.Helper()
	up, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	return serveBridge(t, up, append([]bridge.Option{bridge.WithName(url)}, opts...)...)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestBridgeForwards(t *testing.T) {
	t.Parallel()
	for _, mode := range []emulator.InvokeMode{emulator.Buffered, emulator.ResponseStream} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			c := testpb.NewTestServiceClient(startBridge(t, function(t, mode)))
			var hdr, trl metadata.MD
			mctx := metadata.AppendToOutgoingContext(ctx(t), testsvc.EchoHeader, "h", testsvc.EchoTrailer, "t", testsvc.EchoBin, "\x00\x01")
			resp, err := c.UnaryCall(mctx, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("native")}}, grpc.Header(&hdr), grpc.Trailer(&trl))
			if err != nil || string(resp.GetPayload().GetBody()) != "native" {
				t.Fatalf("unary: %v %v", resp, err)
			}
			if len(hdr.Get(testsvc.EchoHeader)) != 1 || len(trl.Get(testsvc.EchoTrailer)) != 1 || trl.Get(testsvc.EchoBin)[0] != "\x00\x01" {
				t.Errorf("metadata: header %v trailer %v", hdr, trl)
			}
			stream, err := c.StreamingOutputCall(ctx(t), &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 1}, {Size: 2}, {Size: 3}}})
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i <= 3; i++ {
				if m, err := stream.Recv(); err != nil || len(m.GetPayload().GetBody()) != i {
					t.Fatalf("stream %d: %v %v", i, m, err)
				}
			}
			cs, _ := c.StreamingInputCall(ctx(t))
			for _, n := range []int{1, 2, 3} {
				cs.Send(&testpb.StreamingInputCallRequest{Payload: &testpb.Payload{Body: make([]byte, n)}})
			}
			if r, err := cs.CloseAndRecv(); err != nil || r.GetAggregatedPayloadSize() != 6 {
				t.Fatalf("client stream: %v %v", r, err)
			}
			_, err = c.UnaryCall(metadata.AppendToOutgoingContext(ctx(t), testsvc.ErrorDetail, "WHY"),
				&testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.FailedPrecondition), Message: "not now"}})
			st := status.Convert(err)
			if st.Code() != codes.FailedPrecondition || st.Message() != "not now" || len(st.Details()) != 1 {
				t.Fatalf("error: %v", st)
			}
			if info, ok := st.Details()[0].(*errdetails.ErrorInfo); !ok || info.GetReason() != "WHY" {
				t.Fatalf("details: %v", st.Details())
			}
		})
	}
}

func TestBridgeReflectionAndHealth(t *testing.T) {
	t.Parallel()
	conn := startBridge(t, function(t, emulator.Buffered))
	if r, err := healthpb.NewHealthClient(conn).Check(ctx(t), &healthpb.HealthCheckRequest{}); err != nil || r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health: %v %v", r, err)
	}
	// The reflection stream is used full-duplex, as grpcurl does.
	rs, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := rs.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	list, err := rs.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range list.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	if !strings.Contains(strings.Join(names, " "), "grpc.testing.TestService") {
		t.Fatalf("services %v", names)
	}
	rs.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: "grpc.testing.TestService"}})
	file, err := rs.Recv()
	if err != nil || len(file.GetFileDescriptorResponse().GetFileDescriptorProto()) == 0 {
		t.Fatalf("describe: %v %v", file, err)
	}
	rs.CloseSend()
	if _, err := rs.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("after CloseSend: %v", err)
	}
}

func TestBridgeDeadlineAndCancel(t *testing.T) {
	t.Parallel()
	c := testpb.NewTestServiceClient(startBridge(t, function(t, emulator.ResponseStream)))
	dctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.UnaryCall(metadata.AppendToOutgoingContext(dctx, testsvc.Sleep, "3000"), &testpb.SimpleRequest{})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("deadline: %v", err)
	}
	cctx, ccancel := context.WithCancel(context.Background())
	stream, err := c.StreamingOutputCall(cctx, &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 1}, {Size: 1, IntervalUs: 3000000}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatalf("first message through a streaming upstream: %v", err)
	}
	ccancel()
	if _, err := stream.Recv(); status.Code(err) != codes.Canceled {
		t.Fatalf("after cancel: %v", err)
	}
}

func TestBridgeUpstreamFailures(t *testing.T) {
	t.Parallel()
	// Nothing listens upstream (port 1 is outside the ephemeral range, so
	// no parallel test's listener takes it): the caller learns the code and
	// that the bridge's log has more, but not where the upstream is.
	addr := "127.0.0.1:1"
	down := "http://" + addr
	log := &syncbuf.Buffer{}
	c := testpb.NewTestServiceClient(startBridge(t, down, bridge.WithLogger(slog.New(slog.NewTextHandler(log, nil)))))
	_, err := c.UnaryCall(ctx(t), &testpb.SimpleRequest{})
	st := status.Convert(err)
	if st.Code() != codes.Unavailable || !strings.Contains(st.Message(), "log") {
		t.Fatalf("upstream down: %v, want Unavailable pointing to the bridge's log", st)
	}
	checkNoLeak(t, st, log, down, addr)
	if !strings.Contains(log.String(), "connection refused") {
		t.Errorf("the bridge's log lacks the cause:\n%s", log)
	}
	// An upstream that answers garbage, and the bridge serving on after.
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/grpc-web+proto")
		w.Write([]byte("\x00\x00\x00\x00\x20truncated garbage"))
	}))
	defer garbage.Close()
	c = testpb.NewTestServiceClient(startBridge(t, garbage.URL))
	for range 2 {
		if _, err := c.UnaryCall(ctx(t), &testpb.SimpleRequest{}); status.Code(err) != codes.Internal {
			t.Fatalf("garbage upstream: %v", err)
		}
	}
}

func TestBridgeRequestLimit(t *testing.T) {
	t.Parallel()
	c := testpb.NewTestServiceClient(startBridge(t, function(t, emulator.Buffered), bridge.WithMaxRequestBytes(1000)))
	cs, _ := c.StreamingInputCall(ctx(t))
	for range 3 {
		cs.Send(&testpb.StreamingInputCallRequest{Payload: &testpb.Payload{Body: make([]byte, 400)}})
	}
	_, err := cs.CloseAndRecv()
	if st := status.Convert(err); st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), "one request") {
		t.Fatalf("over the limit: %v", st)
	}
}

// TestBridgeLargeResponse sends a 4.3 MB response, over grpc-go's 4 MiB
// default but within what Lambda delivers buffered, through the bridge in
// both invoke modes: the upstream Conn keeps its default limit, and the
// bridge's own (DefaultMaxResponseBytes) applies.
func TestBridgeLargeResponse(t *testing.T) {
	t.Parallel()
	for _, mode := range []emulator.InvokeMode{emulator.Buffered, emulator.ResponseStream} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			// Megabytes through base64 and JSON are slow under the race
			// detector on a busy machine: allow a minute.
			url := testfn.Start(t, emulator.Config{InvokeMode: mode, Timeout: time.Minute}).URL()
			c := testpb.NewTestServiceClient(startBridge(t, url))
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			resp, err := c.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: 4_300_000}, grpc.MaxCallRecvMsgSize(16<<20))
			if err != nil || len(resp.GetPayload().GetBody()) != 4_300_000 {
				t.Fatalf("UnaryCall(4.3 MB) = %d bytes, %v; want 4300000 bytes", len(resp.GetPayload().GetBody()), err)
			}
			stream, err := c.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 4_300_000}}}, grpc.MaxCallRecvMsgSize(16<<20))
			if err != nil {
				t.Fatal(err)
			}
			if m, err := stream.Recv(); err != nil || len(m.GetPayload().GetBody()) != 4_300_000 {
				t.Fatalf("streamed 4.3 MB = %d bytes, %v", len(m.GetPayload().GetBody()), err)
			}
		})
	}
}

// TestBridgeResponseLimit checks that a response over the bridge's own
// limit fails with a status that names that limit and how to raise it, not
// one that reads like the caller's own limit.
func TestBridgeResponseLimit(t *testing.T) {
	t.Parallel()
	c := testpb.NewTestServiceClient(startBridge(t, function(t, emulator.Buffered), bridge.WithMaxResponseBytes(1_000_000)))
	_, err := c.UnaryCall(ctx(t), &testpb.SimpleRequest{ResponseSize: 2_000_000}, grpc.MaxCallRecvMsgSize(16<<20))
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted {
		t.Fatalf("over the bridge's limit: %v, want ResourceExhausted", st)
	}
	for _, want := range []string{"bridge", "1000000", "2000008", "--max-response-bytes", "WithMaxResponseBytes"} {
		if !strings.Contains(st.Message(), want) {
			t.Errorf("over the bridge's limit: message %q, want it to contain %q", st.Message(), want)
		}
	}
}

// checkNoLeak fails the test if any of secrets (the upstream's URL, ARN,
// address) reaches the caller in st, or if the bridge's log lacks them.
func checkNoLeak(t *testing.T, st *status.Status, log *syncbuf.Buffer, secrets ...string) {
	t.Helper()
	for _, secret := range secrets {
		if strings.Contains(st.Message(), secret) {
			t.Errorf("the caller's status %q reveals the upstream's %q", st.Message(), secret)
		}
		for _, d := range st.Details() {
			if strings.Contains(fmt.Sprint(d), secret) {
				t.Errorf("the caller's status detail %v reveals the upstream's %q", d, secret)
			}
		}
	}
	if l := log.String(); !strings.Contains(l, secrets[0]) {
		t.Errorf("the bridge's log does not name the upstream %q:\n%s", secrets[0], l)
	}
}

// TestBridgeHidesFunctionARN calls a function that does not exist through
// the Invoke API: the caller gets a status without the ARN, account or
// endpoint, and the bridge's log names them.
func TestBridgeHidesFunctionARN(t *testing.T) {
	t.Parallel()
	e := testfn.Start(t, emulator.Config{Timeout: 10 * time.Second})
	arn := "arn:aws:lambda:us-east-1:123456789012:function:missing"
	lc := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.InvokeEndpoint()),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")})
	up, err := awsclient.New(lc, arn, false)
	if err != nil {
		t.Fatal(err)
	}
	log := &syncbuf.Buffer{}
	conn := serveBridge(t, up, bridge.WithName(arn), bridge.WithLogger(slog.New(slog.NewTextHandler(log, nil))))
	_, err = testpb.NewTestServiceClient(conn).UnaryCall(ctx(t), &testpb.SimpleRequest{})
	st := status.Convert(err)
	if st.Code() == codes.OK {
		t.Fatal("a call to a missing function succeeded")
	}
	checkNoLeak(t, st, log, arn, "123456789012", "function:missing", strings.TrimPrefix(e.InvokeEndpoint(), "http://"), "invoke.lambda")
	if !strings.Contains(log.String(), "ResourceNotFoundException") {
		t.Errorf("the bridge's log lacks the cause:\n%s", log)
	}
}
