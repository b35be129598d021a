package lambdagrpc_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

func TestDirectPathChoice(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		opts   []grpc.ServerOption
		direct bool
	}{
		{"plain server", nil, true},
		{"interceptors, stats handler, limits, forced codec", []grpc.ServerOption{
			grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
				return h(ctx, req)
			}),
			grpc.StatsHandler(&recordingStats{}),
			grpc.MaxRecvMsgSize(1 << 10),
			grpc.ForceServerCodecV2(encoding.GetCodecV2("proto")),
		}, true},
		// The deprecated compressor options are not carried by the direct
		// path: such servers are served through ServeHTTP, and still work.
		{"deprecated RPCCompressor", []grpc.ServerOption{grpc.RPCCompressor(grpc.NewGZIPCompressor())}, false}, //nolint:staticcheck // the deprecated option is the point
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, tc.opts...)
			h := lambdagrpc.NewHandler(s, lambdagrpc.WithLogger(quietLogger()))
			if got := lambdagrpc.UsesDirectPath(h); got != tc.direct {
				t.Fatalf("direct path %v, want %v", got, tc.direct)
			}
			url := startHandler(t, s)
			req := wire.AppendFrame(nil, 0, mustMarshal(t, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("hi")}}))
			r := parseWeb(t, second(do(t, "POST", url+unaryPath, "application/grpc-web", req, nil)))
			if r.status.Code() != codes.OK || len(r.messages) != 1 {
				t.Fatalf("status %v, %d messages", r.status, len(r.messages))
			}
		})
	}
}

// diffCase is one request sent to a handler on the direct path and to one
// on ServeHTTP.
type diffCase struct {
	name, path, ct string
	body           []byte
	hdr            map[string]string
	// messageDiffers marks a case where the direct path's answer is
	// deliberately better; only the status code is compared.
	messageDiffers bool
}

func frame(t testing.TB, flags byte, m proto.Message) []byte {
	return wire.AppendFrame(nil, flags, mustMarshal(t, m))
}

func gzipped(t testing.TB, m proto.Message) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(mustMarshal(t, m))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return wire.AppendFrame(nil, wire.FlagCompressed, buf.Bytes())
}

func diffCases(t testing.TB) []diffCase {
	small := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("sixteen bytes!!!")}}
	fail := &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.FailedPrecondition), Message: "no: 100% \u00e9"}}
	three := &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 3}, {Size: 0}, {Size: 300}}}
	in := append(frame(t, 0, &testpb.StreamingInputCallRequest{Payload: &testpb.Payload{Body: make([]byte, 7)}}),
		frame(t, 0, &testpb.StreamingInputCallRequest{Payload: &testpb.Payload{Body: make([]byte, 9)}})...)
	duplex := append(frame(t, 0, three), frame(t, 0, &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 1}}})...)
	web, text, connect := "application/grpc-web+proto", "application/grpc-web-text", "application/connect+proto"
	textBody := func(b []byte) []byte { return []byte(base64.StdEncoding.EncodeToString(b)) }
	return []diffCase{
		{name: "unary", path: unaryPath, ct: web, body: frame(t, 0, small)},
		{name: "unary with metadata", path: unaryPath, ct: web, body: frame(t, 0, small), hdr: map[string]string{
			testsvc.EchoHeader: "a, b", testsvc.EchoTrailer: "t", testsvc.EchoBin: base64.StdEncoding.EncodeToString([]byte{0, 1, 0xfe}),
		}},
		{name: "error with details", path: unaryPath, ct: web, body: frame(t, 0, fail), hdr: map[string]string{testsvc.ErrorDetail: "why"}},
		{name: "panic", path: unaryPath, ct: web, body: frame(t, 0, small), hdr: map[string]string{testsvc.Panic: "1"}},
		{name: "unknown method", path: "/grpc.testing.TestService/Nope", ct: web, body: frame(t, 0, small)},
		{name: "unknown service", path: "/no.Such/Method", ct: web, body: frame(t, 0, small)},
		{name: "gzip request", path: unaryPath, ct: web, body: gzipped(t, small), hdr: map[string]string{"grpc-encoding": "gzip"}},
		{name: "unknown encoding", path: unaryPath, ct: web, body: frame(t, wire.FlagCompressed, small), hdr: map[string]string{"grpc-encoding": "br"}},
		{name: "compressed flag without encoding", path: unaryPath, ct: web, body: frame(t, wire.FlagCompressed, small)},
		{name: "bad frame flags", path: unaryPath, ct: web, body: frame(t, 0x40, small)},
		{name: "truncated frame", path: unaryPath, ct: web, body: frame(t, 0, small)[:9]},
		{name: "two requests to a unary method", path: unaryPath, ct: web, body: append(frame(t, 0, small), frame(t, 0, small)...)},
		{name: "no request", path: unaryPath, ct: web},
		{name: "garbage message", path: unaryPath, ct: web, body: wire.AppendFrame(nil, 0, []byte{0xff, 0xff, 0xff})},
		{name: "over MaxRecvMsgSize", path: unaryPath, ct: web, body: frame(t, 0, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: make([]byte, 5000)}})},
		{name: "over MaxSendMsgSize", path: unaryPath, ct: web, body: frame(t, 0, &testpb.SimpleRequest{ResponseSize: 9000})},
		// grpc-go's message quotes the value after it was overwritten (""); the
		// direct path quotes what the client sent.
		{name: "malformed binary metadata", path: unaryPath, ct: web, body: frame(t, 0, small), hdr: map[string]string{"x-thing-bin": "!!!"}, messageDiffers: true},
		{name: "server stream", path: streamPath, ct: web, body: frame(t, 0, three), hdr: map[string]string{testsvc.EchoTrailer: "end"}},
		{name: "client stream", path: inputPath, ct: web, body: in},
		{name: "bidi, half-duplex", path: duplexPath, ct: web, body: duplex},
		{name: "text", path: streamPath, ct: text, body: textBody(frame(t, 0, three))},
		{name: "metadata", path: echoPath, ct: web, body: frame(t, 0, small), hdr: map[string]string{
			"user-agent": "ua/1", "x-custom": "a, b", "x-thing-bin": "AAE, /w==", "grpc-accept-encoding": "gzip", "x-grpc-web": "1",
			"connection": "keep-alive", "grpc-previous-rpc-attempts": "1", "authorization": "Bearer x",
		}},
		{name: "metadata, Connect", path: echoPath, ct: "application/proto", body: mustMarshal(t, small), hdr: map[string]string{
			"connect-protocol-version": "1", "accept-encoding": "gzip", "connect-timeout-ms": "60000", "x-custom": "c",
		}},
		{name: "metadata, Connect stream", path: echoPath, ct: connect, body: frame(t, 0, small), hdr: map[string]string{
			"connect-accept-encoding": "gzip", "x-custom": "d",
		}},
		{name: "Connect unary", path: unaryPath, ct: "application/proto", body: mustMarshal(t, small)},
		{name: "Connect unary error", path: unaryPath, ct: "application/json", body: []byte(`{"responseStatus":{"code":9,"message":"nope"}}`), hdr: map[string]string{testsvc.ErrorDetail: "why"}},
		{name: "Connect stream", path: streamPath, ct: connect, body: frame(t, 0, three), hdr: map[string]string{testsvc.EchoTrailer: "end"}},
		{name: "Connect stream, gzip", path: streamPath, ct: connect, body: gzipped(t, three), hdr: map[string]string{"connect-content-encoding": "gzip", "connect-accept-encoding": "gzip"}},
		// A deadline that has passed before the call starts: grpc-go's
		// answer is DEADLINE_EXCEEDED (TestExpiredDeadline checks which).
		{name: "grpc-timeout 1n", path: unaryPath, ct: web, body: frame(t, 0, small), hdr: map[string]string{"grpc-timeout": "1n"}},
		{name: "grpc-timeout 0n, server stream", path: streamPath, ct: web, body: frame(t, 0, three), hdr: map[string]string{"grpc-timeout": "0n"}},
		{name: "connect-timeout-ms 0", path: unaryPath, ct: "application/proto", body: mustMarshal(t, small), hdr: map[string]string{"connect-timeout-ms": "0"}},
		{name: "connect-timeout-ms 0, stream", path: streamPath, ct: connect, body: frame(t, 0, three), hdr: map[string]string{"connect-timeout-ms": "0"}},
		// grpc.ClientSupportedCompressors is a documented limitation of the
		// direct path (TestDirectClientSupportedCompressorsLimitation); the
		// compressors the client accepts are in the metadata on both.
		{name: "grpc-accept-encoding in metadata", path: echoPath, ct: web, body: frame(t, 0, small), hdr: map[string]string{"grpc-accept-encoding": "gzip, identity"}},
	}
}

const echoPath = "/echo.Metadata/All"

// echoMetadata answers any unknown method with the metadata its handler
// saw, as JSON in the x-md-bin trailer.
func echoMetadata(_ any, stream grpc.ServerStream) error {
	var in emptypb.Empty
	if err := stream.RecvMsg(&in); err != nil {
		return err
	}
	md, _ := metadata.FromIncomingContext(stream.Context())
	if a := md[":authority"]; len(a) == 1 && strings.HasPrefix(a[0], "127.0.0.1:") {
		md[":authority"] = []string{"loopback"} // the two servers' ports differ
	}
	b, err := json.Marshal(md)
	if err != nil {
		return err
	}
	stream.SetTrailer(metadata.Pairs("x-md-bin", string(b)))
	return stream.SendMsg(&emptypb.Empty{})
}

// normalized is what a client can observe of a response, with the parts
// that may legitimately differ (dates, header order in a trailer block)
// taken out.
type normalized struct {
	Code     int
	Header   http.Header
	Messages [][]byte
	Trailer  http.Header
	Body     []byte
}

func normalize(t testing.TB, resp *http.Response, body []byte) normalized {
	n := normalized{Code: resp.StatusCode, Header: resp.Header.Clone()}
	n.Header.Del("Date")
	ct := resp.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "application/grpc-web-text") {
		// A sequence of base64 chunks, each padded.
		b, err := io.ReadAll(wire.NewTextReader(bytes.NewReader(body)))
		if err != nil {
			t.Fatalf("text body: %v", err)
		}
		body = b
	}
	if strings.HasPrefix(ct, "application/grpc-web") {
		r := parseWeb(t, body)
		n.Messages, n.Trailer = r.messages, r.trailer
		return n
	}
	n.Body = body
	return n
}

func TestDirectMatchesServeHTTP(t *testing.T) {
	t.Parallel()
	opts := []grpc.ServerOption{grpc.MaxRecvMsgSize(4096), grpc.MaxSendMsgSize(8192), grpc.UnknownServiceHandler(echoMetadata)}
	direct := startHandler(t, newTestServer(t, opts...))
	viaHTTP := startHandler(t, newTestServer(t, opts...), lambdagrpc.WithServeHTTP())
	for _, tc := range diffCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, body := do(t, "POST", direct+tc.path, tc.ct, tc.body, tc.hdr)
			a := normalize(t, resp, body)
			resp, body = do(t, "POST", viaHTTP+tc.path, tc.ct, tc.body, tc.hdr)
			b := normalize(t, resp, body)
			if tc.messageDiffers {
				if a.Trailer.Get("Grpc-Status") == "" || a.Trailer.Get("Grpc-Status") != b.Trailer.Get("Grpc-Status") {
					t.Fatalf("direct path status %q, ServeHTTP %q", a.Trailer.Get("Grpc-Status"), b.Trailer.Get("Grpc-Status"))
				}
				a.Trailer.Del("Grpc-Message")
				b.Trailer.Del("Grpc-Message")
				// ServeHTTP's http.Error leaks its nosniff header.
				a.Header.Del("X-Content-Type-Options")
				b.Header.Del("X-Content-Type-Options")
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("direct path:\n%s\nServeHTTP:\n%s", dump(a), dump(b))
			}
		})
	}
}

func dump(n normalized) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  HTTP %d\n", n.Code)
	for k, v := range n.Header {
		fmt.Fprintf(&b, "  %s: %q\n", k, v)
	}
	for i, m := range n.Messages {
		fmt.Fprintf(&b, "  message %d: %d bytes\n", i, len(m))
	}
	for k, v := range n.Trailer {
		fmt.Fprintf(&b, "  trailer %s: %q\n", k, v)
	}
	if n.Body != nil {
		fmt.Fprintf(&b, "  body %q\n", n.Body)
	}
	return b.String()
}

// recordingStats records the RPC events a stats handler sees.
type recordingStats struct {
	mu     sync.Mutex
	events []string
	tagged bool
}

type tagKey struct{}

func (r *recordingStats) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	r.mu.Lock()
	r.tagged = true
	r.mu.Unlock()
	return context.WithValue(ctx, tagKey{}, info.FullMethodName)
}

func (r *recordingStats) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if ctx.Value(tagKey{}) == nil {
		panic("stats event without the tagged context")
	}
	name := strings.TrimPrefix(reflect.TypeOf(s).String(), "*stats.")
	switch s := s.(type) {
	case *stats.InPayload:
		name += fmt.Sprintf("(%d)", s.Length)
	case *stats.OutPayload:
		name += fmt.Sprintf("(%d)", s.Length)
	case *stats.End:
		name += fmt.Sprintf("(%v)", status.Code(s.Error))
	}
	r.mu.Lock()
	r.events = append(r.events, name)
	r.mu.Unlock()
}

// count returns how many recorded events start with prefix.
func (r *recordingStats) count(prefix string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if strings.HasPrefix(e, prefix) {
			n++
		}
	}
	return n
}

// waitCount waits, within a bound, until at least n recorded events start
// with prefix, and returns how many do. grpc-go may report a call's End
// after the client has read the reply, so tests wait for it rather than
// count once.
func (r *recordingStats) waitCount(prefix string, n int) int {
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := r.count(prefix)
		if c >= n || time.Now().After(deadline) {
			return c
		}
		time.Sleep(time.Millisecond)
	}
}

func (r *recordingStats) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}

func (r *recordingStats) HandleConn(_ context.Context, s stats.ConnStats) {
	r.mu.Lock()
	r.events = append(r.events, strings.TrimPrefix(reflect.TypeOf(s).String(), "*stats."))
	r.mu.Unlock()
}

func TestDirectStatsEvents(t *testing.T) {
	t.Parallel()
	sh := &recordingStats{}
	s := newTestServer(t, grpc.StatsHandler(sh))
	url := startHandler(t, s)
	in := &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 3}, {Size: 4}}}
	req := frame(t, 0, in)
	out := func(n int32) int {
		return proto.Size(&testpb.StreamingOutputCallResponse{Payload: &testpb.Payload{Body: make([]byte, n)}})
	}
	if r := parseWeb(t, second(do(t, "POST", url+streamPath, "application/grpc-web", req, nil))); r.status.Code() != codes.OK {
		t.Fatal(r.status)
	}
	want := []string{"ConnBegin", "InHeader", "Begin", fmt.Sprintf("InPayload(%d)", proto.Size(in)), "OutHeader",
		fmt.Sprintf("OutPayload(%d)", out(3)), fmt.Sprintf("OutPayload(%d)", out(4)), "OutTrailer", "End(OK)", "ConnEnd"}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if !sh.tagged || !reflect.DeepEqual(sh.events, want) {
		t.Fatalf("tagged %v, events %v; want %v", sh.tagged, sh.events, want)
	}
}

// ctxCheckService checks what a handler's context carries.
type ctxCheckService struct {
	testpb.UnimplementedTestServiceServer
}

func (ctxCheckService) UnaryCall(ctx context.Context, _ *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	method, _ := grpc.Method(ctx)
	p, ok := peer.FromContext(ctx)
	md, _ := metadata.FromIncomingContext(ctx)
	if !ok || p.Addr == nil || p.Addr.String() == "" {
		return nil, status.Error(codes.Internal, "no peer")
	}
	if err := grpc.SendHeader(ctx, metadata.Pairs("x-sent", "early")); err != nil {
		return nil, err
	}
	// Headers are out: setting more must fail as it does on grpc-go's
	// own transports.
	if err := grpc.SetHeader(ctx, metadata.Pairs("x-late", "1")); err == nil {
		return nil, status.Error(codes.Internal, "SetHeader after SendHeader succeeded")
	}
	// A documented limitation of the direct path: grpc-go only lets its
	// own transports choose the response's compressor.
	compressorErr := "none"
	if err := grpc.SetSendCompressor(ctx, "gzip"); err != nil {
		compressorErr = "error"
	}
	_ = grpc.SetTrailer(ctx, metadata.Pairs("x-method", method, "x-authority", strings.Join(md[":authority"], ","), "x-set-send-compressor", compressorErr))
	return &testpb.SimpleResponse{}, nil
}

func TestDirectContext(t *testing.T) {
	t.Parallel()
	s := grpc.NewServer()
	testpb.RegisterTestServiceServer(s, ctxCheckService{})
	url := startHandler(t, s)
	resp, body := do(t, "POST", url+unaryPath, "application/grpc-web", frame(t, 0, &testpb.SimpleRequest{}), nil)
	r := parseWeb(t, body)
	if r.status.Code() != codes.OK {
		t.Fatal(r.status)
	}
	if got := resp.Header.Get("X-Sent"); got != "early" {
		t.Errorf("x-sent header %q", got)
	}
	if got := r.trailer.Get("X-Method"); got != unaryPath {
		t.Errorf("grpc.Method %q, want %q", got, unaryPath)
	}
	if got := r.trailer.Get("X-Authority"); !strings.HasPrefix(got, "127.0.0.1:") {
		t.Errorf(":authority %q", got)
	}
	if got := r.trailer.Get("X-Set-Send-Compressor"); got != "error" {
		t.Errorf("grpc.SetSendCompressor: %q; if it works on the direct path now, update the README", got)
	}
}

func TestDirectUnknownServiceHandlerAndStop(t *testing.T) {
	t.Parallel()
	var seen sync.Map
	s := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		method, _ := grpc.MethodFromServerStream(stream)
		var in []byte
		if err := stream.RecvMsg(&rawMessage{b: &in}); err != nil {
			return err
		}
		seen.Store(method, string(in))
		return stream.SendMsg(&rawMessage{b: &in})
	}), grpc.ForceServerCodecV2(rawCodec{}))
	url := startHandler(t, s)
	r := parseWeb(t, second(do(t, "POST", url+"/any.Service/Any", "application/grpc-web", wire.AppendFrame(nil, 0, []byte("raw bytes")), nil)))
	if r.status.Code() != codes.OK || len(r.messages) != 1 || string(r.messages[0]) != "raw bytes" {
		t.Fatalf("status %v, messages %q", r.status, r.messages)
	}
	if v, _ := seen.Load("/any.Service/Any"); v != "raw bytes" {
		t.Fatalf("handler saw %v", v)
	}
	s.Stop()
	r = parseWeb(t, second(do(t, "POST", url+"/any.Service/Any", "application/grpc-web", wire.AppendFrame(nil, 0, []byte("x")), nil)))
	if r.status.Code() != codes.Unavailable {
		t.Fatalf("after Stop: status %v, want UNAVAILABLE", r.status)
	}
}

// rawMessage and rawCodec pass message bytes through untouched.
type rawMessage struct{ b *[]byte }

type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(*v.(*rawMessage).b)}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	*v.(*rawMessage).b = data.Materialize()
	return nil
}

func (rawCodec) Name() string { return "raw" }

// boomCodec panics marshaling the message "boom": a panic outside every
// interceptor, which the recovery interceptors cannot catch.
type boomCodec struct{ rawCodec }

func (c boomCodec) Marshal(v any) (mem.BufferSlice, error) {
	if string(*v.(*rawMessage).b) == "boom" {
		panic("codec failure")
	}
	return c.rawCodec.Marshal(v)
}

func TestDirectPanicOutsideInterceptors(t *testing.T) {
	t.Parallel()
	s := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		var in []byte
		if err := stream.RecvMsg(&rawMessage{b: &in}); err != nil {
			return err
		}
		return stream.SendMsg(&rawMessage{b: &in})
	}), grpc.ForceServerCodecV2(boomCodec{}))
	url := startHandler(t, s)
	r := parseWeb(t, second(do(t, "POST", url+"/any.Service/Any", "application/grpc-web", wire.AppendFrame(nil, 0, []byte("boom")), nil)))
	if r.status.Code() != codes.Internal || strings.Contains(r.status.Message(), "codec failure") {
		t.Fatalf("status %v, want INTERNAL without the panic's text", r.status)
	}
	r = parseWeb(t, second(do(t, "POST", url+"/any.Service/Any", "application/grpc-web", wire.AppendFrame(nil, 0, []byte("fine")), nil)))
	if r.status.Code() != codes.OK || len(r.messages) != 1 {
		t.Fatalf("next call: status %v, %d messages", r.status, len(r.messages))
	}
}

// TestDirectConcurrentSendRecv: a handler may receive on one goroutine
// while it sends on another, as bidi handlers do; the race detector
// watches the two sides.
func TestDirectConcurrentSendRecv(t *testing.T) {
	t.Parallel()
	s := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		got := make(chan int, 1)
		go func() {
			n := 0
			for {
				var in []byte
				if err := stream.RecvMsg(&rawMessage{b: &in}); err != nil {
					got <- n
					return
				}
				n++
			}
		}()
		for i := range 20 {
			out := []byte(fmt.Sprintf("reply %d", i))
			if err := stream.SendMsg(&rawMessage{b: &out}); err != nil {
				return err
			}
		}
		if n := <-got; n != 20 {
			return status.Errorf(codes.Internal, "received %d messages", n)
		}
		return nil
	}), grpc.ForceServerCodecV2(rawCodec{}))
	url := startHandler(t, s)
	var body []byte
	for i := range 20 {
		body = wire.AppendFrame(body, 0, []byte(fmt.Sprintf("request %d", i)))
	}
	// Text mode: the body is read through a decoder, not in place.
	resp, out := do(t, "POST", url+"/any.Service/Bidi", "application/grpc-web-text", []byte(base64.StdEncoding.EncodeToString(body)), nil)
	n := normalize(t, resp, out)
	if n.Trailer.Get("Grpc-Status") != "0" || len(n.Messages) != 20 || string(n.Messages[19]) != "reply 19" {
		t.Fatalf("trailer %v, %d messages", n.Trailer, len(n.Messages))
	}
}

// TestFullDuplexHTTP1 runs a bidi handler that answers before it has read
// every request message, over HTTP/1.1, on both dispatch paths: the client
// sends the rest of its messages only once the response has started, so
// net/http must not close the request body when the response starts.
func TestFullDuplexHTTP1(t *testing.T) {
	t.Parallel()
	handler := func(_ any, stream grpc.ServerStream) error {
		n := 0
		for {
			var in []byte
			if err := stream.RecvMsg(&rawMessage{b: &in}); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return err
			}
			n++
			if n == 1 {
				out := []byte("first")
				if err := stream.SendMsg(&rawMessage{b: &out}); err != nil {
					return err
				}
			}
		}
		out := []byte(fmt.Sprintf("received %d", n))
		return stream.SendMsg(&rawMessage{b: &out})
	}
	for _, viaHTTP := range []bool{false, true} {
		var opts []lambdagrpc.Option
		if viaHTTP {
			opts = append(opts, lambdagrpc.WithServeHTTP())
		}
		url := startHandler(t, grpc.NewServer(grpc.UnknownServiceHandler(handler), grpc.ForceServerCodecV2(rawCodec{})), opts...)
		// Without full duplex the server holds its response until the body
		// ends, which this client sends only after the response starts.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		pr, pw := io.Pipe()
		context.AfterFunc(ctx, func() { pw.CloseWithError(ctx.Err()) })
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/any.Service/Bidi", pr)
		req.Header.Set("Content-Type", "application/grpc-web")
		go func() { _, _ = pw.Write(wire.AppendFrame(nil, 0, []byte("one"))) }()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		// The response has started: now send the rest. (A server that
		// stopped reading must not hang the test.)
		go func() {
			for range 9 {
				if _, err := pw.Write(wire.AppendFrame(nil, 0, []byte("more"))); err != nil {
					return
				}
			}
			pw.Close()
		}()
		out, _ := io.ReadAll(resp.Body)
		pr.CloseWithError(io.ErrClosedPipe)
		resp.Body.Close()
		cancel()
		if resp.ProtoMajor != 1 {
			t.Fatalf("HTTP/%d, want HTTP/1.1", resp.ProtoMajor)
		}
		n := normalize(t, resp, out)
		if n.Trailer.Get("Grpc-Status") != "0" || len(n.Messages) != 2 || string(n.Messages[1]) != "received 10" {
			t.Errorf("ServeHTTP %v: trailer %v, messages %q; want OK, first and received 10", viaHTTP, n.Trailer, n.Messages)
		}
	}
}

// panickyStats panics when told of response headers: a panic outside
// every interceptor, while the call's writer is in use.
type panickyStats struct{ recordingStats }

func (p *panickyStats) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if _, ok := s.(*stats.OutHeader); ok {
		panic("stats handler failure")
	}
	p.recordingStats.HandleRPC(ctx, s)
}

func TestDirectStatsHandlerPanic(t *testing.T) {
	t.Parallel()
	sh := &panickyStats{}
	url := startHandler(t, newTestServer(t, grpc.StatsHandler(sh)))
	r := parseWeb(t, second(do(t, "POST", url+unaryPath, "application/grpc-web", frame(t, 0, &testpb.SimpleRequest{}), nil)))
	if r.status.Code() != codes.Internal {
		t.Fatalf("status %v, want INTERNAL", r.status)
	}
	if sh.waitCount("End", 1) != 1 {
		t.Fatalf("stats events %v: the call did not end", sh.events)
	}
}

// TestDirectNilReply: an interceptor may answer (nil, nil); grpc-go sends
// an empty message.
func TestDirectNilReply(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, grpc.UnaryInterceptor(func(context.Context, any, *grpc.UnaryServerInfo, grpc.UnaryHandler) (any, error) {
		return nil, nil
	}))
	url := startHandler(t, s)
	r := parseWeb(t, second(do(t, "POST", url+unaryPath, "application/grpc-web", frame(t, 0, &testpb.SimpleRequest{}), nil)))
	if r.status.Code() != codes.OK || len(r.messages) != 1 || len(r.messages[0]) != 0 {
		t.Fatalf("status %v, messages %q", r.status, r.messages)
	}
}

// TestDirectLyingLength: a frame header that announces far more than the
// body holds costs only what arrived, even under a generous limit, whether
// the body's length is known (the frame is truncated at once) or not (the
// buffer grows as bytes arrive).
func TestDirectLyingLength(t *testing.T) {
	t.Parallel()
	url := startHandler(t, newTestServer(t, grpc.MaxRecvMsgSize(1<<30)))
	body := append(wire.AppendHeader(nil, 0, 1<<30-1), "short"...)
	for _, sized := range []bool{true, false} {
		var r io.Reader = bytes.NewReader(body)
		if !sized {
			r = io.MultiReader(r) // hides the length: the request is chunked
		}
		req, err := http.NewRequest(http.MethodPost, url+unaryPath, r)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/grpc-web")
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		runtime.ReadMemStats(&after)
		if st := parseWeb(t, out).status; st.Code() != codes.Internal {
			t.Fatalf("sized %v: status %v, want INTERNAL (truncated message)", sized, st)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 256<<20 {
			t.Fatalf("sized %v: a five-byte lie cost %d MB", sized, grew>>20)
		}
	}
}

// TestExpiredDeadline: a call whose deadline has passed before it starts
// ends DEADLINE_EXCEEDED on both paths, as grpc-go's own transports end it,
// and its handler does not run.
func TestExpiredDeadline(t *testing.T) {
	t.Parallel()
	var ran atomic.Int32
	count := grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ran.Add(1)
		return handler(ctx, req)
	})
	small := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("x")}}
	for _, opts := range [][]lambdagrpc.Option{nil, {lambdagrpc.WithServeHTTP()}} {
		url := startHandler(t, newTestServer(t, count), opts...)
		for _, v := range []string{"1n", "0n", "0S"} {
			r := parseWeb(t, second(do(t, "POST", url+unaryPath, "application/grpc-web", frame(t, 0, small), map[string]string{"grpc-timeout": v})))
			if r.status.Code() != codes.DeadlineExceeded {
				t.Errorf("grpc-timeout %s (ServeHTTP %v): %v, want DEADLINE_EXCEEDED", v, opts != nil, r.status)
			}
		}
		resp, body := do(t, "POST", url+unaryPath, "application/proto", mustMarshal(t, small), map[string]string{"connect-timeout-ms": "0"})
		if resp.StatusCode != http.StatusGatewayTimeout || !strings.Contains(string(body), `"deadline_exceeded"`) {
			t.Errorf("connect-timeout-ms 0 (ServeHTTP %v): HTTP %d %s, want 504 deadline_exceeded", opts != nil, resp.StatusCode, body)
		}
	}
	if n := ran.Load(); n != 0 {
		t.Errorf("the handler ran %d times for calls whose deadline had passed", n)
	}
}

// TestDirectClientSupportedCompressorsLimitation: grpc.ClientSupportedCompressors
// reads grpc-go's own transport stream type from the context, which only its
// transports can create, so on the direct path it fails (a documented
// limitation). The compressors the client accepts are in the incoming
// metadata, grpc-accept-encoding, on both paths.
func TestDirectClientSupportedCompressorsLimitation(t *testing.T) {
	t.Parallel()
	handler := func(_ any, stream grpc.ServerStream) error {
		md, _ := metadata.FromIncomingContext(stream.Context())
		got := "error"
		if cs, err := grpc.ClientSupportedCompressors(stream.Context()); err == nil {
			got = strings.Join(cs, ",")
		}
		stream.SetTrailer(metadata.Pairs("x-compressors", got, "x-accept", strings.Join(md["grpc-accept-encoding"], ",")))
		return stream.SendMsg(&emptypb.Empty{})
	}
	for _, viaHTTP := range []bool{false, true} {
		var opts []lambdagrpc.Option
		want := "error"
		if viaHTTP {
			// grpc-go's ServeHTTP transport does not record them: an
			// empty list, without an error.
			opts, want = []lambdagrpc.Option{lambdagrpc.WithServeHTTP()}, ""
		}
		url := startHandler(t, grpc.NewServer(grpc.UnknownServiceHandler(handler)), opts...)
		r := parseWeb(t, second(do(t, "POST", url+"/any.Service/Any", "application/grpc-web", frame(t, 0, &emptypb.Empty{}), map[string]string{"grpc-accept-encoding": "gzip"})))
		if r.status.Code() != codes.OK {
			t.Fatal(r.status)
		}
		if lambdagrpc.ForcedServeHTTP() {
			want = "" // both handlers go through ServeHTTP
		}
		if got := r.trailer.Get("X-Compressors"); got != want {
			t.Errorf("ServeHTTP %v: ClientSupportedCompressors = %q, want %q; if it works on the direct path now, update the README", viaHTTP, got, want)
		}
		if got := r.trailer.Get("X-Accept"); got != "gzip" {
			t.Errorf("ServeHTTP %v: grpc-accept-encoding metadata %q, want gzip", viaHTTP, got)
		}
	}
}

// TestDirectPreparedMsgLimitation: grpc.PreparedMsg.Encode needs context
// that only grpc-go's own transports set; on the direct path it fails (a
// documented limitation).
func TestDirectPreparedMsgLimitation(t *testing.T) {
	t.Parallel()
	s := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		var pm grpc.PreparedMsg
		if err := pm.Encode(stream, &emptypb.Empty{}); err == nil {
			return status.Error(codes.FailedPrecondition, "PreparedMsg works on the direct path now: update the README")
		}
		return nil
	}))
	url := startHandler(t, s)
	if r := parseWeb(t, second(do(t, "POST", url+"/any.Service/Any", "application/grpc-web", nil, nil))); r.status.Code() != codes.OK {
		t.Fatal(r.status)
	}
}

// TestDirectGracefulStopLimitation: GracefulStop does not know of calls on
// the direct path, so it returns while one is still running (a documented
// limitation: Serve's own shutdown waits for every call); the call still
// completes, and calls after it are refused.
func TestDirectGracefulStopLimitation(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	s := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		close(entered)
		<-release
		return stream.SendMsg(&emptypb.Empty{})
	}))
	url := startHandler(t, s)
	done := make(chan []byte, 1)
	go func() {
		var body []byte
		if resp, err := http.Post(url+"/any.Service/Slow", "application/grpc-web", nil); err == nil {
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		done <- body
	}()
	<-entered
	s.GracefulStop() // returns although the call is in flight
	close(release)
	if r := parseWeb(t, <-done); r.status.Code() != codes.OK {
		t.Fatalf("the call in flight: %v", r.status)
	}
	if r := parseWeb(t, second(do(t, "POST", url+"/any.Service/Slow", "application/grpc-web", nil, nil))); r.status.Code() != codes.Unavailable {
		t.Fatalf("after GracefulStop: %v, want UNAVAILABLE", r.status)
	}
}
