package service

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	conformancev1 "github.com/lambdagrpc/lambdagrpc/conformance/internal/gen/conformancev1"
)

// testTimeout bounds every test so that a hung stream fails the test instead
// of the whole package run.
const testTimeout = 10 * time.Second

// newClient serves the service on a fresh grpc.Server over bufconn, so the
// tests go through real gRPC framing, metadata and status encoding.
func newClient(t *testing.T) conformancev1.ConformanceServiceClient {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	Register(srv)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conformancev1.NewConformanceServiceClient(conn)
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

func hdr(name string, values ...string) *conformancev1.Header {
	return &conformancev1.Header{Name: name, Value: values}
}

func mustAny(t *testing.T, m proto.Message) *anypb.Any {
	t.Helper()
	a, err := anypb.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func wantMD(t *testing.T, what string, md metadata.MD, key string, want ...string) {
	t.Helper()
	got := md.Get(key)
	if len(got) != len(want) {
		t.Errorf("%s %q = %q, want %q", what, key, got, want)
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s %q = %q, want %q", what, key, got, want)
			return
		}
	}
}

func wantHeader(t *testing.T, info *conformancev1.ConformancePayload_RequestInfo, name string, want ...string) {
	t.Helper()
	for _, h := range info.GetRequestHeaders() {
		if h.GetName() == name {
			if !equalStrings(h.GetValue(), want) {
				t.Errorf("echoed request header %q = %q, want %q", name, h.GetValue(), want)
			}
			return
		}
	}
	t.Errorf("request header %q not echoed; got %v", name, info.GetRequestHeaders())
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func wantRequests(t *testing.T, info *conformancev1.ConformancePayload_RequestInfo, want ...proto.Message) {
	t.Helper()
	got := info.GetRequests()
	if len(got) != len(want) {
		t.Fatalf("echoed %d requests, want %d", len(got), len(want))
	}
	for i, a := range got {
		m, err := a.UnmarshalNew()
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if !proto.Equal(m, want[i]) {
			t.Errorf("request %d = %v, want %v", i, m, want[i])
		}
	}
}

// wantTimeout checks the echoed timeout lies in (0, max].
func wantTimeout(t *testing.T, info *conformancev1.ConformancePayload_RequestInfo, max time.Duration) {
	t.Helper()
	if info.TimeoutMs == nil {
		t.Fatal("timeout not echoed")
	}
	if ms := info.GetTimeoutMs(); ms <= 0 || ms > max.Milliseconds() {
		t.Errorf("timeout_ms = %d, want in (0, %d]", ms, max.Milliseconds())
	}
}

// wantStatus checks the code and message and returns the request info found
// in the details (nil if none), after checking the leading details.
func wantStatus(t *testing.T, err error, code codes.Code, msg string, leading ...proto.Message) *conformancev1.ConformancePayload_RequestInfo {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok || st.Code() != code || st.Message() != msg {
		t.Fatalf("error = %v, want %v %q", err, code, msg)
	}
	details := st.Proto().GetDetails()
	if len(details) < len(leading) {
		t.Fatalf("got %d details, want at least %d", len(details), len(leading))
	}
	for i, want := range leading {
		got, err := details[i].UnmarshalNew()
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(got, want) {
			t.Errorf("detail %d = %v, want %v", i, got, want)
		}
	}
	rest := details[len(leading):]
	switch len(rest) {
	case 0:
		return nil
	case 1:
		info := &conformancev1.ConformancePayload_RequestInfo{}
		if err := rest[0].UnmarshalTo(info); err != nil {
			t.Fatalf("last detail is not RequestInfo: %v", err)
		}
		return info
	default:
		t.Fatalf("%d unexpected details", len(rest))
		return nil
	}
}

func TestUnary(t *testing.T) {
	t.Parallel()
	client := newClient(t)
	ctx := metadata.AppendToOutgoingContext(testContext(t),
		"x-conformance-test", "v1", "x-conformance-test", "v2",
		"x-blob-bin", "\x00\xffbin")
	req := &conformancev1.UnaryRequest{
		ResponseDefinition: &conformancev1.UnaryResponseDefinition{
			ResponseHeaders:  []*conformancev1.Header{hdr("x-custom-header", "foo", "bar"), hdr("x-hdr-bin", "AP8")},
			Response:         &conformancev1.UnaryResponseDefinition_ResponseData{ResponseData: []byte("hello")},
			ResponseTrailers: []*conformancev1.Header{hdr("x-custom-trailer", "bing"), hdr("x-trl-bin", "AP8=")},
		},
		RequestData: []byte("padding"),
	}
	var header, trailer metadata.MD
	resp, err := client.Unary(ctx, req, grpc.Header(&header), grpc.Trailer(&trailer))
	if err != nil {
		t.Fatal(err)
	}
	wantMD(t, "header", header, "x-custom-header", "foo", "bar")
	wantMD(t, "trailer", trailer, "x-custom-trailer", "bing")
	// -bin values in a definition are base64 on the wire; both padded and
	// unpadded spellings must reach the client as the decoded bytes.
	wantMD(t, "header", header, "x-hdr-bin", "\x00\xff")
	wantMD(t, "trailer", trailer, "x-trl-bin", "\x00\xff")
	if got := string(resp.GetPayload().GetData()); got != "hello" {
		t.Errorf("data = %q, want hello", got)
	}
	info := resp.GetPayload().GetRequestInfo()
	wantHeader(t, info, "x-conformance-test", "v1", "v2")
	// The echo shows the wire form: unpadded base64.
	wantHeader(t, info, "x-blob-bin", "AP9iaW4")
	wantTimeout(t, info, testTimeout)
	wantRequests(t, info, req)
	if info.GetConnectGetInfo() != nil {
		t.Error("connect_get_info set on a POST")
	}
}

func TestUnaryNoDefinition(t *testing.T) {
	t.Parallel()
	client := newClient(t)
	// No deadline: the echo must then carry no timeout at all.
	ctx := metadata.AppendToOutgoingContext(t.Context(), "x-conformance-test", "v")
	req := &conformancev1.UnaryRequest{}
	var header, trailer metadata.MD
	resp, err := client.Unary(ctx, req, grpc.Header(&header), grpc.Trailer(&trailer))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetPayload().GetData()) != 0 {
		t.Errorf("data = %q, want none", resp.GetPayload().GetData())
	}
	info := resp.GetPayload().GetRequestInfo()
	if info.TimeoutMs != nil {
		t.Errorf("timeout_ms = %d, want unset without a deadline", info.GetTimeoutMs())
	}
	wantHeader(t, info, "x-conformance-test", "v")
	wantRequests(t, info, req)
	if len(header.Get("x-custom-header")) != 0 || len(trailer) != 0 {
		t.Errorf("unexpected metadata: header %v trailer %v", header, trailer)
	}
}

func TestUnaryError(t *testing.T) {
	t.Parallel()
	client := newClient(t)
	ctx := metadata.AppendToOutgoingContext(testContext(t), "x-conformance-test", "v")
	detail := &conformancev1.Header{Name: "detail", Value: []string{"x"}}
	req := &conformancev1.UnaryRequest{
		ResponseDefinition: &conformancev1.UnaryResponseDefinition{
			ResponseHeaders: []*conformancev1.Header{hdr("x-custom-header", "foo")},
			Response: &conformancev1.UnaryResponseDefinition_Error{Error: &conformancev1.Error{
				Code:    conformancev1.Code_CODE_RESOURCE_EXHAUSTED,
				Message: proto.String("too much"),
				Details: []*anypb.Any{mustAny(t, detail)},
			}},
			ResponseTrailers: []*conformancev1.Header{hdr("x-custom-trailer", "bing")},
		},
	}
	var header, trailer metadata.MD
	_, err := client.Unary(ctx, req, grpc.Header(&header), grpc.Trailer(&trailer))
	info := wantStatus(t, err, codes.ResourceExhausted, "too much", detail)
	if info == nil {
		t.Fatal("request info missing from the error details")
	}
	wantHeader(t, info, "x-conformance-test", "v")
	wantTimeout(t, info, testTimeout)
	wantRequests(t, info, req)
	wantMD(t, "header", header, "x-custom-header", "foo")
	wantMD(t, "trailer", trailer, "x-custom-trailer", "bing")
}

func TestUnaryDelayPastDeadline(t *testing.T) {
	t.Parallel()
	client := newClient(t)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, err := client.Unary(ctx, &conformancev1.UnaryRequest{
		ResponseDefinition: &conformancev1.UnaryResponseDefinition{ResponseDelayMs: 5000},
	})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("error = %v, want DeadlineExceeded", err)
	}
}

func TestUnaryRawResponseRejected(t *testing.T) {
	t.Parallel()
	client := newClient(t)
	_, err := client.Unary(testContext(t), &conformancev1.UnaryRequest{
		ResponseDefinition: &conformancev1.UnaryResponseDefinition{RawResponse: &conformancev1.RawHTTPResponse{StatusCode: 500}},
	})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("error = %v, want InvalidArgument", err)
	}
}

func TestIdempotentUnary(t *testing.T) {
	t.Parallel()
	client := newClient(t)
	ctx := metadata.AppendToOutgoingContext(testContext(t), "x-conformance-test", "v")
	req := &conformancev1.IdempotentUnaryRequest{
		ResponseDefinition: &conformancev1.UnaryResponseDefinition{
			ResponseHeaders: []*conformancev1.Header{hdr("x-custom-header", "foo")},
			Response:        &conformancev1.UnaryResponseDefinition_ResponseData{ResponseData: []byte("idem")},
		},
	}
	var header metadata.MD
	resp, err := client.IdempotentUnary(ctx, req, grpc.Header(&header))
	if err != nil {
		t.Fatal(err)
	}
	wantMD(t, "header", header, "x-custom-header", "foo")
	if got := string(resp.GetPayload().GetData()); got != "idem" {
		t.Errorf("data = %q, want idem", got)
	}
	info := resp.GetPayload().GetRequestInfo()
	wantHeader(t, info, "x-conformance-test", "v")
	wantRequests(t, info, req)
	// Query parameters are not observable through grpc-go.
	if info.GetConnectGetInfo() != nil {
		t.Error("connect_get_info set although it cannot be observed")
	}

	_, err = client.IdempotentUnary(ctx, &conformancev1.IdempotentUnaryRequest{
		ResponseDefinition: &conformancev1.UnaryResponseDefinition{
			Response: &conformancev1.UnaryResponseDefinition_Error{Error: &conformancev1.Error{Code: conformancev1.Code_CODE_NOT_FOUND}},
		},
	})
	if info := wantStatus(t, err, codes.NotFound, ""); info == nil {
		t.Error("request info missing from the error details")
	}
}

func TestUnimplemented(t *testing.T) {
	t.Parallel()
	client := newClient(t)
	_, err := client.Unimplemented(testContext(t), &conformancev1.UnimplementedRequest{})
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("error = %v, want Unimplemented", err)
	}
}

func TestServerStream(t *testing.T) {
	t.Parallel()
	client := newClient(t)
	ctx := metadata.AppendToOutgoingContext(testContext(t), "x-conformance-test", "v")
	req := &conformancev1.ServerStreamRequest{
		ResponseDefinition: &conformancev1.StreamResponseDefinition{
			ResponseHeaders:  []*conformancev1.Header{hdr("x-custom-header", "foo")},
			ResponseData:     [][]byte{[]byte("one"), []byte("two")},
			ResponseDelayMs:  300,
			ResponseTrailers: []*conformancev1.Header{hdr("x-custom-trailer", "bing")},
			Error:            &conformancev1.Error{Code: conformancev1.Code_CODE_INTERNAL, Message: proto.String("after")},
		},
	}
	stream, err := client.ServerStream(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	header, err := stream.Header()
	if err != nil {
		t.Fatal(err)
	}
	wantMD(t, "header", header, "x-custom-header", "foo")

	first, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if string(first.GetPayload().GetData()) != "one" {
		t.Errorf("first data = %q", first.GetPayload().GetData())
	}
	info := first.GetPayload().GetRequestInfo()
	wantHeader(t, info, "x-conformance-test", "v")
	wantTimeout(t, info, testTimeout)
	wantRequests(t, info, req)

	second, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if string(second.GetPayload().GetData()) != "two" || second.GetPayload().GetRequestInfo() != nil {
		t.Errorf("second payload = %v, want data only", second.GetPayload())
	}
	_, err = stream.Recv()
	// Responses were sent, so the request info must not be repeated.
	if info := wantStatus(t, err, codes.Internal, "after"); info != nil {
		t.Error("request info in the error details although responses were sent")
	}
	wantMD(t, "trailer", stream.Trailer(), "x-custom-trailer", "bing")
}

func TestServerStreamImmediateError(t *testing.T) {
	t.Parallel()
	client := newClient(t)
	req := &conformancev1.ServerStreamRequest{
		ResponseDefinition: &conformancev1.StreamResponseDefinition{
			ResponseHeaders:  []*conformancev1.Header{hdr("x-custom-header", "foo")},
			ResponseTrailers: []*conformancev1.Header{hdr("x-custom-trailer", "bing")},
			Error:            &conformancev1.Error{Code: conformancev1.Code_CODE_ABORTED, Message: proto.String("now")},
		},
	}
	stream, err := client.ServerStream(testContext(t), req)
	if err != nil {
		t.Fatal(err)
	}
	_, err = stream.Recv()
	info := wantStatus(t, err, codes.Aborted, "now")
	if info == nil {
		t.Fatal("request info missing from the error details")
	}
	wantRequests(t, info, req)
	header, _ := stream.Header()
	wantMD(t, "header", header, "x-custom-header", "foo")
	wantMD(t, "trailer", stream.Trailer(), "x-custom-trailer", "bing")
}

func TestServerStreamNoDefinition(t *testing.T) {
	t.Parallel()
	client := newClient(t)
	stream, err := client.ServerStream(testContext(t), &conformancev1.ServerStreamRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if msg, err := stream.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("Recv = %v, %v; want an empty, successful stream", msg, err)
	}
}

func TestClientStream(t *testing.T) {
	t.Parallel()
	client := newClient(t)
	ctx := metadata.AppendToOutgoingContext(testContext(t), "x-conformance-test", "v")
	reqs := []*conformancev1.ClientStreamRequest{
		{
			ResponseDefinition: &conformancev1.UnaryResponseDefinition{
				ResponseHeaders:  []*conformancev1.Header{hdr("x-custom-header", "foo")},
				Response:         &conformancev1.UnaryResponseDefinition_ResponseData{ResponseData: []byte("done")},
				ResponseTrailers: []*conformancev1.Header{hdr("x-custom-trailer", "bing")},
			},
			RequestData: []byte("a"),
		},
		// A definition in a later message must be ignored.
		{
			ResponseDefinition: &conformancev1.UnaryResponseDefinition{
				Response: &conformancev1.UnaryResponseDefinition_Error{Error: &conformancev1.Error{Code: conformancev1.Code_CODE_INTERNAL}},
			},
			RequestData: []byte("b"),
		},
		{RequestData: []byte("c")},
	}
	stream, err := client.ClientStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reqs {
		if err := stream.Send(r); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.GetPayload().GetData()) != "done" {
		t.Errorf("data = %q, want done", resp.GetPayload().GetData())
	}
	info := resp.GetPayload().GetRequestInfo()
	wantHeader(t, info, "x-conformance-test", "v")
	wantTimeout(t, info, testTimeout)
	wantRequests(t, info, reqs[0], reqs[1], reqs[2])
	header, _ := stream.Header()
	wantMD(t, "header", header, "x-custom-header", "foo")
	wantMD(t, "trailer", stream.Trailer(), "x-custom-trailer", "bing")
}

func TestClientStreamError(t *testing.T) {
	t.Parallel()
	client := newClient(t)
	reqs := []*conformancev1.ClientStreamRequest{
		{
			ResponseDefinition: &conformancev1.UnaryResponseDefinition{
				Response: &conformancev1.UnaryResponseDefinition_Error{Error: &conformancev1.Error{
					Code: conformancev1.Code_CODE_FAILED_PRECONDITION, Message: proto.String("nope"),
				}},
				ResponseTrailers: []*conformancev1.Header{hdr("x-custom-trailer", "bing")},
			},
		},
		{RequestData: []byte("b")},
	}
	stream, err := client.ClientStream(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reqs {
		if err := stream.Send(r); err != nil {
			t.Fatal(err)
		}
	}
	_, err = stream.CloseAndRecv()
	info := wantStatus(t, err, codes.FailedPrecondition, "nope")
	if info == nil {
		t.Fatal("request info missing from the error details")
	}
	wantRequests(t, info, reqs[0], reqs[1])
	wantMD(t, "trailer", stream.Trailer(), "x-custom-trailer", "bing")
}

func TestClientStreamEmpty(t *testing.T) {
	t.Parallel()
	client := newClient(t)
	stream, err := client.ClientStream(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		t.Fatal(err)
	}
	info := resp.GetPayload().GetRequestInfo()
	if len(info.GetRequests()) != 0 || len(resp.GetPayload().GetData()) != 0 {
		t.Errorf("payload = %v, want request info without requests or data", resp.GetPayload())
	}
	wantTimeout(t, info, testTimeout)
}

func TestBidiHalfDuplex(t *testing.T) {
	t.Parallel()
	client := newClient(t)
	ctx := metadata.AppendToOutgoingContext(testContext(t), "x-conformance-test", "v")
	reqs := []*conformancev1.BidiStreamRequest{
		{
			ResponseDefinition: &conformancev1.StreamResponseDefinition{
				ResponseHeaders:  []*conformancev1.Header{hdr("x-custom-header", "foo")},
				ResponseData:     [][]byte{[]byte("one"), []byte("two")},
				ResponseTrailers: []*conformancev1.Header{hdr("x-custom-trailer", "bing")},
				Error:            &conformancev1.Error{Code: conformancev1.Code_CODE_INTERNAL, Message: proto.String("end")},
			},
		},
		{RequestData: []byte("b")},
	}
	stream, err := client.BidiStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reqs {
		if err := stream.Send(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	first, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	info := first.GetPayload().GetRequestInfo()
	wantHeader(t, info, "x-conformance-test", "v")
	wantTimeout(t, info, testTimeout)
	wantRequests(t, info, reqs[0], reqs[1])
	second, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if string(second.GetPayload().GetData()) != "two" || second.GetPayload().GetRequestInfo() != nil {
		t.Errorf("second payload = %v, want data only", second.GetPayload())
	}
	_, err = stream.Recv()
	if info := wantStatus(t, err, codes.Internal, "end"); info != nil {
		t.Error("request info in the error details although responses were sent")
	}
	header, _ := stream.Header()
	wantMD(t, "header", header, "x-custom-header", "foo")
	wantMD(t, "trailer", stream.Trailer(), "x-custom-trailer", "bing")
}

func TestBidiFullDuplex(t *testing.T) {
	t.Parallel()
	client := newClient(t)
	ctx := metadata.AppendToOutgoingContext(testContext(t), "x-conformance-test", "v")
	reqs := []*conformancev1.BidiStreamRequest{
		{
			FullDuplex: true,
			ResponseDefinition: &conformancev1.StreamResponseDefinition{
				ResponseHeaders:  []*conformancev1.Header{hdr("x-custom-header", "foo")},
				ResponseData:     [][]byte{[]byte("one"), []byte("two")},
				ResponseTrailers: []*conformancev1.Header{hdr("x-custom-trailer", "bing")},
			},
		},
		{RequestData: []byte("b")},
	}
	stream, err := client.BidiStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Ping-pong: each response must arrive before the next request is sent,
	// which a half-duplex implementation would never do.
	for i, r := range reqs {
		if err := stream.Send(r); err != nil {
			t.Fatal(err)
		}
		resp, err := stream.Recv()
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		info := resp.GetPayload().GetRequestInfo()
		wantRequests(t, info, r)
		if i == 0 {
			wantHeader(t, info, "x-conformance-test", "v")
			wantTimeout(t, info, testTimeout)
		} else if len(info.GetRequestHeaders()) != 0 || info.TimeoutMs != nil {
			t.Errorf("response %d repeats headers or timeout: %v", i, info)
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("Recv after the last response = %v, want EOF", err)
	}
	header, _ := stream.Header()
	wantMD(t, "header", header, "x-custom-header", "foo")
	wantMD(t, "trailer", stream.Trailer(), "x-custom-trailer", "bing")
}

func TestBidiFullDuplexErrorNoResponses(t *testing.T) {
	t.Parallel()
	client := newClient(t)
	req := &conformancev1.BidiStreamRequest{
		FullDuplex: true,
		ResponseDefinition: &conformancev1.StreamResponseDefinition{
			ResponseHeaders: []*conformancev1.Header{hdr("x-custom-header", "foo")},
			Error:           &conformancev1.Error{Code: conformancev1.Code_CODE_UNAVAILABLE, Message: proto.String("gone")},
		},
	}
	stream, err := client.BidiStream(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(req); err != nil {
		t.Fatal(err)
	}
	// No CloseSend: with nothing to answer, the error must come at once.
	_, err = stream.Recv()
	info := wantStatus(t, err, codes.Unavailable, "gone")
	if info == nil {
		t.Fatal("request info missing from the error details")
	}
	wantRequests(t, info, req)
	header, _ := stream.Header()
	wantMD(t, "header", header, "x-custom-header", "foo")
}

func TestBidiEmpty(t *testing.T) {
	t.Parallel()
	client := newClient(t)
	stream, err := client.BidiStream(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if msg, err := stream.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("Recv = %v, %v; want an empty, successful stream", msg, err)
	}
}
