package bridge_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/lambdagrpc/lambdagrpc/bridge"
	"github.com/lambdagrpc/lambdagrpc/client"
	"github.com/lambdagrpc/lambdagrpc/client/awsclient"
	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"
	"github.com/lambdagrpc/lambdagrpc/internal/runtimeapi"
	"github.com/lambdagrpc/lambdagrpc/internal/syncbuf"
	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// secretFailure is what the failing function reports: Lambda passes such
// words on (InvokeComplete's ErrorDetails), and they may name internal
// resources, so only the bridge's log may hold them.
const (
	secretType = "Function.SecretFailure"
	secretARN  = "arn:aws:lambda:us-east-1:123456789012:function:internal-billing"
)

// failingFunction serves e's streamed invocations as a function that fails
// mid-stream: each answer carries its prelude and one StreamingOutputCall
// message at once, then, once release is called (at the latest when the
// test ends), ends with Lambda's error trailers.
func failingFunction(t *testing.T, e *emulator.Emulator) (release func()) {
	t.Helper()
	ch := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(ch) }) }
	msg, err := proto.Marshal(&testpb.StreamingOutputCallResponse{Payload: &testpb.Payload{Body: []byte("first")}})
	if err != nil {
		t.Fatal(err)
	}
	head := append([]byte(`{"statusCode":200,"headers":{"content-type":"application/grpc-web+proto"}}`), runtimeapi.PreludeDelimiter[:]...)
	head = wire.AppendFrame(head, 0, msg)
	rc := runtimeapi.NewClient(e.RuntimeAPIAddr(), 1, "failing-function")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			inv, err := rc.Next(ctx)
			if err != nil {
				return
			}
			body := io.MultiReader(bytes.NewReader(head), waitReader(ch))
			_ = rc.RespondStream(ctx, inv, runtimeapi.ContentTypeHTTPIntegration, body, func() *runtimeapi.StreamError {
				return &runtimeapi.StreamError{Type: secretType, Message: "cannot reach " + secretARN}
			})
		}
	}()
	t.Cleanup(func() {
		release()
		cancel()
		<-done
		rc.Close()
	})
	return release
}

// waitReader ends (io.EOF) once release is closed.
type waitReader <-chan struct{}

func (w waitReader) Read([]byte) (int, error) {
	<-w
	return 0, io.EOF
}

// cutter forwards TCP connections to an address until cut resets them, a
// connection cut in the middle of a response.
type cutter struct {
	lis   net.Listener
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func newCutter(t *testing.T, addr string) *cutter {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cutter{lis: lis}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			down, err := lis.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", addr)
			if err != nil {
				down.Close()
				continue
			}
			c.mu.Lock()
			c.conns = append(c.conns, down, up)
			c.mu.Unlock()
			c.wg.Add(2)
			go func() { defer c.wg.Done(); _, _ = io.Copy(up, down); up.Close() }()
			go func() { defer c.wg.Done(); _, _ = io.Copy(down, up); down.Close() }()
		}
	}()
	t.Cleanup(func() {
		lis.Close()
		c.cut()
		c.wg.Wait()
	})
	return c
}

// cut resets every connection forwarded so far.
func (c *cutter) cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, conn := range c.conns {
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		conn.Close()
	}
	c.conns = nil
}

// TestBridgeHidesMidStreamFailures makes the upstream fail after its first
// message, when the bridge has already sent the caller its headers: a
// function that fails mid-stream, seen through a Function URL (which cuts
// the connection) and through InvokeWithResponseStream (which reports
// Lambda's error type and details), and a connection to the Invoke API
// reset mid-response. Only a status the upstream sent reaches the caller
// as it is; the client's own errors (which quote Lambda's words and the
// transport's, addresses included) reach it as their code and a pointer to
// the bridge's log, which has them with the upstream's name.
func TestBridgeHidesMidStreamFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// upstream returns the bridge's upstream, its name, the words the
		// caller must not see, and what makes the upstream fail once the
		// caller has the first message (release lets the function end
		// with its error).
		upstream func(t *testing.T, e *emulator.Emulator, release func()) (cc grpc.ClientConnInterface, name string, secrets []string, fail func())
		wantCode codes.Code
		wantLog  []string // each in the log; "a|b": a or b
	}{
		{
			name: "function URL",
			upstream: func(t *testing.T, e *emulator.Emulator, release func()) (grpc.ClientConnInterface, string, []string, func()) {
				url := e.URL() + "/internal-stage"
				cc, err := client.New(url)
				if err != nil {
					t.Fatal(err)
				}
				return cc, url, []string{strings.TrimPrefix(e.URL(), "http://"), "internal-stage"}, release
			},
			wantCode: codes.Internal,
			wantLog:  []string{"cut off"},
		},
		{
			name: "InvokeWithResponseStream",
			upstream: func(t *testing.T, e *emulator.Emulator, release func()) (grpc.ClientConnInterface, string, []string, func()) {
				return invokeStream(t, e.InvokeEndpoint()), secretARN,
					[]string{"123456789012", "internal-billing", secretType, strings.TrimPrefix(e.InvokeEndpoint(), "http://")}, release
			},
			wantCode: codes.Internal,
			wantLog:  []string{secretType, "cannot reach"},
		},
		{
			name: "Invoke API connection reset",
			upstream: func(t *testing.T, e *emulator.Emulator, _ func()) (grpc.ClientConnInterface, string, []string, func()) {
				c := newCutter(t, strings.TrimPrefix(e.InvokeEndpoint(), "http://"))
				endpoint := "http://" + c.lis.Addr().String()
				return invokeStream(t, endpoint), endpoint, []string{c.lis.Addr().String()}, c.cut
			},
			wantCode: codes.Unavailable,
			// The transport's words depend on which of its goroutines
			// sees the reset first: the read itself, or the connection
			// closed under it.
			wantLog: []string{"reset|use of closed network connection"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := emulatortest.Start(t, emulator.Config{InvokeMode: emulator.ResponseStream, Timeout: 20 * time.Second})
			release := failingFunction(t, e)
			cc, name, secrets, fail := tc.upstream(t, e, release)
			log := &syncbuf.Buffer{}
			conn := serveBridge(t, cc, bridge.WithName(name), bridge.WithLogger(slog.New(slog.NewTextHandler(log, nil))))
			stream, err := testpb.NewTestServiceClient(conn).StreamingOutputCall(ctx(t), &testpb.StreamingOutputCallRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if m, err := stream.Recv(); err != nil || string(m.GetPayload().GetBody()) != "first" {
				t.Fatalf("first message = %v, %v; want the function's", m, err)
			}
			fail()
			_, err = stream.Recv()
			st := status.Convert(err)
			if st.Code() != tc.wantCode || !strings.Contains(st.Message(), "bridge's log") {
				t.Errorf("after the failure: %v, want %v pointing to the bridge's log", st, tc.wantCode)
			}
			checkNoLeak(t, st, log, append([]string{name}, secrets...)...)
			for _, w := range tc.wantLog {
				if !slices.ContainsFunc(strings.Split(w, "|"), func(a string) bool { return strings.Contains(log.String(), a) }) {
					t.Errorf("the bridge's log lacks %q:\n%s", w, log)
				}
			}
		})
	}
}

// serveBridge serves a bridge to cc and returns a native gRPC connection to
// it.
func serveBridge(t testing.TB, cc grpc.ClientConnInterface, opts ...bridge.Option) *grpc.ClientConn {
	t.Helper()
	b, err := bridge.New(cc, opts...)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = b.Serve(lis) }()
	t.Cleanup(b.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// invokeStream is a Conn that calls the emulator's function through
// InvokeWithResponseStream at endpoint.
func invokeStream(t *testing.T, endpoint string) *client.Conn {
	t.Helper()
	lc := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")})
	cc, err := awsclient.New(lc, "function", true)
	if err != nil {
		t.Fatal(err)
	}
	return cc
}

// TestBridgeNativeUpstreamStatuses forwards to a native gRPC server
// through a grpc.ClientConn, whose errors do not say whether the server
// sent them: its status after a message still reaches the caller whole.
func TestBridgeNativeUpstreamStatuses(t *testing.T) {
	t.Parallel()
	s := grpc.NewServer()
	testsvc.Register(s)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	up, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { up.Close() })
	c := testpb.NewTestServiceClient(serveBridge(t, up))
	stream, err := c.StreamingOutputCall(ctx(t), &testpb.StreamingOutputCallRequest{
		ResponseParameters: []*testpb.ResponseParameters{{Size: 1}},
		ResponseStatus:     &testpb.EchoStatus{Code: int32(codes.Aborted), Message: "the server's words"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); status.Code(err) != codes.Aborted || status.Convert(err).Message() != "the server's words" {
		t.Fatalf("the native upstream's status = %v, want Aborted \"the server's words\"", err)
	}
}
