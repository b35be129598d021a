package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/client"
	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
)

func server(t testing.TB, h2 bool) string {
	t.Helper()
	s := grpc.NewServer()
	testsvc.Register(s)
	ts := httptest.NewUnstartedServer(lambdagrpc.NewHandler(s, lambdagrpc.WithLogger(slog.New(slog.DiscardHandler))))
	if h2 {
		ts.EnableHTTP2 = true
		ts.StartTLS()
	} else {
		ts.Start()
	}
	t.Cleanup(ts.Close)
	return ts.URL
}

type setup struct {
	name string
	opts []client.Option
	h2   bool
}

var setups = []setup{
	{name: "grpc-web"},
	{name: "grpc-web-text", opts: []client.Option{client.WithProtocol(client.GRPCWebText)}},
	{name: "connect", opts: []client.Option{client.WithProtocol(client.Connect)}},
	{name: "connect-json", opts: []client.Option{client.WithProtocol(client.Connect), client.WithCodec("json")}},
	{name: "grpc-web-gzip", opts: []client.Option{client.WithCompression("gzip")}},
	{name: "connect-gzip", opts: []client.Option{client.WithProtocol(client.Connect), client.WithCompression("gzip")}},
	{name: "grpc-web-h2", h2: true},
	{name: "connect-h2", opts: []client.Option{client.WithProtocol(client.Connect)}, h2: true},
}

func newClient(t *testing.T, s setup) testpb.TestServiceClient {
	t.Helper()
	url := server(t, s.h2)
	opts := s.opts
	if s.h2 {
		opts = append(opts, client.WithHTTPClient(insecureH2Client()))
	}
	conn, err := client.New(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return testpb.NewTestServiceClient(conn)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestCalls(t *testing.T) {
	t.Parallel()
	for _, s := range setups {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, s)
			// Unary with metadata both ways.
			var hdr, trl metadata.MD
			var p peer.Peer
			mctx := metadata.AppendToOutgoingContext(ctx(t), testsvc.EchoHeader, "h", testsvc.EchoTrailer, "t", testsvc.EchoBin, "\x00\xff")
			resp, err := c.UnaryCall(mctx, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("hi")}}, grpc.Header(&hdr), grpc.Trailer(&trl), grpc.Peer(&p))
			if err != nil || string(resp.GetPayload().GetBody()) != "hi" {
				t.Fatalf("UnaryCall: %v, %v", resp, err)
			}
			if hdr.Get(testsvc.EchoHeader)[0] != "h" || trl.Get(testsvc.EchoTrailer)[0] != "t" || trl.Get(testsvc.EchoBin)[0] != "\x00\xff" || hdr.Get(testsvc.EchoBin)[0] != "\x00\xff" {
				t.Errorf("header %v, trailer %v", hdr, trl)
			}
			if p.Addr == nil {
				t.Error("grpc.Peer not filled")
			}
			// Server streaming.
			stream, err := c.StreamingOutputCall(ctx(t), &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 1}, {Size: 2}, {Size: 3}}})
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i <= 3; i++ {
				m, err := stream.Recv()
				if err != nil || len(m.GetPayload().GetBody()) != i {
					t.Fatalf("stream message %d: %v %v", i, m, err)
				}
			}
			if _, err := stream.Recv(); !errors.Is(err, io.EOF) {
				t.Fatalf("end of stream: %v", err)
			}
			// Client streaming, half-duplex.
			cs, err := c.StreamingInputCall(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range []int{1, 2, 3} {
				if err := cs.Send(&testpb.StreamingInputCallRequest{Payload: &testpb.Payload{Body: make([]byte, n)}}); err != nil {
					t.Fatal(err)
				}
			}
			if r, err := cs.CloseAndRecv(); err != nil || r.GetAggregatedPayloadSize() != 6 {
				t.Fatalf("client stream: %v %v", r, err)
			}
			// Bidi, half-duplex.
			bs, err := c.FullDuplexCall(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				bs.Send(&testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 4}}})
			}
			bs.CloseSend()
			n := 0
			for {
				if _, err := bs.Recv(); err != nil {
					if !errors.Is(err, io.EOF) {
						t.Fatal(err)
					}
					break
				}
				n++
			}
			if n != 2 {
				t.Fatalf("bidi: %d responses, want 2", n)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	for _, s := range setups[:4] {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, s)
			var trl metadata.MD
			mctx := metadata.AppendToOutgoingContext(ctx(t), testsvc.ErrorDetail, "WHY", testsvc.EchoTrailer, "tt")
			_, err := c.UnaryCall(mctx, &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.NotFound), Message: "gone: 100%"}}, grpc.Trailer(&trl))
			st := status.Convert(err)
			if st.Code() != codes.NotFound || st.Message() != "gone: 100%" || len(st.Details()) != 1 {
				t.Fatalf("error %v", st)
			}
			if !client.IsWireError(err) {
				t.Errorf("IsWireError(%v) = false, want true: the server sent it", err)
			}
			if info, ok := st.Details()[0].(*errdetails.ErrorInfo); !ok || info.GetReason() != "WHY" {
				t.Errorf("detail %v", st.Details()[0])
			}
			if len(trl.Get(testsvc.EchoTrailer)) != 1 {
				t.Errorf("trailers with an error: %v", trl)
			}
			// A stream that fails after messages.
			stream, _ := c.StreamingOutputCall(ctx(t), &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 1}}, ResponseStatus: &testpb.EchoStatus{Code: int32(codes.Aborted), Message: "x"}})
			if _, err := stream.Recv(); err != nil {
				t.Fatal(err)
			}
			if _, err := stream.Recv(); status.Code(err) != codes.Aborted || !client.IsWireError(err) {
				t.Fatalf("stream error %v (IsWireError %v), want the server's Aborted", err, client.IsWireError(err))
			}
		})
	}
}

func TestDeadlineAndCancel(t *testing.T) {
	t.Parallel()
	c := newClient(t, setups[0])
	dctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.UnaryCall(metadata.AppendToOutgoingContext(dctx, testsvc.Sleep, "2000"), &testpb.SimpleRequest{})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("deadline: %v", err)
	}
	// Cancel mid-stream: the first message has arrived, the second is 2s away.
	cctx, ccancel := context.WithCancel(context.Background())
	stream, err := c.StreamingOutputCall(cctx, &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 1}, {Size: 1, IntervalUs: 2000000}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	ccancel()
	if _, err := stream.Recv(); status.Code(err) != codes.Canceled {
		t.Fatalf("after cancel: %v", err)
	}
}

// TestMessagesArriveIncrementally proves a server stream is not buffered
// by the client: the handler holds its second message until the first has
// been received.
func TestMessagesArriveIncrementally(t *testing.T) {
	t.Parallel()
	c := newClient(t, setups[0])
	gate, open := testsvc.NewGate()
	defer open()
	stream, err := c.StreamingOutputCall(metadata.AppendToOutgoingContext(ctx(t), testsvc.Gate, gate),
		&testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 1}, {Size: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatalf("the first message did not arrive while the handler waited: %v", err)
	}
	open()
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
}

func TestInterceptorsAndMaxRecv(t *testing.T) {
	t.Parallel()
	url := server(t, false)
	var order []string
	conn, err := client.New(url,
		client.WithUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			order = append(order, "unary:"+method)
			return invoker(ctx, method, req, reply, cc, opts...)
		}),
		client.WithStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			order = append(order, "stream:"+method)
			return streamer(ctx, desc, cc, method, opts...)
		}))
	if err != nil {
		t.Fatal(err)
	}
	c := testpb.NewTestServiceClient(conn)
	if _, err := c.UnaryCall(ctx(t), &testpb.SimpleRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StreamingOutputCall(ctx(t), &testpb.StreamingOutputCallRequest{}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(order, ",") != "unary:/grpc.testing.TestService/UnaryCall,stream:/grpc.testing.TestService/StreamingOutputCall" {
		t.Fatalf("interceptors ran as %v", order)
	}
	_, err = c.UnaryCall(ctx(t), &testpb.SimpleRequest{ResponseSize: 2000}, grpc.MaxCallRecvMsgSize(1000))
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("over MaxCallRecvMsgSize: %v", err)
	}
}

// TestMalformedResponses points the client at servers that answer badly.
func TestMalformedResponses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		handler http.HandlerFunc
		want    codes.Code
		msg     string
	}{
		{"html 502 from Lambda", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Amzn-Errortype", "Function.Unhandled")
			w.WriteHeader(502)
			io.WriteString(w, `{"Message":"Internal Server Error"}`)
		}, codes.Unavailable, "Lambda"},
		{"Lambda throttling", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Amzn-Errortype", "TooManyRequestsException")
			w.WriteHeader(429)
		}, codes.ResourceExhausted, "throttled"},
		{"plain 404", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, codes.Unimplemented, "404"},
		{"no trailers", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/grpc-web+proto")
			w.Write([]byte{0, 0, 0, 0, 0})
		}, codes.Internal, "trailers"},
		{"truncated frame", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/grpc-web+proto")
			w.Write([]byte{0, 0, 0, 0, 9, 1, 2})
		}, codes.Internal, "cut off"},
		{"wrong content type", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html>")
		}, codes.Unknown, "content type"},
		{"garbage trailers", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/grpc-web+proto")
			w.Write([]byte{0x80, 0, 0, 0, 3, 'x', 'y', 'z'})
		}, codes.Internal, "trailer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := httptest.NewServer(tc.handler)
			defer ts.Close()
			conn, _ := client.New(ts.URL)
			_, err := testpb.NewTestServiceClient(conn).UnaryCall(ctx(t), &testpb.SimpleRequest{})
			st := status.Convert(err)
			if st.Code() != tc.want || !strings.Contains(st.Message(), tc.msg) {
				t.Fatalf("got %v, want %v mentioning %q", st, tc.want, tc.msg)
			}
			if client.IsWireError(err) {
				t.Errorf("IsWireError(%v) = true, want false: the client made it", err)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	t.Parallel()
	for _, target := range []string{"", "ftp://x", "localhost:8080", "http://"} {
		if _, err := client.New(target); err == nil {
			t.Errorf("New(%q) succeeded", target)
		}
	}
	if _, err := client.New("http://x", client.WithCodec("yaml")); err == nil {
		t.Error("an unregistered codec was accepted")
	}
}

// TestRecycledBuffersKeepCallsApart sends many concurrent calls with large,
// distinct payloads (request bodies and response frames come from recycled
// buffers) and checks every answer against its own request.
func TestRecycledBuffersKeepCallsApart(t *testing.T) {
	t.Parallel()
	for _, s := range []setup{setups[0], setups[2], setups[6]} {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, s)
			var wg sync.WaitGroup
			errs := make(chan error, 64)
			for g := range 8 {
				wg.Go(func() {
					for i := range 8 {
						size := 5<<10 + (g*8+i)*7919%(300<<10)
						body := bytes.Repeat([]byte{byte(g*8 + i)}, size)
						resp, err := c.UnaryCall(ctx(t), &testpb.SimpleRequest{Payload: &testpb.Payload{Body: body}})
						if err != nil {
							errs <- err
							return
						}
						if !bytes.Equal(resp.GetPayload().GetBody(), body) {
							errs <- fmt.Errorf("call %d/%d: the answer is not its own request's payload", g, i)
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}
